"""Recurring series: the charges and credits that come back on a calendar.

A series is one counterparty on one account, in one direction, on a weekly, fortnightly, monthly
or yearly schedule: pay on the 5th business day, rent by boleto on the 10th (paid the next
business day when the 10th is a Sunday), Netflix on the card every month at a price that rises
once a year, the diarista every Friday, IPVA once a year, or the parts of one purchase in
instalments ("PARCELA 03/10"). Only what is still running at ``today`` is returned: a plan whose
last part was paid or a subscription that stopped charging is not a future cash flow.

Pure Python and ``holidays``: the API function imports it without the models layer.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from shared.categorisation.merchant import fold, normalise_merchant
from shared.forecasting.calendar import (
    add_months,
    business_day_index,
    business_day_on_or_after,
    business_day_on_or_before,
    business_days_to_month_end,
    day_in_month,
    is_business_day,
    nth_business_day,
    nth_last_business_day,
)
from shared.forecasting.instalments import (
    INSTALMENT_EXPLICIT,
    is_posting_date,
    line_parts,
)
from shared.forecasting.lines import Line

Cadence = Literal["weekly", "biweekly", "monthly", "yearly"]

ZERO = Decimal("0")

MIN_CONFIDENCE = 0.55
"""Below this a candidate is more likely a habit (the same bakery most mornings) than a bill;
chosen on the training households, see docs/ml.md."""

MIN_OCCURRENCES: dict[str, int] = {"weekly": 4, "biweekly": 3, "monthly": 3, "yearly": 2}
"""Two charges a month apart are as often chance as a plan; three are rarely chance. A year is
long enough that two charges around the same date, at one payee, make a yearly bill."""

PERIOD_DAYS: dict[str, int] = {"weekly": 7, "biweekly": 14, "monthly": 30, "yearly": 365}

TOLERANCE_DAYS: dict[str, int] = {"weekly": 2, "biweekly": 3, "monthly": 5, "yearly": 25}
"""How far a booking may sit from its expected date and still be that occurrence. Monthly: a
due date on the Saturday before Carnival is booked on Ash Wednesday, four days later. Yearly: the
Detran and IPTU notices come on a different day of their month every year."""

GRACE_DAYS: dict[str, int] = {"weekly": 4, "biweekly": 7, "monthly": 10, "yearly": 45}
"""How overdue a series may be before it counts as stopped."""

AMOUNT_GAP = Decimal("1.3")
"""Amounts at one counterparty more than 30 % apart (with nothing in between) belong to
different series: iCloud at R$ 14,90 and Microsoft 365 at R$ 36,00 on the same card bill
descriptor. A yearly rise of 5–15 % stays inside one series."""

FULL_VOLUME: dict[str, int] = {"weekly": 8, "biweekly": 6, "monthly": 6, "yearly": 3}
"""Occurrences after which more of them add no confidence."""

SHORT_SERIES = 5
"""Below this many occurrences a series with a varying amount needs every date exactly on
its schedule and no other line at that payee and amount: a restaurant visited three times,
roughly a month apart, is not a bill."""

MIN_COVERAGE = 0.75
"""A weekly or monthly plan is rarely missing from more than a quarter of its periods; a habit
(coffee most Mondays) is."""

YEARLY_SPREAD = Decimal("1.25")
"""A yearly bill moves with a year's inflation or a car's depreciation, not more."""

_DIGITS = re.compile(r"\b\d+\b")


@dataclass(frozen=True)
class RecurringSeries:
    key: str
    """A stable id: a short hash of the counterparty, account, cadence and sign (plus what tells
    apart two series that share those, e.g. two purchases in instalments at the same store)."""
    counterparty: str
    """The merchant, else the cleaned description."""
    account_id: str
    kind: str
    """income | expense | transfer | uncategorised, the most common among its lines."""
    category: str | None
    cadence: Cadence
    amount: Decimal
    """The latest amount, signed."""
    typical_amount: Decimal
    """The median amount, signed."""
    previous_amount: Decimal | None
    """The amount before the latest price change; None when the price never changed, or when
    the amount varies every time (a metered bill has no "price")."""
    line_ids: tuple[str, ...]
    first_date: date
    last_date: date
    next_date: date
    """The next expected booking, on a business day when the series is booked on those. It may
    lie a few days before ``today`` when the charge is late but not yet overdue."""
    next_amount: Decimal
    confidence: float
    """0..1: how regular the dates and amounts were and how many occurrences back them."""
    remaining: int | None = None
    """Occurrences still to come (instalments: the parts not yet booked); None when open-ended."""
    schedule: str = ""
    """How the dates are computed: ``every:7``, ``day:10:after`` (the 10th, or the next
    business day), ``day:10:before``, ``day:1`` (calendar day as is), ``business_day:5``,
    ``business_day:-1`` (the last one of the month), ``yearly:02-10:after``."""

    @property
    def price_changed(self) -> bool:
        return self.previous_amount is not None and self.previous_amount != self.amount

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "counterparty": self.counterparty,
            "account": self.account_id,
            "kind": self.kind,
            "category": self.category,
            "cadence": self.cadence,
            "amount": str(self.amount),
            "typical_amount": str(self.typical_amount),
            "previous_amount": None if self.previous_amount is None else str(self.previous_amount),
            "price_changed": self.price_changed,
            "line_ids": list(self.line_ids),
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "next_date": self.next_date.isoformat(),
            "next_amount": str(self.next_amount),
            "remaining": self.remaining,
            "schedule": self.schedule,
            "confidence": round(self.confidence, 3),
        }

    def occurrences(self, until: date) -> list[date]:
        """The expected dates from ``next_date`` up to ``until`` (inclusive)."""
        dates: list[date] = []
        day = self.next_date
        left = self.remaining
        while day <= until and (left is None or left > 0):
            dates.append(day)
            day = _following(self.schedule, day)
            if left is not None:
                left -= 1
        return dates


def find_recurring(lines: Sequence[Line], today: date) -> list[RecurringSeries]:
    """The series still running at ``today``, soonest first. Lines after ``today`` are ignored."""
    known = [line for line in lines if line.booked_on <= today and line.amount != 0]
    plain: dict[tuple[str, str, int], list[Line]] = defaultdict(list)
    # By account, payee, number of parts and sign: a refunded part is no part of the purchase.
    parts: dict[tuple[str, str, int, int], list[tuple[Line, int, int, bool]]] = defaultdict(list)
    names: dict[str, str] = {}
    for line in known:
        key, name = _counterparty(line)
        names.setdefault(key, name)
        part = line_parts(line)
        sign = 1 if line.amount > 0 else -1
        if part is not None:
            parts[line.account_id, key, part[1], sign].append((line, *part))
        else:
            plain[line.account_id, key, sign].append(line)
    for group_key, group in list(parts.items()):
        # "UBER 05/10" booked on 6 October is a purchase date, not part 5 of 10, unless the
        # payee prints other parts of that count too (an IPTU carnê's 09/10 paid on 9 October).
        if len({number for _, number, _, _ in group}) == 1:
            dates = [p for p in group if not p[3] and is_posting_date(p[0].booked_on, p[1:])]
            for item in dates:
                group.remove(item)
                line = item[0]
                plain[line.account_id, group_key[1], group_key[3]].append(line)
            if not group:
                del parts[group_key]
    found: list[RecurringSeries] = []
    for (account, key, total, _sign), group in parts.items():
        found.extend(_instalment_plans(group, account, key, names[key], total, today))
    for (account, key, _sign), members in plain.items():
        found.extend(_group_series(members, account, key, names[key], today))
    return _unique_keys(sorted(found, key=lambda s: (s.next_date, s.counterparty, s.key)))


def project(series: Sequence[RecurringSeries], start: date, days: int) -> list[Decimal]:
    """Per day from ``start`` for ``days`` days, the signed sum of the charges and credits the
    series expect. A charge that is late but not overdue is expected on ``start``."""
    totals = [ZERO] * max(days, 0)
    if not totals:
        return totals
    end = start + timedelta(days=days - 1)
    for item in series:
        for day in item.occurrences(end):
            if day < start:
                if (start - day).days > GRACE_DAYS[item.cadence]:
                    continue
                day = start
            totals[(day - start).days] += item.next_amount
    return totals


def attributed(series: Sequence[RecurringSeries]) -> frozenset[str]:
    """The ids of the lines the series explain."""
    return frozenset(line_id for item in series for line_id in item.line_ids)


# -- counterparties and instalments ---------------------------------------------------------


def _counterparty(line: Line) -> tuple[str, str]:
    """(matching key, display name). Digits go from the key: "IPTU 2025" and "IPTU 2026" are
    the same payee, and a descriptor's sequence numbers are not part of a name."""
    if line.merchant:
        name = line.merchant
        key = fold(line.merchant)
    else:
        merchant = normalise_merchant(INSTALMENT_EXPLICIT.sub(" ", line.description))
        name, key = merchant.name, merchant.key
    key = " ".join(_DIGITS.sub(" ", key).split()) or key
    return key, name


