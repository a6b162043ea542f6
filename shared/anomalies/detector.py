"""The anomaly detector: each judged line is compared with the lines booked before it.

Every rule reads only the past of the line it judges (what a person would have known when the
charge arrived), so a line judged in a batch import and the same line judged alone get the same
answer. Statistics are robust ones (median, MAD, percentiles): one odd charge in the history
must not hide the next.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from shared.anomalies.model import LANGUAGES, Anomaly, AnomalyKind
from shared.anomalies.reasons import render
from shared.anomalies.thresholds import Thresholds, load_thresholds
from shared.forecasting.instalments import instalment_of
from shared.forecasting.lines import Line

# Fares and tolls repeat at the same price within minutes; two of them are two rides (a
# transport card's top-up twice in a day is a double charge, though).
REPEATING_CATEGORIES = frozenset({"public_transport", "parking_tolls"})
# Moving one's own money twice is a choice, not a charge made twice.
OWN_MONEY_CATEGORIES = frozenset(
    {"own_accounts", "card_payment", "investment_deposit", "investment_withdrawal"}
)
CARD_ACCOUNT_KINDS = frozenset({"credit_card"})
# Fees, taxes and interest follow other things (a foreign purchase's IOF, an overdraft's
# interest, the car's value): their size says nothing about a purchase's.
DERIVED_CATEGORIES = frozenset(
    {
        "fees_taxes",
        "bank_fees",
        "iof",
        "interest_charges",
        "property_tax",
        "vehicle_tax",
        "income_tax",
    }
)

_INSTALMENT = re.compile(r"\bparcela\s*\d+\s*/\s*(\d+)|\b\d{1,2}\s*/\s*(\d{1,2})\b", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_MAD_TO_SD = 1.4826


def detect(
    lines: Sequence[Line],
    *,
    today: date,
    language: str = "pt-BR",
    judge: Collection[str] | None = None,
    thresholds: Thresholds | None = None,
    kinds: Collection[AnomalyKind] | None = None,
) -> list[Anomaly]:
    """The anomalies among ``judge`` (line ids; None: every line), each line judged against
    the lines of ``lines`` booked before it. Lines after ``today`` are ignored. ``thresholds``:
    the tuned ones (``ml/artifacts/anomalies.json``) or the defaults; ``kinds``: every kind
    unless told. Sorted by date, then kind, then line id."""
    if language not in LANGUAGES:
        raise ValueError(f"language is one of {', '.join(LANGUAGES)}, not {language!r}")
    limits = thresholds or load_thresholds()
    book = _Book(lines, today, judge, limits)
    rules = {
        AnomalyKind.OUTLIER: book.outliers,
        AnomalyKind.NEW_MERCHANT_LARGE: book.new_merchants,
        AnomalyKind.DUPLICATE: book.duplicates,
        AnomalyKind.CARD_SPIKE: book.card_spikes,
        AnomalyKind.PRICE_RISE: book.price_rises,
    }
    found: list[Anomaly] = []
    for kind, rule in rules.items():
        if kinds is not None and kind not in kinds:
            continue
        found.extend(_anomaly(kind, evidence, language) for kind, evidence in rule())
    found.sort(key=lambda a: (a.booked_on, str(a.kind), a.line_id))
    return found


def zscore_baseline(
    lines: Sequence[Line], *, judge: Collection[str] | None = None, threshold: float = 3.0
) -> list[Anomaly]:
    """The textbook detector the rules are measured against: a debit is anomalous when its size
    is more than ``threshold`` standard deviations above the mean of the household's debits in
    its category (mean and deviation of the whole history, the line included). It names every
    hit an outlier; it has no notion of merchants, duplicates or time."""
    debits = [line for line in lines if line.amount < 0 and line.kind != "transfer"]
    by_category: dict[str, list[float]] = defaultdict(list)
    for line in debits:
        by_category[line.category or ""].append(float(-line.amount))
    moments = {
        category: (statistics.fmean(sizes), statistics.pstdev(sizes))
        for category, sizes in by_category.items()
        if len(sizes) >= 2
    }
    wanted = None if judge is None else frozenset(judge)
    found = []
    for line in debits:
        if wanted is not None and line.id not in wanted:
            continue
        mean, deviation = moments.get(line.category or "", (0.0, 0.0))
        if deviation <= 0:
            continue
        z = (float(-line.amount) - mean) / deviation
        if z > threshold:
            evidence = {"z": round(z, 3), "mean": round(mean, 2), "sd": round(deviation, 2)}
            found.append(
                Anomaly(
                    kind=AnomalyKind.OUTLIER,
                    line_id=line.id,
                    booked_on=line.booked_on,
                    score=z / threshold,
                    reason=f"z = {z:.1f} in {line.category or 'uncategorised'}",
                    evidence=evidence,
                )
            )
    return found


def is_peak(day: date) -> bool:
    """December, and Black Friday's long weekend (Thursday night to Cyber Monday)."""
    if day.month == 12:
        return True
    if day.month != 11:
        return False
    first = date(day.year, 11, 1)
    # The Friday after the fourth Thursday (Thanksgiving), as the retailers count it.
    friday = first + timedelta(days=(3 - first.weekday()) % 7 + 22)
    return -1 <= (day - friday).days <= 3


