"""Rollups recomputed from the transactions, set-based: what ``fluxo analytics rebuild`` runs
per workspace (``AnalyticsService.rebuild``) and what ``bench/dashboard.py`` runs over every
workspace at once after loading millions of rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, exists, func, insert, literal, select

from shared.analytics.query import TimeGrain
from shared.analytics.sources import bucket, merchant_of
from shared.db.models import (
    NO_CATEGORY,
    MerchantRollup,
    OutboxEvent,
    ProcessedEvent,
    Rollup,
    Transaction,
)
from shared.db.unit_of_work import UnitOfWork
from shared.services.activity import CONSUMER, DAY, EVENT_TYPES, MONTH


def claim_reflected_events(uow: UnitOfWork, tenant_id: UUID) -> None:
    """Marks the ``activity`` consumer's events of the workspace that it has not applied as
    applied: the transactions the rebuild reads already hold their effect."""
    claimed = exists().where(
        ProcessedEvent.consumer == CONSUMER, ProcessedEvent.event_id == OutboxEvent.id
    )
    pending = select(
        literal(CONSUMER),
        OutboxEvent.id,
        OutboxEvent.tenant_id,
        OutboxEvent.type,
        literal(uow.now(), type_=ProcessedEvent.processed_at.type),
    ).where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.type.in_(sorted(EVENT_TYPES)), ~claimed)
    uow.session.execute(
        insert(ProcessedEvent).from_select(
            ["consumer", "event_id", "tenant_id", "event_type", "processed_at"], pending
        )
    )


def fill_statements(tenant_id: UUID | None, dialect: str, now: datetime) -> list[Any]:
    """INSERT … SELECT statements filling the (emptied) rollups of ``tenant_id``'s
    transactions, or of every workspace's when None."""
    t = Transaction
    credit = t.amount > 0
    scope = [] if tenant_id is None else [t.tenant_id == tenant_id]
    zero = literal(0, type_=t.amount.type)
    sums = [
        func.sum(case((credit, 1), else_=0)),
        func.sum(case((credit, 0), else_=1)),
        func.sum(case((credit, t.amount), else_=zero)),
        func.sum(case((credit, zero), else_=t.amount)),
        literal(now, type_=Rollup.updated_at.type),
    ]
    category = func.coalesce(t.category_id, NO_CATEGORY)
    measures = ["credits", "debits", "inflow", "outflow", "updated_at"]
    statements = []
    for grain, period in (
        (DAY, t.booked_on),
        (MONTH, bucket(t.booked_on, TimeGrain.MONTH, dialect)),
    ):
        rows = (
            select(t.tenant_id, literal(grain), period, t.account_id, category, t.currency, *sums)
            .where(*scope)
            .group_by(t.tenant_id, period, t.account_id, category, t.currency)
        )
        statements.append(
            insert(Rollup).from_select(
                [
                    "tenant_id",
                    "grain",
                    "period_start",
                    "account_id",
                    "category_id",
                    "currency",
                    *measures,
                ],
                rows,
            )
        )
    month = bucket(t.booked_on, TimeGrain.MONTH, dialect)
    merchant = merchant_of(t)
    rows = (
        select(t.tenant_id, month, merchant, category, t.currency, *sums)
        .where(*scope)
        .group_by(t.tenant_id, month, merchant, category, t.currency)
    )
    statements.append(
        insert(MerchantRollup).from_select(
            ["tenant_id", "month", "merchant", "category_id", "currency", *measures], rows
        )
    )
    return statements
