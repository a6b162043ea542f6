"""Per-day features of a household's statement and a few numbers that sum the household up.

Money columns are in the statement's currency (not scaled: scaling per household is the model's
choice). A day's net flow leaves out transfers: moving money between one's own accounts or
paying the card bill changes no wealth. The balance column is the sum of every account,
transfers included, since both sides of those are on the statement.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from shared.forecasting.calendar import is_business_day
from shared.forecasting.lines import Line
from shared.forecasting.recurring import RecurringSeries, attributed, project

FEATURE_VERSION: Final = "1"
"""Bump when a column is added, removed, reordered or computed differently: an artefact
trained on one version must not be fed another."""

FEATURES: Final[tuple[str, ...]] = (
    "net",
    "income",
    "expense",
    "recurring",
    "residual",
    "day_of_week",
    "day_of_month",
    "month",
    "business_day",
    "days_to_payday",
    "balance",
)
"""The columns of :attr:`DailyFeatures.values`, in order."""

PAYDAY_HORIZON: Final = 35
"""``days_to_payday`` when no pay is expected within this many days (or none was ever seen)."""

SUMMARY_FEATURES: Final[tuple[str, ...]] = (
    "average_monthly_income",
    "average_monthly_spending",
    "spending_volatility",
    "category_diversity",
    "transactions_per_month",
    "history_days",
)
"""The scalar entries of :func:`household_summary`; ``seasonal_index`` is a 12-vector besides."""


@dataclass(frozen=True)
class DailyFeatures:
    days: tuple[date, ...]
    values: NDArray[np.float64]
    """``[len(days), len(FEATURES)]``."""

    def column(self, name: str) -> NDArray[np.float64]:
        return self.values[:, FEATURES.index(name)]


def daily_features(
    lines: Sequence[Line],
    start: date,
    end: date,
    series: Sequence[RecurringSeries],
    *,
    today: date | None = None,
    balance: Decimal | None = None,
) -> DailyFeatures:
    """One row per day from ``start`` to ``end`` (inclusive).

    Up to ``today`` (by default the last booked day) the day is observed: ``recurring`` is what
    the series' own lines moved that day. After it, nothing is booked yet: ``recurring`` is the
    series' projection and the other money columns are 0. Transfer series are left out of
    ``recurring`` like transfers are out of ``net``.

    ``balance`` is the balance at the end of ``today``; without it the balance column is
    relative, 0 at the start of ``start``. After ``today`` it moves with the projection.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    count = (end - start).days + 1
    days = tuple(start + timedelta(days=offset) for offset in range(count))
    known = max((line.booked_on for line in lines), default=start - timedelta(days=1))
    today = today or known
    flows = [item for item in series if item.kind != "transfer"]
    explained = attributed(flows)

    net = np.zeros(count)
    income = np.zeros(count)
    expense = np.zeros(count)
    recurring = np.zeros(count)
    moved = np.zeros(count)  # every line, transfers included: what the balance sees
    moved_between = 0.0  # after ``end`` up to ``today``: needed to anchor the balance
    for line in lines:
        if line.booked_on > today:
            continue
        value = float(line.amount)
        offset = (line.booked_on - start).days
        if offset < 0:
            continue
        if offset >= count:
            moved_between += value
            continue
        moved[offset] += value
        if line.kind == "transfer":
            continue
        net[offset] += value
        if value > 0:
            income[offset] += value
        else:
            expense[offset] += value
        if line.id in explained:
            recurring[offset] += value

    future_from = max((today - start).days + 1, 0)
    if future_from < count:
        ahead = project(flows, start + timedelta(days=future_from), count - future_from)
        recurring[future_from:] = [float(value) for value in ahead]
        moved[future_from:] = recurring[future_from:]

    running = np.cumsum(moved)
    if balance is not None:
        # Anchor so that the end of ``today`` shows the given balance.
        observed = min(future_from, count) - 1
        at_today = (running[observed] if observed >= 0 else 0.0) + moved_between
        running = running + (float(balance) - at_today)

    values = np.column_stack(
        [
            net,
            income,
            expense,
            recurring,
            net - recurring,
            [day.weekday() for day in days],
            [day.day for day in days],
            [day.month for day in days],
            [float(is_business_day(day)) for day in days],
            _days_to_payday(days, flows, lines),
            running,
        ]
    ).astype(np.float64)
    return DailyFeatures(days, values)


