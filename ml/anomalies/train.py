"""Tune the detector's thresholds on the training households and write
``<out>/anomalies.json``: the thresholds, the training households' scores and what the data
was. The detector reads the file from ``ml/artifacts`` when it is there.

Each kind's thresholds are searched on their own over a small grid (a kind's rule reads only
its own thresholds), keeping the defaults' value when nothing beats it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

from ml.anomalies.evaluate import Count, Truth, evaluate_anomalies, score_kinds
from ml.households import lines_of
from shared.anomalies import AnomalyKind, detect
from shared.anomalies.thresholds import Thresholds
from shared.demo.generator import DemoHousehold
from shared.forecasting.lines import Line

ARTEFACT = "anomalies.json"

GRID: dict[AnomalyKind, dict[str, tuple[float, ...]]] = {
    AnomalyKind.OUTLIER: {
        "outlier_ratio": (3.0, 4.0, 5.0),
        "outlier_z": (4.0, 6.0),
        "peak_factor": (1.5, 2.0),
    },
    AnomalyKind.NEW_MERCHANT_LARGE: {
        "new_merchant_income_share": (0.2, 0.25, 0.3),
        "new_merchant_category_share": (0.75, 1.0, 1.5),
        "settled_days": (30, 60),
    },
    AnomalyKind.DUPLICATE: {"duplicate_days": (0, 1, 2)},
    AnomalyKind.CARD_SPIKE: {
        "spike_min_purchases": (5, 6, 7),
        "spike_ratio": (1.75, 2.0, 2.5),
        "spike_amount_ratio": (1.0, 1.5),
    },
    AnomalyKind.PRICE_RISE: {"price_rise_steady": (2, 3), "price_rise_min": (0.02, 0.05)},
}
"""Candidate values per kind; ``settled_days`` also gates card spikes, so it is tuned with new
merchants only and card spikes read the value chosen there."""

TUNE_ON = 40
"""Training households the grid search reads (all of them are scored at the end)."""

Progress = Callable[[str], None]


def train_anomalies(
    households: Sequence[DemoHousehold], out: Path, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Tune on ``households`` (the training split), write ``out/anomalies.json`` and return
    its content."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    prepared = [_Prepared(household) for household in households[:TUNE_ON]]
    chosen = Thresholds()
    searched: dict[str, Any] = {}
    for kind, grid in GRID.items():
        best, best_f1 = chosen, _f1(kind, prepared, chosen)
        for values in product(*grid.values()):
            settings: dict[str, Any] = dict(zip(grid, values, strict=True))
            candidate = replace(chosen, **settings)
            f1 = _f1(kind, prepared, candidate)
            if f1 > best_f1 + 1e-9:
                best, best_f1 = candidate, f1
        chosen = best
        searched[str(kind)] = {
            "f1": round(best_f1, 4),
            **{name: getattr(chosen, name) for name in grid},
        }
        say(f"{kind}: F1 {best_f1:.3f} on {len(prepared)} households")
    report = evaluate_anomalies(households, chosen)
    lines = [line for household in households for line in household.transactions]
    document: dict[str, Any] = {
        "model": "anomalies",
        "version": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "thresholds": chosen.to_json(),
        "search": searched,
        "train": report.as_dict(),
        "data": {
            "households": len(households),
            "tuned_on": len(prepared),
            "lines": len(lines),
            "first_day": min(line.booked_on for line in lines).isoformat() if lines else None,
            "last_day": max(line.booked_on for line in lines).isoformat() if lines else None,
            "labelled": {str(kind): count for kind, count in report.labelled.items()},
        },
        "python": platform.python_version(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    document["sha256"] = hashlib.sha256(
        json.dumps(document["thresholds"], sort_keys=True).encode()
    ).hexdigest()
    out.mkdir(parents=True, exist_ok=True)
    (out / ARTEFACT).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return document


class _Prepared:
    def __init__(self, household: DemoHousehold) -> None:
        self.lines: list[Line] = lines_of(household)
        self.today = max(line.booked_on for line in self.lines)
        self.truth = Truth.of(household)


def _f1(kind: AnomalyKind, prepared: Iterable[_Prepared], thresholds: Thresholds) -> float:
    total = Count()
    for household in prepared:
        found = detect(household.lines, today=household.today, thresholds=thresholds, kinds={kind})
        total.add(score_kinds(household.truth, found).kinds[kind])
    return total.f1