def counterparty_key(line: Line) -> str:
    """Who a line is with, the same however the bank spells it: no accents, case, punctuation
    or instalment numbers."""
    text = unicodedata.normalize("NFKD", _INSTALMENT.sub(" ", line.counterparty))
    text = text.encode("ascii", "ignore").decode().lower()
    return _NOT_WORD.sub(" ", text).strip()


def is_instalment(line: Line) -> bool:
    return instalment_of(line) is not None


def purchase_size(line: Line) -> float:
    """What was bought, in money: an instalment's part times the number of parts."""
    found = instalment_of(line)
    return float(-line.amount) * (found[1] if found else 1)


def _anomaly(kind: AnomalyKind, evidence: dict[str, Any], language: str) -> Anomaly:
    return Anomaly(
        kind=kind,
        line_id=evidence["line_id"],
        booked_on=date.fromisoformat(evidence["date"]),
        score=round(float(evidence.pop("score")), 4),
        reason=render(kind, evidence, language),
        evidence=evidence,
    )


def _is_spending(line: Line) -> bool:
    return line.amount < 0 and line.kind in ("expense", "uncategorised")


def _percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``values`` sorted); 0 for no values."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


@dataclass(frozen=True)
class _Past:
    """One counterparty's or category's spending, in booking order."""

    days: list[int]
    sizes: list[float]


