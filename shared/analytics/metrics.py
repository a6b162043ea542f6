"""From source rows to metrics: income, expenses, net, savings rate, count and average ticket,
in total and per group, by the one rule of ``shared.domain.analytics``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from shared.analytics.query import MetricsQuery, TimeGrain, add_months, bucket_of
from shared.analytics.sources import Row
from shared.domain.analytics import Totals, flow_totals

GroupKey = tuple[date | None, UUID | str | None]


@dataclass(frozen=True)
class Group:
    bucket: date | None
    key: UUID | str | None
    totals: Totals


@dataclass(frozen=True)
class Metrics:
    query: MetricsQuery
    totals: Totals
    groups: list[Group]
    source: str
    """Which source answered: ``rollups`` or ``transactions``."""


def compute(query: MetricsQuery, rows: Sequence[Row], source: str) -> Metrics:
    """Totals of everything and of each group. Grouped by time only, every bucket of the range
    is there, empty ones too (a chart's axis has no holes)."""
    per_group: dict[GroupKey, Totals] = defaultdict(Totals)
    total = Totals()
    for row in rows:
        amounts = flow_totals(row.flow, row.credits, row.debits, row.inflow, row.outflow)
        per_group[(row.bucket, row.key)] += amounts
        total += amounts
    grouped = query.time is not None or query.dimension is not None
    groups = [Group(bucket, key, totals) for (bucket, key), totals in per_group.items()]
    if query.time is not None and query.dimension is None:
        present = {group.bucket for group in groups}
        filters = query.filters
        groups += [
            Group(day, None, Totals())
            for day in buckets(filters.start, filters.end, query.time)
            if day not in present
        ]
    groups.sort(key=_order)
    return Metrics(query, total, groups if grouped else [], source)


def moves_money(group: Group) -> bool:
    """Whether a group has income or expenses: one of transfers only does not."""
    return bool(group.totals.transactions or group.totals.income or group.totals.expenses)


def _order(group: Group) -> tuple[date, int, object, object, str]:
    # Time first; within a bucket the largest spending first, then income, then by key for a
    # stable order.
    return (
        group.bucket or date.min,
        0,
        -group.totals.expenses,
        -group.totals.income,
        str(group.key),
    )


def buckets(start: date, end: date, grain: TimeGrain) -> Iterator[date]:
    """The first day of every ``grain`` bucket that ``start``–``end`` touches."""
    current = bucket_of(start, grain)
    while current <= end:
        yield current
        if grain is TimeGrain.DAY:
            current += timedelta(days=1)
        elif grain is TimeGrain.WEEK:
            current += timedelta(days=7)
        elif grain is TimeGrain.MONTH:
            current = add_months(current, 1)
        else:
            current = date(current.year + 1, 1, 1)