def _instalment_plans(
    group: list[tuple[Line, int, int, bool]],
    account: str,
    key: str,
    name: str,
    total: int,
    today: date,
) -> list[RecurringSeries]:
    """One series per purchase: parts share a first month (booking month minus the part
    number, give or take the month a weekend pushed a boleto into) and an amount."""
    plans: list[dict[int, tuple[Line, bool]]] = []
    starts: list[int] = []
    for line, number, _total, explicit in sorted(group, key=lambda p: (p[0].booked_on, p[1])):
        start = _month_serial(line.booked_on) - (number - 1)
        for index, plan in enumerate(plans):
            reference = _part_amount(plan)
            if (
                abs(start - starts[index]) <= 1
                and number not in plan
                and abs(line.amount - reference) <= abs(reference) * Decimal("0.03") + 1
            ):
                plan[number] = (line, explicit)
                break
        else:
            plans.append({number: (line, explicit)})
            starts.append(start)
    series: list[RecurringSeries] = []
    for plan, start in zip(plans, starts, strict=True):
        numbers = sorted(plan)
        last_number = numbers[-1]
        if last_number >= total:
            continue  # paid off
        booked = [plan[n][0] for n in numbers]
        explicit = any(plan[n][1] for n in numbers)
        # A bare "03/10" at the end may be a date; alone it is trusted on a card statement only.
        if len(booked) == 1 and not explicit and booked[0].account_kind != "credit_card":
            continue
        if len(booked) == 1 and booked[0].amount > 0:
            continue  # one refunded part ("ESTORNO PARC 2/6") is no plan of refunds
        consistent = all(
            _month_serial(line.booked_on) - (n - 1) - start in (-1, 0, 1)
            for n, line in zip(numbers, booked, strict=True)
        )
        if not consistent:
            continue
        dates = [line.booked_on for line in booked]
        schedule = (
            _monthly_rule(dates, on_business_days=_business_days_only(booked))
            if len(dates) >= 2
            else _single_rule(booked[0])
        )
        last = booked[-1]
        next_date = _following(schedule, last.booked_on)
        # Parts not seen (a missed month) still come: the next is the one after the latest.
        if (today - next_date).days > GRACE_DAYS["monthly"]:
            continue
        amounts = [line.amount for line in booked]
        later = [a for n, a in zip(numbers, amounts, strict=True) if n > 1]
        confidence = 0.95 if len(booked) >= 2 else (0.8 if explicit else 0.65)
        series.append(
            RecurringSeries(
                key=_key(key, account, "monthly", amounts[-1], f"parts:{total}:{start}"),
                counterparty=name,
                account_id=account,
                kind=_most_common(line.kind for line in booked) or "uncategorised",
                category=_most_common(line.category for line in booked),
                cadence="monthly",
                amount=amounts[-1],
                typical_amount=_median(amounts),
                previous_amount=None,
                line_ids=tuple(line.id for line in booked),
                first_date=dates[0],
                last_date=dates[-1],
                next_date=next_date,
                next_amount=later[-1] if later else amounts[-1],
                confidence=confidence,
                remaining=total - last_number,
                schedule=schedule,
            )
        )
    return series


