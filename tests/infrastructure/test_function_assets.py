"""What the synthesised function assets hold: the categoriser's artefact (ONNX + metadata, at
ml/artifacts/ where shared/categorisation/trained.py looks) in every function whose context
categorises, in both regions, and in no other; never the ml/ training code; nothing that imports
TensorFlow or Keras."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stacks.config import ROOT
from stacks.packaging import (
    CONTEXT_FILES,
    CONTEXT_MODELS,
    function_code,
    model_artefacts,
    training_context,
)

CATEGORISING = {"imports", "transactions"}
ARTEFACT = {"categoriser.onnx", "categoriser.json"}
TRAINING_ONLY = ("tensorflow", "keras", "tf_keras", "tf2onnx")


@pytest.fixture(params=["dev", "prod"])
def synth(request):
    return request.getfixturevalue(request.param)


def _assets(synth, stack: str) -> dict[str, Path]:
    """Each Fluxo function's context → its code asset folder in the synthesis output."""
    found: dict[str, Path] = {}
    for function in synth.resources(stack, "AWS::Lambda::Function").values():
        handler = function["Properties"].get("Handler", "")
        if not handler.startswith("functions."):
            continue
        context = handler.split(".")[1]
        key = function["Properties"]["Code"]["S3Key"]
        folder = synth.outdir / f"asset.{key.removesuffix('.zip')}"
        assert folder.is_dir(), (context, folder)
        found[context] = folder
    return found


def _imported_roots(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_categorising_contexts_are_declared_not_special_cased():
    assert set(CONTEXT_MODELS) == CATEGORISING
    for context, models in CONTEXT_MODELS.items():
        assert (ROOT / "functions" / context / "handler.py").is_file(), context
        assert models == ("categoriser",), context


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_every_function_that_categorises_ships_the_artefact_and_its_metadata(synth, stack):
    assets = _assets(synth, stack)
    assert set(assets) >= CATEGORISING, sorted(assets)
    for context in CATEGORISING:
        folder = assets[context]
        artefacts = folder / "ml" / "artifacts"
        assert {path.name for path in artefacts.iterdir()} == ARTEFACT, context
        # Byte for byte what the repository holds, at the path trained.py resolves to.
        for original in model_artefacts("categoriser"):
            assert (artefacts / original.name).read_bytes() == original.read_bytes()
        trained = folder / "shared" / "categorisation" / "trained.py"
        assert trained.is_file()
        assert trained.resolve().parents[2] / "ml" / "artifacts" == artefacts.resolve()
        # The artefact only: not one line of the training code.
        shipped = {p.relative_to(folder).as_posix() for p in (folder / "ml").rglob("*")}
        assert shipped == {"ml/artifacts", *(f"ml/artifacts/{name}" for name in ARTEFACT)}


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_the_other_functions_ship_no_artefact(synth, stack):
    assets = _assets(synth, stack)
    others = set(assets) - CATEGORISING - set(CONTEXT_FILES)
    assert others, sorted(assets)  # users and the outbox sweep at least
    for context in others:
        assert not (assets[context] / "ml").exists(), context
        assert not list(assets[context].rglob("*.onnx")), context


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_the_ai_functions_ship_the_tuned_anomaly_thresholds_and_no_model(synth, stack):
    folder = _assets(synth, stack)["ai"]
    shipped = {p.relative_to(folder).as_posix() for p in (folder / "ml").rglob("*")}
    assert shipped == {"ml/artifacts", "ml/artifacts/anomalies.json"}
    original = ROOT / "ml" / "artifacts" / "anomalies.json"
    assert (folder / "ml" / "artifacts" / "anomalies.json").read_bytes() == original.read_bytes()
    # Where shared/anomalies/thresholds.py looks for them, relative to itself.
    thresholds = folder / "shared" / "anomalies" / "thresholds.py"
    assert (
        thresholds.resolve().parents[2] / "ml" / "artifacts"
        == (folder / "ml" / "artifacts").resolve()
    )


@pytest.mark.parametrize("stack", ["primary", "standby"])
def test_nothing_in_any_function_asset_imports_tensorflow_or_keras(synth, stack):
    for context, folder in _assets(synth, stack).items():
        sources = list(folder.rglob("*.py"))
        assert sources, context
        for source in sources:
            imported = _imported_roots(source)
            assert not imported & set(TRAINING_ONLY), (context, source.relative_to(folder))
        named = [
            path
            for path in folder.rglob("*")
            if any(word in path.name.lower() for word in TRAINING_ONLY)
        ]
        assert not named, (context, named)


def test_a_missing_artefact_stops_the_packaging(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        function_code("transactions", tmp_path, models=["nope"])


def test_a_function_can_be_packaged_without_its_models(tmp_path):
    staged = function_code("imports", tmp_path, models=[])
    assert not (staged / "ml").exists()


def test_the_training_context_holds_the_training_code_but_no_artefact(tmp_path):
    staged = training_context(tmp_path)
    assert (staged / "ml" / "training" / "Dockerfile").is_file()
    assert (staged / "ml" / "categoriser" / "train.py").is_file()
    assert not (staged / "ml" / "artifacts").exists()
    assert sorted(path.name for path in staged.iterdir()) == [
        "README.md",
        "events",
        "ml",
        "pyproject.toml",
        "shared",
    ]
