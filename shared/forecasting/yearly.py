"""Payments Brazilian payroll makes once a year: the 13th salary and profit sharing (PLR).

They are too rare for the recurring series (a yearly series needs two occurrences in the
lookback) yet as certain as pay itself, and each is worth about a month's salary, so missing
them is the largest single error a December forecast can make.

- **13th salary** (Law 4.749/65): the first part by 30 November, the second by 20 December,
  expected only while a monthly salary comes in. Each part last year had is expected on the same
  day of the month (employers pay on a fixed day; the business day before when it is not one,
  never after the deadline, by the deadline when that day passed unpaid), for last year's amount
  (every employer's) grown as the salary grew. Without last year's parts: half the salary by each
  deadline, less what already came this year — unless the history covers last December and no
  13th came then (not everybody receives one).
- **Profit sharing** (Law 10.101/00, PLR/PPR): paid on a date the company's agreement fixes,
  usually the same month every year; a payment seen in the last ``YEAR_LOOKBACK_DAYS`` is
  expected again on the same business day of the same month, for the same amount, unless it
  already came again.

Lines are recognised by their category (``thirteenth_salary``, ``bonus``) or their wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from shared.forecasting.calendar import (
    business_day_index,
    business_day_on_or_after,
    business_day_on_or_before,
    day_in_month,
    nth_business_day,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import RecurringSeries, attributed

THIRTEENTH: Final = "thirteenth_salary"
PROFIT_SHARING: Final = "profit_sharing"
YEAR_LOOKBACK_DAYS: Final = 400
"""How far back a yearly payment is looked for: a year, and a late payment's month."""
# Not "proventos": brokers use it for dividends and real-estate fund income too.
_SALARY_WORDS = re.compile(r"\b(salario|remuneracao|folha|vencimentos?|pagto sal)\b")
_THIRTEENTH_WORDS = re.compile(
    r"\b13\s?o?\s?sal|\bdecimo terc|\b13o\b|\b(adiant\w*|adto|antecip\w*)( d[oe])? 13\b"
)
_PROFIT_WORDS = re.compile(r"\b(plr|ppr)\b|participacao (nos |em )?(lucros|resultados)")
_HALF = Decimal("0.5")
_NEARLY_ALL = Decimal("0.9")
"""This share of what is expected received: the year's 13th came (rounding, a deduction)."""
_SMALLEST_PART = Decimal("0.1")
"""A remainder under this share of the salary is no part still to come."""
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class YearlyPayment:
    """One payment expected on ``day``."""

    day: date
    amount: Decimal
    kind: str
    """``thirteenth_salary`` or ``profit_sharing``."""
    part: int
    """The 13th salary's part (1 or 2); 1 for profit sharing."""
    basis: str
    """Why it is expected, for the person reading the forecast."""

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "amount": str(self.amount),
            "kind": self.kind,
            "part": self.part,
            "basis": self.basis,
        }


def yearly_payments(
    lines: Sequence[Line], today: date, series: Sequence[RecurringSeries], days: int
) -> list[YearlyPayment]:
    """The yearly payments expected from tomorrow for ``days`` days, from the lines booked up to
    ``today`` and the recurring series found in them; by date."""
    history = [line for line in lines if line.booked_on <= today]
    end = today + timedelta(days=days)
    found = [
        *_thirteenth(history, today, end, series),
        *_profit_sharing(history, today, end, attributed(series)),
    ]
    return sorted(found, key=lambda payment: (payment.day, payment.kind, payment.part))


def daily(payments: Iterable[YearlyPayment], today: date, days: int) -> list[Decimal]:
    """Per day from tomorrow for ``days`` days, the payments' sum."""
    totals = [Decimal(0)] * days
    for payment in payments:
        step = (payment.day - today).days - 1
        if 0 <= step < days:
            totals[step] += payment.amount
    return totals


def is_thirteenth(line: Line) -> bool:
    return line.category == THIRTEENTH or bool(_THIRTEENTH_WORDS.search(_fold(line.description)))


def is_profit_sharing(line: Line) -> bool:
    return line.category == "bonus" or bool(_PROFIT_WORDS.search(_fold(line.description)))


# -- the 13th salary --------------------------------------------------------------------------


def _thirteenth(
    history: Sequence[Line], today: date, end: date, series: Sequence[RecurringSeries]
) -> Iterable[YearlyPayment]:
    salary = _salary(series)
    if salary is None:
        return  # the 13th comes with a job: nobody without a salary now expects one
    received = [line for line in history if line.amount > 0 and is_thirteenth(line)]
    for year in range(today.year, end.year + 1):
        this_year = [line for line in received if _year_of(line) == year]
        last_year = [line for line in received if _year_of(line) == year - 1]
        if last_year:
            found = _as_last_year(history, this_year, last_year, salary, year, today)
        elif _saw_none_last_year(history, received, year):
            continue
        else:
            found = _by_law(this_year, salary, year, today)
        yield from (payment for payment in found if payment.day <= end)


