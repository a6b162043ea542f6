"""Budgets as plain rules: the period a day falls in, rollover, thresholds and projection.

A budget's period repeats by a :class:`PeriodRule`: monthly by default, starting on the first of
the month (``calendar``), on a fixed day (``day``: a payday; a day beyond the month's length is
its last day), or on the Nth business day of the month in Brazil (``business_day``: Monday to
Friday, national holidays excluded, as ``holidays.Brazil`` knows them). Weekly periods start on
a weekday (ISO: 1 Monday … 7 Sunday), yearly periods on 1 January.

Money is ``Decimal`` in the budget's currency. Spending is money that went out: minus the sum of
the period's signed amounts (debits are negative), so a refund reduces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import lru_cache

import holidays

DEFAULT_THRESHOLDS: tuple[int, ...] = (80, 100)
"""Percentages of the period's limit that raise an alert, unless the budget says otherwise."""
MAX_THRESHOLDS = 5
MAX_THRESHOLD = 1000
MAX_BUSINESS_DAY = 15
"""The Nth business day a monthly period may start on (every month in Brazil has more)."""
EXCEEDED_FROM = 100
"""Thresholds from this percentage on announce ``BudgetExceeded``; lower ones
``BudgetThresholdReached``."""


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    YEARLY = "yearly"


class PeriodStart(StrEnum):
    CALENDAR = "calendar"
    """The 1st of the month, Monday of the week, 1 January."""
    DAY = "day"
    """Monthly: this day of the month (clamped to the month's last day); weekly: this ISO
    weekday (1 Monday … 7 Sunday)."""
    BUSINESS_DAY = "business_day"
    """Monthly: the Nth business day of the month in Brazil."""


@dataclass(frozen=True, order=True)
class Period:
    """From ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class PeriodRule:
    frequency: Frequency = Frequency.MONTHLY
    starts: PeriodStart = PeriodStart.CALENDAR
    day: int | None = None

    def issues(self) -> list[tuple[str, str]]:
        """What is wrong with the rule, as (field, message); empty when it is valid."""
        if self.starts is PeriodStart.CALENDAR:
            if self.day is not None:
                return [("day", "a calendar period takes no day")]
            return []
        if self.frequency is Frequency.YEARLY:
            return [("starts", "a yearly period starts on 1 January (calendar)")]
        if self.day is None:
            return [("day", f"required when the period starts on a {self.starts.value}")]
        if self.frequency is Frequency.WEEKLY:
            if self.starts is PeriodStart.BUSINESS_DAY:
                return [("starts", "a weekly period starts on a weekday (day) or Monday")]
            if not 1 <= self.day <= 7:
                return [("day", "an ISO weekday: 1 (Monday) to 7 (Sunday)")]
            return []
        if self.starts is PeriodStart.DAY and not 1 <= self.day <= 31:
            return [("day", "a day of the month: 1 to 31")]
        if self.starts is PeriodStart.BUSINESS_DAY and not 1 <= self.day <= MAX_BUSINESS_DAY:
            return [("day", f"the Nth business day: 1 to {MAX_BUSINESS_DAY}")]
        return []

    def period_of(self, day: date) -> Period:
        """The period ``day`` falls in."""
        if self.frequency is Frequency.YEARLY:
            return Period(date(day.year, 1, 1), date(day.year, 12, 31))
        if self.frequency is Frequency.WEEKLY:
            weekday = self.day if self.starts is PeriodStart.DAY and self.day else 1
            start = day - timedelta(days=(day.isoweekday() - weekday) % 7)
            return Period(start, start + timedelta(days=6))
        this = self._start_in(day.year, day.month)
        if day >= this:
            year, month = _shift(day.year, day.month, +1)
            return Period(this, self._start_in(year, month) - timedelta(days=1))
        year, month = _shift(day.year, day.month, -1)
        return Period(self._start_in(year, month), this - timedelta(days=1))

    def following(self, period: Period) -> Period:
        return self.period_of(period.end + timedelta(days=1))

    def periods(self, first: date, last: date) -> Iterator[Period]:
        """The periods from the one holding ``first`` to the one holding ``last``, in order."""
        period = self.period_of(first)
        while period.start <= last:
            yield period
            period = self.following(period)

    def _start_in(self, year: int, month: int) -> date:
        if self.starts is PeriodStart.DAY:
            assert self.day is not None
            return date(year, month, min(self.day, _last_day(year, month)))
        if self.starts is PeriodStart.BUSINESS_DAY:
            assert self.day is not None
            return nth_business_day(year, month, self.day)
        return date(year, month, 1)


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> int:
    year_after, month_after = _shift(year, month, +1)
    return (date(year_after, month_after, 1) - timedelta(days=1)).day


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """Brazil's national holidays of ``year`` (no state or city holidays)."""
    return frozenset(holidays.country_holidays("BR", years=year))