class _Book:
    def __init__(
        self,
        lines: Sequence[Line],
        today: date,
        judge: Collection[str] | None,
        limits: Thresholds,
    ) -> None:
        self.limits = limits
        self.today = today
        ordered = sorted(
            ((line, position) for position, line in enumerate(lines) if line.booked_on <= today),
            key=lambda pair: (pair[0].booked_on, pair[1]),
        )
        self.lines = [line for line, _ in ordered]
        wanted = None if judge is None else frozenset(judge)
        self.judged = [
            index for index, line in enumerate(self.lines) if wanted is None or line.id in wanted
        ]
        self.first_day = self.lines[0].booked_on if self.lines else today
        self.keys = [counterparty_key(line) for line in self.lines]

    def _settled(self, day: date) -> bool:
        return (day - self.first_day).days >= self.limits.settled_days

    # --- outliers --------------------------------------------------------------------------

    def outliers(self) -> list[tuple[AnomalyKind, dict[str, Any]]]:
        limits = self.limits
        by_key: dict[str, list[int]] = defaultdict(list)
        for index, line in enumerate(self.lines):
            if _is_spending(line) and not is_instalment(line):
                by_key[self.keys[index]].append(index)
        season = _Seasons(self.lines)
        found = []
        for index in self.judged:
            line = self.lines[index]
            if not _is_spending(line) or is_instalment(line) or line.category in DERIVED_CATEGORIES:
                continue
            earlier = by_key[self.keys[index]]
            start = line.booked_on - timedelta(days=limits.history_days)
            past = [
                float(-self.lines[i].amount)
                for i in earlier[: bisect_left(earlier, index)]
                if self.lines[i].booked_on >= start
            ]
            if len(past) < limits.outlier_min_lines:
                continue
            size = float(-line.amount)
            median = statistics.median(past)
            if median <= 0:
                continue
            mad = statistics.median(abs(value - median) for value in past)
            spread = max(_MAD_TO_SD * mad, limits.outlier_spread_floor * median)
            ratio, z = size / median, (size - median) / spread
            # December's supper and gifts and Black Friday's deals are big every year: what the
            # household spent then before is usual then, and without a year to read, the
            # calendar says the same.
            seasonal = season.index(line.category, line.booked_on)
            if is_peak(line.booked_on):
                seasonal = max(seasonal, limits.peak_factor)
            needed = limits.outlier_ratio * max(1.0, seasonal)
            if ratio < needed or z < limits.outlier_z:
                continue
            found.append(
                (
                    AnomalyKind.OUTLIER,
                    {
                        **_about(line),
                        "score": min(ratio / needed, z / limits.outlier_z),
                        "scope": "merchant",
                        "median": str(_cents(median)),
                        "mad": str(_cents(mad)),
                        "ratio": round(ratio, 2),
                        "z": round(z, 2),
                        "count": len(past),
                        "seasonal_index": round(seasonal, 2),
                    },
                )
            )
        return found

    # --- new merchant with a large amount ---------------------------------------------------

    def new_merchants(self) -> list[tuple[AnomalyKind, dict[str, Any]]]:
        limits = self.limits
        first_seen: dict[str, int] = {}
        for index, key in enumerate(self.keys):
            first_seen.setdefault(key, index)
        income = _MonthlyIncome(self.lines)
        spending = [
            (line.booked_on.toordinal(), float(-line.amount))
            for line in self.lines
            if _is_spending(line)
        ]
        by_category: dict[str | None, list[tuple[int, float]]] = defaultdict(list)
        for line in self.lines:
            if _is_spending(line):
                by_category[line.category].append((line.booked_on.toordinal(), purchase_size(line)))
        found = []
        for index in self.judged:
            line = self.lines[index]
            if (
                first_seen[self.keys[index]] != index
                or not _is_spending(line)
                or is_instalment(line)
                or not self._settled(line.booked_on)
            ):
                continue
            monthly = income.before(line.booked_on, limits.history_days)
            if monthly <= 0:
                continue
            day = line.booked_on.toordinal()
            since = day - limits.history_days
            past = sorted(size for when, size in spending if since <= when < day)
            typical = _percentile(past, 0.95)
            size = float(-line.amount)
            # Black Friday's deal and the Christmas supper are big first visits every year.
            peak = limits.peak_factor if is_peak(line.booked_on) else 1.0
            by_income = size / (limits.new_merchant_income_share * monthly * peak)
            by_spending = size / (limits.new_merchant_spend_multiple * typical) if typical else 0
            # A new airline or appliance store for a household that buys tickets and
            # appliances of that size is a new shop, not a new habit.
            largest = max(
                (
                    amount
                    for when, amount in by_category.get(line.category, ())
                    if since <= when < day
                ),
                default=0.0,
            )
            by_category_size = (
                size / (limits.new_merchant_category_share * largest) if largest else math.inf
            )
            score = min(by_income, by_spending, by_category_size)
            if score < 1:
                continue
            found.append(
                (
                    AnomalyKind.NEW_MERCHANT_LARGE,
                    {
                        **_about(line),
                        "score": score,
                        "monthly_income": str(_cents(monthly)),
                        "income_share": round(size / monthly, 4),
                        "p95_purchase": str(_cents(typical)),
                        "category_largest": str(_cents(largest)),
                    },
                )
            )
        return found

    # --- duplicates ------------------------------------------------------------------------

    def duplicates(self) -> list[tuple[AnomalyKind, dict[str, Any]]]:
        window = self.limits.duplicate_days
        seen: dict[tuple[str, str, Decimal], list[int]] = defaultdict(list)
        judged = frozenset(self.judged)
        found = []
        for index, line in enumerate(self.lines):
            if (
                line.amount >= 0
                or line.kind == "income"
                or line.category in OWN_MONEY_CATEGORIES
                or (
                    line.category in REPEATING_CATEGORIES
                    and -line.amount <= self.limits.duplicate_fare_up_to
                )
            ):
                continue
            key = (line.account_id, _text_key(line.description), line.amount)
            earlier = seen[key]
            original = next(
                (
                    self.lines[i]
                    for i in reversed(earlier)
                    if (line.booked_on - self.lines[i].booked_on).days <= window
                ),
                None,
            )
            earlier.append(index)
            if original is None or index not in judged:
                continue
            apart = (line.booked_on - original.booked_on).days
            found.append(
                (
                    AnomalyKind.DUPLICATE,
                    {
                        **_about(line),
                        "score": 2.0 - apart / (window + 1),
                        "original_line_id": original.id,
                        "original_date": original.booked_on.isoformat(),
                        "days_apart": apart,
                    },
                )
            )
        return found

    # --- card spikes -----------------------------------------------------------------------

    def card_spikes(self) -> list[tuple[AnomalyKind, dict[str, Any]]]:
        limits = self.limits
        days: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        opened: dict[str, int] = {}
        for index, line in enumerate(self.lines):
            if line.account_kind not in CARD_ACCOUNT_KINDS:
                continue
            opened.setdefault(line.account_id, line.booked_on.toordinal())
            if _is_spending(line) and not is_instalment(line):
                days[line.account_id][line.booked_on.toordinal()].append(index)
        judged_days = {
            (self.lines[i].account_id, self.lines[i].booked_on.toordinal()) for i in self.judged
        }
        found = []
        for account, day in sorted(judged_days):
            purchases = days.get(account, {}).get(day, [])
            if len(purchases) < limits.spike_min_purchases:
                continue
            start = max(opened[account], day - limits.spike_window_days)
            if day - opened[account] < limits.settled_days:
                continue
            counts, totals = [], []
            for other in range(start, day):
                indexes = days[account].get(other, [])
                counts.append(float(self._places(indexes)))
                totals.append(sum(float(-self.lines[i].amount) for i in indexes))
            counts.sort()
            totals.sort()
            usual = max(1.0, _percentile(counts, 0.95))
            # Christmas shopping and Black Friday come back every year: last year's same weeks
            # say what a busy day is then.
            a_year_ago = day - 364
            seasonal = sorted(
                float(self._places(days[account].get(other, [])))
                for other in range(a_year_ago - 7, a_year_ago + 8)
            )
            if len(seasonal) >= 2 and a_year_ago - 7 >= opened[account]:
                usual = max(usual, seasonal[-2])
            usual_total = max(1.0, _percentile(totals, 0.95))
            total = sum(float(-self.lines[i].amount) for i in purchases)
            by_count = self._places(purchases) / (limits.spike_ratio * usual)
            by_amount = total / (limits.spike_amount_ratio * usual_total)
            score = min(by_count, by_amount)
            if score < 1:
                continue
            largest = max(purchases, key=lambda i: (-self.lines[i].amount, i))
            found.append(
                (
                    AnomalyKind.CARD_SPIKE,
                    {
                        **_about(self.lines[largest]),
                        "score": score,
                        "account": account,
                        "day": date.fromordinal(day).isoformat(),
                        "purchases": len(purchases),
                        "places": self._places(purchases),
                        "total": str(_cents(total)),
                        "usual_purchases": usual,
                        "usual_total": str(_cents(usual_total)),
                        "line_ids": [self.lines[i].id for i in purchases],
                    },
                )
            )
        return found

    def _places(self, indexes: Sequence[int]) -> int:
        """Shops a day's purchases were made at: five rides with one app are one busy errand."""
        return len({self.keys[i] for i in indexes})

    # --- price rises -----------------------------------------------------------------------

    def price_rises(self) -> list[tuple[AnomalyKind, dict[str, Any]]]:
        from shared.forecasting.recurring import find_recurring

        by_id = {line.id: index for index, line in enumerate(self.lines)}
        judged = frozenset(self.judged)
        found = []
        for series in find_recurring(self.lines, self.today):
            if series.amount >= 0 or series.kind in ("income", "transfer"):
                continue
            charges = sorted(by_id[i] for i in series.line_ids if i in by_id)
            steady = self.limits.price_rise_steady
            for place in range(steady, len(charges)):
                current, previous = charges[place], charges[place - 1]
                if current not in judged:
                    continue
                old = -self.lines[previous].amount
                new = -self.lines[current].amount
                # A fixed price first: metered bills and shared condo costs move every month.
                fixed = all(
                    self.lines[charges[place - back]].amount == -old
                    for back in range(2, steady + 1)
                )
                rise = float((new - old) / old) if old > 0 else 0.0
                if not fixed or rise < self.limits.price_rise_min:
                    continue
                found.append(
                    (
                        AnomalyKind.PRICE_RISE,
                        {
                            **_about(self.lines[current]),
                            "score": 1.0 + rise,
                            "previous_amount": str(-old),
                            "previous_line_id": self.lines[previous].id,
                            "rise": round(rise, 4),
                            "series": series.key,
                            "cadence": series.cadence,
                        },
                    )
                )
        return found


