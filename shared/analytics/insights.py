"""Insights: a few explainable statements about a month's money, each with the numbers behind it.

Pure functions over figures the service reads from the rollups (``Figures``); no database, no
clock. Every rule has a relative AND an absolute threshold, so a small category that doubles
from R$ 10 to R$ 20 is no insight, and neither is rent moving from R$ 3.000 to R$ 3.100.

The rules (``month`` is the month asked about, M; M-1 the one before; thresholds inclusive):

- **category_above_average / category_below_average**: a top-level expense category's spending
  in M against the plain average of M-1..M-3 (a month without spending counts as zero). Needs
  spending in at least 2 of those 3 months (else there is no habit to compare with), a change of
  at least 25 % of the average and at least ``min_change`` in money. Below-average is only said
  of a month that has ended: on the 5th, every category is "below average".
- **biggest_change**: the top-level expense category whose spending changed most, in money,
  from M-1 to M; at least ``min_change`` and 25 % (or from nothing). An unfinished month only
  counts increases. Not repeated when that category already has an average insight in the same
  direction: that one says it with three months of context.
- **new_recurring_charge**: a merchant that charged exactly one debit in each of M-2, M-1 and M
  (several a month are purchases, not a subscription), each within ±15 % of the three's median,
  and nothing in M-5..M-3 — while the workspace had some activity in those months, so "new" is
  known, not guessed from a history that just began.
- **negative_net_month**: one insight listing every month, of the last 12 that have ended, whose
  net (income − expenses, transfers excluded) was below zero; said when those shortfalls add up
  to at least ``min_change``. One insight rather than one per month: a run of red months is one
  story, and twelve cards saying the same would be noise.

``min_change`` is an amount in the workspace's currency (``MIN_CHANGE``: R$ 50, 10 dollars,
euros or pounds, 1.500 yen; 50 units of any other currency).

Order: by ``score``, the money an insight is about in a month, weighted by how much it calls for
action (``WEIGHTS``): rising spending and red months 1, a new recurring charge 3 (it repeats
until cancelled), falling spending 0.5 (good news, less urgent). At most ``MAX_INSIGHTS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from statistics import median
from uuid import UUID

from shared.analytics.query import add_months, month_end

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
MIN_RATIO = Decimal("0.25")
"""A change of at least a quarter of the figure it is compared with."""
MIN_CHANGE: Mapping[str, Decimal] = {
    "BRL": Decimal(50),
    "USD": Decimal(10),
    "EUR": Decimal(10),
    "GBP": Decimal(10),
    "JPY": Decimal(1500),
}
DEFAULT_MIN_CHANGE = Decimal(50)
AVERAGE_MONTHS = 3
MIN_MONTHS_WITH_SPENDING = 2
RECURRING_MONTHS = 3
"""A charge in each of the last three months, M included."""
QUIET_MONTHS = 3
"""…and none in the three before."""
RECURRING_TOLERANCE = Decimal("0.15")
NET_MONTHS = 12
MAX_INSIGHTS = 8


class InsightKind(StrEnum):
    CATEGORY_ABOVE_AVERAGE = "category_above_average"
    CATEGORY_BELOW_AVERAGE = "category_below_average"
    NEW_RECURRING_CHARGE = "new_recurring_charge"
    BIGGEST_CHANGE = "biggest_change"
    NEGATIVE_NET_MONTH = "negative_net_month"


WEIGHTS: Mapping[InsightKind, Decimal] = {
    InsightKind.CATEGORY_ABOVE_AVERAGE: Decimal(1),
    InsightKind.BIGGEST_CHANGE: Decimal(1),
    InsightKind.NEGATIVE_NET_MONTH: Decimal(1),
    InsightKind.NEW_RECURRING_CHARGE: Decimal(3),
    InsightKind.CATEGORY_BELOW_AVERAGE: Decimal("0.5"),
}


@dataclass(frozen=True)
class Charge:
    """A merchant's money out in one month: how much (positive) and in how many debits."""

    amount: Decimal
    debits: int