def _part_amount(plan: dict[int, tuple[Line, bool]]) -> Decimal:
    # The first part carries the odd centavos; any other part is the reference.
    later = [line.amount for number, (line, _) in plan.items() if number > 1]
    return later[0] if later else next(iter(plan.values()))[0].amount


def _business_days_only(lines: Sequence[Line]) -> bool:
    return all(
        line.account_kind != "credit_card" and is_business_day(line.booked_on) for line in lines
    )


def _single_rule(line: Line) -> str:
    day = line.booked_on.day
    if line.account_kind != "credit_card" and is_business_day(line.booked_on):
        return f"day:{day}:after"
    return f"day:{day}"


# -- plain series ---------------------------------------------------------------------------


def _group_series(
    group: list[Line], account: str, key: str, name: str, today: date
) -> list[RecurringSeries]:
    """The series among one counterparty's lines on one account in one direction."""
    # The bank is one payee for its fees, the savings interest and the deposits: each wording
    # is tried on its own first, then whatever is left together (a payee whose wording changes).
    wordings: dict[str, list[Line]] = defaultdict(list)
    for line in group:
        wordings[_wording(line.description)].append(line)
    series: list[RecurringSeries] = []
    for lines in wordings.values():
        # A yearly series is the whole of its wording (IPVA, "13 SALARIO 1A PARC", PLR); two
        # lines left over by a monthly plan a year apart are a duplicate charge and a one-off.
        found = _peel(lines, account, key, name, today)
        series.extend(
            item
            for item in found
            if item.cadence != "yearly" or (len(found) == 1 and len(item.line_ids) == len(lines))
        )
    if len(wordings) > 1:
        explained = {line_id for item in series for line_id in item.line_ids}
        rest = [line for line in group if line.id not in explained]
        series.extend(
            item for item in _peel(rest, account, key, name, today) if item.cadence != "yearly"
        )
    explained = {line_id for item in series for line_id in item.line_ids}
    unexplained = sum(1 for line in group if line.id not in explained)
    # A payee seen on other days too (a shop, a friend) that happens to get two similar amounts
    # a year apart is not a yearly bill.
    return [item for item in series if item.cadence != "yearly" or unexplained == 0]


