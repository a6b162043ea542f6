"""Brazilian business days, as banks book them: a charge due on a weekend or a national holiday
is booked on the next business day, and pay falls on the Nth business day of the month."""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from holidays.countries.brazil import Brazil

ONE_DAY = timedelta(days=1)


BANK_HOLIDAYS = frozenset({"Carnival", "Corpus Christi"})
"""Optional holidays on which banks do not open (the banks' federation calendar): a boleto
due on Carnival Monday is paid on Ash Wednesday."""


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    # National holidays only: state and municipal ones differ by city, and a one-day miss is
    # inside the detector's tolerance anyway.
    public = Brazil(years=year)
    optional = Brazil(years=year, categories=("optional",))
    closed = {day for day, name in optional.items() if name in BANK_HOLIDAYS}
    return frozenset(public.keys()) | frozenset(closed)


@dataclass(frozen=True)
class BusinessDays:
    """Business days under one set of holidays: the banks' here, the national ones where the
    demo generator books pay (``shared.demo.dates``)."""

    holidays: Callable[[int], frozenset[date]]

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays(day.year)

    def on_or_after(self, day: date) -> date:
        while not self.is_business_day(day):
            day += ONE_DAY
        return day

    def on_or_before(self, day: date) -> date:
        while not self.is_business_day(day):
            day -= ONE_DAY
        return day

    def nth(self, year: int, month: int, n: int) -> date:
        """The ``n``-th business day of the month (n ≥ 1); past the month's last one, the
        last."""
        day = date(year, month, 1)
        last = day
        seen = 0
        while day.month == month:
            if self.is_business_day(day):
                seen += 1
                last = day
                if seen == n:
                    return day
            day += ONE_DAY
        return last


BANK_DAYS = BusinessDays(bank_holidays)
is_business_day = BANK_DAYS.is_business_day
business_day_on_or_after = BANK_DAYS.on_or_after
business_day_on_or_before = BANK_DAYS.on_or_before
nth_business_day = BANK_DAYS.nth


def days_in_month(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def day_in_month(year: int, month: int, day: int) -> date:
    """``day`` of the month, clamped to its last day (a "31st" in February is the 28th/29th)."""
    return date(year, month, min(day, days_in_month(year, month)))


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    serial = year * 12 + (month - 1) + delta
    return serial // 12, serial % 12 + 1


def nth_last_business_day(year: int, month: int, n: int) -> date:
    """The ``n``-th business day counted from the month's end (1: the last one)."""
    day = day_in_month(year, month, 31)
    seen = 0
    while True:
        if is_business_day(day):
            seen += 1
            if seen == n:
                return day
        day -= ONE_DAY


@lru_cache(maxsize=4096)
def business_days_to_month_end(day: date) -> int:
    """Which business day of its month ``day`` is, counted from the end (1: the last)."""
    if not is_business_day(day):
        return 0
    count = 0
    current = day_in_month(day.year, day.month, 31)
    while current >= day:
        if is_business_day(current):
            count += 1
        current -= ONE_DAY
    return count


@lru_cache(maxsize=4096)
def business_day_index(day: date) -> int:
    """Which business day of its month ``day`` is (1-based); 0 when it is not one."""
    if not is_business_day(day):
        return 0
    count = 0
    current = date(day.year, day.month, 1)
    while current <= day:
        if is_business_day(current):
            count += 1
        current += ONE_DAY
    return count