@dataclass(frozen=True)
class Figures:
    """What the rules read, all in one currency."""

    month: date
    """The first day of the month asked about (M)."""
    complete: bool
    """Whether M has ended."""
    currency: str
    spending: Mapping[date, Mapping[UUID, Decimal]]
    """Month (M-3..M) → top-level expense category → money spent (refunds deducted)."""
    net: Mapping[date, Decimal]
    """Month (M-12..M) → income − expenses; months without activity are missing."""
    charges: Mapping[str, Mapping[date, Charge]]
    """Merchant → month (M-5..M) → its charges."""

    @property
    def min_change(self) -> Decimal:
        return MIN_CHANGE.get(self.currency, DEFAULT_MIN_CHANGE)

    def spent(self, month: date, category_id: UUID) -> Decimal:
        return self.spending.get(month, {}).get(category_id, Decimal(0))

    def categories(self) -> list[UUID]:
        return sorted({key for spent in self.spending.values() for key in spent}, key=str)


@dataclass(frozen=True)
class Insight:
    kind: InsightKind
    score: Decimal
    start: date
    end: date
    """The period the insight speaks of (inclusive)."""
    amounts: Mapping[str, Decimal]
    """Money (current, average, change, …) and ratios (names ending in ``_ratio``)."""
    category_id: UUID | None = None
    merchant: str | None = None
    months: tuple[tuple[date, Decimal], ...] = ()
    """negative_net_month: each red month (its first day) and its net."""
    transaction_ids: tuple[UUID, ...] = field(default=())
    """The evidence: filled by the service, which reads the transactions."""

    @property
    def subject(self) -> str:
        """What the insight is about, for a stable order among equal scores."""
        return str(self.category_id or self.merchant or "")


def insights(figures: Figures, limit: int = MAX_INSIGHTS) -> list[Insight]:
    """Every rule's insights, the strongest first, at most ``limit``."""
    found = category_vs_average(figures)
    biggest = biggest_change(figures)
    if biggest is not None and not _said(biggest, found):
        found.append(biggest)
    found += new_recurring_charges(figures)
    red = negative_net_months(figures)
    if red is not None:
        found.append(red)
    order = list(InsightKind)
    found.sort(key=lambda item: (-item.score, order.index(item.kind), item.subject))
    return found[:limit]


def category_vs_average(figures: Figures) -> list[Insight]:
    month = figures.month
    before = [add_months(month, -offset) for offset in range(1, AVERAGE_MONTHS + 1)]
    found = []
    for category_id in figures.categories():
        previous = [figures.spent(earlier, category_id) for earlier in before]
        if sum(1 for spent in previous if spent > 0) < MIN_MONTHS_WITH_SPENDING:
            continue
        # The average as shown (to the cent), so that current − average is the change shown.
        average = (sum(previous, Decimal(0)) / AVERAGE_MONTHS).quantize(CENT)
        if average <= 0:  # refunds outweighed the spending: no base to compare with
            continue
        current = figures.spent(month, category_id)
        change = current - average
        ratio = (change / average).quantize(RATIO)
        if not _notable(change, ratio, figures.min_change):
            continue
        if change < 0 and not figures.complete:
            continue
        kind = (
            InsightKind.CATEGORY_ABOVE_AVERAGE if change > 0 else InsightKind.CATEGORY_BELOW_AVERAGE
        )
        amounts = {"current": current, "average": average, "change": change, "change_ratio": ratio}
        found.append(
            Insight(
                kind,
                _score(kind, change),
                month,
                month_end(month),
                amounts,
                category_id=category_id,
            )
        )
    return found


