"""What a custom report asks (dimensions, measures, filters, a period) and the table it answers.

A report is a metrics question (``shared.services.analytics.MetricsRequest``) plus the measures
to show and a file format, so the rules of metrics hold here too: at most one time grain and one
dimension, an ordered range no longer than its grain allows (``shared.analytics.query``). Every
problem is reported at once, each with where it is in the request body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from shared.analytics.query import check_range, parse_grouping
from shared.domain.analytics import Totals
from shared.domain.errors import DomainError, FieldIssue, InvalidInput
from shared.services.analytics import MetricsAnswer, MetricsRequest

BODY = "body"


class Measure(StrEnum):
    INCOME = "income"
    EXPENSES = "expenses"
    NET = "net"
    SAVINGS_RATE = "savings_rate"
    TRANSACTIONS = "transactions"
    AVERAGE_TICKET = "average_ticket"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class Kind(StrEnum):
    """How a column's values are written: a date, text, an amount of the report's currency, a
    ratio (0.25 is a quarter) or a count."""

    DATE = "date"
    TEXT = "text"
    MONEY = "money"
    RATIO = "ratio"
    COUNT = "count"


MEASURE_KINDS: dict[Measure, Kind] = {
    Measure.INCOME: Kind.MONEY,
    Measure.EXPENSES: Kind.MONEY,
    Measure.NET: Kind.MONEY,
    Measure.SAVINGS_RATE: Kind.RATIO,
    Measure.TRANSACTIONS: Kind.COUNT,
    Measure.AVERAGE_TICKET: Kind.MONEY,
}
ALL_MEASURES: tuple[Measure, ...] = tuple(Measure)


@dataclass(frozen=True)
class ReportFilters:
    """As the metrics take them: ids of accounts and categories (children included), tag
    names, merchants and transaction types; the workspace's base currency by default."""

    currency: str | None = None
    accounts: frozenset[UUID] = frozenset()
    categories: frozenset[UUID] = frozenset()
    tags: frozenset[str] = frozenset()
    merchants: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReportDefinition:
    date_from: date
    date_to: date
    """Inclusive."""
    dimensions: tuple[str, ...] = ()
    """``group_by`` values: up to one time grain (day, week, month, year) and one dimension
    (category, merchant, account, tag); none for one row of totals."""
    measures: tuple[Measure, ...] = ALL_MEASURES
    filters: ReportFilters = field(default_factory=ReportFilters)

    def request(self) -> MetricsRequest:
        return MetricsRequest(
            start=self.date_from,
            end=self.date_to,
            group_by=self.dimensions,
            currency=self.filters.currency,
            accounts=self.filters.accounts,
            categories=self.filters.categories,
            tags=self.filters.tags,
            merchants=self.filters.merchants,
            types=self.filters.types,
        )


def definition(
    date_from: date,
    date_to: date,
    dimensions: Sequence[str] = (),
    measures: Sequence[str] = (),
    filters: ReportFilters | None = None,
) -> ReportDefinition:
    """A checked definition; ``InvalidInput`` lists every unknown dimension or measure, a
    grouping of two grains or two dimensions, and an inverted or too long range, each with its
    pointer into the body. No measures means all of them."""
    issues: list[FieldIssue] = []
    chosen = _measures(measures, issues)
    time = None
    try:
        time, _ = parse_grouping(list(dimensions), (BODY, "dimensions"))
    except InvalidInput as error:
        issues.extend(error.issues)
    try:
        check_range(date_from, date_to, time, (BODY, "date_to"), (BODY, "date_from"))
    except InvalidInput as error:
        issues.extend(error.issues)
    if issues:
        raise InvalidInput("the report definition is not valid", issues=issues)
    return ReportDefinition(
        date_from, date_to, tuple(dimensions), chosen, filters or ReportFilters()
    )


def _measures(values: Sequence[str], issues: list[FieldIssue]) -> tuple[Measure, ...]:
    if not values:
        return ALL_MEASURES
    known = ", ".join(ALL_MEASURES)
    chosen: list[Measure] = []
    for index, value in enumerate(values):
        where = (BODY, "measures", index)
        if value not in Measure.__members__.values():
            issues.append(
                FieldIssue(where, f"unknown measure {value!r}; one of {known}", "unknown")
            )
        elif Measure(value) in chosen:
            issues.append(FieldIssue(where, f"{value!r} is asked twice", "duplicate"))
        else:
            chosen.append(Measure(value))
    return tuple(chosen)


FILTER_FIELDS: dict[str, tuple[str, ...]] = {
    "account_id": (BODY, "filters", "account_ids"),
    "category_id": (BODY, "filters", "category_ids"),
    "tag": (BODY, "filters", "tags"),
    "currency": (BODY, "filters", "currency"),
}
"""The metrics' query parameters → where a report's body holds the same filter."""


def in_body(error: DomainError) -> DomainError:
    """The metrics point at their query parameters (an id of another workspace, an unknown
    currency); a report's filters are in its body: the same issues, pointing there."""
    error.issues = [_moved(issue) for issue in error.issues]
    return error


def _moved(issue: FieldIssue) -> FieldIssue:
    if issue.location[:1] != ("query",):
        return issue
    place = FILTER_FIELDS.get(str(issue.location[-1]), issue.location)
    return FieldIssue(place, issue.message, issue.code)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind


@dataclass(frozen=True)
class ReportTable:
    """A report's answer: one row per group (one row of totals when ungrouped) and the totals.

    Values stay typed (``date``, ``str``, ``Decimal``, ``int``, ``None``); each renderer writes
    them its own way."""

    definition: ReportDefinition
    currency: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    totals: dict[Measure, Decimal | int | None]


def table(report: ReportDefinition, answer: MetricsAnswer) -> ReportTable:
    query = answer.metrics.query
    leading: list[Column] = []
    if query.time is not None:
        leading.append(Column("period", Kind.DATE))
    if query.dimension is not None:
        leading += [Column(query.dimension.value, Kind.TEXT), Column("label", Kind.TEXT)]
    columns = (*leading, *(Column(m.value, MEASURE_KINDS[m]) for m in report.measures))
    rows: list[tuple[Any, ...]] = []
    for group in answer.metrics.groups or []:
        key = None if group.key is None else str(group.key)
        head: list[Any] = []
        if query.time is not None:
            head.append(group.bucket)
        if query.dimension is not None:
            # A merchant is its own name; ids are named by the labels.
            label = key if query.dimension == "merchant" else answer.labels.get(key or "")
            head += [key, label]
        rows.append((*head, *values(group.totals, report.measures)))
    if not leading:
        rows.append(values(answer.metrics.totals, report.measures))
    totals = dict(zip(report.measures, values(answer.metrics.totals, report.measures), strict=True))
    return ReportTable(report, query.filters.currency, columns, rows, totals)


def values(totals: Totals, measures: Sequence[Measure]) -> tuple[Decimal | int | None, ...]:
    figures: dict[Measure, Decimal | int | None] = {
        Measure.INCOME: totals.income,
        Measure.EXPENSES: totals.expenses,
        Measure.NET: totals.net,
        Measure.SAVINGS_RATE: totals.savings_rate,
        Measure.TRANSACTIONS: totals.transactions,
        Measure.AVERAGE_TICKET: totals.average_ticket,
    }
    return tuple(figures[measure] for measure in measures)
