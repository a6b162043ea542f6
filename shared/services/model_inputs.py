"""A workspace's statement lines and balances as the models read them
(:class:`shared.forecasting.lines.Line`): one query, categories' kinds joined."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select

from shared.db.models import Account, Category, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.forecasting.lines import Line, instalment_plan


def load_lines(
    uow: UnitOfWork,
    *,
    accounts: Collection[UUID] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[Line]:
    """The workspace's transactions (of ``accounts`` when given, from ``since`` and up to
    ``until`` when given), oldest first."""
    tenant = uow.tenant_id
    assert tenant is not None, "model inputs belong to a workspace"
    statement = (
        select(
            Transaction.id,
            Transaction.booked_on,
            Transaction.amount,
            Transaction.account_id,
            Account.kind,
            Transaction.description,
            Transaction.merchant,
            Category.slug,
            Category.kind,
            Transaction.instalment_number,
            Transaction.instalment_total,
        )
        .join(
            Account,
            (Account.tenant_id == Transaction.tenant_id) & (Account.id == Transaction.account_id),
        )
        .outerjoin(
            Category,
            (Category.tenant_id == Transaction.tenant_id)
            & (Category.id == Transaction.category_id),
        )
        .where(Transaction.tenant_id == tenant)
        .order_by(Transaction.booked_on, Transaction.created_at, Transaction.id)
    )
    if accounts is not None:
        statement = statement.where(Transaction.account_id.in_(list(accounts)))
    if since is not None:
        statement = statement.where(Transaction.booked_on >= since)
    if until is not None:
        statement = statement.where(Transaction.booked_on <= until)
    return [
        Line(
            id=str(row[0]),
            booked_on=row[1],
            amount=row[2],
            account_id=str(row[3]),
            account_kind=row[4],
            description=row[5],
            merchant=row[6],
            category=row[7],
            kind=row[8] or "uncategorised",
            instalment=instalment_plan(row[9], row[10]),
        )
        for row in uow.session.execute(statement)
    ]


def balance(
    uow: UnitOfWork, *, accounts: Collection[UUID] | None = None, on: date | None = None
) -> Decimal:
    """The sum of the accounts' balances at the end of ``on``: opening balances plus every
    transaction booked until then (future-dated ones, card instalments, are not money yet)."""
    tenant = uow.tenant_id
    assert tenant is not None, "a balance belongs to a workspace"
    opening = select(func.coalesce(func.sum(Account.opening_balance), 0)).where(
        Account.tenant_id == tenant
    )
    moved = select(func.coalesce(func.sum(Transaction.amount), 0)).where(
        Transaction.tenant_id == tenant
    )
    if accounts is not None:
        opening = opening.where(Account.id.in_(list(accounts)))
        moved = moved.where(Transaction.account_id.in_(list(accounts)))
    if on is not None:
        moved = moved.where(Transaction.booked_on <= on)
    return Decimal(uow.session.scalar(opening) or 0) + Decimal(uow.session.scalar(moved) or 0)
