"""The training image's entry point keeps SageMaker's training contract: ``train`` runs the
model's command with ``--out /opt/ml/model`` and the job's hyperparameters; a failure leaves its
reason in ``/opt/ml/output/failure`` and a non-zero exit. Run here against a folder standing for
``/opt/ml``, with a stand-in command (the real one needs TensorFlow)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ml.training.entry import COMMAND_VARIABLE, run, training_command
from stacks.config import ROOT, TRAINED_MODELS

# Writes its arguments into <--out>/arguments.json, or exits with the code in FAIL_WITH.
STAND_IN = """
import json, os, sys
arguments = sys.argv[1:]
if os.environ.get("FAIL_WITH"):
    sys.exit(int(os.environ["FAIL_WITH"]))
out = arguments[arguments.index("--out") + 1]
if not os.environ.get("WRITE_NOTHING"):
    with open(os.path.join(out, "arguments.json"), "w") as f:
        json.dump(arguments, f)
"""


@pytest.fixture
def opt_ml(tmp_path: Path) -> Path:
    root = tmp_path / "opt" / "ml"
    (root / "input" / "config").mkdir(parents=True)
    return root


@pytest.fixture
def stand_in(tmp_path: Path) -> list[str]:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN, encoding="utf-8")
    return [sys.executable, str(script)]


def _environ(command: list[str], **extra: str) -> dict[str, str]:
    return {COMMAND_VARIABLE: json.dumps(command), **extra}


def test_train_runs_the_command_with_out_and_the_hyperparameters(opt_ml, stand_in, monkeypatch):
    (opt_ml / "input" / "config" / "hyperparameters.json").write_text(
        json.dumps({"epochs": "3", "households": "20", "sagemaker_region": "us-east-1"})
    )
    monkeypatch.delenv("FAIL_WITH", raising=False)
    monkeypatch.delenv("WRITE_NOTHING", raising=False)
    assert run(["train"], root=opt_ml, environ=_environ(stand_in)) == 0
    written = json.loads((opt_ml / "model" / "arguments.json").read_text())
    assert written == ["--out", str(opt_ml / "model"), "--epochs", "3", "--households", "20"]
    assert not (opt_ml / "output" / "failure").exists()


def test_a_failing_command_leaves_a_failure_reason(opt_ml, stand_in, monkeypatch):
    monkeypatch.setenv("FAIL_WITH", "3")
    assert run(["train"], root=opt_ml, environ=_environ(stand_in)) == 1
    reason = (opt_ml / "output" / "failure").read_text()
    assert "exited with 3" in reason
    assert len(reason) <= 1024


def test_a_command_that_writes_no_model_fails(opt_ml, stand_in, monkeypatch):
    monkeypatch.delenv("FAIL_WITH", raising=False)
    monkeypatch.setenv("WRITE_NOTHING", "1")
    assert run(["train"], root=opt_ml, environ=_environ(stand_in)) == 1
    assert "wrote nothing" in (opt_ml / "output" / "failure").read_text()


@pytest.mark.parametrize(
    ("argv", "environ", "reason"),
    [
        (["serve"], {COMMAND_VARIABLE: '["fluxo"]'}, "only trains"),
        (["train"], {}, "is not set"),
        (["train"], {COMMAND_VARIABLE: "fluxo ml"}, "not JSON"),
        (["train"], {COMMAND_VARIABLE: "[]"}, "list of strings"),
    ],
)
def test_a_job_set_up_wrong_fails_with_a_reason(opt_ml, argv, environ, reason):
    assert run(argv, root=opt_ml, environ=environ) == 1
    assert reason in (opt_ml / "output" / "failure").read_text()


def test_a_hyperparameter_cannot_move_the_model_directory(opt_ml):
    with pytest.raises(RuntimeError, match="out"):
        training_command(_environ(["fluxo"]), {"out": "/tmp"}, opt_ml / "model")


def test_every_configured_command_is_a_cli_command_that_takes_out():
    """The commands in stacks/config.py exist in the CLI and accept --out."""
    from typer.main import get_command

    from shared.cli import app

    cli = get_command(app)
    for model in TRAINED_MODELS:
        assert model.command[0] == "fluxo", model.name
        words = list(model.command[1:])
        command = cli
        while words and not words[0].startswith("-"):
            command = command.commands[words.pop(0)]  # type: ignore[attr-defined]
        options = {option for parameter in command.params for option in parameter.opts}
        assert "--out" in options, model.name
        # What follows the command is its own options (`--model forecaster`).
        for word in words:
            assert not word.startswith("-") or word in options, (model.name, word)
        for name in model.hyperparameters:
            assert f"--{name.replace('_', '-')}" in options, (model.name, name)


def test_the_dockerfile_runs_the_entry_point_and_installs_the_ml_extra():
    dockerfile = (ROOT / "ml" / "training" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "ml.training.entry"]' in dockerfile
    assert "optional-dependencies']['ml']" in dockerfile
    assert "--constraint constraints.txt" in dockerfile
    pins = (ROOT / "ml" / "training" / "constraints.txt").read_text()
    recorded = json.loads((ROOT / "ml" / "artifacts" / "categoriser.json").read_text())
    for package in ("tensorflow-cpu", "keras", "onnx", "numpy"):
        assert f"{package}=={recorded['versions'][package]}" in pins, package
