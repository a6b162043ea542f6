"""How well recurring-series detection finds what the demo generator scheduled.

The generator does not label series, but it writes every scheduled line from a known step
(``shared.demo.recurring``, the diarista and family PIX in ``shared.demo.spending``, and every
purchase in instalments), so the truth is rebuilt from the lines' categories, payees and
instalment ids. A true series counts only when it is still running at the household's last day
and has enough occurrences to be told from chance (the detector's own minimums); a detected
series matches a true one when they share at least half of their lines (Jaccard ≥ 0.5).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise

from ml.households import lines_of
from shared.demo.models import AnomalyKind, DemoHousehold, DemoTransaction
from shared.forecasting.lines import Line
from shared.forecasting.recurring import (
    GRACE_DAYS,
    MIN_OCCURRENCES,
    PERIOD_DAYS,
    RecurringSeries,
    find_recurring,
)

MONTHLY = frozenset(
    {
        "salary",
        "rent",
        "condo_fee",
        "electricity",
        "water",
        "internet",
        "phone",
        "streaming",
        "software",
        "fitness",
        "school",
        "health_insurance",
        "bank_fees",
        "investment_deposit",
        "investment_income",
        "card_payment",
    }
)
YEARLY = frozenset({"thirteenth_salary", "bonus", "property_tax", "vehicle_tax"})
_DIGITS = re.compile(r"\b\d+\b")


@dataclass(frozen=True)
class TrueSeries:
    cadence: str
    label: str
    line_ids: frozenset[str]


@dataclass
class RecurringReport:
    households: int = 0
    detected: int = 0
    true: int = 0
    matched_detected: int = 0
    matched_true: int = 0
    lines_attributed: int = 0
    lines_true: int = 0
    lines_both: int = 0
    by_cadence: dict[str, list[int]] = field(default_factory=dict)
    """cadence → [true, found]."""
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched_detected / self.detected if self.detected else 0.0

    @property
    def recall(self) -> float:
        return self.matched_true / self.true if self.true else 0.0

    @property
    def line_precision(self) -> float:
        return self.lines_both / self.lines_attributed if self.lines_attributed else 0.0

    @property
    def line_recall(self) -> float:
        return self.lines_both / self.lines_true if self.lines_true else 0.0

    def table(self) -> str:
        rows = [
            f"households={self.households} true_series={self.true} detected={self.detected}",
            f"series precision={self.precision:.3f} recall={self.recall:.3f}",
            f"lines    precision={self.line_precision:.3f} recall={self.line_recall:.3f}",
        ]
        for cadence, (true, found) in sorted(self.by_cadence.items()):
            rows.append(f"  {cadence:<8} true={true:<4} found={found:<4} recall={found / true:.3f}")
        return "\n".join(rows)


def true_series(household: DemoHousehold) -> list[TrueSeries]:
    """The series the generator scheduled that are still running at the household's last day."""
    lines = household.transactions
    today = max(line.booked_on for line in lines)
    groups: dict[tuple[str, ...], list[DemoTransaction]] = defaultdict(list)
    for line in lines:
        sign = "+" if line.amount > 0 else "-"
        if line.instalment_total:
            stem = line.external_id.rsplit("-", 1)[0]
            groups["instalment", line.account_key, stem, str(line.instalment_total)].append(line)
        elif line.category_slug in MONTHLY:
            groups["monthly", line.account_key, line.merchant, line.category_slug, sign].append(
                line
            )
        elif line.category_slug in YEARLY:
            text = " ".join(_DIGITS.sub(" ", line.description).split())
            groups["yearly", line.account_key, line.merchant, text, sign].append(line)
        elif line.type == "PIX" and line.category_slug in ("home_maintenance", "transfer_sent"):
            groups["pix", line.account_key, line.merchant, line.category_slug, sign].append(line)
    out: list[TrueSeries] = []
    for key, members in groups.items():
        # A labelled duplicate is a second copy, not an occurrence; a price rise is one.
        members = [m for m in members if m.anomaly != AnomalyKind.DUPLICATE]
        if not members:
            continue
        members.sort(key=lambda m: m.booked_on)
        cadence = _cadence(key[0], members)
        if cadence is None:
            continue
        last = members[-1]
        if key[0] == "instalment":
            numbers = [m.instalment_number or 0 for m in members]
            if max(numbers) >= (last.instalment_total or 0):
                continue
        else:
            if len(members) < MIN_OCCURRENCES[cadence]:
                continue
            if key[0] == "monthly" and not _every_month(members):
                continue  # the category's shop, bought at now and then, not its monthly plan
            if (today - last.booked_on).days > PERIOD_DAYS[cadence] + GRACE_DAYS[cadence]:
                continue
        label = f"{cadence} {last.merchant} {last.category_slug} {last.account_key}"
        out.append(TrueSeries(cadence, label, frozenset(m.external_id for m in members)))
    return out


