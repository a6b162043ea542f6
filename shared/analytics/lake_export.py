"""The daily rollups of every workspace as Parquet in the lake, one file per day, for Athena.

``processed/daily_aggregations/date=YYYY-MM-DD/part-00000.parquet`` (a Hive-style partition the
Glue table projects, ``stacks/constructs/lake_export.py``) holds the day's rows of every
workspace: one per account, category and currency with transactions that day. Exporting a day
again replaces its file, so late transactions and edits reach the lake by re-exporting the days
they touched (the schedule re-exports the last seven every night); a day left without rows
loses its file rather than keeping a stale one.

Each workspace is read in its own tenant unit of work: row-level security applies to the export
as to any request, and no session ever sees two workspaces.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import or_, select

from shared.db.engine import Database
from shared.db.models import NO_CATEGORY, Category, Rollup
from shared.db.unit_of_work import UnitOfWork
from shared.ports import ObjectStore
from shared.services.access import every_workspace
from shared.services.activity import DAY

DAILY_AGGREGATIONS = "processed/daily_aggregations/"
PART = "part-00000.parquet"
CONTENT_TYPE = "application/vnd.apache.parquet"
WINDOW_DAYS = 31
"""Days read per workspace session: a long range costs one session per workspace per month and
holds one month of rows in memory, not the whole range."""
RECENT_DAYS = 7
"""What the schedule and ``fluxo analytics export`` re-export by default (:func:`recent`)."""
MONEY = pa.decimal128(16, 4)
"""Exact money: the rollups keep four decimals at most (``shared.db.types.Money``)."""
SCHEMA = pa.schema(
    [
        pa.field("tenant_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("category_id", pa.string()),
        pa.field("category_kind", pa.string()),
        pa.field("category_root", pa.string()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("credits", pa.int32(), nullable=False),
        pa.field("debits", pa.int32(), nullable=False),
        pa.field("inflow", MONEY, nullable=False),
        pa.field("outflow", MONEY, nullable=False),
    ]
)
"""The columns of a day's file, in order; the Glue table declares the same (and ``date``, the
partition, which is in the key rather than in the file)."""

UnitOfWorkFactory = Callable[[UUID | None, UUID | None], UnitOfWork]


@dataclass(frozen=True)
class DailyAggregate:
    """One row of a day's file: a workspace's transactions of one day, account, category and
    currency. ``category_id`` is None for the uncategorised; ``category_kind`` and
    ``category_root`` (the top-level category's slug) are None then, and for a category deleted
    since."""

    tenant_id: UUID
    day: date
    account_id: UUID
    category_id: UUID | None
    category_kind: str | None
    category_root: str | None
    currency: str
    credits: int
    debits: int
    inflow: Decimal
    outflow: Decimal


@dataclass(frozen=True)
class DayExport:
    """What exporting one day did: ``rows`` written to ``key``, or its file removed (0 rows)."""

    day: date
    key: str
    rows: int
    workspaces: int
    """How many workspaces have rows that day."""

    @property
    def written(self) -> bool:
        return self.rows > 0


def day_key(day: date) -> str:
    """The lake key of ``day``'s file."""
    return f"{DAILY_AGGREGATIONS}date={day.isoformat()}/{PART}"


def days(since: date, until: date) -> list[date]:
    """Every day from ``since`` to ``until``, both included."""
    if until < since:
        raise ValueError(f"the range ends ({until}) before it starts ({since})")
    return [since + timedelta(days=offset) for offset in range((until - since).days + 1)]


def recent(today: date, count: int = RECENT_DAYS) -> tuple[date, date]:
    """The ``count`` days up to yesterday (``today`` in UTC): complete days only, and enough
    of them that a transaction booked or edited late in the week still reaches the lake."""
    until = today - timedelta(days=1)
    return until - timedelta(days=count - 1), until


def collect(uow: UnitOfWork, since: date, until: date) -> list[DailyAggregate]:
    """The daily rollups of the unit of work's workspace from ``since`` to ``until``, each with
    its category's kind and top-level slug; rows no transaction is left in (all deleted or moved
    away, which the consumer leaves at zero) are skipped."""
    tenant_id = uow.tenant_id
    if tenant_id is None:
        raise ValueError("collect reads one workspace: a tenant unit of work")
    roots = _category_roots(uow, tenant_id)
    rollups = uow.session.scalars(
        select(Rollup)
        .where(
            Rollup.tenant_id == tenant_id,
            Rollup.grain == DAY,
            Rollup.period_start.between(since, until),
            or_(Rollup.credits != 0, Rollup.debits != 0),
        )
        .order_by(Rollup.period_start, Rollup.account_id, Rollup.category_id, Rollup.currency)
    )
    return [_aggregate(row, roots) for row in rollups]


def _category_roots(uow: UnitOfWork, tenant_id: UUID) -> dict[UUID, tuple[str, str]]:
    """Category id → (kind, slug of its top-level category), for every category of the
    workspace (archived ones too: their past rows still count). A workspace has tens of
    categories: read whole, the roots resolve in memory without a recursive query."""
    rows = uow.session.execute(
        select(Category.id, Category.parent_id, Category.kind, Category.slug).where(
            Category.tenant_id == tenant_id
        )
    ).all()
    parents = {row.id: row.parent_id for row in rows}
    slugs = {row.id: row.slug for row in rows}

    def root(category_id: UUID) -> UUID:
        seen = {category_id}
        while (parent := parents.get(category_id)) is not None and parent not in seen:
            seen.add(parent)
            category_id = parent
        return category_id

    return {row.id: (row.kind, slugs[root(row.id)]) for row in rows}


def _aggregate(row: Rollup, roots: dict[UUID, tuple[str, str]]) -> DailyAggregate:
    category = None if row.category_id == NO_CATEGORY else row.category_id
    kind, top = roots.get(category, (None, None)) if category is not None else (None, None)
    return DailyAggregate(
        tenant_id=row.tenant_id,
        day=row.period_start,
        account_id=row.account_id,
        category_id=category,
        category_kind=kind,
        category_root=top,
        currency=row.currency,
        credits=row.credits,
        debits=row.debits,
        inflow=row.inflow,
        outflow=row.outflow,
    )


def to_parquet(rows: Sequence[DailyAggregate]) -> bytes:
    """One day's rows as a Parquet file (:data:`SCHEMA`, Snappy-compressed), in memory: a day
    of every workspace is megabytes, and S3 takes it in one PutObject."""
    columns = {
        "tenant_id": [str(row.tenant_id) for row in rows],
        "account_id": [str(row.account_id) for row in rows],
        "category_id": [str(row.category_id) if row.category_id else None for row in rows],
        "category_kind": [row.category_kind for row in rows],
        "category_root": [row.category_root for row in rows],
        "currency": [row.currency for row in rows],
        "credits": [row.credits for row in rows],
        "debits": [row.debits for row in rows],
        "inflow": [row.inflow for row in rows],
        "outflow": [row.outflow for row in rows],
    }
    # Typed from the schema, never inferred: Decimal stays decimal128 (an amount with more
    # decimals than four raises rather than rounds), counts stay int32.
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


class LakeExportService:
    """Writes the days' files from every workspace's rollups (:func:`collect`)."""

    def __init__(self, unit_of_work: UnitOfWorkFactory, db: Database, lake: ObjectStore) -> None:
        self._uow = unit_of_work
        self._db = db
        self._lake = lake

    def export(
        self, since: date, until: date, tenants: Sequence[UUID] | None = None
    ) -> Iterator[DayExport]:
        """Exports each day from ``since`` to ``until`` (both included), yielding each as it is
        written. ``tenants`` is every workspace (None: listed here); a day's file always holds
        all of them, so there is no exporting one workspace alone."""
        workspaces = list(tenants) if tenants is not None else self.workspaces()
        chosen = days(since, until)
        for start in range(0, len(chosen), WINDOW_DAYS):
            window = chosen[start : start + WINDOW_DAYS]
            by_day = self._collect_window(workspaces, window[0], window[-1])
            for day in window:
                yield self._write_day(day, by_day.get(day, []))

    def workspaces(self) -> list[UUID]:
        return every_workspace(self._db)

    def _collect_window(
        self, workspaces: Iterable[UUID], since: date, until: date
    ) -> dict[date, list[DailyAggregate]]:
        by_day: dict[date, list[DailyAggregate]] = defaultdict(list)
        for tenant_id in workspaces:
            # Read-only: the unit of work is left without a commit, which rolls back.
            with self._uow(tenant_id, None) as uow:
                for row in collect(uow, since, until):
                    by_day[row.day].append(row)
        return by_day

    def _write_day(self, day: date, rows: list[DailyAggregate]) -> DayExport:
        key = day_key(day)
        if not rows:
            # Deleting a key that is not there succeeds (S3 and the folder alike): no need to
            # look first, and no read permission needed for it.
            self._lake.delete(key)
            return DayExport(day, key, 0, 0)
        self._lake.put(
            key,
            to_parquet(rows),
            content_type=CONTENT_TYPE,
            metadata={"rows": str(len(rows))},
        )
        return DayExport(day, key, len(rows), len({row.tenant_id for row in rows}))