def _days_to_payday(
    days: Sequence[date], series: Sequence[RecurringSeries], lines: Sequence[Line]
) -> list[float]:
    """Days until the next pay credit (0 on payday), from the income series: the days their
    lines were booked, then the days they expect. Spending bunches after pay and thins before."""
    # A statement nobody categorised still shows pay: a recurring credit that is no transfer.
    pay = [
        item
        for item in series
        if item.kind in ("income", "uncategorised") and item.amount > 0 and item.cadence != "yearly"
    ]
    paydays: set[date] = set()
    if days and pay:
        ids = attributed(pay)
        paydays.update(line.booked_on for line in lines if line.id in ids)
        horizon = days[-1] + timedelta(days=PAYDAY_HORIZON)
        for item in pay:
            paydays.update(item.occurrences(horizon))
    ordered = sorted(paydays)
    out: list[float] = []
    position = 0
    for day in days:
        while position < len(ordered) and ordered[position] < day:
            position += 1
        if position == len(ordered):
            out.append(float(PAYDAY_HORIZON))
        else:
            out.append(float(min((ordered[position] - day).days, PAYDAY_HORIZON)))
    return out


def household_summary(lines: Sequence[Line], today: date) -> dict[str, Any]:
    """A household in a few numbers, from its lines up to ``today`` (the last 12 months at most):

    - ``average_monthly_income`` / ``average_monthly_spending``: per whole month observed;
    - ``spending_volatility``: coefficient of variation of monthly spending;
    - ``category_diversity``: normalised Shannon entropy of spending by category (0: one
      category, 1: spread evenly over all it uses) and ``categories``: how many it uses;
    - ``seasonal_index``: 12 numbers, month-of-year spending over the average month (1.0 for a
      month not observed), January first;
    - ``transactions_per_month`` and ``history_days``.
    """
    since = today - timedelta(days=365)
    recent = [line for line in lines if since < line.booked_on <= today]
    if not recent:
        return {
            "average_monthly_income": 0.0,
            "average_monthly_spending": 0.0,
            "spending_volatility": 0.0,
            "category_diversity": 0.0,
            "categories": 0,
            "seasonal_index": [1.0] * 12,
            "transactions_per_month": 0.0,
            "history_days": 0,
        }
    first = min(line.booked_on for line in recent)
    history_days = (today - first).days + 1
    months = max(history_days / 30.4375, 1.0)
    income_by_month: dict[tuple[int, int], float] = defaultdict(float)
    spending_by_month: dict[tuple[int, int], float] = defaultdict(float)
    by_category: dict[str, float] = defaultdict(float)
    for line in recent:
        if line.kind == "transfer":
            continue
        month = (line.booked_on.year, line.booked_on.month)
        value = float(line.amount)
        if value > 0:
            income_by_month[month] += value
        else:
            spending_by_month[month] += -value
            by_category[line.category or "uncategorised"] += -value
    whole = _whole_months(first, today)
    spending = np.array([spending_by_month.get(month, 0.0) for month in whole] or [0.0])
    income = np.array([income_by_month.get(month, 0.0) for month in whole] or [0.0])
    mean_spending = float(spending.mean())
    volatility = float(spending.std() / mean_spending) if mean_spending > 0 else 0.0
    shares = np.array(list(by_category.values()))
    diversity = 0.0
    if len(shares) > 1 and shares.sum() > 0:
        p = shares / shares.sum()
        diversity = float(-(p * np.log(p)).sum() / math.log(len(p)))
    seasonal = [1.0] * 12
    if mean_spending > 0:
        for month_of_year in range(1, 13):
            values = [spending_by_month.get(m, 0.0) for m in whole if m[1] == month_of_year]
            if values:
                seasonal[month_of_year - 1] = round(float(np.mean(values)) / mean_spending, 4)
    return {
        "average_monthly_income": round(float(income.mean()), 2),
        "average_monthly_spending": round(mean_spending, 2),
        "spending_volatility": round(volatility, 4),
        "category_diversity": round(diversity, 4),
        "categories": len(by_category),
        "seasonal_index": seasonal,
        "transactions_per_month": round(len(recent) / months, 2),
        "history_days": history_days,
    }


def _whole_months(first: date, today: date) -> list[tuple[int, int]]:
    """The calendar months wholly inside ``first``..``today``; the partial ones when none is."""
    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while (year, month) <= (today.year, today.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    whole = [
        m
        for m in months
        if date(m[0], m[1], 1) >= first
        and (date(m[0] + (m[1] == 12), m[1] % 12 + 1, 1) - timedelta(days=1)) <= today
    ]
    return whole or months
