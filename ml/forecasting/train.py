"""Train the forecaster with TensorFlow/Keras, calibrate its intervals, back-test it and export
it to ONNX (``fluxo ml train --model forecaster``). The only forecasting module that imports
TensorFlow, inside its functions.

The demo households split three ways: the held-out split (``ml.households``) is only measured;
of the training split, households with ``index % 5 == CALIBRATION_REMAINDER`` calibrate the
intervals (split conformal: the network never saw them) and choose the baseline that answers
short histories; the rest fit the network. Everything is seeded and TensorFlow runs
single-threaded with deterministic ops, so a command gives the same weights and metrics.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ml.artefact_files import package_versions, write_json
from ml.deterministic import tensorflow
from ml.forecasting import backtest
from ml.forecasting.dataset import HouseholdData, Windows, prepare, windows
from ml.households import households as split_households
from shared.forecasting import features as daily_features
from shared.forecasting.baselines import BASELINES
from shared.forecasting.forecaster import (
    ENCODING_VERSION,
    FUTURE,
    MAX_HORIZON_DAYS,
    MIN_HISTORY_DAYS,
    MODEL,
    NAME,
    PAST,
    STATIC,
    WINDOW_DAYS,
    Encoded,
    Forecaster,
    error_quantiles,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CALIBRATION_REMAINDER = 3

TRAINED_WITH = ("tensorflow-cpu", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
"""The packages whose versions an artefact's description records."""


@dataclass(frozen=True)
class ForecasterConfig:
    households: int = 100
    months: int = 24
    seed: int = 42
    end: date | None = None
    """The demo's pinned end date when None."""
    window_step: int = 3
    """Days between training origins."""
    refresh: int = 9
    """Days between searches for recurring series while building training windows (each search
    costs ~50 ms; with origins every 3 days, a window's series are at most 6 days old)."""
    backtest_step: int = 21
    lstm: int = 32
    hidden: int = 32
    epochs: int = 20
    batch: int = 128
    learning_rate: float = 2e-3
    model_seed: int = 1234


@dataclass(frozen=True)
class Trained:
    onnx: Path
    report: backtest.Report
    metadata: dict[str, Any]


def split(
    config: ForecasterConfig, workspaces: Sequence[HouseholdData] = ()
) -> tuple[list[HouseholdData], list[HouseholdData], list[HouseholdData]]:
    """Households to fit on, to calibrate on and to measure on. Workspaces' histories are fitted
    on, never measured on: the held-out households stay the same from run to run, so two
    artefacts' metrics compare."""
    both = split_households(config.households, config.months, seed=config.seed, end=config.end)
    fit = [h for h in both.train if h.index % 5 != CALIBRATION_REMAINDER]
    calibration = [h for h in both.train if h.index % 5 == CALIBRATION_REMAINDER]
    return [*prepare(fit), *workspaces], prepare(calibration), prepare(both.held_out)