def _peel(
    lines: list[Line], account: str, key: str, name: str, today: date
) -> list[RecurringSeries]:
    series: list[RecurringSeries] = []
    if len(lines) < min(MIN_OCCURRENCES.values()):
        return series
    for cluster in _amount_clusters(lines):
        # What one schedule leaves over may be a second plan at the same payee on another
        # day of the month, or at another amount.
        for _ in range(3):
            found = _fit(cluster, account, key, name)
            if found is None:
                break
            series.append(found)
            taken = set(found.line_ids)
            cluster = [line for line in cluster if line.id not in taken]
    # A card bill or a metered bill can double from one month to the next, yet it is booked
    # on its due day every month: amounts that split apart still make one series when the
    # dates alone are that regular.
    taken = {line_id for item in series for line_id in item.line_ids}
    rest = [line for line in lines if line.id not in taken]
    if len(rest) >= MIN_OCCURRENCES["monthly"]:
        found = _fit(rest, account, key, name, dates_only=True)
        if found is not None:
            series.append(found)
    series = _join_price_changes(series, lines, account, key, name, today)
    return [item for item in series if not _lapsed(item, today)]


def _lapsed(series: RecurringSeries, today: date) -> bool:
    return (today - series.next_date).days > GRACE_DAYS[series.cadence]


