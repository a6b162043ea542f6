"""The Lambda dependency layer: it carries the categoriser's runtime (onnxruntime, numpy) and
never TensorFlow or Keras, and it fits Lambda's size limit with the largest function's code.

The layer's list against pyproject's core dependencies is checked in test_packaging.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.packaging import CONTEXT_MODELS, function_code

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "layers" / "requirements.txt"
BUILT = ROOT / "layers" / "build" / "python"
LAMBDA_UNZIPPED_LIMIT = 262_144_000
"""Lambda's 250 MB: a function's code and all its layers, unzipped, in bytes."""
TRAINING_ONLY = re.compile(r"^(tensorflow|tf[-_]nightly|tf[-_]keras|keras|tf2onnx)", re.I)
"""TensorFlow in any flavour (tensorflow-cpu, tensorflow-aarch64…), Keras, the ONNX exporter."""


def _names(requirements: Path) -> list[str]:
    lines = requirements.read_text().splitlines()
    return [
        re.split(r"[\[<>=~!; ]", line.strip(), maxsplit=1)[0].lower()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_the_layer_lists_no_tensorflow_or_keras():
    names = _names(REQUIREMENTS)
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


def test_the_layer_carries_the_categorisers_runtime():
    assert {"onnxruntime", "numpy"} <= set(_names(REQUIREMENTS))


@pytest.mark.skipif(not BUILT.is_dir(), reason="the layer is not built here (make layers)")
def test_the_built_layer_holds_no_tensorflow_or_keras():
    installed = [path.name for path in BUILT.iterdir() if TRAINING_ONLY.match(path.name)]
    assert installed == []
    assert (BUILT / "onnxruntime").is_dir()


@pytest.mark.skipif(not BUILT.is_dir(), reason="the layer is not built here (make layers)")
def test_the_layer_and_the_largest_function_fit_lambdas_unzipped_limit(tmp_path):
    contexts = [
        path.name for path in (ROOT / "functions").iterdir() if (path / "handler.py").exists()
    ]
    assert set(CONTEXT_MODELS) <= set(contexts)
    largest = max(_size(function_code(context, tmp_path)) for context in contexts)
    assert _size(BUILT.parent) + largest < LAMBDA_UNZIPPED_LIMIT
