"""The analytics rollups, kept by the ``activity`` consumer from the transactions' events.

Per day and per month (``rollups``: account, category, currency) and per month and merchant
(``merchant_rollups``) it keeps how many transactions came in and went out and how much:

- ``TransactionCreated`` and each item of ``TransactionsImported`` add the transaction;
- ``TransactionDeleted`` removes the snapshot it carries;
- ``TransactionUpdated`` that changed what the rollups are keyed or summed by removes the state
  before and adds the state after, both in the category it had before: a category change comes
  with its own ``TransactionCategorized`` (``shared.services.transaction_events``), which moves
  the transaction as it was then from the previous category to the new one.

Every event becomes signed increments, and increments add up in any order, so the rollups do not
depend on the order events arrive in; the runner (``shared.consumers``) makes sure each event is
counted once. Rows are upserted with ``INSERT … ON CONFLICT DO UPDATE``, atomic on both engines,
so two deliveries for the same day never lose an increment. Each change also counts one more
generation for the workspace, which makes cached analytics of the earlier one unreachable, and
then (``after_change``, wired by the composition root) computes the workspace's dashboard
snapshots again in the same transaction (``shared.analytics.snapshots``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from events.envelope import DomainEvent
from events.imports import TransactionsImported
from events.registry import payload
from events.transactions import (
    TransactionCategorized,
    TransactionCreated,
    TransactionDeleted,
    TransactionSnapshot,
    TransactionUpdated,
)
from shared.consumers import Consumer
from shared.db.engine import Database
from shared.db.models import (
    NO_CATEGORY,
    Account,
    AnalyticsGeneration,
    Budget,
    Category,
    MerchantRollup,
    Rollup,
)
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import NotFound
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.transaction_events import snapshot as snapshot_of

CONSUMER = "activity"
EVENT_TYPES = frozenset(
    {
        "TransactionCreated",
        "TransactionUpdated",
        "TransactionDeleted",
        "TransactionCategorized",
        "TransactionsImported",
    }
)
ROLLED_UP_FIELDS = frozenset(
    {"accountId", "amount", "bookedOn", "currency", "merchant", "description"}
)
"""Wire names of the fields a ``TransactionUpdated`` must change to move a transaction."""
DAY = "d"
MONTH = "m"
MERCHANT_KEY_LENGTH = 200


@dataclass
class Sums:
    credits: int = 0
    debits: int = 0
    inflow: Decimal = Decimal(0)
    outflow: Decimal = Decimal(0)

    def add(self, amount: Decimal, sign: int) -> None:
        if amount > 0:
            self.credits += sign
            self.inflow += sign * amount
        else:
            self.debits += sign
            self.outflow += sign * amount

    def values(self) -> dict[str, Any]:
        return {
            "credits": self.credits,
            "debits": self.debits,
            "inflow": self.inflow,
            "outflow": self.outflow,
        }


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


AfterChange = Callable[[UnitOfWork, UUID], object]
"""Runs in the consumer's transaction after it changed a workspace's rollups (the dashboards'
snapshots are computed again there)."""


class ActivityService:
    def __init__(self, uow: UnitOfWorkFactory, after_change: AfterChange | None = None) -> None:
        self._uow = uow
        self._after_change = after_change

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=self._apply)

    def _apply(self, uow: UnitOfWork, event: DomainEvent) -> None:
        if apply_event(uow, event) and self._after_change is not None:
            self._after_change(uow, event.metadata.tenant_id)

    def daily(self, caller: Caller, account_id: UUID, start: date, end: date) -> list[DayActivity]:
        """The days of ``account_id`` from ``start`` to ``end`` (inclusive) that had activity."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            transactions = func.sum(Rollup.credits + Rollup.debits)
            rows = uow.session.execute(
                select(
                    Rollup.period_start,
                    Rollup.currency,
                    transactions,
                    func.sum(Rollup.inflow),
                    func.sum(Rollup.outflow),
                )
                .where(
                    Rollup.tenant_id == caller.tenant_id,
                    Rollup.grain == DAY,
                    Rollup.account_id == account_id,
                    Rollup.period_start >= start,
                    Rollup.period_start <= end,
                )
                .group_by(Rollup.period_start, Rollup.currency)
                .having(transactions != 0)
                .order_by(Rollup.period_start, Rollup.currency)
            ).all()
            return [
                DayActivity(account_id, day, currency, count, inflow, outflow)
                for day, currency, count, inflow, outflow in rows
            ]


def merchant_key(snapshot: TransactionSnapshot) -> str:
    """What a transaction's merchant is called in the merchant rollups: the merchant found, else
    the description."""
    return (snapshot.merchant or snapshot.description)[:MERCHANT_KEY_LENGTH]


