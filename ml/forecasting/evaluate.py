"""Back-test the exported forecaster (onnxruntime, the intervals recorded beside it) and its
baselines on the held-out demo households: ``fluxo ml evaluate``."""

from __future__ import annotations

from pathlib import Path

from ml.forecasting import backtest
from ml.forecasting.dataset import prepare
from ml.households import households as split_households
from shared.forecasting.forecaster import Forecaster


def evaluate_forecaster(
    households: int = 100,
    months: int = 24,
    *,
    seed: int = 42,
    directory: Path | None = None,
    step: int | None = None,
) -> backtest.Report:
    """The held-out back-test of the artefact in ``directory`` (``ml/artifacts`` by default);
    raises ``ModelUnavailable`` without one."""
    forecaster = Forecaster.load(directory)
    held_out = prepare(split_households(households, months, seed=seed).held_out)
    recorded = forecaster.metadata.get("config", {}).get("backtest_step", 14)
    cases = backtest.run(held_out, forecaster.predict, step=step or int(recorded))
    intervals = {
        model: {
            target: {level: list(values) for level, values in levels.items()}
            for target, levels in forecaster.intervals(model).items()
        }
        for model in backtest.MODELS
    }
    return backtest.report(cases, intervals)