def _every_month(members: Sequence[DemoTransaction]) -> bool:
    first, last = members[0].booked_on, members[-1].booked_on
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    months = {(m.booked_on.year, m.booked_on.month) for m in members}
    return len(months) >= 0.8 * span and len(members) <= 1.2 * span + 1


def _cadence(source: str, members: Sequence[DemoTransaction]) -> str | None:
    if source in ("instalment", "monthly"):
        return "monthly"
    if source == "yearly":
        return "yearly"
    # A PIX payee: the diarista every week or fortnight, a parent every month, both always for
    # the same amount; friends get round sums on random days and are not a series.
    if len({m.amount for m in members}) != 1 or len(members) < 3:
        return None
    gaps = sorted((b.booked_on - a.booked_on).days for a, b in pairwise(members))
    typical = gaps[len(gaps) // 2]
    return {7: "weekly", 14: "biweekly"}.get(typical, "monthly" if 27 <= typical <= 32 else None)


def perturb(lines: Sequence[Line], seed: int) -> list[Line]:
    """What real statements do to a schedule: 3 % of lines never imported, and 30 % of card
    lines posted one or two days after the charge. The truth is left as it was, so a series whose
    last charge went missing counts as a miss."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible perturbation, not a secret
    out = []
    for line in lines:
        if rng.random() < 0.03:
            continue
        if line.account_kind == "credit_card" and rng.random() < 0.3:
            line = replace(line, booked_on=line.booked_on + timedelta(days=rng.choice((1, 2))))
        out.append(line)
    return out


def evaluate_recurring(
    households: Sequence[DemoHousehold], today: date | None = None, *, perturbed: bool = False
) -> RecurringReport:
    report = RecurringReport()
    for household in households:
        lines = lines_of(household)
        if perturbed:
            lines = perturb(lines, household.index)
        end = today or max(line.booked_on for line in lines)
        detected = find_recurring(lines, end)
        truth = true_series(household)
        _score(report, detected, truth, household.index)
    return report


def _score(
    report: RecurringReport,
    detected: Sequence[RecurringSeries],
    truth: Sequence[TrueSeries],
    index: int,
) -> None:
    report.households += 1
    report.detected += len(detected)
    report.true += len(truth)
    found_true: set[int] = set()
    for series in detected:
        ids = set(series.line_ids)
        hit = False
        for position, true in enumerate(truth):
            if len(ids & true.line_ids) * 2 >= len(ids | true.line_ids):
                hit = True
                found_true.add(position)
        report.matched_detected += hit
        if not hit:
            report.false_alarms.append(
                f"{index}: {series.cadence} {series.counterparty} {series.category} "
                f"{series.account_id} n={len(series.line_ids)} conf={series.confidence:.2f}"
            )
    report.matched_true += len(found_true)
    for position, true in enumerate(truth):
        counts = report.by_cadence.setdefault(true.cadence, [0, 0])
        counts[0] += 1
        counts[1] += position in found_true
        if position not in found_true:
            report.misses.append(f"{index}: {true.label} n={len(true.line_ids)}")
    attributed = {line_id for series in detected for line_id in series.line_ids}
    true_lines = {line_id for true in truth for line_id in true.line_ids}
    report.lines_attributed += len(attributed)
    report.lines_true += len(true_lines)
    report.lines_both += len(attributed & true_lines)


def next_occurrence_accuracy(
    households: Sequence[DemoHousehold], cut_days: int = 35
) -> tuple[float, float, int]:
    """Detect at ``cut_days`` before the last day, then check each monthly series' next
    expected charge against what was booked: (share on the exact day, share within 1 % of the
    amount, series checked)."""
    exact = close = checked = 0
    for household in households:
        lines = lines_of(household)
        end = max(line.booked_on for line in lines)
        cut = end - timedelta(days=cut_days)
        later = [line for line in lines if line.booked_on > cut]
        for series in find_recurring([line for line in lines if line.booked_on <= cut], cut):
            if series.cadence != "monthly" or series.next_date <= cut:
                continue
            same = [
                line
                for line in later
                if line.account_id == series.account_id
                and (line.merchant or line.description) == series.counterparty
                and abs(line.amount - series.next_amount) <= abs(series.next_amount) / 3
                and abs((line.booked_on - series.next_date).days) <= 10
            ]
            if not same:
                continue
            checked += 1
            nearest = min(same, key=lambda line: abs((line.booked_on - series.next_date).days))
            exact += nearest.booked_on == series.next_date
            close += abs(nearest.amount - series.next_amount) <= abs(nearest.amount) / 100
    return (exact / checked if checked else 0.0, close / checked if checked else 0.0, checked)
