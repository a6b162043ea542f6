"""Precision, recall and F1 of the anomaly detector per kind, against the plain z-score
baseline, on labelled demo households.

How hits are counted: a flagged line of a kind is right when the generator labelled that line
with that kind. A card spike is one incident however many purchases it holds: a flag is right
when it names a purchase of a labelled burst's card and day, and a burst is found when any flag
names it. The z-score baseline knows no kinds, so it is scored kind-blind: each of its flags is
right when it lands on any labelled anomaly (generous to it), and its per-kind row counts what
it found of that kind against all its wrong flags.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ml.households import lines_of
from shared.anomalies import Anomaly, AnomalyKind, detect, zscore_baseline
from shared.anomalies.thresholds import Thresholds
from shared.demo.generator import DemoHousehold
from shared.forecasting.lines import Line

Detector = Callable[[list[Line], date], list[Anomaly]]


@dataclass
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Count) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Scores:
    kinds: dict[AnomalyKind, Count] = field(
        default_factory=lambda: {kind: Count() for kind in AnomalyKind}
    )
    overall: Count = field(default_factory=Count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            **{str(kind): count.as_dict() for kind, count in self.kinds.items()},
        }


@dataclass(frozen=True)
class AnomalyReport:
    households: int
    lines: int
    labelled: dict[AnomalyKind, int]
    """Labelled anomalies per kind (bursts for card spikes)."""
    detector: Scores
    zscore: Scores
    seconds: float

    @property
    def overall_f1(self) -> float:
        return self.detector.overall.f1

    @property
    def zscore_f1(self) -> float:
        return self.zscore.overall.f1

    def as_dict(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "lines": self.lines,
            "labelled": {str(kind): count for kind, count in self.labelled.items()},
            "detector": self.detector.as_dict(),
            "zscore": self.zscore.as_dict(),
            "seconds": round(self.seconds, 2),
        }

    def table(self) -> str:
        """The per-kind table, as Markdown (docs/ml.md shows it as it is printed)."""
        rows = [
            "| kind | labelled | precision | recall | F1 | z-score P | z-score R | z-score F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind in AnomalyKind:
            ours, theirs = self.detector.kinds[kind], self.zscore.kinds[kind]
            rows.append(
                f"| {kind} | {self.labelled[kind]} | {ours.precision:.3f} | {ours.recall:.3f} "
                f"| {ours.f1:.3f} | {theirs.precision:.3f} | {theirs.recall:.3f} "
                f"| {theirs.f1:.3f} |"
            )
        ours, theirs = self.detector.overall, self.zscore.overall
        rows.append(
            f"| **overall** | {sum(self.labelled.values())} | {ours.precision:.3f} "
            f"| {ours.recall:.3f} | **{ours.f1:.3f}** | {theirs.precision:.3f} "
            f"| {theirs.recall:.3f} | {theirs.f1:.3f} |"
        )
        return "\n".join(rows)


@dataclass(frozen=True)
class Truth:
    """One household's labels: line → kind for single lines, (account, day) for bursts."""

    lines: dict[str, AnomalyKind]
    bursts: frozenset[tuple[str, date]]
    where: dict[str, tuple[str, date]]

    @classmethod
    def of(cls, household: DemoHousehold) -> Truth:
        lines: dict[str, AnomalyKind] = {}
        bursts: set[tuple[str, date]] = set()
        for line in household.transactions:
            if line.anomaly is None:
                continue
            kind = AnomalyKind(str(line.anomaly))
            if kind is AnomalyKind.CARD_SPIKE:
                bursts.add((line.account_key, line.booked_on))
            else:
                lines[line.external_id] = kind
        where = {t.external_id: (t.account_key, t.booked_on) for t in household.transactions}
        return cls(lines, frozenset(bursts), where)

    def labelled(self) -> dict[AnomalyKind, int]:
        counts = dict.fromkeys(AnomalyKind, 0)
        for kind in self.lines.values():
            counts[kind] += 1
        counts[AnomalyKind.CARD_SPIKE] += len(self.bursts)
        return counts

    def kind_of(self, line_id: str) -> AnomalyKind | None:
        """What a flag on ``line_id`` hits, kinds aside."""
        if line_id in self.lines:
            return self.lines[line_id]
        if self.where.get(line_id) in self.bursts:
            return AnomalyKind.CARD_SPIKE
        return None


def score_kinds(truth: Truth, found: Iterable[Anomaly]) -> Scores:
    scores = Scores()
    flagged: dict[AnomalyKind, set[str]] = {kind: set() for kind in AnomalyKind}
    bursts_found: set[tuple[str, date]] = set()
    for anomaly in found:
        if anomaly.kind is AnomalyKind.CARD_SPIKE:
            place = truth.where.get(anomaly.line_id)
            if place in truth.bursts:
                if place not in bursts_found:
                    scores.kinds[anomaly.kind].tp += 1
                bursts_found.add(place)
            else:
                scores.kinds[anomaly.kind].fp += 1
        else:
            flagged[anomaly.kind].add(anomaly.line_id)
    for kind, ids in flagged.items():
        if kind is AnomalyKind.CARD_SPIKE:
            continue
        wanted = {line for line, labelled in truth.lines.items() if labelled is kind}
        scores.kinds[kind].tp += len(ids & wanted)
        scores.kinds[kind].fp += len(ids - wanted)
        scores.kinds[kind].fn += len(wanted - ids)
    scores.kinds[AnomalyKind.CARD_SPIKE].fn += len(truth.bursts - bursts_found)
    for count in scores.kinds.values():
        scores.overall.add(count)
    return scores


def score_blind(truth: Truth, found: Iterable[Anomaly]) -> Scores:
    """Kinds aside: a flag is right when it lands on any labelled anomaly."""
    scores = Scores()
    hits: dict[AnomalyKind, set[object]] = {kind: set() for kind in AnomalyKind}
    wrong = 0
    for anomaly in found:
        kind = truth.kind_of(anomaly.line_id)
        if kind is None:
            wrong += 1
        elif kind is AnomalyKind.CARD_SPIKE:
            hits[kind].add(truth.where[anomaly.line_id])
        else:
            hits[kind].add(anomaly.line_id)
    labelled = truth.labelled()
    for kind in AnomalyKind:
        count = scores.kinds[kind]
        count.tp, count.fp, count.fn = len(hits[kind]), wrong, labelled[kind] - len(hits[kind])
        scores.overall.tp += count.tp
        scores.overall.fn += count.fn
    scores.overall.fp = wrong
    return scores


def evaluate_anomalies(
    households: Sequence[DemoHousehold], thresholds: Thresholds | None = None
) -> AnomalyReport:
    """Every line of every household judged against its past, as the consumer judges new ones."""
    started = time.perf_counter()
    ours, theirs = Scores(), Scores()
    labelled = dict.fromkeys(AnomalyKind, 0)
    total = 0
    for household in households:
        lines = lines_of(household)
        total += len(lines)
        today = max(line.booked_on for line in lines)
        truth = Truth.of(household)
        for kind, count in truth.labelled().items():
            labelled[kind] += count
        _merge(ours, score_kinds(truth, detect(lines, today=today, thresholds=thresholds)))
        _merge(theirs, score_blind(truth, zscore_baseline(lines)))
    return AnomalyReport(
        households=len(households),
        lines=total,
        labelled=labelled,
        detector=ours,
        zscore=theirs,
        seconds=time.perf_counter() - started,
    )


def _merge(into: Scores, other: Scores) -> None:
    for kind, count in other.kinds.items():
        into.kinds[kind].add(count)
    into.overall.add(other.overall)