def apply_event(uow: UnitOfWork, event: DomainEvent) -> bool:
    """The consumer's effect: the event's increments, one statement per table for all its
    keys (an import's part touches up to 200 days). Returns whether it moved a transaction —
    then the generation counts one more even when the sums cancel out (a new description: the
    dashboards' lists of transactions show it)."""
    rollups: dict[tuple[str, date, UUID, UUID, str], Sums] = defaultdict(Sums)
    merchants: dict[tuple[date, str, UUID, str], Sums] = defaultdict(Sums)
    moved = movements(uow, event)
    for snapshot, sign in moved:
        category = snapshot.category_id or NO_CATEGORY
        month = snapshot.booked_on.replace(day=1)
        for grain, start in ((DAY, snapshot.booked_on), (MONTH, month)):
            key = (grain, start, snapshot.account_id, category, snapshot.currency)
            rollups[key].add(snapshot.amount, sign)
        merchant = (month, merchant_key(snapshot), category, snapshot.currency)
        merchants[merchant].add(snapshot.amount, sign)
    tenant_id = event.metadata.tenant_id
    now = uow.now()
    dialect = uow.session.get_bind().dialect.name
    rows = _rows(
        tenant_id,
        now,
        ("grain", "period_start", "account_id", "category_id", "currency"),
        rollups.items(),
    )
    merchant_rows = _rows(
        tenant_id, now, ("month", "merchant", "category_id", "currency"), merchants.items()
    )
    # A renamed merchant moves only merchant rows; a day's amount may cancel out in one table
    # and not in the other.
    for table, changed in ((Rollup.__table__, rows), (MerchantRollup.__table__, merchant_rows)):
        if changed:
            uow.session.execute(_upsert(dialect, table), changed)
    if not moved:
        return False
    bump_generation(uow.session, tenant_id, now)
    return True


def _rows(
    tenant_id: UUID,
    now: Any,
    names: tuple[str, ...],
    sums: Iterable[tuple[tuple[Any, ...], Sums]],
) -> list[dict[str, Any]]:
    # In key order: two events touching the same keys lock their rows in the same order.
    return [
        {
            "tenant_id": tenant_id,
            **dict(zip(names, key, strict=True)),
            **delta.values(),
            "updated_at": now,
        }
        for key, delta in sorted(sums, key=lambda item: item[0])
        if delta != Sums()
    ]


def bump_generation(session: Session, tenant_id: UUID, now: datetime) -> None:
    """One more change to what the workspace's analytics show (``shared.services.analytics``)."""
    table: Any = AnalyticsGeneration.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(tenant_id=tenant_id, generation=1, updated_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={
                "generation": table.c.generation + 1,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )


def movements(uow: UnitOfWork, event: DomainEvent) -> list[tuple[TransactionSnapshot, int]]:
    """The snapshots an event adds (+1) to and removes (-1) from the rollups."""
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
        before = data.before()
        after = data.transaction.model_copy(update={"category_id": before.category_id})
        return [(before, -1), (after, +1)]
    if isinstance(data, TransactionCategorized):
        moved = data.transaction or _current(uow, data.transaction_id)
        if moved is None or data.previous_category_id == data.category_id:
            return []
        before = moved.model_copy(update={"category_id": data.previous_category_id})
        after = moved.model_copy(update={"category_id": data.category_id})
        return [(before, -1), (after, +1)]
    return []


def _current(uow: UnitOfWork, transaction_id: UUID) -> TransactionSnapshot | None:
    """An event written before ``TransactionCategorized`` carried the transaction: the row as it
    is now stands in for it (best effort; such events are only ever replays)."""
    try:
        return snapshot_of(uow.transactions.get(transaction_id))
    except NotFound:
        return None


@lru_cache(maxsize=8)
def _upsert(dialect: str, table: Any) -> Any:
    """Adds a row's increments to the stored ones, or stores them: built once per table and
    dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    measures = ("credits", "debits", "inflow", "outflow")
    return statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={
            **{name: table.c[name] + statement.excluded[name] for name in measures},
            "updated_at": statement.excluded.updated_at,
        },
    )


Shown = Account | Budget | Category
"""Rows dashboards show besides the rollups: changing one makes cached dashboards stale."""


def count_changes_to_shown_rows(db: Database) -> None:
    """Every flush that adds, changes or removes an account, budget or category counts one more
    generation for its workspace, in the same transaction, whichever service made the change.
    Registered by the composition root for every process: the one that edits a category is
    rarely the one that cached a dashboard."""

    def before_flush(session: Session, _context: object, _instances: object) -> None:
        changed = {
            row.tenant_id
            for row in (*session.new, *session.deleted, *session.dirty)
            if isinstance(row, Shown)
            and (row not in session.dirty or session.is_modified(row, include_collections=False))
        }
        for tenant_id in sorted(changed):
            bump_generation(session, tenant_id, db.clock.now())

    db.before_flush(before_flush)
