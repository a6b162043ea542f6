"""Code assets: each function gets only the packages it imports, and the artefacts of the models
it runs; the training image gets what training needs.

Third-party libraries come from the dependency layers (``make layers``, :data:`LAYERS`): core
for every function, models for those that categorise, parquet for the lake export. The code
asset of a function holds ``shared/``, ``events/`` and its own ``functions/<context>/``
package, plus ``ml/artifacts/<model>.onnx`` and ``.json`` for each model its context runs
in-process (:data:`CONTEXT_MODELS`) — never the ``ml/`` training code, never TensorFlow.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from stacks.config import ROOT

RUNTIME_PACKAGES = ("shared", "events")
# Local-only parts of shared/: the CLI and the demo generator never run in a Lambda.
EXCLUDED = ("cli.py", "demo", "__pycache__", "*.pyc")

MODEL_ARTEFACTS = Path("ml") / "artifacts"
"""Where a trained model's artefact lives, in the repository and inside a function's asset: the
same relative place, so ``shared/categorisation/trained.py`` finds it at its default path
(``<asset root>/ml/artifacts/``) in Lambda as it does in a checkout."""
ARTEFACT_SUFFIXES = (".onnx", ".json")
"""A model's artefact: the ONNX graph and its metadata (labels, features, metrics, sha256)."""

CONTEXT_MODELS: Mapping[str, tuple[str, ...]] = {
    # Categorises every line of an imported statement (API uploads and lake drops).
    "imports": ("categoriser",),
    # Categorises transactions created through the API and applies rules to existing ones.
    "transactions": ("categoriser",),
}
"""The trained models each context runs in-process, by artefact name: their artefacts ship in
the context's code asset. A context that starts categorising is one more line here."""

CONTEXT_FILES: Mapping[str, tuple[Path, ...]] = {
    # The anomaly detector's thresholds, tuned on the training households: the anomalies
    # consumer reads them at <asset root>/ml/artifacts/anomalies.json, and would judge with its
    # built-in defaults (not what docs/ml.md measured) without them. JSON only: no model layer.
    "ai": (MODEL_ARTEFACTS / "anomalies.json",),
}
"""Other files under ``ml/artifacts`` a context's code asset needs, relative to the repository."""

CORE_LAYER = "core"
"""Every function's libraries (``layers/requirements/core.txt``)."""
MODELS_LAYER = "models"
"""numpy and onnxruntime, the trained models' runtime: the :data:`CONTEXT_MODELS` contexts."""
PARQUET_LAYER = "parquet"
"""pyarrow: only the lake export (``functions/analytics/lake_export.py``)."""
LAYERS = (CORE_LAYER, MODELS_LAYER, PARQUET_LAYER)
"""The dependency layers ``make layers`` builds, one per ``layers/requirements/<name>.txt``
into ``<layerPath>/<name>/python``. All of them would exceed Lambda's 250 MB together."""


def function_layers(context: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The layers of a function of ``context``: core, models where the context runs a model,
    then ``extra`` (``("parquet",)`` for the lake export)."""
    chosen = [CORE_LAYER, *([MODELS_LAYER] if context in CONTEXT_MODELS else []), *extra]
    unknown = sorted(set(chosen) - set(LAYERS))
    if unknown:
        raise ValueError(f"no layer named {', '.join(unknown)}; the layers are {LAYERS}")
    return tuple(dict.fromkeys(chosen))


TRAINING_PACKAGES = ("shared", "events", "ml")
TRAINING_FILES = ("pyproject.toml", "README.md")
"""``pip install .`` needs the project file and the readme it names."""
TRAINING_DOCKERFILE = "ml/training/Dockerfile"
"""The training image's Dockerfile, relative to the build context :func:`training_context`
stages (the repository's layout, so the file is where it is in a checkout)."""
# Artefacts are what training produces, not what it needs: left out, a promoted artefact does
# not rebuild the image.
TRAINING_EXCLUDED = ("__pycache__", "*.pyc", "artifacts")


def function_code(context: str, staging: Path, *, models: Sequence[str] | None = None) -> Path:
    """Copies what the ``context`` function needs into ``staging/<context>`` and returns it.

    ``models`` names the artefacts to ship (:data:`CONTEXT_MODELS` for the context when None)."""
    target = staging / context
    if target.exists():
        shutil.rmtree(target)
    ignore = shutil.ignore_patterns(*EXCLUDED)
    for package in RUNTIME_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    (target / "functions").mkdir(parents=True)
    shutil.copy2(ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
    shutil.copytree(ROOT / "functions" / context, target / "functions" / context, ignore=ignore)
    for model in CONTEXT_MODELS.get(context, ()) if models is None else models:
        for artefact in model_artefacts(model):
            destination = target / artefact.relative_to(ROOT)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(artefact, destination)
    for relative in CONTEXT_FILES.get(context, ()):
        if not (ROOT / relative).is_file():
            raise FileNotFoundError(
                f"the {context} function needs {relative}: train it (docs/ml.md) or restore it "
                "from version control"
            )
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target / relative)
    return target


def model_artefacts(model: str) -> tuple[Path, ...]:
    """The files of ``model``'s artefact in the repository; a missing one stops the synthesis
    rather than shipping a function that cannot load its model."""
    files = tuple(ROOT / MODEL_ARTEFACTS / f"{model}{suffix}" for suffix in ARTEFACT_SUFFIXES)
    missing = [str(path.relative_to(ROOT)) for path in files if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"the {model} artefact is missing ({', '.join(missing)}): train it "
            "(docs/ml.md) or restore it from version control"
        )
    return files


def training_context(staging: Path) -> Path:
    """Copies the training image's build context into ``staging/training`` and returns it:
    ``pyproject.toml``, ``README.md``, ``shared/``, ``events/`` and ``ml/`` (with the
    Dockerfile and the entry script, without ``ml/artifacts``) — not the virtualenv, the node
    modules, the tests or the synthesised output, which a build context of the whole checkout
    would hash and send to Docker."""
    target = staging / "training"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns(*TRAINING_EXCLUDED)
    for package in TRAINING_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    for name in TRAINING_FILES:
        shutil.copy2(ROOT / name, target / name)
    if not (target / TRAINING_DOCKERFILE).is_file():
        raise FileNotFoundError(f"the training image needs {TRAINING_DOCKERFILE}")
    return target


SERVING_DOCKERFILE = "ml/serving/Dockerfile"
"""The serving image's Dockerfile, relative to the build context :func:`serving_context` stages."""
SERVING_MODELS = ("forecaster",)
"""The artefacts the serving image cannot answer without (the anomaly detector falls back to its
built-in thresholds when ``ml/artifacts/anomalies.json`` is absent)."""
# The image serves the artefacts of this checkout: unlike the training context, it keeps them.
SERVING_EXCLUDED = ("__pycache__", "*.pyc")


def serving_context(staging: Path) -> Path:
    """Copies the serving image's build context into ``staging/serving`` and returns it: the
    same layout as :func:`training_context`, with ``ml/artifacts`` — the image answers with the
    artefacts of the deploy, so a retrained artefact reaches the endpoint like it reaches the
    functions, by review and a deploy. A missing artefact stops the synthesis."""
    target = staging / "serving"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for model in SERVING_MODELS:
        model_artefacts(model)
    ignore = shutil.ignore_patterns(*SERVING_EXCLUDED)
    for package in TRAINING_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    for name in TRAINING_FILES:
        shutil.copy2(ROOT / name, target / name)
    if not (target / SERVING_DOCKERFILE).is_file():
        raise FileNotFoundError(f"the serving image needs {SERVING_DOCKERFILE}")
    return target
