"""The Lambda dependency layers: core for every function, models (onnxruntime, numpy) for the
functions that categorise, parquet (pyarrow) for the lake export; never TensorFlow or Keras in
any; and each function's code with its own layers fits Lambda's size limit.

Each layer's list against pyproject.toml is checked in test_packaging.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from stacks.constructs.lake_export import EXTRA_LAYERS as LAKE_EXPORT_LAYERS
from stacks.packaging import (
    CONTEXT_MODELS,
    LAYERS,
    MODELS_LAYER,
    PARQUET_LAYER,
    function_code,
    function_layers,
)

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "requirements"
BUILT = ROOT / "layers" / "build"
LAMBDA_UNZIPPED_LIMIT = 262_144_000
"""Lambda's 250 MB: a function's code and all its layers, unzipped, in bytes."""
TRAINING_ONLY = re.compile(r"^(tensorflow|tf[-_]nightly|tf[-_]keras|keras|tf2onnx)", re.I)
"""TensorFlow in any flavour (tensorflow-cpu, tensorflow-aarch64…), Keras, the ONNX exporter."""
RUNTIME_SOURCES = ("shared", "functions", "events")


def _names(requirements: Path) -> list[str]:
    lines = requirements.read_text().splitlines()
    return [
        re.split(r"[\[<>=~!; ]", line.strip(), maxsplit=1)[0].lower()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _built(name: str) -> Path:
    return BUILT / name / "python"


def _all_built() -> bool:
    return all(_built(name).is_dir() for name in LAYERS)


def _contexts() -> list[str]:
    return sorted(
        path.name for path in (ROOT / "functions").iterdir() if (path / "handler.py").exists()
    )


def test_there_is_one_requirements_file_per_layer():
    assert sorted(path.stem for path in REQUIREMENTS.glob("*.txt")) == sorted(LAYERS)
    assert not (ROOT / "layers" / "requirements.txt").exists()


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_lists_tensorflow_or_keras(layer):
    names = _names(REQUIREMENTS / f"{layer}.txt")
    assert names
    assert [name for name in names if TRAINING_ONLY.match(name)] == []


def test_the_check_recognises_every_flavour_of_tensorflow(tmp_path):
    listed = tmp_path / "requirements.txt"
    listed.write_text("numpy>=1\ntensorflow-cpu==2.21\nKeras>=3\ntf_keras\n# tensorflow\n")
    assert [n for n in _names(listed) if TRAINING_ONLY.match(n)] == [
        "tensorflow-cpu",
        "keras",
        "tf_keras",
    ]


def test_the_models_layer_is_the_categorisers_runtime_and_the_parquet_layer_pyarrow():
    assert set(_names(REQUIREMENTS / f"{MODELS_LAYER}.txt")) == {"onnxruntime", "numpy"}
    assert _names(REQUIREMENTS / f"{PARQUET_LAYER}.txt") == ["pyarrow"]
    core = set(_names(REQUIREMENTS / "core.txt"))
    assert not core & {"numpy", "onnxruntime", "pyarrow"}


def test_the_functions_that_categorise_and_only_those_get_the_models_layer():
    for context in _contexts():
        assert (MODELS_LAYER in function_layers(context)) == (context in CONTEXT_MODELS)
        assert PARQUET_LAYER not in function_layers(context)
    assert function_layers("analytics", LAKE_EXPORT_LAYERS) == ("core", "parquet")
    with pytest.raises(ValueError, match="no layer named"):
        function_layers("users", ("pandas",))


def _imports(path: Path) -> set[str]:
    """The top-level packages and the ``shared.…`` modules a source file imports (at module
    level or inside a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= {alias.name, alias.name.split(".")[0]}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, node.module.split(".")[0]}
    return found


def _importers(module: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for package in RUNTIME_SOURCES
        for path in (ROOT / package).rglob("*.py")
        if module in _imports(path)
    }


MODEL_RUNTIMES = {
    "shared/categorisation/trained.py",
    "shared/forecasting/baselines.py",
    "shared/forecasting/features.py",
    "shared/forecasting/forecaster.py",
}
"""The modules that run a trained model, the only ones that import numpy or onnxruntime."""


def test_numpy_and_onnxruntime_are_imported_by_the_model_runtimes_alone():
    """What the models layer holds is reached only through the model runtimes: the trained
    categoriser (built by ``Container.categoriser``, which only the categorising contexts use)
    and the forecaster (reached through the in-process model client alone; on AWS the ``ai``
    function asks the model endpoints and imports neither)."""
    assert _importers("numpy") | _importers("onnxruntime") <= MODEL_RUNTIMES
    assert _importers("shared.categorisation.trained") <= {"shared/bootstrap.py", "shared/cli.py"}
    forecasting = [
        _importers(f"shared.forecasting.{name}") for name in ("forecaster", "features", "baselines")
    ]
    assert set().union(*forecasting) <= MODEL_RUNTIMES | {"shared/forecasting/invocation.py"}
    assert _importers("shared.forecasting.invocation") <= {"shared/adapters/local/models.py"}
    assert _importers("shared.adapters.local.models") <= {"shared/bootstrap.py"}


def test_only_the_categorising_contexts_reach_the_categoriser():
    """``Container.transactions`` and ``Container.imports`` build the categoriser (the
    trained model, on numpy and onnxruntime); a context that uses them needs the models layer."""
    uses = re.compile(r"container\.(transactions|imports|categoriser)\b")
    reaching = {
        path.relative_to(ROOT / "functions").parts[0]
        for path in (ROOT / "functions").rglob("*.py")
        if uses.search(path.read_text())
    }
    assert reaching <= set(CONTEXT_MODELS)


def test_pyarrow_is_imported_by_the_lake_export_alone():
    assert _importers("pyarrow") <= {"shared/analytics/lake_export.py"}
    assert _importers("shared.analytics.lake_export") <= {
        "functions/analytics/lake_export.py",
        "shared/bootstrap.py",
        "shared/cli.py",
    }


@pytest.mark.skipif(not _all_built(), reason="the layers are not built here (make layers)")
def test_the_built_layers_hold_no_tensorflow_or_keras():
    for name in LAYERS:
        installed = [path.name for path in _built(name).iterdir() if TRAINING_ONLY.match(path.name)]
        assert installed == [], name
    assert (_built(MODELS_LAYER) / "onnxruntime").is_dir()
    assert (_built(PARQUET_LAYER) / "pyarrow").is_dir()
    assert not (_built("core") / "numpy").exists()
    assert not (_built("core") / "pyarrow").exists()


@pytest.mark.skipif(not _all_built(), reason="the layers are not built here (make layers)")
def test_every_function_with_its_layers_fits_lambdas_unzipped_limit(tmp_path):
    contexts = _contexts()
    assert set(CONTEXT_MODELS) <= set(contexts)
    functions = {context: function_layers(context) for context in contexts}
    functions["analytics (lake export)"] = function_layers("analytics", LAKE_EXPORT_LAYERS)
    layer_sizes = {name: _size(_built(name).parent) for name in LAYERS}
    for function, layers in functions.items():
        context = function.split(" ")[0]
        code = _size(function_code(context, tmp_path / function))
        total = code + sum(layer_sizes[name] for name in layers)
        assert total < LAMBDA_UNZIPPED_LIMIT, (function, layers, total)
