"""Daily account activity: the first event consumer, a rollup the dashboard reads.

Per account, booking day and currency it keeps how many transactions there are, the money that
came in (credits) and the money that went out (debits), from the Transaction and Import events:

- ``TransactionCreated`` and each item of ``TransactionsImported`` add the transaction;
- ``TransactionDeleted`` removes the snapshot it carries;
- ``TransactionUpdated`` that changed the amount, day, account or currency removes the state
  before (the snapshot with the ``from`` values of ``changes``) and adds the state after.

Every event becomes signed increments, and increments add up in any order, so the rollup does not
depend on the order events arrive in; the runner (``shared.consumers``) makes sure each event is
counted once. Rows are upserted with ``INSERT … ON CONFLICT DO UPDATE``, atomic on both engines,
so two deliveries for the same day never lose an increment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from events.envelope import DomainEvent
from events.imports import TransactionsImported
from events.registry import payload
from events.transactions import (
    TransactionCreated,
    TransactionDeleted,
    TransactionSnapshot,
    TransactionUpdated,
)
from shared.consumers import Consumer
from shared.db.models import AccountDailyActivity
from shared.db.unit_of_work import UnitOfWork
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize

CONSUMER = "activity"
EVENT_TYPES = frozenset(
    {"TransactionCreated", "TransactionUpdated", "TransactionDeleted", "TransactionsImported"}
)
ROLLED_UP_FIELDS = frozenset({"accountId", "amount", "bookedOn", "currency"})
"""Wire names of the fields a ``TransactionUpdated`` must change to move a transaction."""

_Key = tuple[UUID, date, str]


@dataclass
class _Delta:
    transactions: int = 0
    inflow: Decimal = Decimal(0)
    outflow: Decimal = Decimal(0)

    def add(self, snapshot: TransactionSnapshot, sign: int) -> None:
        self.transactions += sign
        if snapshot.amount > 0:
            self.inflow += sign * snapshot.amount
        else:
            self.outflow += sign * snapshot.amount


@dataclass(frozen=True)
class DayActivity:
    account_id: UUID
    day: date
    currency: str
    transactions: int
    inflow: Decimal
    outflow: Decimal

    @property
    def net(self) -> Decimal:
        return self.inflow + self.outflow


class ActivityService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=apply_event)

    def daily(self, caller: Caller, account_id: UUID, start: date, end: date) -> list[DayActivity]:
        """The days of ``account_id`` from ``start`` to ``end`` (inclusive) that had activity."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            rows = uow.session.scalars(
                select(AccountDailyActivity)
                .where(
                    AccountDailyActivity.tenant_id == caller.tenant_id,
                    AccountDailyActivity.account_id == account_id,
                    AccountDailyActivity.day >= start,
                    AccountDailyActivity.day <= end,
                    AccountDailyActivity.transactions != 0,
                )
                .order_by(AccountDailyActivity.day, AccountDailyActivity.currency)
            ).all()
            return [
                DayActivity(
                    row.account_id, row.day, row.currency, row.transactions, row.inflow, row.outflow
                )
                for row in rows
            ]


def apply_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """The consumer's ``handle``: the event's increments, one statement for all its (account,
    day) pairs (an import's part touches up to 200)."""
    deltas: dict[_Key, _Delta] = defaultdict(_Delta)
    for snapshot, sign in movements(event):
        deltas[(snapshot.account_id, snapshot.booked_on, snapshot.currency)].add(snapshot, sign)
    now = uow.now()
    rows = [
        {
            "tenant_id": event.metadata.tenant_id,
            "account_id": account_id,
            "day": day,
            "currency": currency,
            "transactions": delta.transactions,
            "inflow": delta.inflow,
            "outflow": delta.outflow,
            "updated_at": now,
        }
        # In key order: two events touching the same days lock their rows in the same order.
        for (account_id, day, currency), delta in sorted(deltas.items(), key=lambda item: item[0])
        if delta != _Delta()
    ]
    if rows:
        uow.session.execute(_upsert(uow.session.get_bind().dialect.name), rows)


def movements(event: DomainEvent) -> list[tuple[TransactionSnapshot, int]]:
    """The snapshots an event adds (+1) to and removes (-1) from the rollup."""
    data = payload(event)
    if isinstance(data, TransactionCreated):
        return [(data.transaction, +1)]
    if isinstance(data, TransactionDeleted):
        return [(data.transaction, -1)]
    if isinstance(data, TransactionsImported):
        return [(item, +1) for item in data.transactions]
    if isinstance(data, TransactionUpdated):
        if not ROLLED_UP_FIELDS & data.changes.keys():
            return []
        after = data.transaction
        before = data.before()
        return [(before, -1), (after, +1)]
    return []


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    """Adds a row's increments to the stored ones, or stores them: built once per dialect."""
    table: Any = AccountDailyActivity.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "account_id", "day", "currency"],
        set_={
            "transactions": table.c.transactions + statement.excluded.transactions,
            "inflow": table.c.inflow + statement.excluded.inflow,
            "outflow": table.c.outflow + statement.excluded.outflow,
            "updated_at": statement.excluded.updated_at,
        },
    )