def _join_price_changes(
    series: list[RecurringSeries],
    lines: list[Line],
    account: str,
    key: str,
    name: str,
    today: date,
) -> list[RecurringSeries]:
    """A price that jumps by more than the amount gap (a promotion ends, a plan is upgraded)
    splits the amounts in two; if the old price stopped exactly when the new one started, on
    the same schedule, it is one series that changed price."""
    by_id = {line.id: line for line in lines}
    out = list(series)
    for old in sorted(series, key=lambda item: item.first_date):
        tolerance = TOLERANCE_DAYS[old.cadence]
        if (
            old not in out
            or old.cadence == "yearly"
            or old.next_date > today + timedelta(days=tolerance)
        ):
            continue
        taken = {line_id for item in out for line_id in item.line_ids}
        partner = next(
            (
                item
                for item in out
                if item is not old
                and item.cadence == old.cadence
                and item.first_date > old.last_date
                and abs((item.first_date - old.next_date).days) <= tolerance
            ),
            None,
        )
        if partner is not None:
            joined = [by_id[i] for i in (*old.line_ids, *partner.line_ids)]
        else:
            # Fewer than three charges at the new price are not a series yet: follow the old
            # schedule through the lines no series took.
            free = [
                line for line in lines if line.id not in taken and line.booked_on > old.last_date
            ]
            joined = [by_id[i] for i in old.line_ids]
            expected = old.next_date
            while free:
                nearest = min(free, key=lambda line: abs((line.booked_on - expected).days))
                ratio = nearest.amount / old.amount
                if abs((nearest.booked_on - expected).days) > tolerance or not 0.5 <= ratio <= 2:
                    break
                joined.append(nearest)
                free.remove(nearest)
                expected = _following(old.schedule, nearest.booked_on)
            if len(joined) == len(old.line_ids):
                continue
        joined.sort(key=lambda line: (line.booked_on, line.id))
        refit = _fit(joined, account, key, name, dates_only=False, whole=True)
        if refit is None or len(refit.line_ids) != len(joined):
            continue
        out = [item for item in out if item is not old and item is not partner]
        out.append(refit)
    return out


def _wording(description: str) -> str:
    text = INSTALMENT_EXPLICIT.sub(" ", description.upper())
    return " ".join(_DIGITS.sub(" ", fold(text)).split())


def _amount_clusters(group: list[Line]) -> list[list[Line]]:
    ordered = sorted(group, key=lambda line: abs(line.amount))
    clusters: list[list[Line]] = [[ordered[0]]]
    for previous, line in pairwise(ordered):
        if abs(line.amount) > abs(previous.amount) * AMOUNT_GAP:
            clusters.append([])
        clusters[-1].append(line)
    return [sorted(c, key=lambda line: (line.booked_on, line.id)) for c in clusters]


@dataclass(frozen=True)
class _Fit:
    cadence: Cadence
    schedule: str
    matched: tuple[Line, ...]
    expected: int
    """Expected occurrences between the first and the last matched one."""
    exact: int
    """Matched lines booked on exactly the expected day."""


def _fit(
    cluster: list[Line],
    account: str,
    key: str,
    name: str,
    *,
    dates_only: bool = False,
    whole: bool = False,
) -> RecurringSeries | None:
    """The series ``cluster`` makes, if any, whether or not it is still running. ``whole``:
    the cluster is known to be one series (the habit check does not apply)."""
    days = sorted({line.booked_on for line in cluster})
    if len(days) < min(MIN_OCCURRENCES.values()):
        return None
    gaps = [(b - a).days for a, b in pairwise(days)]
    candidates: list[Cadence] = []
    typical = statistics.median(gaps)
    if typical <= 10:
        candidates = ["weekly", "biweekly", "monthly"]
    elif typical <= 20:
        candidates = ["biweekly", "monthly"]
    elif typical <= 45:
        candidates = ["monthly"]
    elif typical >= 300:
        candidates = ["yearly"]
    best: tuple[float, _Fit] | None = None
    span = (days[-1] - days[0]).days
    steady = _spread([line.amount for line in cluster]) <= 0.05
    for cadence in candidates:
        if len(cluster) > 1.5 * (span / PERIOD_DAYS[cadence] + 1) and not (steady or whole):
            continue  # far more visits than periods: a habit, see _confidence
        fit = _fit_cadence(cluster, cadence)
        if fit is None or len(fit.matched) < MIN_OCCURRENCES[cadence]:
            continue
        score = _confidence(fit, len(cluster))
        if score < MIN_CONFIDENCE or _coverage(fit) < MIN_COVERAGE:
            continue
        # Every other week of a weekly series is a perfect fortnightly one: the cadence that
        # explains more of the lines wins, then the more confident.
        if best is None or (len(fit.matched), score) > (len(best[1].matched), best[0]):
            best = (score, fit)
    if best is None:
        return None
    confidence, fit = best
    if (
        len(fit.matched) < SHORT_SERIES
        and fit.cadence != "yearly"  # see _plausible_yearly
        and not whole
        and _spread([line.amount for line in fit.matched]) > 0.05
        and (fit.exact < len(fit.matched) or len(fit.matched) < len(cluster))
    ):
        return None  # three dinners a month apart are chance unless the dates are exact
    if dates_only and (
        fit.cadence != "monthly"
        or _coverage(fit) < 0.9
        or fit.exact < 0.8 * len(fit.matched)
        or len(fit.matched) < 0.9 * len(cluster)
    ):
        return None
    matched = fit.matched
    if fit.cadence == "yearly" and not _plausible_yearly(matched):
        return None
    next_date = _following(fit.schedule, matched[-1].booked_on)
    amounts = [line.amount for line in matched]
    previous, fixed = _price_history(amounts)
    if fixed:
        next_amount = amounts[-1]
    elif fit.cadence == "monthly" and len(amounts) >= 12:
        # Metered bills follow the season: a year ago says more than last month.
        next_amount = _seasonal(matched, next_date)
    else:
        next_amount = _median(amounts[-3:])
    return RecurringSeries(
        key=_key(key, account, fit.cadence, amounts[-1], ""),
        counterparty=name,
        account_id=account,
        kind=_most_common(line.kind for line in matched) or "uncategorised",
        category=_most_common(line.category for line in matched),
        cadence=fit.cadence,
        amount=amounts[-1],
        typical_amount=_median(amounts),
        previous_amount=previous,
        line_ids=tuple(line.id for line in matched),
        first_date=matched[0].booked_on,
        last_date=matched[-1].booked_on,
        next_date=next_date,
        next_amount=next_amount,
        confidence=confidence,
        schedule=fit.schedule,
    )


