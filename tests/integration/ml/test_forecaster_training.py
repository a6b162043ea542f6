"""Training the forecaster end to end on a few small demo households: the command writes an
artefact serving loads, the ONNX graph answers what the Keras model answers, and the evaluation
of the artefact reproduces the back-test recorded beside it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ml.deterministic import tensorflow
from ml.forecasting.backtest import MODELS
from ml.forecasting.dataset import windows
from ml.forecasting.evaluate import evaluate_forecaster
from ml.forecasting.train import ForecasterConfig, _session, build_model, export, split
from shared.forecasting.features import FEATURE_VERSION
from shared.forecasting.forecaster import MODEL, Forecaster

ROOT = Path(__file__).resolve().parents[3]
HOUSEHOLDS, MONTHS = 10, 8
SMALL = ForecasterConfig(
    households=HOUSEHOLDS,
    months=MONTHS,
    window_step=7,
    backtest_step=28,
    lstm=8,
    hidden=8,
    epochs=1,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("tensorflow")
    out = tmp_path_factory.mktemp("artifacts")
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable, f"the fluxo console script is not installed beside {sys.executable}"
    completed = subprocess.run(
        [
            executable,
            "ml",
            "train",
            "--model",
            "forecaster",
            "--households",
            str(HOUSEHOLDS),
            "--months",
            str(MONTHS),
            "--epochs",
            "1",
            "--out",
            str(out),
            "--lake",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "FLUXO_HOME": str(out.parent / "home"),
            "FLUXO_LAKE_PATH": str(out.parent / "lake"),
        },
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "lstm+recurring" in completed.stdout
    assert any(line.startswith("forecast_mase_30d=") for line in completed.stdout.splitlines())
    return out


def test_the_command_writes_the_model_and_a_description_of_its_data(trained: Path) -> None:
    model = trained / "forecaster.onnx"
    metadata = json.loads((trained / "forecaster.json").read_text())

    assert metadata["onnx_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert metadata["encoding"]["feature_version"] == FEATURE_VERSION
    assert metadata["training"]["households"] == {
        "fit": 6,
        "calibration": 2,
        "held_out": 2,
        "workspaces": 0,
    }
    assert metadata["training"]["months"] == MONTHS
    assert metadata["training"]["rows"] > 0
    assert metadata["best_baseline"] in MODELS[1:]
    for name in MODELS:
        for target in ("net", "balance"):
            bands = metadata["intervals"][name][target]
            assert len(bands["low80"]) == 90
            assert all(
                low95 <= low80 <= high80 <= high95
                for low95, low80, high80, high95 in zip(
                    bands["low95"], bands["low80"], bands["high80"], bands["high95"], strict=True
                )
            )


def test_the_command_uploads_both_files_to_the_lake_under_a_version(trained: Path) -> None:
    uploaded = sorted((trained.parent / "lake" / "models" / "forecaster").glob("*/forecaster.*"))

    assert [path.name for path in uploaded] == ["forecaster.json", "forecaster.onnx"]
    version = uploaded[0].parent.name
    digest = hashlib.sha256((trained / "forecaster.onnx").read_bytes()).hexdigest()
    assert version.endswith(f"-{digest[:8]}")
    for path in uploaded:
        assert path.read_bytes() == (trained / path.name).read_bytes()


def test_the_artefact_forecasts_a_held_out_household(trained: Path) -> None:
    forecaster = Forecaster.load(trained)
    _, _, held_out = split(SMALL)
    household = held_out[0]
    today = household.last - timedelta(days=30)

    forecast = forecaster.forecast(
        household.upto(today), today=today, horizon_days=30, balance=Decimal("5000")
    )

    assert forecast.model == MODEL
    assert len(forecast.days) == 30
    assert forecast.days[0].day == today + timedelta(days=1)


def test_evaluating_the_artefact_reproduces_the_recorded_back_test(trained: Path) -> None:
    recorded = json.loads((trained / "forecaster.json").read_text())["metrics"]

    report = evaluate_forecaster(HOUSEHOLDS, MONTHS, directory=trained)

    assert report.forecasts == recorded["forecasts"] > 0
    for name in MODELS:
        for horizon in ("7", "30", "90"):
            for measure, value in recorded["models"][name][horizon].items():
                assert report.get(name, int(horizon), measure) == pytest.approx(value, abs=1e-4)


def test_the_onnx_export_answers_what_the_keras_model_answers(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    fit, calibration, _ = split(SMALL)
    data = windows(fit, step=7)
    other = windows(calibration, step=5)  # windows the export's own check did not use
    _, keras = tensorflow(SMALL.model_seed)
    model = build_model(keras, replace(SMALL, lstm=4, hidden=4))
    model.compile(optimizer="adam", loss="mae")
    model.fit(data.inputs(), data.target, epochs=1, verbose=0)
    path = tmp_path / "forecaster.onnx"

    export(model, path, data)

    exported = _session(path).run(None, other.inputs())[0]
    expected = model.predict(other.inputs(), verbose=0)
    assert exported.shape == (len(other), 180)
    assert np.max(np.abs(exported - expected)) < 1e-4
    # The second half is a running total of the first's companion head: it accumulates.
    assert not np.allclose(exported[:, 90:], exported[:, 90:91])


def test_a_workspace_history_is_fitted_on_and_never_measured_on() -> None:
    from ml.forecasting.dataset import HouseholdData
    from ml.households import households, lines_of

    history = HouseholdData.from_lines(-1, lines_of(households(5, 6).held_out[0])[::-1])

    fit, calibration, held_out = split(SMALL, [history])
    alone, _, held_out_alone = split(SMALL)

    assert [h.index for h in fit] == [*(h.index for h in alone), -1]
    assert fit[-1] is history
    assert -1 not in {h.index for h in (*calibration, *held_out)}
    assert [h.index for h in held_out] == [h.index for h in held_out_alone]
    assert list(history.lines) == sorted(history.lines, key=lambda line: (line.booked_on, line.id))


def test_training_on_a_workspace_without_transactions_is_a_clear_error(tmp_path: Path) -> None:
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable
    env = {**os.environ, "FLUXO_HOME": str(tmp_path), "FLUXO_DATABASE_URL": ""}
    env.pop("FLUXO_DATABASE_URL")
    subprocess.run([executable, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    tenant = "7b0d3c1e-0000-4000-8000-000000000001"

    completed = subprocess.run(
        [executable, "ml", "train", "--model", "forecaster", "--workspace", tenant],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert f"workspace {tenant} has no transactions" in completed.stderr