def _as_last_year(
    history: Sequence[Line],
    this_year: Sequence[Line],
    last_year: Sequence[Line],
    salary: RecurringSeries,
    year: int,
    today: date,
) -> Iterable[YearlyPayment]:
    """Each part last year had, on the same day of the month, for its amount (all its lines:
    two employers pay two 13ths) grown with the salary; nothing more once this year's came."""
    growth = _growth(history, salary, max(line.booked_on for line in last_year))
    expected = sum((line.amount for line in last_year), Decimal(0)) * growth
    if sum((line.amount for line in this_year), Decimal(0)) >= expected * _NEARLY_ALL:
        return
    came = {_part_of(line) for line in this_year}
    for part in (1, 2):
        lines = [line for line in last_year if _part_of(line) == part]
        if not lines or part in came:
            continue
        then = max(line.booked_on for line in lines)
        day = _on_or_by(day_in_month(year, then.month, then.day), _deadline(year, part), today)
        if day is not None:
            amount = (sum((line.amount for line in lines), Decimal(0)) * growth).quantize(_CENT)
            basis = f"13th salary, part {part}: as last year ({then.isoformat()})"
            yield YearlyPayment(day, amount, THIRTEENTH, part, basis)


def _by_law(
    this_year: Sequence[Line], salary: RecurringSeries, year: int, today: date
) -> Iterable[YearlyPayment]:
    """Half the salary by each deadline; what came already this year counts against it (a
    13th paid at once in November leaves no second part)."""
    got = sum((line.amount for line in this_year), Decimal(0))
    came = {_part_of(line) for line in this_year}
    first = Decimal(0) if 1 in came else (salary.amount * _HALF).quantize(_CENT)
    for part, amount in ((1, first), (2, (salary.amount - got - first).quantize(_CENT))):
        day = _on_or_by(_deadline(year, part), _deadline(year, part), today)
        if part in came or day is None or amount < salary.amount * _SMALLEST_PART:
            continue
        basis = f"13th salary, part {part}: half the monthly salary by the legal deadline"
        yield YearlyPayment(day, amount, THIRTEENTH, part, basis)


def _on_or_by(wanted: date, deadline: date, today: date) -> date | None:
    """``wanted`` (on the business day before, never after the deadline); the deadline when
    that day has passed unpaid; None when the deadline has passed too (an overdue part is
    not a date anyone can forecast)."""
    day = min(business_day_on_or_before(wanted), deadline)
    if day > today:
        return day
    return deadline if deadline > today else None


def _deadline(year: int, part: int) -> date:
    return business_day_on_or_before(date(year, 11, 30) if part == 1 else date(year, 12, 20))


def _year_of(line: Line) -> int:
    """The year whose 13th the line is: January's belongs to the year before (a late second
    part); a first part may come with vacation from February on."""
    booked = line.booked_on
    return booked.year - 1 if booked.month == 1 else booked.year


def _part_of(line: Line) -> int:
    """1 until November (or a late one in January's), 2 in December."""
    return 2 if line.booked_on.month in (12, 1) else 1


def _saw_none_last_year(history: Sequence[Line], received: Sequence[Line], year: int) -> bool:
    """The history covers last year's second deadline and no 13th came that year."""
    first = min((line.booked_on for line in history), default=None)
    covered = first is not None and first <= _deadline(year - 1, 2)
    return covered and not any(_year_of(line) == year - 1 for line in received)


def _salary(series: Sequence[RecurringSeries]) -> RecurringSeries | None:
    """The largest monthly credit that reads as pay."""
    paid = [
        item
        for item in series
        if item.amount > 0
        and item.cadence == "monthly"
        and (item.category == "salary" or _SALARY_WORDS.search(_fold(item.counterparty)))
    ]
    return max(paid, key=lambda item: item.amount, default=None)


def _growth(history: Sequence[Line], salary: RecurringSeries, then: date) -> Decimal:
    """The salary now over the salary paid nearest ``then``."""
    ids = set(salary.line_ids)
    paid = [line for line in history if line.id in ids]
    if not paid:
        return Decimal(1)
    nearest = min(paid, key=lambda line: abs((line.booked_on - then).days))
    return salary.amount / nearest.amount if nearest.amount > 0 else Decimal(1)


# -- profit sharing ---------------------------------------------------------------------------


def _profit_sharing(
    history: Sequence[Line], today: date, end: date, in_series: frozenset[str]
) -> Iterable[YearlyPayment]:
    since = today - timedelta(days=YEAR_LOOKBACK_DAYS)
    received = [
        line
        for line in history
        if line.amount > 0 and line.booked_on > since and is_profit_sharing(line)
    ]
    for line in received:
        if line.id in in_series:
            continue  # a yearly series already projects it
        if any(other.booked_on > line.booked_on + _HALF_A_YEAR for other in received):
            continue  # this year's came already (early, or late last year)
        day = nth_business_day(
            line.booked_on.year + 1, line.booked_on.month, _business_day_of(line.booked_on)
        )
        if today < day <= end:
            basis = f"profit sharing: as last year ({line.booked_on.isoformat()})"
            yield YearlyPayment(day, line.amount, PROFIT_SHARING, 1, basis)


_HALF_A_YEAR: Final = timedelta(days=180)


def _business_day_of(day: date) -> int:
    """Which business day of its month ``day`` is; a weekend or holiday counts as the business
    day before it (the next one at the start of a month)."""
    moved = business_day_on_or_before(day)
    if moved.month != day.month:
        moved = business_day_on_or_after(day)
    return business_day_index(moved)


# -- helpers ----------------------------------------------------------------------------------


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())