def is_business_day(day: date) -> bool:
    return day.isoweekday() <= 5 and day not in national_holidays(day.year)


def nth_business_day(year: int, month: int, n: int) -> date:
    """The ``n``-th (1-based) business day of the month in Brazil."""
    if n < 1:
        raise ValueError("business days are counted from 1")
    day, seen = date(year, month, 1), 0
    while True:
        if is_business_day(day):
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)
        if day.month != month:
            raise ValueError(f"{year}-{month:02d} has fewer than {n} business days")


# Rollover


def carried_over(amount: Decimal, periods_before: int, spent_before: Decimal) -> Decimal:
    """What earlier periods leave to this one when the budget rolls over: each earlier period
    since the budget started adds its amount and takes its spending, so unspent money raises
    this period's limit and overspending lowers it (possibly below zero)."""
    if periods_before <= 0:
        return Decimal(0)
    return amount * periods_before - spent_before


# Thresholds


def crossed(threshold: int, spent: Decimal, limit: Decimal) -> bool:
    """Whether spending has reached ``threshold`` percent of ``limit``. Thresholds below
    ``EXCEEDED_FROM`` are reached at that level; from it on, only spending beyond the level
    counts (exactly the limit is not exceeding it). Nothing spent crosses nothing; with a limit
    of zero or less (rolled-over overspending), any spending crosses every threshold."""
    if spent <= 0:
        return False
    if limit <= 0:
        return True
    level = limit * threshold / 100
    return spent > level if threshold >= EXCEEDED_FROM else spent >= level


def alert_type(threshold: int) -> str:
    """The event a threshold raises."""
    return "BudgetExceeded" if threshold >= EXCEEDED_FROM else "BudgetThresholdReached"


@dataclass(frozen=True)
class AlertPlan:
    fire: tuple[int, ...]
    """Thresholds crossed now that were not: each raises its event."""
    rearm: tuple[int, ...]
    """Thresholds that had fired and are no longer crossed: they may fire again."""


def plan_alerts(
    thresholds: tuple[int, ...], fired: frozenset[int], spent: Decimal, limit: Decimal
) -> AlertPlan:
    """Compares what spending crosses now with what has already fired in the period."""
    now = {threshold for threshold in thresholds if crossed(threshold, spent, limit)}
    return AlertPlan(
        fire=tuple(sorted(now - fired)),
        rearm=tuple(sorted((fired & set(thresholds)) - now)),
    )


# Progress and projection


@dataclass(frozen=True)
class Progress:
    """Where a budget stands in one period, on ``as_of``."""

    period: Period
    amount: Decimal
    carried: Decimal
    spent: Decimal
    as_of: date
    exponent: int = 2
    """Decimals of the currency: computed figures are rounded to them."""

    @property
    def limit(self) -> Decimal:
        return self.amount + self.carried

    @property
    def remaining(self) -> Decimal:
        """Negative when overspent."""
        return self.limit - self.spent

    @property
    def percentage(self) -> Decimal | None:
        """Spent as a percentage of the limit, two decimals; None when the limit is not
        positive (no percentage of nothing)."""
        if self.limit <= 0:
            return None
        return (self.spent * 100 / self.limit).quantize(Decimal("0.01"), ROUND_HALF_EVEN)

    @property
    def days_elapsed(self) -> int:
        """Days of the period up to and including ``as_of``."""
        return max(0, min(self.period.days, (self.as_of - self.period.start).days + 1))

    @property
    def days_left(self) -> int:
        """Days of the period after ``as_of``."""
        return self.period.days - self.days_elapsed

    @property
    def projected(self) -> Decimal:
        """Spending at the period's end if it goes on at the pace so far (per day elapsed);
        what was spent once the period is over or before it began."""
        elapsed = self.days_elapsed
        if elapsed == 0 or elapsed == self.period.days:
            return self.spent
        pace = self.spent * self.period.days / elapsed
        return pace.quantize(Decimal(1).scaleb(-self.exponent), ROUND_HALF_EVEN)
