"""Where metrics come from: the rollups, or the transactions themselves.

Both sources answer a ``MetricsQuery`` with the same rows — per time bucket, dimension key and
category: how many transactions came in and went out and how much — so everything above them
(metrics, dashboards, reports) is computed once, the same way, whichever answered. A test keeps
the two equal on random data (tests/integration/analytics).

The rollups answer every question that filters by date, account and category and groups by time,
account or category; month-aligned questions by merchant read the merchant rollups. Tags, types
and merchant filters are not rolled up: such questions read the transactions, through the indexes
docs/analytics.md lists. ``RawSource`` answers everything, and is also the baseline that
``bench/dashboard.py`` measures the rollups against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import (
    Date,
    DateTime,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement, Null

from shared.analytics.query import Dimension, MetricsQuery, TimeGrain, month_end, next_month
from shared.db.models import (
    NO_CATEGORY,
    Category,
    MerchantRollup,
    Rollup,
    Transaction,
    TransactionTag,
)
from shared.db.types import Money
from shared.domain.analytics import Flow, flow_of_kind
from shared.services.activity import DAY, MERCHANT_KEY_LENGTH, MONTH


@dataclass(frozen=True)
class Row:
    bucket: date | None
    """The first day of the row's time bucket; None when not grouped by time."""
    key: UUID | str | None
    """The dimension's value (an account, category or tag id, a merchant); None when not
    grouped by a dimension, or for transactions without a tag."""
    flow: Flow
    """How the row's money counts: by its categories' kind (one row per kind)."""
    credits: int
    debits: int
    inflow: Decimal
    outflow: Decimal


class Source(Protocol):
    def rows(self, session: Session, tenant_id: UUID, query: MetricsQuery) -> list[Row]: ...

    def statement(
        self, dialect: str, tenant_id: UUID, query: MetricsQuery, prefix: str = ""
    ) -> tuple[Any, dict[str, Any]]:
        """The SELECT ``rows`` runs — (bucket, key, kind, credits, debits, inflow, outflow) —
        and its parameters, named with ``prefix``. The statement depends only on the query's
        shape, so it is built once and reused (SQLAlchemy then compiles it once too)."""

    def answered_by(self, query: MetricsQuery) -> str:
        """``rollups`` or ``transactions``: what ``rows`` reads for ``query``."""


def bucket(column: Any, grain: TimeGrain, dialect: str) -> ColumnElement[date]:
    """The first day of ``column``'s bucket, computed by the database (Monday-based weeks)."""
    if grain is TimeGrain.DAY:
        return type_coerce(column, Date())
    if dialect == "postgresql":
        # On a timestamp without time zone: date_trunc of a timestamptz consults the session's
        # time zone for every row, ten times slower.
        return cast(func.date_trunc(grain.value, cast(column, DateTime())), Date())
    sqlite_forms = {
        TimeGrain.WEEK: func.date(column, "-6 days", "weekday 1"),
        TimeGrain.MONTH: func.strftime("%Y-%m-01", column),
        TimeGrain.YEAR: func.strftime("%Y-01-01", column),
    }
    return type_coerce(sqlite_forms[grain], Date())


def _sums(credit: ColumnElement[bool], amount: Any) -> list[Any]:
    return [
        func.sum(case((credit, 1), else_=0)),
        func.sum(case((credit, 0), else_=1)),
        func.sum(case((credit, amount), else_=literal(0, type_=amount.type))),
        func.sum(case((credit, literal(0, type_=amount.type)), else_=amount)),
    ]


def _category_of(table: Any) -> ColumnElement[bool]:
    # ``table``: a mapped class or a subquery's columns (``.c``), both with these names.
    """Joins a row's category, whose kind says how its money counts (none: uncategorised)."""
    return and_(Category.tenant_id == table.tenant_id, Category.id == table.category_id)


def _grouped(*columns: Any) -> list[Any]:
    """The GROUP BY list: PostgreSQL refuses the NULL that stands for "not grouped by this"."""
    return [column for column in columns if not isinstance(column, Null)]


def _rows(session: Session, statement: tuple[Any, dict[str, Any]]) -> list[Row]:
    return [_row(row, row[1]) for row in session.execute(*statement).all()]