def _plausible_yearly(matched: Sequence[Line]) -> bool:
    sizes = [abs(line.amount) for line in matched]
    if matched[0].account_kind != "credit_card":
        # Taxes and licences: a year's inflation or a car's depreciation, not more.
        return max(sizes) <= min(sizes) * YEARLY_SPREAD
    # On a card, a yearly plan renews on its anniversary at its price; two purchases at one
    # shop a year apart (Christmas, Black Friday) land on other days at other amounts.
    days = [line.booked_on.timetuple().tm_yday for line in matched]
    return max(sizes) <= min(sizes) * Decimal("1.01") and max(days) - min(days) <= 5


def _fit_cadence(cluster: list[Line], cadence: Cadence) -> _Fit | None:
    dates = [line.booked_on for line in cluster]
    if cadence == "monthly":
        schedule = _monthly_rule(dates, on_business_days=_business_days_only(cluster))
    elif cadence == "yearly":
        schedule = _yearly_rule(dates)
    else:
        schedule = f"every:{PERIOD_DAYS[cadence]}"
    expected = _expected_dates(schedule, cadence, dates[0], dates[-1])
    tolerance = TOLERANCE_DAYS[cadence]
    centre = _median([line.amount for line in cluster])
    # Each expected date takes at most one line: the nearest, then the closest in amount (a
    # labelled duplicate or a one-off purchase the same week is not part of the series).
    chosen: dict[date, Line] = {}
    for line in cluster:
        slot = _nearest(expected, line.booked_on)
        if slot is None or abs((line.booked_on - slot).days) > tolerance:
            continue
        current = chosen.get(slot)
        if current is None or _closeness(line, slot, centre) < _closeness(current, slot, centre):
            chosen[slot] = line
    if not chosen:
        return None
    slots = sorted(chosen)
    span = [day for day in expected if slots[0] <= day <= slots[-1]]
    exact = sum(1 for slot, line in chosen.items() if line.booked_on == slot)
    matched = tuple(chosen[slot] for slot in slots)
    return _Fit(cadence, schedule, matched, len(span), exact)


def _closeness(line: Line, slot: date, centre: Decimal) -> tuple[int, Decimal]:
    return abs((line.booked_on - slot).days), abs(line.amount - centre)


def _nearest(expected: list[date], day: date) -> date | None:
    """The expected date nearest to ``day`` (``expected`` is sorted); the earlier on a tie."""
    if not expected:
        return None
    position = bisect_left(expected, day)
    around = expected[max(0, position - 1) : position + 1]
    return min(around, key=lambda candidate: abs((candidate - day).days))