def train(
    config: ForecasterConfig,
    out: Path,
    *,
    log: Callable[[str], None] = print,
    progress: Callable[[str, float], None] | None = None,
    workspaces: Sequence[HouseholdData] = (),
) -> Trained:
    """Writes ``out/forecaster.onnx`` and ``.json``; returns them with the held-out back-test.
    ``workspaces`` (real histories, :meth:`HouseholdData.from_lines`) join the fitted ones."""
    started = time.perf_counter()

    def step(label: str, done: float) -> None:
        if progress is not None:
            progress(label, done)

    fit_data, calibration_data, held_out = split(config, workspaces)
    step("training windows", 0.05)
    data = windows(fit_data, step=config.window_step, refresh=config.refresh)
    log(
        f"data: {len(data)} windows of {len(fit_data)} households "
        f"({time.perf_counter() - started:.0f} s)"
    )
    tf, keras = tensorflow(config.model_seed)
    model = build_model(keras, config)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=_loss(tf))
    step("fitting", 0.25)
    fit_started = time.perf_counter()
    history = model.fit(
        data.inputs(),
        data.target,
        sample_weight=data.weight,
        batch_size=config.batch,
        epochs=config.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[_epoch_log(keras, log, config.epochs, step)],
    )
    fit_seconds = time.perf_counter() - fit_started

    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{NAME}.onnx"
    step("exporting", 0.7)
    export(model, onnx_path, data)
    session = _session(onnx_path)

    def predict(encoded: Sequence[Encoded]) -> Any:
        return _run(session, encoded)

    step("calibrating", 0.75)
    calibration = backtest.run(calibration_data, predict, step=config.backtest_step)
    intervals = {
        model_name: {
            # Daily errors pool a week of steps; running totals, whose spread grows with the
            # step, only their neighbours.
            target: error_quantiles(values, pool=3 if target == "net" else 1)
            for target, values in backtest.errors(calibration, model_name).items()
        }
        for model_name in (MODEL, *BASELINES)
    }
    calibration_report = backtest.report(calibration, intervals)
    step("back-testing", 0.85)
    held_out_cases = backtest.run(held_out, predict, step=config.backtest_step)
    report = backtest.report(held_out_cases, intervals)
    seconds = time.perf_counter() - started
    metadata = _metadata(
        config,
        data,
        (fit_data, calibration_data, held_out),
        history.history,
        onnx_path,
        workspaces=workspaces,
        intervals=intervals,
        best_baseline=calibration_report.best_baseline,
        report=report,
    )
    write_json(onnx_path.with_suffix(".json"), metadata)
    Forecaster.load(out)  # what serving will read loads
    step("done", 1.0)
    log(f"trained in {fit_seconds:.0f} s, {seconds:.0f} s in all; {onnx_path}")
    return Trained(onnx_path, report, metadata)


def build_model(keras: Any, config: ForecasterConfig) -> Any:
    """An LSTM reads the last days; a dense layer the household's statistics; each future day
    is then decoded from that context and its own calendar and recurring charges into two
    numbers: the day's typical residual, and its expected residual, whose running total
    (cumulative sum inside the graph) is the balance path."""
    layers, ops = keras.layers, keras.ops
    past = keras.Input((WINDOW_DAYS, len(PAST)), name="past")
    future = keras.Input((MAX_HORIZON_DAYS, len(FUTURE)), name="future")
    static = keras.Input((len(STATIC),), name="static")
    recent = layers.LSTM(config.lstm, name="lstm")(past)
    summary = layers.Dense(16, activation="relu", name="household")(static)
    context = layers.Dense(config.hidden, activation="relu", name="context")(
        layers.Concatenate()([recent, summary, static])
    )
    repeated = layers.RepeatVector(MAX_HORIZON_DAYS)(context)
    per_day = layers.Concatenate(axis=-1)([repeated, future])
    per_day = layers.Dense(config.hidden, activation="relu", name="decoder")(per_day)
    both = layers.Dense(2, name="heads")(per_day)
    daily = both[:, :, 0]
    running = ops.cumsum(both[:, :, 1], axis=1)
    output = layers.Concatenate(axis=-1, name="forecast")([daily, running])
    return keras.Model({"past": past, "future": future, "static": static}, output, name=NAME)


def _loss(tf: Any) -> Any:
    """Absolute error of the daily residual (MASE is an absolute error) plus the absolute error
    of the running total, divided by √step so that the far steps, whose totals are large, do
    not drown the near ones."""
    weights = tf.constant(
        1.0 / np.sqrt(np.arange(1, MAX_HORIZON_DAYS + 1, dtype=np.float32)), dtype=tf.float32
    )

    def loss(truth: Any, forecast: Any) -> Any:
        daily = tf.reduce_mean(tf.abs(truth[:, :MAX_HORIZON_DAYS] - forecast[:, :MAX_HORIZON_DAYS]))
        running = tf.reduce_mean(
            tf.abs(truth[:, MAX_HORIZON_DAYS:] - forecast[:, MAX_HORIZON_DAYS:]) * weights
        )
        return daily + running

    return loss