def _about(line: Line) -> dict[str, Any]:
    return {
        "line_id": line.id,
        "date": line.booked_on.isoformat(),
        "amount": str(line.amount),
        "counterparty": line.counterparty,
        "category": line.category,
        "account": line.account_id,
    }


def _text_key(text: str) -> str:
    return " ".join(text.lower().split())


def _cents(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


class _MonthlyIncome:
    """The usual monthly income before a day: the median of the complete months' income."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.months: dict[tuple[int, int], float] = defaultdict(float)
        for line in lines:
            if line.amount > 0 and line.kind == "income":
                self.months[(line.booked_on.year, line.booked_on.month)] += float(line.amount)
        self.first = min((line.booked_on for line in lines), default=None)

    def before(self, day: date, history_days: int) -> float:
        if self.first is None:
            return 0.0
        start = max(self.first, day - timedelta(days=history_days))
        months = []
        year, month = start.year, start.month
        if start.day != 1:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (year, month) < (day.year, day.month):
            months.append(self.months.get((year, month), 0.0))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return statistics.median(months) if months else 0.0


class _Seasons:
    """How much more a category spends in a month of the year than in an average month, from
    the years before: 1.0 without an earlier year to read."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.spent: dict[tuple[str | None, int, int], float] = defaultdict(float)
        self.months: set[tuple[int, int]] = set()
        for line in lines:
            self.months.add((line.booked_on.year, line.booked_on.month))
            if _is_spending(line):
                key = (line.category, line.booked_on.year, line.booked_on.month)
                self.spent[key] += float(-line.amount)
        self._cache: dict[tuple[str | None, int, int], float] = {}

    def index(self, category: str | None, day: date) -> float:
        key = (category, day.year, day.month)
        if key not in self._cache:
            self._cache[key] = self._index(category, day)
        return self._cache[key]

    def _index(self, category: str | None, day: date) -> float:
        earlier = [(y, m) for y, m in self.months if (y, m) < (day.year, day.month)]
        same = [(y, m) for y, m in earlier if m == day.month and y < day.year]
        if not same or len(earlier) < 12:
            return 1.0
        recent = sorted(earlier)[-24:]
        average = statistics.fmean(self.spent.get((category, y, m), 0.0) for y, m in recent)
        if average <= 0:
            return 1.0
        then = statistics.fmean(self.spent.get((category, y, m), 0.0) for y, m in same)
        return then / average