def _coverage(fit: _Fit) -> float:
    return len(fit.matched) / max(fit.expected, 1)


def _confidence(fit: _Fit, cluster_size: int) -> float:
    matched = len(fit.matched)
    coverage = _coverage(fit)
    exactness = fit.exact / matched
    spread = _spread([line.amount for line in fit.matched])
    steadiness = max(0.0, 1.0 - spread / 0.5)
    volume = min(1.0, matched / FULL_VOLUME[fit.cadence])
    score = 0.35 * coverage + 0.25 * exactness + 0.25 * steadiness + 0.15 * volume
    extras = cluster_size - matched
    if extras > matched * 0.5 and spread > 0.05:
        # Many more visits than occurrences: a habit (the supermarket, the bakery) lines up
        # with any calendar; only a steady amount among them makes a plan.
        score *= 0.5
    return round(min(1.0, score), 4)


def _spread(amounts: Sequence[Decimal]) -> float:
    """Coefficient of variation of the sizes."""
    sizes = [abs(float(amount)) for amount in amounts]
    mean = statistics.fmean(sizes)
    if not mean:
        return 1.0
    # In floats: statistics.pstdev sums exact fractions, a third of a forecast's time.
    variance = statistics.fmean([(size - mean) ** 2 for size in sizes])
    return math.sqrt(variance) / mean


def _price_history(amounts: list[Decimal]) -> tuple[Decimal | None, bool]:
    """(the amount before the latest price change, whether the amount is a fixed price)."""
    runs: list[tuple[Decimal, int]] = []
    for amount in amounts:
        if runs and abs(amount - runs[-1][0]) <= max(Decimal("0.01"), abs(amount) / 1000):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((amount, 1))
    changes = len(runs) - 1
    fixed = changes <= max(1, len(amounts) // 6)
    if not fixed or changes == 0:
        return None, fixed
    before, count = runs[-2]
    # A one-off odd amount (a pro-rated month) in the middle is not a price.
    if count < 2 and len(runs) > 2:
        return None, fixed
    latest = runs[-1][0]
    return (before if before != latest else None), fixed


def _seasonal(matched: Sequence[Line], next_date: date) -> Decimal:
    same_month = [line.amount for line in matched if line.booked_on.month == next_date.month]
    recent = _median([line.amount for line in matched[-3:]])
    year_ago = _median(same_month) if same_month else recent
    # Blend: the season's shape from a year ago, the level from the last months.
    return ((recent + year_ago) / 2).quantize(Decimal("0.01"))


# -- schedules ------------------------------------------------------------------------------


def _month_serial(day: date) -> int:
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=8192)
def _on_rule(schedule: str, year: int, month: int) -> date:
    kind, *rest = schedule.split(":")
    if kind == "business_day":
        n = int(rest[0])
        return nth_business_day(year, month, n) if n > 0 else nth_last_business_day(year, month, -n)
    nominal = day_in_month(year, month, int(rest[0]))
    shift = rest[1] if len(rest) > 1 else ""
    if shift == "after":
        return business_day_on_or_after(nominal)
    if shift == "before":
        return business_day_on_or_before(nominal)
    return nominal


def _monthly_rule(dates: Sequence[date], *, on_business_days: bool = False) -> str:
    """The rule that books most of ``dates`` exactly: a day of the month (as is, moved to the
    next business day, or to the previous one) or the Nth business day. When the history
    cannot tell (no due date fell on a weekend yet), ``on_business_days`` says the account
    books only on business days (a checking account's boletos and debits): the due date then
    moves to the next one."""
    candidates: set[str] = set()
    for day in dates:
        for back in range(4):
            nominal = day - timedelta(days=back)
            candidates.update(f"day:{nominal.day}{suffix}" for suffix in ("", ":after"))
        for ahead in range(4):
            candidates.add(f"day:{(day + timedelta(days=ahead)).day}:before")
        index = business_day_index(day)
        if 0 < index <= 10:
            candidates.add(f"business_day:{index}")
        from_end = business_days_to_month_end(day)
        if 0 < from_end <= 3:  # pay "on the last business day"
            candidates.add(f"business_day:-{from_end}")
    simplicity = (
        {"": 1, "after": 0, "before": 2} if on_business_days else {"": 0, "after": 1, "before": 2}
    )

    months = [(day, day.year, day.month, add_months(day.year, day.month, -1)) for day in dates]

    def score(schedule: str) -> tuple[int, int, int]:
        hits = 0
        distance = 0
        for day, year, month, before in months:
            gap = abs((_on_rule(schedule, year, month) - day).days)
            if gap > 15:  # booked early next month for a due date at the end of this one
                gap = abs((_on_rule(schedule, *before) - day).days)
            if gap == 0:
                hits += 1
            else:
                distance += gap if gap < 5 else 5
        parts = schedule.split(":")
        rank = 3 if parts[0] == "business_day" else simplicity[parts[2] if len(parts) > 2 else ""]
        return hits, -distance, -rank

    return max(sorted(candidates), key=score)