def _row(row: Any, key: Any) -> Row:
    return Row(
        bucket=row[0],
        key=None if key == NO_CATEGORY else key,
        flow=flow_of_kind(row[2]),
        credits=int(row[3] or 0),
        debits=int(row[4] or 0),
        inflow=Decimal(row[5] or 0),
        outflow=Decimal(row[6] or 0),
    )


def batch_rows(
    source: Source, session: Session, tenant_id: UUID, queries: Sequence[MetricsQuery]
) -> list[list[Row]]:
    """The rows of every query, asked in one statement (``UNION ALL``, each query's rows tagged
    with its place): one round trip to the database for a whole dashboard."""
    if not queries:
        return []
    dialect = session.get_bind().dialect.name
    parts = [
        source.statement(dialect, tenant_id, query, f"q{i}_") for i, query in enumerate(queries)
    ]
    params = {name: value for _, values in parts for name, value in values.items()}
    statement = _union(dialect, tuple(statement for statement, _ in parts))
    answers: list[list[Row]] = [[] for _ in queries]
    for row in session.execute(statement, params).all():
        index = row[0]
        answers[index].append(_row(row[1:], _key(queries[index], row[2])))
    return answers


@lru_cache(maxsize=256)
def _union(dialect: str, statements: tuple[Any, ...]) -> Any:
    """The statements' rows tagged with their place, in one statement: built once per
    combination (the statements themselves are cached, so equal shapes are the same objects)."""
    # PostgreSQL types a UNION's columns (and a bare NULL as text): buckets travel as dates,
    # keys (uuid or text) as text. SQLite has no types to match, nor a date to cast.
    convert = cast if dialect == "postgresql" else type_coerce
    parts = []
    for index, statement in enumerate(statements):
        columns = list(statement.subquery().c)
        parts.append(
            select(
                literal(index),
                convert(columns[0], Date()),
                convert(columns[1], String()),
                columns[2],
                columns[3],
                columns[4],
                type_coerce(columns[5], Money()),
                type_coerce(columns[6], Money()),
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _key(query: MetricsQuery, text: str | None) -> UUID | str | None:
    """A key read back as text: ids as ids, merchants as they are."""
    if text is None or query.dimension in (None, Dimension.MERCHANT):
        return text
    return UUID(text)


class RawSource:
    """A straightforward GROUP BY over the transactions."""

    name = "transactions"

    def answered_by(self, query: MetricsQuery) -> str:
        return self.name

    def rows(self, session: Session, tenant_id: UUID, query: MetricsQuery) -> list[Row]:
        dialect = session.get_bind().dialect.name
        return _rows(session, self.statement(dialect, tenant_id, query))

    def statement(
        self, dialect: str, tenant_id: UUID, query: MetricsQuery, prefix: str = ""
    ) -> tuple[Any, dict[str, Any]]:
        shape = Shape.of(query, dialect, prefix)
        return _raw_statement(shape), _params(query, tenant_id, prefix)


def merchant_of(t: type[Transaction]) -> ColumnElement[str]:
    """The merchant rollups' key (``shared.services.activity.merchant_key``) in SQL."""
    return func.substr(func.coalesce(t.merchant, t.description), 1, MERCHANT_KEY_LENGTH)


class RollupSource:
    """The rollups: whole months from the monthly rows, the days around them from the daily."""

    name = "rollups"

    def __init__(self, fallback: Source | None = None) -> None:
        self._fallback = fallback or RawSource()

    def answered_by(self, query: MetricsQuery) -> str:
        if self.answers_from_rollups(query) or self.answers_from_merchants(query):
            return self.name
        return self._fallback.answered_by(query)

    def rows(self, session: Session, tenant_id: UUID, query: MetricsQuery) -> list[Row]:
        dialect = session.get_bind().dialect.name
        return _rows(session, self.statement(dialect, tenant_id, query))

    def statement(
        self, dialect: str, tenant_id: UUID, query: MetricsQuery, prefix: str = ""
    ) -> tuple[Any, dict[str, Any]]:
        if self.answers_from_rollups(query):
            ranges = period_ranges(query.filters.start, query.filters.end, query.time)
            shape = Shape.of(query, dialect, prefix, tuple(grain for grain, _, _ in ranges))
            params = _params(query, tenant_id, prefix)
            for index, (_, low, high) in enumerate(ranges):
                params[f"{prefix}low{index}"], params[f"{prefix}high{index}"] = low, high
            return _rollup_statement(shape), params
        if self.answers_from_merchants(query):
            shape = Shape.of(query, dialect, prefix)
            return _merchant_statement(shape), _params(query, tenant_id, prefix)
        return self._fallback.statement(dialect, tenant_id, query, prefix)

    @staticmethod
    def answers_from_rollups(query: MetricsQuery) -> bool:
        filters = query.filters
        return not (filters.tags or filters.types or filters.merchants) and query.dimension in (
            None,
            Dimension.ACCOUNT,
            Dimension.CATEGORY,
        )

    @staticmethod
    def answers_from_merchants(query: MetricsQuery) -> bool:
        filters = query.filters
        return (
            query.dimension is Dimension.MERCHANT
            and query.time in (None, TimeGrain.MONTH, TimeGrain.YEAR)
            and not (filters.tags or filters.types or filters.accounts)
            and filters.start.day == 1
            and filters.end == month_end(filters.end)
        )


def period_ranges(start: date, end: date, time: TimeGrain | None) -> list[tuple[str, date, date]]:
    """The rollup rows that cover ``start``–``end`` exactly once, as (grain, first, last)
    ranges: the monthly rows of the months wholly inside, the daily rows of the days around
    them; only daily rows when grouping by day or week."""
    if time in (TimeGrain.DAY, TimeGrain.WEEK):
        return [(DAY, start, end)]
    first = start if start.day == 1 else next_month(start)
    last_end = end if end == month_end(end) else end.replace(day=1) - timedelta(days=1)
    if first > last_end:
        return [(DAY, start, end)]
    ranges = [(MONTH, first, last_end.replace(day=1))]
    if start < first:
        ranges.append((DAY, start, first - timedelta(days=1)))
    if last_end < end:
        ranges.append((DAY, last_end + timedelta(days=1), end))
    return ranges


@dataclass(frozen=True)
class Shape:
    """What the text of a query's statement depends on — not its values, which are bound."""

    dialect: str
    prefix: str
    time: TimeGrain | None
    dimension: Dimension | None
    all_flows: bool
    grains: tuple[str, ...]
    """The rollups' ranges: the grain of each."""
    accounts: bool
    categories: bool
    tags: bool
    merchants: bool
    types: bool

    @classmethod
    def of(
        cls, query: MetricsQuery, dialect: str, prefix: str, grains: tuple[str, ...] = ()
    ) -> Shape:
        f = query.filters
        return cls(
            dialect, prefix, query.time, query.dimension, query.all_flows, grains,
            bool(f.accounts), bool(f.categories), bool(f.tags), bool(f.merchants), bool(f.types),
        )  # fmt: skip

    def bind(self, name: str, type_: Any, *, expanding: bool = False) -> Any:
        return bindparam(self.prefix + name, type_=type_, expanding=expanding)


def _params(query: MetricsQuery, tenant_id: UUID, prefix: str) -> dict[str, Any]:
    f = query.filters
    values: dict[str, Any] = {
        "tenant": tenant_id, "currency": f.currency, "start": f.start, "end": f.end,
        "accounts": sorted(f.accounts), "categories": sorted(f.categories),
        "tags": sorted(f.tags), "merchants": sorted(f.merchants), "types": sorted(f.types),
    }  # fmt: skip
    return {prefix + name: value for name, value in values.items()}


@lru_cache(maxsize=512)
def _raw_statement(shape: Shape) -> Any:
    t = Transaction
    time = bucket(t.booked_on, shape.time, shape.dialect) if shape.time else null()
    key, join = _raw_key(shape.dimension)
    kind = null() if shape.all_flows else Category.kind  # as in the rollups
    statement = select(time, key, kind, *_sums(t.amount > 0, t.amount)).where(
        t.tenant_id == shape.bind("tenant", Uuid()),
        t.currency == shape.bind("currency", String()),
        t.booked_on >= shape.bind("start", Date()),
        t.booked_on <= shape.bind("end", Date()),
    )
    if not shape.all_flows:
        statement = statement.outerjoin(Category, _category_of(t))
    if join is not None:
        statement = statement.outerjoin(TransactionTag, join)
    if shape.accounts:
        statement = statement.where(
            t.account_id.in_(shape.bind("accounts", Uuid(), expanding=True))
        )
    if shape.categories:
        statement = statement.where(
            t.category_id.in_(shape.bind("categories", Uuid(), expanding=True))
        )
    if shape.types:
        statement = statement.where(t.type.in_(shape.bind("types", String(), expanding=True)))
    if shape.merchants:
        statement = statement.where(
            merchant_of(t).in_(shape.bind("merchants", String(), expanding=True))
        )
    if shape.tags:
        tagged = exists().where(
            TransactionTag.tenant_id == t.tenant_id,
            TransactionTag.transaction_id == t.id,
            TransactionTag.tag_id.in_(shape.bind("tags", Uuid(), expanding=True)),
        )
        statement = statement.where(tagged)
    return statement.group_by(*_grouped(time, key, kind))


def _raw_key(dimension: Dimension | None) -> tuple[Any, Any]:
    t = Transaction
    if dimension is Dimension.ACCOUNT:
        return t.account_id, None
    if dimension is Dimension.CATEGORY:
        return func.coalesce(t.category_id, NO_CATEGORY), None
    if dimension is Dimension.MERCHANT:
        return merchant_of(t), None
    if dimension is Dimension.TAG:
        join = and_(TransactionTag.tenant_id == t.tenant_id, TransactionTag.transaction_id == t.id)
        return TransactionTag.tag_id, join
    return null(), None


@lru_cache(maxsize=512)
def _rollup_statement(shape: Shape) -> Any:
    r = Rollup
    # One index range per grain and span (whole months, the days around them): an OR of them
    # would scan every row of the workspace.
    parts = []
    for index, grain in enumerate(shape.grains):
        part = select(
            r.tenant_id, r.period_start, r.account_id, r.category_id,
            r.credits, r.debits, r.inflow, r.outflow,
        ).where(
            r.tenant_id == shape.bind("tenant", Uuid()),
            r.grain == grain,
            r.period_start >= shape.bind(f"low{index}", Date()),
            r.period_start <= shape.bind(f"high{index}", Date()),
            r.currency == shape.bind("currency", String()),
        )  # fmt: skip
        if shape.accounts:
            part = part.where(r.account_id.in_(shape.bind("accounts", Uuid(), expanding=True)))
        if shape.categories:
            part = part.where(r.category_id.in_(shape.bind("categories", Uuid(), expanding=True)))
        parts.append(part)
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    time = bucket(rows.c.period_start, shape.time, shape.dialect) if shape.time else null()
    keys = {Dimension.ACCOUNT: rows.c.account_id, Dimension.CATEGORY: rows.c.category_id}
    key = keys[shape.dimension] if shape.dimension in keys else null()
    # A row whose transactions all went (deleted, moved) stays, holding zeros.
    held = func.sum(rows.c.credits + rows.c.debits) != 0
    # Every movement alike (balances): no category to join, all counted as uncategorised, whose
    # money in and out is exactly the movement.
    kind = null() if shape.all_flows else Category.kind
    statement = select(
        time,
        key,
        kind,
        func.sum(rows.c.credits),
        func.sum(rows.c.debits),
        type_coerce(func.sum(rows.c.inflow), r.inflow.type),
        type_coerce(func.sum(rows.c.outflow), r.outflow.type),
    )
    if not shape.all_flows:
        statement = statement.outerjoin(Category, _category_of(rows.c))
    return statement.group_by(*_grouped(time, key, kind)).having(held)


@lru_cache(maxsize=512)
def _merchant_statement(shape: Shape) -> Any:
    m = MerchantRollup
    time = bucket(m.month, shape.time, shape.dialect) if shape.time else null()
    statement = (
        select(
            time,
            m.merchant,
            Category.kind,
            func.sum(m.credits),
            func.sum(m.debits),
            func.sum(m.inflow),
            func.sum(m.outflow),
        )
        .outerjoin(Category, _category_of(m))
        .where(
            m.tenant_id == shape.bind("tenant", Uuid()),
            m.currency == shape.bind("currency", String()),
            m.month >= shape.bind("start", Date()),
            m.month <= shape.bind("end", Date()),
        )
    )
    if shape.categories:
        statement = statement.where(
            m.category_id.in_(shape.bind("categories", Uuid(), expanding=True))
        )
    if shape.merchants:
        statement = statement.where(
            m.merchant.in_(shape.bind("merchants", String(), expanding=True))
        )
    held = func.sum(m.credits + m.debits) != 0
    return statement.group_by(*_grouped(time, m.merchant, Category.kind)).having(held)
