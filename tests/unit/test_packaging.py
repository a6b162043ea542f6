"""What goes into a Lambda: its own code (packaging) and the dependency layers' lists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from stacks.packaging import LAYERS, MODELS_LAYER, PARQUET_LAYER, function_code, function_layers

ROOT = Path(__file__).resolve().parents[2]
# Runtime dependencies a function never imports: the CLI, the local server, and boto3, which the
# Lambda runtime provides.
NOT_IN_LAYER = {"typer", "uvicorn", "boto3"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=~! ]", requirement.strip(), maxsplit=1)[0].lower()


def _layer(name: str) -> set[str]:
    lines = (ROOT / "layers" / "requirements" / f"{name}.txt").read_text().splitlines()
    return {_name(line) for line in lines if line.strip() and not line.startswith("#")}


def _project() -> dict[str, list[str]]:
    """pyproject's core dependencies (``""``) and extras, as names."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    return {group: [_name(r) for r in requirements] for group, requirements in groups.items()}


def test_the_core_and_models_layers_install_every_runtime_dependency_a_function_imports():
    """Core and models split pyproject's core dependencies between them: models takes the
    categoriser's runtime, core the rest."""
    wanted = set(_project()[""]) - NOT_IN_LAYER
    core, models = _layer("core"), _layer(MODELS_LAYER)
    assert not core & models
    assert core | models == wanted


def test_the_parquet_layer_installs_the_parquet_extra():
    assert _layer(PARQUET_LAYER) == set(_project()["parquet"])
    assert set(LAYERS) == {"core", MODELS_LAYER, PARQUET_LAYER}


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


# The modules of each optional layer: a function without the layer must import without them.
LAYER_MODULES = {MODELS_LAYER: ("numpy", "onnxruntime"), PARQUET_LAYER: ("pyarrow",)}


def test_every_handler_imports_from_its_asset_and_its_own_layers_alone(tmp_path):
    """Nothing a handler imports lives outside its asset (the layers bring the libraries), and
    the libraries of layers it does not carry are not needed to import it (they are blocked)."""
    import subprocess
    import sys

    handlers = [
        *(
            (context, "handler", ())
            for context in ("users", "transactions", "outbox", "migrations")
        ),
        ("analytics", "handler", ()),
        ("analytics", "lake_export", (PARQUET_LAYER,)),
    ]
    for context, module, extra in handlers:
        staged = function_code(context, tmp_path / f"{context}-{module}")
        carried = function_layers(context, extra)
        blocked = [
            m for layer, names in LAYER_MODULES.items() if layer not in carried for m in names
        ]
        probe = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            f"sys.modules.update(dict.fromkeys({blocked!r})); "
            f"import functions.{context}.{module} as h, shared; "
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
        assert result.returncode == 0, f"{context}.{module}: {result.stderr[-2000:]}"
