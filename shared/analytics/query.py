"""What a metrics question asks: a date range, filters and how to group the answer.

Checked here, once, for the API, dashboards and reports alike: a range must be ordered and not
absurdly long, and the finer a time grouping the shorter the range it may cover, so that no
question returns more groups than a screen or a spreadsheet can use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.transactions import EARLIEST_DATE, LATEST_DATE


class TimeGrain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Dimension(StrEnum):
    CATEGORY = "category"
    MERCHANT = "merchant"
    ACCOUNT = "account"
    TAG = "tag"


START_FIELD = ("query", "date_from")
END_FIELD = ("query", "date_to")
GROUPINGS: frozenset[str] = frozenset({*TimeGrain, *Dimension})
LONGEST_RANGE_DAYS = 20 * 366
"""Twenty years: longer than any statement history a person keeps."""
LONGEST_RANGE_BY_GRAIN = {TimeGrain.DAY: 2 * 366, TimeGrain.WEEK: 10 * 366}
"""At most about 730 days or 520 weeks in one answer."""


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    """Inclusive."""
    currency: str
    accounts: frozenset[UUID] = frozenset()
    categories: frozenset[UUID] = frozenset()
    """Already with their children."""
    tags: frozenset[UUID] = frozenset()
    merchants: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    """Transaction types (``pix``, ``card``, …)."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def with_range(self, start: date, end: date) -> Filters:
        return Filters(
            start, end, self.currency, self.accounts, self.categories, self.tags,
            self.merchants, self.types,
        )  # fmt: skip


@dataclass(frozen=True)
class MetricsQuery:
    filters: Filters
    time: TimeGrain | None = None
    dimension: Dimension | None = None
    all_flows: bool = field(default=False)
    """Only the movement counts (balances): income and expense are not told apart, so every
    row counts as uncategorised — whose ``Totals.movement`` is the same."""


def parse_grouping(
    values: list[str], where: tuple[str | int, ...]
) -> tuple[TimeGrain | None, Dimension | None]:
    """``group_by`` values: at most one time grain and one dimension, in any order."""
    time: TimeGrain | None = None
    dimension: Dimension | None = None
    issues: list[FieldIssue] = []
    for index, value in enumerate(values):
        spot = (*where, index)
        if value in TimeGrain.__members__.values():
            if time is not None:
                issues.append(FieldIssue(spot, "group by one time grain at most", "too_many"))
            time = TimeGrain(value)
        elif value in Dimension.__members__.values():
            if dimension is not None:
                issues.append(FieldIssue(spot, "group by one dimension at most", "too_many"))
            dimension = Dimension(value)
        else:
            known = ", ".join(sorted(GROUPINGS))
            issues.append(
                FieldIssue(spot, f"unknown grouping {value!r}; one of {known}", "unknown")
            )
    if issues:
        raise InvalidInput("the grouping is not valid", issues=issues)
    return time, dimension


def check_range(
    start: date,
    end: date,
    time: TimeGrain | None,
    end_field: tuple[str, ...] = END_FIELD,
    start_field: tuple[str, ...] = START_FIELD,
) -> None:
    """Raises ``InvalidInput`` for a day outside the dates transactions may have, an inverted
    range, a range over twenty years, or one too long for its time grain."""
    outside = [
        issue
        for day, spot in ((start, start_field), (end, end_field))
        if (issue := _outside(day, spot)) is not None
    ]
    if outside:
        raise InvalidInput("the range leaves the dates transactions may have", issues=outside)
    if end < start:
        raise InvalidInput(
            f"the range ends ({end}) before it starts ({start})",
            issues=[FieldIssue(end_field, "must not be before the start", "inverted_range")],
        )
    days = (end - start).days + 1
    longest = LONGEST_RANGE_BY_GRAIN.get(time, LONGEST_RANGE_DAYS) if time else LONGEST_RANGE_DAYS
    if days > longest:
        grain = f" grouped by {time.value}" if time in LONGEST_RANGE_BY_GRAIN else ""
        raise InvalidInput(
            f"a range{grain} may cover {longest} days at most; this one covers {days}",
            issues=[FieldIssue(end_field, f"at most {longest} days after the start", "too_long")],
        )


def check_day(day: date, field: tuple[str, ...] = START_FIELD) -> None:
    """A day no transaction can have ends in ``InvalidInput`` at ``field``, before any month
    arithmetic runs off the calendar (year 1 or 9999)."""
    issue = _outside(day, field)
    if issue is not None:
        raise InvalidInput(
            f"{field[-1]}: {day} is outside {EARLIEST_DATE}..{LATEST_DATE}", issues=[issue]
        )


def _outside(day: date, field: tuple[str, ...]) -> FieldIssue | None:
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return FieldIssue(field, f"between {EARLIEST_DATE} and {LATEST_DATE}", "out_of_range")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def bucket_of(day: date, grain: TimeGrain) -> date:
    """The first day of the ``grain`` holding ``day`` (weeks start on Monday, as ISO's)."""
    if grain is TimeGrain.DAY:
        return day
    if grain is TimeGrain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is TimeGrain.MONTH:
        return day.replace(day=1)
    return date(day.year, 1, 1)
