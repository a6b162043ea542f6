"""What goes into a Lambda: its own code (packaging) and the dependency layer's list."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from stacks.packaging import function_code

ROOT = Path(__file__).resolve().parents[2]
# Runtime dependencies a function never imports: the CLI, the local server, and boto3, which the
# Lambda runtime provides.
NOT_IN_LAYER = {"typer", "uvicorn", "boto3"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=~! ]", requirement.strip(), maxsplit=1)[0].lower()


def test_the_layer_installs_every_runtime_dependency_a_function_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]} - NOT_IN_LAYER
    lines = (ROOT / "layers" / "requirements.txt").read_text().splitlines()
    layer = {_name(line) for line in lines if line.strip() and not line.startswith("#")}
    assert layer == wanted


def test_a_function_asset_holds_its_own_package_shared_and_events_only(tmp_path):
    staged = function_code("users", tmp_path)
    assert sorted(path.name for path in staged.iterdir()) == ["events", "functions", "shared"]
    assert sorted(path.name for path in (staged / "functions").iterdir()) == [
        "__init__.py",
        "users",
    ]
    assert not (staged / "shared" / "cli.py").exists()
    assert not (staged / "shared" / "demo").exists()
    assert (staged / "shared" / "db" / "migrations" / "versions").is_dir()
    assert not list(staged.rglob("__pycache__"))


def test_every_handler_imports_from_its_asset_alone(tmp_path):
    """Nothing a handler imports lives outside its asset (the layer brings the libraries)."""
    import subprocess
    import sys

    for context in ("users", "transactions", "outbox", "migrations"):
        staged = function_code(context, tmp_path / context)
        probe = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            f"import functions.{context}.handler as h, shared; "
            "assert shared.__file__.startswith(sys.argv[1]), shared.__file__; "
            "assert 'shared.cli' not in sys.modules and 'tensorflow' not in sys.modules"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, str(staged)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert result.returncode == 0, f"{context}: {result.stderr[-2000:]}"
