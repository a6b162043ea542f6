"""Payments Brazilian payroll makes once a year: the 13th salary and profit sharing (PLR).

They are too rare for the recurring series (a yearly series needs two occurrences in the
lookback) yet as certain as pay itself, and each is worth about a month's salary, so missing
them is the largest single error a December forecast can make.

- **13th salary** (Law 4.749/65): the first part by 30 November, the second by 20 December. When
  last year's parts are in the history, each is expected on the same day of the month as last
  year (employers pay on a fixed day; the business day before when it is not one, never after
  the deadline), for last year's amount grown as the salary grew since. Without
  them, a household with a monthly salary expects half its salary on each deadline — unless the
  history covers last December and no 13th came then (not everybody receives one).
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
_SALARY_WORDS = re.compile(r"\b(salario|remuneracao|folha|vencimentos?|proventos|pagto sal)\b")
_THIRTEENTH_WORDS = re.compile(
    r"\b13\s?o?\s?sal|\bdecimo terc|\b13o\b|\b(adiant\w*|adto|antecip\w*)( d[oe])? 13\b"
)
_PROFIT_WORDS = re.compile(r"\b(plr|ppr)\b|participacao (nos |em )?(lucros|resultados)")
_HALF = Decimal("0.5")
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
    received = [line for line in history if line.amount > 0 and is_thirteenth(line)]
    for year in range(today.year, end.year + 1):
        for part in (1, 2):
            deadline = _deadline(year, part)
            paid_already = [line for line in received if _part_of(line, year) == part]
            if deadline <= today - timedelta(days=45) or paid_already:
                continue  # long past, or this year's part came (early, with vacation, …)
            payment = _thirteenth_part(history, received, salary, year, part, deadline)
            if payment is not None and today < payment.day <= end:
                yield payment


def _thirteenth_part(
    history: Sequence[Line],
    received: Sequence[Line],
    salary: RecurringSeries | None,
    year: int,
    part: int,
    deadline: date,
) -> YearlyPayment | None:
    last_year = [line for line in received if _part_of(line, year - 1) == part]
    if last_year:
        then = last_year[-1]
        same_day = day_in_month(year, then.booked_on.month, then.booked_on.day)
        day = min(business_day_on_or_before(same_day), deadline)
        amount = then.amount * _growth(history, salary, then.booked_on)
        basis = f"13th salary, part {part}: as last year ({then.booked_on.isoformat()})"
        return YearlyPayment(day, amount.quantize(_CENT), THIRTEENTH, part, basis)
    if salary is None or _saw_none_last_year(history, received, year):
        return None
    amount = (salary.amount * _HALF).quantize(_CENT)
    basis = f"13th salary, part {part}: half the monthly salary by the legal deadline"
    return YearlyPayment(deadline, amount, THIRTEENTH, part, basis)


def _deadline(year: int, part: int) -> date:
    return business_day_on_or_before(date(year, 11, 30) if part == 1 else date(year, 12, 20))


def _part_of(line: Line, year: int) -> int | None:
    """Which part of ``year``'s 13th the line is: 1 until November, 2 in December; None for
    another year's (a first part may come with vacation from February on)."""
    booked = line.booked_on
    if booked.year != year or booked.month < 2:
        return None
    return 2 if booked.month == 12 else 1


def _saw_none_last_year(history: Sequence[Line], received: Sequence[Line], year: int) -> bool:
    """The history covers last year's second deadline and no 13th came that year."""
    first = min((line.booked_on for line in history), default=None)
    covered = first is not None and first <= _deadline(year - 1, 1)
    return covered and not any(line.booked_on.year == year - 1 for line in received)


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


def _growth(history: Sequence[Line], salary: RecurringSeries | None, then: date) -> Decimal:
    """The salary now over the salary paid nearest ``then`` (1 without a salary series)."""
    if salary is None:
        return Decimal(1)
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
        again = [other for other in received if other.booked_on > line.booked_on + _ELEVEN_MONTHS]
        if again:
            continue  # this year's came already
        year = line.booked_on.year + 1
        nth = max(business_day_index(line.booked_on), 1)
        day = nth_business_day(year, line.booked_on.month, nth)
        if today < day <= end:
            basis = f"profit sharing: as last year ({line.booked_on.isoformat()})"
            yield YearlyPayment(day, line.amount, PROFIT_SHARING, 1, basis)


_ELEVEN_MONTHS: Final = timedelta(days=330)


# -- helpers ----------------------------------------------------------------------------------


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())