def _yearly_rule(dates: Sequence[date]) -> str:
    first = dates[0]
    shifted = all(is_business_day(day) for day in dates)
    month_day = f"{first.month:02d}-{first.day:02d}"
    return f"yearly:{month_day}:after" if shifted else f"yearly:{month_day}"


def _yearly_on(schedule: str, year: int) -> date:
    _, month_day, *shift = schedule.split(":")
    month, day = (int(part) for part in month_day.split("-"))
    nominal = day_in_month(year, month, day)
    return business_day_on_or_after(nominal) if shift else nominal


def _expected_dates(schedule: str, cadence: Cadence, first: date, last: date) -> list[date]:
    if cadence == "monthly":
        serial = _month_serial(first) - 1
        out = []
        while serial <= _month_serial(last) + 1:
            out.append(_on_rule(schedule, serial // 12, serial % 12 + 1))
            serial += 1
        return out
    if cadence == "yearly":
        return [_yearly_on(schedule, year) for year in range(first.year - 1, last.year + 2)]
    step = timedelta(days=PERIOD_DAYS[cadence])
    out = []
    day = first - step
    while day <= last + step:
        out.append(day)
        day += step
    return out


def _following(schedule: str, after: date) -> date:
    """The first expected date that is a new occurrence after a booking on ``after``."""
    if schedule.startswith("every:"):
        return after + timedelta(days=int(schedule.split(":")[1]))
    if schedule.startswith("yearly:"):
        candidate = _yearly_on(schedule, after.year)
        if (candidate - after).days <= TOLERANCE_DAYS["yearly"]:
            candidate = _yearly_on(schedule, after.year + 1)
        return candidate
    year, month = after.year, after.month
    # The booking may be this month's occurrence late or early; the next is the one more than
    # half a month away.
    for delta in range(0, 3):
        candidate_year, candidate_month = add_months(year, month, delta)
        candidate = _on_rule(schedule, candidate_year, candidate_month)
        if (candidate - after).days > 15:
            return candidate
    return after + timedelta(days=30)  # pragma: no cover - a month always has a later one


# -- small helpers ---------------------------------------------------------------------------


def _median(amounts: Sequence[Decimal]) -> Decimal:
    ordered = sorted(amounts)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return ((ordered[middle - 1] + ordered[middle]) / 2).quantize(Decimal("0.01"))


def _most_common(values: Iterable[str | None]) -> str | None:
    counts = Counter(value for value in values if value)
    return counts.most_common(1)[0][0] if counts else None


def _key(counterparty: str, account: str, cadence: str, amount: Decimal, extra: str) -> str:
    sign = "+" if amount > 0 else "-"
    text = "|".join((counterparty, account, cadence, sign, extra))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _unique_keys(series: list[RecurringSeries]) -> list[RecurringSeries]:
    """Two series that share counterparty, account, cadence and sign (two plans at one
    merchant) are told apart by their typical amount, so each key still names one series."""
    seen: Counter[str] = Counter(item.key for item in series)
    out: list[RecurringSeries] = []
    for item in series:
        if seen[item.key] > 1:
            magnitude = abs(item.typical_amount).quantize(Decimal("1"))
            text = f"{item.key}|{magnitude}"
            key = hashlib.sha256(text.encode()).hexdigest()[:16]
            item = replace(item, key=key)
        out.append(item)
    return out
