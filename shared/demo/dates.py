"""Calendar arithmetic for statements: months of a window and Brazilian business days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from holidays.countries.brazil import Brazil

# Month arithmetic is the same whatever the holidays: the forecasting calendar's.
from shared.forecasting.calendar import BusinessDays, add_months, day_in_month


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    # Only national holidays: state and municipal ones differ by city and would make the salary
    # day depend on where the household lives, which payroll systems do not model either.
    return frozenset(Brazil(years=year).keys())


# The forecasting calendar's arithmetic over national holidays only.
NATIONAL_DAYS = BusinessDays(national_holidays)
is_business_day = NATIONAL_DAYS.is_business_day
business_day_on_or_after = NATIONAL_DAYS.on_or_after
business_day_on_or_before = NATIONAL_DAYS.on_or_before
nth_business_day = NATIONAL_DAYS.nth


def last_day(year: int, month: int) -> date:
    return day_in_month(year, month, 31)


def black_friday(year: int) -> date:
    day = last_day(year, 11)
    return day - timedelta(days=(day.weekday() - 4) % 7)


@dataclass(frozen=True, slots=True)
class Window:
    """``months`` whole calendar months; the last one is the month of ``end``, cut at ``end``."""

    start: date
    end: date
    months: tuple[tuple[int, int], ...]

    @classmethod
    def ending(cls, end: date, months: int) -> Window:
        if months < 1:
            raise ValueError("months must be at least 1")
        first = add_months(end.year, end.month, -(months - 1))
        spans = tuple(add_months(first[0], first[1], i) for i in range(months))
        return cls(date(first[0], first[1], 1), end, spans)

    def days_of(self, year: int, month: int) -> list[date]:
        first = date(year, month, 1)
        stop = min(last_day(year, month), self.end)
        return [first + timedelta(days=i) for i in range((stop - first).days + 1)]

    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)