def export(model: Any, path: Path, data: Windows) -> None:
    """ONNX through tf2onnx (``model.export``), checked against Keras on training windows."""
    sample = {name: value[:256] for name, value in data.inputs().items()}
    expected = model.predict(sample, verbose=0)
    model.export(str(path), format="onnx", verbose=False)
    exported = _session(path).run(None, sample)[0]
    difference = float(np.max(np.abs(exported - expected)))
    if difference > 1e-3:
        raise RuntimeError(f"the ONNX export differs from the Keras model by {difference}")


def _session(path: Path) -> Any:
    import onnxruntime  # type: ignore[import-untyped]

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


def _run(session: Any, encoded: Sequence[Encoded]) -> Any:
    outputs = []
    for start in range(0, len(encoded), 1024):
        part = encoded[start : start + 1024]
        outputs.append(
            session.run(
                None,
                {
                    "past": np.stack([item.past for item in part]),
                    "future": np.stack([item.future for item in part]),
                    "static": np.stack([item.static for item in part]),
                },
            )[0]
        )
    return np.concatenate(outputs) if outputs else np.zeros((0, 2 * MAX_HORIZON_DAYS))


def _epoch_log(
    keras: Any, log: Callable[[str], None], epochs: int, step: Callable[[str, float], None]
) -> Any:
    def report(epoch: int, logs: dict[str, float] | None) -> None:
        log(f"epoch {epoch + 1}/{epochs}: loss {(logs or {}).get('loss', float('nan')):.4f}")
        step(f"epoch {epoch + 1}/{epochs}", 0.25 + 0.45 * (epoch + 1) / epochs)

    return keras.callbacks.LambdaCallback(on_epoch_end=report)


def _metadata(
    config: ForecasterConfig,
    data: Windows,
    splits: tuple[Sequence[HouseholdData], ...],
    history: dict[str, list[float]],
    onnx_path: Path,
    *,
    workspaces: Sequence[HouseholdData],
    intervals: dict[str, Any],
    best_baseline: str,
    report: backtest.Report,
) -> dict[str, Any]:
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    fit, calibration, held_out = splits
    every = [household for part in splits for household in part]
    return {
        "format": 1,
        "name": NAME,
        "version": f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}",
        "model": MODEL,
        "best_baseline": best_baseline,
        "min_history_days": MIN_HISTORY_DAYS,
        "max_horizon_days": MAX_HORIZON_DAYS,
        "encoding": {
            "version": ENCODING_VERSION,
            "window_days": WINDOW_DAYS,
            "past": list(PAST),
            "future": list(FUTURE),
            "static": list(STATIC),
            "feature_version": daily_features.FEATURE_VERSION,
            "inputs": {
                "past": f"float32 [n, {WINDOW_DAYS}, {len(PAST)}]",
                "future": f"float32 [n, {MAX_HORIZON_DAYS}, {len(FUTURE)}]",
                "static": f"float32 [n, {len(STATIC)}]",
            },
            "output": f"float32 [n, {2 * MAX_HORIZON_DAYS}]: daily residual, then running "
            "total, in units of the household's mean daily spending",
        },
        "intervals": intervals,
        "config": {
            key: str(value) if isinstance(value, date) else value
            for key, value in asdict(config).items()
        },
        "training": {
            "command": "fluxo ml train --model forecaster",
            "households": {
                "fit": len(fit),
                "calibration": len(calibration),
                "held_out": len(held_out),
                "workspaces": len(workspaces),
            },
            "months": config.months,
            "rows": len(data),
            "date_range": [
                min(h.first for h in every).isoformat(),
                max(h.last for h in every).isoformat(),
            ],
            "final_loss": round(float(history["loss"][-1]), 4),
        },
        "metrics": report.as_dict(),
        "onnx_sha256": digest,
        "versions": package_versions(
            ("tensorflow-cpu", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
        ),
    }
