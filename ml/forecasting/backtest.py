"""Rolling-origin back-test of the forecaster against its baselines.

Each household is cut at many "todays" (every ``step`` days, each with at least a quarter of
history and a whole horizon after it); every model forecasts the next ``MAX_HORIZON_DAYS`` days
from the lines booked up to that day, and its forecast is compared with what was then booked.

Measures, per model and horizon (7, 30, 90 days), averaged over all forecasts:
- MASE: mean absolute error of the daily net flow, divided by the in-sample mean absolute error
  of the weekly seasonal naive forecast over the history before the origin (< 1 beats it);
- sMAPE of the daily net flow (2|a − f| / (|a| + |f|), a day where both are 0 counts as 0);
- balance error: the absolute error of the balance at the horizon's last day (the running total
  of net flows), in money, and as a share of the household's scale (mean daily spending);
- coverage: the share of days whose actual daily net flow, and whose actual balance, fell in the
  80 % and 95 % intervals.

The same cases calibrate the intervals: ``errors`` gives, per model, the signed errors in scale
units at each step, whose quantiles (on households the network was not fitted on) become the
intervals served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from ml.forecasting.dataset import HouseholdData
from shared.forecasting.baselines import BASELINES, seasonal_naive_mae
from shared.forecasting.forecaster import (
    MAX_HORIZON_DAYS,
    MODEL,
    Encoded,
    baseline_forecast,
    encode,
    recurring_flows,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

HORIZONS = (7, 30, 90)
MODELS = (MODEL, *BASELINES)
Predict = Callable[[Sequence[Encoded]], "NDArray[Any]"]
"""Encoded inputs → the network's ``[n, 2 * MAX_HORIZON_DAYS]`` output in scale units."""


@dataclass(frozen=True)
class Case:
    """One household forecast from one origin, by every model."""

    household: int
    today: date
    scale: float
    naive_mae: float
    actual: NDArray[np.float64]
    net: Mapping[str, NDArray[np.float64]]
    running: Mapping[str, NDArray[np.float64]]


def run(
    data: Sequence[HouseholdData],
    predict: Predict | None,
    *,
    step: int = 21,
    log: Callable[[str], None] | None = None,
) -> list[Case]:
    """Forecasts every household from every origin; ``predict`` None back-tests the baselines
    only."""
    pending: list[tuple[HouseholdData, date, Encoded]] = []
    for household in data:
        for today in household.origins(step):
            history = household.upto(today)
            series = recurring_flows(history, today)
            pending.append((household, today, encode(history, today, series)))
        if log is not None:
            log(f"back-test: household {household.index}, {len(pending)} forecasts so far")
    outputs = (
        np.asarray(predict([encoded for _, _, encoded in pending]), dtype=np.float64)
        if predict is not None and pending
        else None
    )
    cases = []
    for number, (household, today, encoded) in enumerate(pending):
        net: dict[str, NDArray[np.float64]] = {}
        running: dict[str, NDArray[np.float64]] = {}
        if outputs is not None:
            output = outputs[number] * encoded.scale
            net[MODEL] = encoded.known + output[:MAX_HORIZON_DAYS]
            running[MODEL] = np.cumsum(encoded.known) + output[MAX_HORIZON_DAYS:]
        for baseline in BASELINES:
            net[baseline] = baseline_forecast(baseline, encoded, MAX_HORIZON_DAYS)
            running[baseline] = np.cumsum(net[baseline])
        cases.append(
            Case(
                household=household.index,
                today=today,
                scale=encoded.scale,
                naive_mae=seasonal_naive_mae(encoded.history),
                actual=household.actual(today),
                net=net,
                running=running,
            )
        )
    return cases


def errors(cases: Sequence[Case], model: str) -> dict[str, NDArray[np.float64]]:
    """Signed errors (actual − forecast) in scale units, ``[cases, steps]``, of the daily net
    flow and of the running total."""
    return {
        "net": np.stack([(case.actual - case.net[model]) / case.scale for case in cases]),
        "balance": np.stack(
            [(np.cumsum(case.actual) - case.running[model]) / case.scale for case in cases]
        ),
    }


