"""The training image's entry point, following SageMaker's training contract.

SageMaker starts the container as ``<entrypoint> train``. The model's training command comes from
the job's environment (``FLUXO_TRAINING_COMMAND``, a JSON list the CDK app sets per model from
``stacks/config.py``); it runs as ``<command> --out /opt/ml/model`` plus ``--<name> <value>``
for each hyperparameter of ``/opt/ml/input/config/hyperparameters.json`` (SageMaker writes
every value as a string). SageMaker uploads what the command writes into ``/opt/ml/model`` as
``model.tar.gz`` under the job's output path. A failure writes its reason to
``/opt/ml/output/failure`` (the job's ``FailureReason``) and exits non-zero; the command's own
output goes to the job's CloudWatch log.

Standard library only: the command it runs imports TensorFlow, this module does not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

SAGEMAKER_ROOT = Path("/opt/ml")
COMMAND_VARIABLE = "FLUXO_TRAINING_COMMAND"
# SageMaker truncates a failure reason at 1,024 characters.
_MAX_REASON = 1024


class TrainingFailed(RuntimeError):
    """What the failure file says."""


def training_command(
    environ: Mapping[str, str], hyperparameters: Mapping[str, object], model_dir: Path
) -> list[str]:
    """The command line to run: the model's command, ``--out``, then the hyperparameters."""
    raw = environ.get(COMMAND_VARIABLE)
    if not raw:
        raise TrainingFailed(f"{COMMAND_VARIABLE} is not set: which model is this job training?")
    try:
        command = json.loads(raw)
    except json.JSONDecodeError as error:
        raise TrainingFailed(f"{COMMAND_VARIABLE} is not JSON: {error}") from error
    if not isinstance(command, list) or not command or not all(isinstance(p, str) for p in command):
        raise TrainingFailed(f"{COMMAND_VARIABLE} must be a JSON list of strings, not {raw!r}")
    arguments = [*command, "--out", str(model_dir)]
    for name, value in sorted(hyperparameters.items()):
        # Frameworks' containers get sagemaker_* settings; they are not the command's options.
        if name.startswith("sagemaker_"):
            continue
        option = name.replace("_", "-")
        if option == "out":
            raise TrainingFailed("the hyperparameter 'out' would replace the model directory")
        arguments += [f"--{option}", str(value)]
    return arguments


def run(
    argv: Sequence[str],
    *,
    root: Path = SAGEMAKER_ROOT,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Runs one training job in ``root`` (``/opt/ml``); returns the exit code."""
    environ = os.environ if environ is None else environ
    failure = root / "output" / "failure"
    try:
        if list(argv) not in ([], ["train"]):
            raise TrainingFailed(f"this image only trains: expected 'train', got {list(argv)}")
        model_dir = root / "model"
        model_dir.mkdir(parents=True, exist_ok=True)
        command = training_command(environ, _hyperparameters(root), model_dir)
        print("training: " + " ".join(command), flush=True)
        code = _run_forwarding_sigterm(command)
        if code != 0:
            raise TrainingFailed(
                f"{' '.join(command[:3])} exited with {code}: see the job's CloudWatch log"
            )
        if not any(model_dir.iterdir()):
            raise TrainingFailed(f"{' '.join(command[:3])} wrote nothing into {model_dir}")
    except (TrainingFailed, OSError) as error:
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(str(error)[:_MAX_REASON], encoding="utf-8")
        print(f"training failed: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def _hyperparameters(root: Path) -> dict[str, object]:
    path = root / "input" / "config" / "hyperparameters.json"
    if not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise TrainingFailed(f"{path} is not JSON: {error}") from error
    if not isinstance(values, dict):
        raise TrainingFailed(f"{path} must hold an object")
    return values


def _run_forwarding_sigterm(command: list[str]) -> int:
    """Runs ``command``; SageMaker's SIGTERM at the stopping condition reaches it (this
    process is PID 1 in the container, which forwards no signal by default)."""
    child = subprocess.Popen(command)  # noqa: S603 - the job's own command, from its settings

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
