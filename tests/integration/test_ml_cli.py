"""``fluxo ml train-categoriser`` and ``fluxo ml evaluate-categoriser``, run as a person runs them,
and the promise that training twice gives the same artefact."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ml.categoriser.dataset import DataConfig, build
from ml.categoriser.train import ModelConfig, TrainConfig, train
from shared.categorisation.trained import DEFAULT_MODEL, TrainedCategoriser

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"^accuracy=(?P<accuracy>[0-9.]+) macro_f1=(?P<macro_f1>[0-9.]+) "
    r"base_accuracy=(?P<base>[0-9.]+) heldout_rows=(?P<rows>\d+)$"
)


def _fluxo(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable, f"the fluxo console script is not installed beside {sys.executable}"
    completed = subprocess.run(
        [executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"exit {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    )
    return completed.stdout


def _summary(output: str) -> dict[str, str]:
    last = output.strip().splitlines()[-1]
    found = SUMMARY.match(last)
    assert found, f"the last line is not the summary: {last!r}"
    return found.groupdict()


def test_evaluating_the_shipped_artefact_gives_the_metrics_it_was_shipped_with() -> None:
    output = _fluxo("ml", "evaluate-categoriser")

    summary = _summary(output)
    metrics = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))["metrics"]
    assert float(summary["accuracy"]) == pytest.approx(metrics["chain"]["accuracy"], abs=1e-4)
    assert float(summary["macro_f1"]) == pytest.approx(metrics["chain"]["macro_f1"], abs=1e-4)
    assert float(summary["base"]) == pytest.approx(metrics["base"]["accuracy"], abs=1e-4)
    assert int(summary["rows"]) == metrics["heldout_rows"] > 1000
    for category in ("groceries", "transfers", "utilities"):
        assert re.search(rf"^{category}\s+\d+\s", output, re.MULTILINE), category


def test_evaluating_without_an_artefact_says_how_to_make_one(tmp_path: Path) -> None:
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable
    completed = subprocess.run(
        [executable, "ml", "evaluate-categoriser", "--model", str(tmp_path / "none.onnx")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 2
    assert "fluxo ml train-categoriser" in completed.stderr


def test_training_without_tensorflow_is_a_clear_error(tmp_path: Path) -> None:
    """The ``ml`` extra is not installed: a stand-in ``tensorflow`` that cannot be imported."""
    fake = tmp_path / "site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named tensorflow')\n")
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable
    completed = subprocess.run(
        [executable, "ml", "train-categoriser", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(fake.parent)},
        check=False,
    )

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "pip install -e '.[ml]'" in completed.stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def small_config() -> TrainConfig:
    pytest.importorskip("tensorflow")
    return TrainConfig(
        data=DataConfig(households=12, eval_households=6, lexicon_variants=2),
        model=replace(ModelConfig(), buckets=1 << 12, embedding=8, hidden=16, epochs=2),
    )


def test_training_twice_gives_the_same_artefact_and_metrics(
    tmp_path: Path, small_config: TrainConfig
) -> None:
    dataset = build(small_config.data)
    first, first_report = train(small_config, tmp_path / "a", log=lambda _: None, dataset=dataset)
    second, second_report = train(small_config, tmp_path / "b", log=lambda _: None)

    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".json").read_text() == second.with_suffix(".json").read_text()
    assert first_report.summary() == second_report.summary()
    lines = [example.line for example in dataset.heldout[:500]]
    assert (
        TrainedCategoriser(first).probabilities(lines)
        == TrainedCategoriser(second).probabilities(lines)
    ).all()
    metadata = json.loads(first.with_suffix(".json").read_text())
    assert metadata["heldout"]["merchants"] == dataset.heldout_merchants
    assert metadata["training"]["data"]["train_rows"] == len(dataset.train)


def test_the_training_command_writes_an_artefact_the_evaluation_reads(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    out = tmp_path / "artifacts"

    trained = _fluxo(
        "ml", "train-categoriser", "--out", str(out), "--households", "3", "--epochs", "1"
    )

    assert (out / "categoriser.onnx").stat().st_size > 0
    metadata = json.loads((out / "categoriser.json").read_text())
    assert metadata["training"]["data"]["config"]["households"] == 3
    assert metadata["model"]["epochs"] == 1
    evaluated = _fluxo("ml", "evaluate-categoriser", "--model", str(out / "categoriser.onnx"))
    assert _summary(evaluated) == _summary(trained)