@dataclass
class Report:
    """Back-test measures per model and horizon."""

    rows: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    forecasts: int = 0
    households: int = 0

    def get(self, model: str, horizon: int, measure: str) -> float:
        return self.rows[model][horizon][measure]

    @property
    def best_baseline(self) -> str:
        present = [model for model in BASELINES if model in self.rows]
        return min(present, key=lambda model: self.get(model, 30, "mase"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "forecasts": self.forecasts,
            "households": self.households,
            "best_baseline": self.best_baseline,
            "models": {
                model: {
                    str(horizon): {name: round(value, 4) for name, value in measures.items()}
                    for horizon, measures in horizons.items()
                }
                for model, horizons in self.rows.items()
            },
        }

    def table(self) -> str:
        header = (
            f"{'model':<20} {'h':>3} {'MASE':>7} {'sMAPE':>7} {'bal.err':>10} {'bal/scale':>9} "
            f"{'net80':>6} {'net95':>6} {'bal80':>6} {'bal95':>6}"
        )
        lines = [
            f"forecast back-test: {self.forecasts} forecasts of {self.households} held-out "
            "households (rolling origin)",
            header,
            "-" * len(header),
        ]
        for model, horizons in self.rows.items():
            for horizon, row in horizons.items():
                lines.append(
                    f"{model:<20} {horizon:>3} {row['mase']:>7.3f} {row['smape']:>7.3f} "
                    f"{row['balance_error']:>10.2f} {row['balance_error_scaled']:>9.2f} "
                    f"{row['net_coverage80']:>6.3f} {row['net_coverage95']:>6.3f} "
                    f"{row['balance_coverage80']:>6.3f} {row['balance_coverage95']:>6.3f}"
                )
        return "\n".join(lines)


def report(
    cases: Sequence[Case],
    intervals: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
) -> Report:
    """Measures of ``cases``; ``intervals`` per model, target and level (scale units per step)."""
    result = Report(forecasts=len(cases), households=len({case.household for case in cases}))
    usable = [case for case in cases if np.isfinite(case.naive_mae) and case.naive_mae > 0]
    for model in MODELS:
        if not cases or model not in cases[0].net:
            continue
        bands = {
            target: {level: np.asarray(values) for level, values in levels.items()}
            for target, levels in intervals[model].items()
        }
        result.rows[model] = {}
        for horizon in HORIZONS:
            window = slice(0, horizon)
            mase, smape, balance, scaled = [], [], [], []
            inside: dict[str, list[float]] = {
                key: [] for key in ("net80", "net95", "bal80", "bal95")
            }
            for case in usable:
                actual = case.actual[window]
                forecast = case.net[model][window]
                mase.append(float(np.mean(np.abs(actual - forecast))) / case.naive_mae)
                smape.append(_smape(actual, forecast))
                total = float(np.sum(actual))
                miss = abs(total - float(case.running[model][horizon - 1]))
                balance.append(miss)
                scaled.append(miss / case.scale)
                net_error = (actual - forecast) / case.scale
                running_error = (np.cumsum(actual) - case.running[model][window]) / case.scale
                for level in ("80", "95"):
                    low, high = f"low{level}", f"high{level}"
                    inside[f"net{level}"].append(
                        float(
                            np.mean(
                                (net_error >= bands["net"][low][window])
                                & (net_error <= bands["net"][high][window])
                            )
                        )
                    )
                    inside[f"bal{level}"].append(
                        float(
                            np.mean(
                                (running_error >= bands["balance"][low][window])
                                & (running_error <= bands["balance"][high][window])
                            )
                        )
                    )
            result.rows[model][horizon] = {
                "mase": float(np.mean(mase)),
                "smape": float(np.mean(smape)),
                "balance_error": float(np.mean(balance)),
                "balance_error_scaled": float(np.mean(scaled)),
                "net_coverage80": float(np.mean(inside["net80"])),
                "net_coverage95": float(np.mean(inside["net95"])),
                "balance_coverage80": float(np.mean(inside["bal80"])),
                "balance_coverage95": float(np.mean(inside["bal95"])),
            }
    return result


def _smape(actual: NDArray[np.float64], forecast: NDArray[np.float64]) -> float:
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(
        2 * np.abs(actual - forecast),
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return float(np.mean(ratio))