def biggest_change(figures: Figures) -> Insight | None:
    month, last = figures.month, add_months(figures.month, -1)
    best: tuple[Decimal, UUID, Decimal, Decimal] | None = None
    for category_id in figures.categories():
        current, previous = figures.spent(month, category_id), figures.spent(last, category_id)
        change = current - previous
        if change < 0 and not figures.complete:
            continue
        ratio = (change / previous).quantize(RATIO) if previous > 0 else None
        if not _notable(change, ratio, figures.min_change):
            continue
        if best is None or abs(change) > abs(best[0]):  # categories come in id order: ties stable
            best = (change, category_id, current, previous)
    if best is None:
        return None
    change, category_id, current, previous = best
    amounts = {"current": current, "previous": previous, "change": change}
    if previous > 0:
        amounts["change_ratio"] = (change / previous).quantize(RATIO)
    kind = InsightKind.BIGGEST_CHANGE
    return Insight(
        kind, _score(kind, change), last, month_end(month), amounts, category_id=category_id
    )


def new_recurring_charges(figures: Figures) -> list[Insight]:
    month = figures.month
    recent = [add_months(month, -offset) for offset in reversed(range(RECURRING_MONTHS))]
    quiet = [add_months(recent[0], -offset) for offset in range(1, QUIET_MONTHS + 1)]
    if not any(earlier in figures.net for earlier in quiet):
        return []  # no history before: a charge cannot be told "new"
    found = []
    for merchant in sorted(figures.charges):
        charges = figures.charges[merchant]
        if any(_charged(charges.get(earlier)) for earlier in quiet):
            continue
        monthly = [charges.get(when) for when in recent]
        amounts = [charge.amount for charge in monthly if charge and charge.debits == 1]
        if len(amounts) < RECURRING_MONTHS or min(amounts) <= 0:
            continue
        middle = Decimal(median(amounts))
        if any(abs(amount - middle) > RECURRING_TOLERANCE * middle for amount in amounts):
            continue
        kind = InsightKind.NEW_RECURRING_CHARGE
        shown = {"current": amounts[-1], "median": middle, "yearly": middle * 12}
        found.append(
            Insight(
                kind, _score(kind, middle), recent[0], month_end(month), shown, merchant=merchant
            )
        )
    return found


def negative_net_months(figures: Figures) -> Insight | None:
    last = figures.month if figures.complete else add_months(figures.month, -1)
    window = [add_months(last, -offset) for offset in reversed(range(NET_MONTHS))]
    red = [month for month in window if figures.net.get(month, Decimal(0)) < 0]
    if not red:
        return None
    total = sum((figures.net[month] for month in red), Decimal(0))
    if -total < figures.min_change:
        return None
    worst = min(red, key=lambda month: (figures.net[month], month))
    kind = InsightKind.NEGATIVE_NET_MONTH
    amounts = {"total": total, "worst": figures.net[worst]}
    return Insight(
        kind,
        _score(kind, figures.net[worst]),
        red[0],
        month_end(red[-1]),
        amounts,
        months=tuple((month, figures.net[month]) for month in red),
    )


def worst_month(insight: Insight) -> date | None:
    """negative_net_month: the month with the lowest net (the earliest of equals)."""
    if not insight.months:
        return None
    return min(insight.months, key=lambda pair: (pair[1], pair[0]))[0]


def with_evidence(insight: Insight, transaction_ids: Iterable[UUID]) -> Insight:
    return replace(insight, transaction_ids=tuple(transaction_ids))


def _notable(change: Decimal, ratio: Decimal | None, floor: Decimal) -> bool:
    """At least ``floor`` in money and ``MIN_RATIO`` of the base (None: from nothing)."""
    return abs(change) >= floor and (ratio is None or abs(ratio) >= MIN_RATIO)


def _charged(charge: Charge | None) -> bool:
    return charge is not None and charge.debits > 0 and charge.amount > 0


def _said(biggest: Insight, found: list[Insight]) -> bool:
    """Whether an average insight already tells the same category's rise (or fall)."""
    rising = biggest.amounts["change"] > 0
    return any(
        item.category_id == biggest.category_id
        and (item.kind is InsightKind.CATEGORY_ABOVE_AVERAGE) == rising
        for item in found
    )


def _score(kind: InsightKind, money: Decimal) -> Decimal:
    return (abs(money) * WEIGHTS[kind]).quantize(CENT)
