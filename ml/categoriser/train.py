"""Train the categoriser with TensorFlow/Keras and export it to ONNX: ``fluxo ml
train-categoriser``. The only module that imports TensorFlow, inside its functions.

The model is a bag of hashed features (``shared.categorisation.trained.Featuriser``): an
embedding per feature bucket, summed with the features' weights, then one hidden layer and a
softmax over the taxonomy's leaves. Everything is seeded and TensorFlow runs single-threaded with
deterministic ops, so the same command gives the same weights, the same ONNX bytes and the same
metrics.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ml.artefact_files import package_versions, write_json
from ml.categoriser.dataset import DataConfig, Dataset, build
from ml.categoriser.evaluate import Report, evaluate_lines
from ml.deterministic import tensorflow
from shared.categorisation.trained import (
    FEATURE_VERSION,
    TEXT_GROUPS,
    Featuriser,
    TrainedCategoriser,
)
from shared.domain.taxonomy import walk

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
NAME = "categoriser"

TRAINED_WITH = ("tensorflow-cpu", "tensorflow", "keras", "tf2onnx", "onnx", "numpy")
"""The packages whose versions an artefact's description records."""


@dataclass(frozen=True)
class ModelConfig:
    buckets: int = 1 << 15
    max_features: int = 128
    embedding: int = 32
    hidden: int = 64
    dropout: float = 0.2
    epochs: int = 10
    batch: int = 128
    learning_rate: float = 2e-3
    feature_dropout: float = 0.5
    curated_weight: float = 1.0
    copies: int = 1
    """Copies of each row with ``feature_dropout`` of its text features dropped."""
    merchant_copies: int = 1
    """Copies of each row without any feature of its merchant's words (an unseen merchant)."""
    seed: int = 1234


@dataclass(frozen=True)
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)


def train(
    config: TrainConfig,
    out: Path,
    *,
    log: Callable[[str], None] = print,
    dataset: Dataset | None = None,
) -> tuple[Path, Report]:
    """Builds the data (unless given, built from ``config.data``), trains, writes
    ``out/categoriser.onnx`` and ``.json``; returns the ONNX path and the held-out report."""
    _, keras = tensorflow(config.model.seed)
    started = time.perf_counter()
    dataset = dataset or build(config.data)
    log(
        f"data: {len(dataset.train)} training lines, {len(dataset.heldout)} held-out lines of "
        f"{len(dataset.heldout_merchants)} merchants ({time.perf_counter() - started:.1f} s)"
    )
    featuriser = Featuriser(config.model.buckets, config.model.max_features)
    labels = _labels({example.label for example in dataset.train})
    ids, weights, targets, counts, curated = _rows(dataset, featuriser, labels, config.model)
    sample_weight = (1.0 + np.log(counts)).astype(np.float32)
    if config.model.curated_weight != 1.0:
        sample_weight *= np.where(curated, config.model.curated_weight, 1.0).astype(np.float32)
    distinct = len(targets) // (1 + config.model.copies + config.model.merchant_copies)
    log(
        f"features: {distinct} distinct rows, {len(targets)} with their augmented copies; "
        f"{len(labels)} categories"
    )

    model = _model(keras, config.model, len(labels))
    model.compile(
        optimizer=keras.optimizers.Adam(config.model.learning_rate),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],
    )
    fit_started = time.perf_counter()
    history = model.fit(
        {"ids": ids, "weights": weights},
        targets,
        sample_weight=sample_weight,
        batch_size=config.model.batch,
        epochs=config.model.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[_epoch_log(keras, log)],
    )
    fit_seconds = time.perf_counter() - fit_started

    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{NAME}.onnx"
    _export(model, onnx_path, ids[:2000], weights[:2000])
    metadata = _metadata(config, dataset, labels, history.history, onnx_path)
    metadata["training"]["rows"] = {"distinct": distinct, "with_augmented_copies": len(targets)}
    metadata["training"]["seconds"] = {"fit": round(fit_seconds, 1)}
    meta_path = onnx_path.with_suffix(".json")
    write_json(meta_path, metadata)

    report = evaluate_lines(TrainedCategoriser(onnx_path), dataset.heldout)
    metadata["metrics"] = report.as_dict()
    # Seconds vary from run to run; the recorded file keeps what the command reproduces.
    del metadata["training"]["seconds"]
    write_json(meta_path, metadata)
    log(
        f"trained in {fit_seconds:.0f} s, {time.perf_counter() - started:.0f} s in all; "
        f"{onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB)"
    )
    return onnx_path, report


def _labels(present: set[str]) -> list[str]:
    """Leaves (and childless top levels) in taxonomy order."""
    return [seed.slug for seed, _ in walk() if seed.slug in present]


def _rows(
    dataset: Dataset, featuriser: Featuriser, labels: list[str], config: ModelConfig
) -> tuple[Any, Any, Any, Any, Any]:
    """Distinct training rows, with how many lines each stands for and whether one came from a
    curated source (lexicon, MCC): the demo's thousand identical bakery lines teach no more than
    a few would. Each row also comes ``copies`` more times with ``feature_dropout`` of its text
    features dropped at random, and ``merchant_copies`` times without its merchant at all, so
    that the model learns to read a descriptor from its parts and its context (amount, type,
    wording), not only from whole merchant names it has seen."""
    index = {label: number for number, label in enumerate(labels)}
    distinct: dict[tuple[tuple[tuple[str, ...], ...], int], list[int]] = {}
    texts: dict[tuple[str, str | None], tuple[tuple[str, ...], ...]] = {}
    for example in dataset.train:
        line = example.line
        text = texts.get((line.description, line.counterparty_name))
        if text is None:
            text = texts[line.description, line.counterparty_name] = tuple(
                featuriser.groups(replace(line, amount=Decimal(0), type=None, mcc=None))
            )[:TEXT_GROUPS]
        groups = text + tuple(featuriser.groups(line))[TEXT_GROUPS:]
        key = (groups, index[example.label])
        seen = distinct.setdefault(key, [0, 0])
        seen[0] += 1
        seen[1] |= example.source != "demo"
    rng = random.Random(config.seed)  # noqa: S311 - augmentation, not a secret
    encoded: list[list[tuple[int, float]]] = []
    rows: list[tuple[int, int, int]] = []
    for (groups, target), (count, from_curated) in distinct.items():
        variants = [list(groups)]
        for _ in range(config.copies):
            variants.append(
                [
                    tuple(name for name in group if rng.random() >= config.feature_dropout)
                    if number < TEXT_GROUPS - 1
                    else group
                    for number, group in enumerate(groups)
                ]
            )
        if config.merchant_copies:
            variants.extend([_without_merchant(groups)] * config.merchant_copies)
        for variant in variants:
            encoded.append(featuriser.encode(variant))
            rows.append((target, count, from_curated))
    ids = np.zeros((len(encoded), featuriser.max_features), dtype=np.int32)
    weights = np.zeros((len(encoded), featuriser.max_features), dtype=np.float32)
    for row, pairs in enumerate(encoded):
        ids[row, : len(pairs)] = [bucket for bucket, _ in pairs]
        weights[row, : len(pairs)] = [weight for _, weight in pairs]
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    targets, counts, curated = table[:, 0], table[:, 1], table[:, 2]
    return ids, weights, targets.astype(np.int32), counts.astype(np.float32), curated == 1


def _without_merchant(groups: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """The row as if its merchant were one never seen: no feature of the merchant's words is
    left, only the wording around it (PAG BOLETO, PIX ENVIADO, ESTORNO), the amount, the type."""
    words, pairs, merchant, _grams, meta, *rest = groups
    names = {name[2:] for name in merchant}

    def foreign(feature: str) -> bool:
        return not names.intersection(feature.split(":", 1)[1].split())

    return [
        tuple(filter(foreign, words)),
        tuple(filter(foreign, pairs)),
        (),
        (),
        tuple(filter(foreign, meta)),
        *rest,
    ]


def _model(keras: Any, config: ModelConfig, classes: int) -> Any:
    ops = keras.ops
    ids = keras.Input((config.max_features,), dtype="int32", name="ids")
    weights = keras.Input((config.max_features,), dtype="float32", name="weights")
    embedded = keras.layers.Embedding(
        config.buckets,
        config.embedding,
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05),
        name="features",
    )(ids)
    pooled = ops.sum(embedded * ops.expand_dims(weights, -1), axis=1)
    hidden = keras.layers.Dense(config.hidden, activation="relu", name="hidden")(pooled)
    hidden = keras.layers.Dropout(config.dropout, seed=config.seed)(hidden)
    probabilities = keras.layers.Dense(classes, activation="softmax", name="probabilities")(hidden)
    return keras.Model({"ids": ids, "weights": weights}, probabilities, name=NAME)


def _epoch_log(keras: Any, log: Callable[[str], None]) -> Any:
    def report(epoch: int, logs: dict[str, float] | None) -> None:
        logs = logs or {}
        log(
            f"epoch {epoch + 1}: loss {logs.get('loss', math.nan):.4f}, "
            f"accuracy {logs.get('accuracy', math.nan):.4f}"
        )

    return keras.callbacks.LambdaCallback(on_epoch_end=report)


def _export(model: Any, path: Path, ids: Any, weights: Any) -> None:
    """The Keras model as an ONNX graph written here from its weights: the same weights give the
    same bytes (tf2onnx's export names its folded constants differently from run to run), and
    the graph is only what inference needs. Checked against Keras on the training rows."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def tensor(name: str, value: Any) -> Any:
        return numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name)

    (table,) = model.get_layer("features").get_weights()
    hidden_kernel, hidden_bias = model.get_layer("hidden").get_weights()
    out_kernel, out_bias = model.get_layer("probabilities").get_weights()
    max_features = ids.shape[1]
    nodes = [
        helper.make_node("Gather", ["embeddings", "ids"], ["embedded"], axis=0),
        helper.make_node("Unsqueeze", ["weights", "last_axis"], ["weights_3d"]),
        helper.make_node("Mul", ["embedded", "weights_3d"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "feature_axis"], ["pooled"], keepdims=0),
        helper.make_node("MatMul", ["pooled", "hidden_kernel"], ["hidden_linear"]),
        helper.make_node("Add", ["hidden_linear", "hidden_bias"], ["hidden_biased"]),
        helper.make_node("Relu", ["hidden_biased"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "out_kernel"], ["logits_linear"]),
        helper.make_node("Add", ["logits_linear", "out_bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        inputs=[
            helper.make_tensor_value_info("ids", TensorProto.INT32, ["lines", max_features]),
            helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["lines", max_features]),
        ],
        outputs=[
            helper.make_tensor_value_info(
                "probabilities", TensorProto.FLOAT, ["lines", out_bias.shape[0]]
            )
        ],
        initializer=[
            tensor("embeddings", table),
            tensor("hidden_kernel", hidden_kernel),
            tensor("hidden_bias", hidden_bias),
            tensor("out_kernel", out_kernel),
            tensor("out_bias", out_bias),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last_axis"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "feature_axis"),
        ],
    )
    document = helper.make_model(
        graph,
        producer_name="fluxo ml train-categoriser",
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    onnx.checker.check_model(document)
    path.write_bytes(document.SerializeToString(deterministic=True))
    _check_export(model, path, ids, weights)


def _check_export(model: Any, path: Path, ids: Any, weights: Any) -> None:
    onnxruntime = importlib.import_module("onnxruntime")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    exported = session.run(["probabilities"], {"ids": ids, "weights": weights})[0]
    expected = model.predict({"ids": ids, "weights": weights}, verbose=0, batch_size=1024)
    difference = float(np.max(np.abs(exported - expected)))
    if difference > 1e-4:
        raise RuntimeError(f"the ONNX export differs from the Keras model by {difference}")


def _metadata(
    config: TrainConfig,
    dataset: Dataset,
    labels: list[str],
    history: dict[str, list[float]],
    onnx_path: Path,
) -> dict[str, Any]:
    return {
        "format": 1,
        "labels": labels,
        "features": {
            "version": FEATURE_VERSION,
            "buckets": config.model.buckets,
            "max_features": config.model.max_features,
            "hash": "crc32 of the feature's UTF-8 name, modulo buckets-1, plus 1 (0 pads)",
            "inputs": {"ids": "int32 [lines, max_features]", "weights": "float32, same shape"},
            "words": _vocabulary(dataset, config.model),
        },
        "model": {
            **asdict(config.model),
            "architecture": "embedding bag (weighted sum) -> dense relu -> dropout -> softmax",
            "output": "probabilities [lines, labels]",
        },
        "training": {
            "command": "fluxo ml train-categoriser",
            "data": dataset.describe(),
            "sources": {
                "demo": "shared.demo.generator households (seed, households, months above)",
                "lexicon": "shared/categorisation/base_lexicon.json phrases as synthetic lines",
                "mcc": "ml/categoriser/mcc.py: MCC groups mapped to categories",
            },
            "final_loss": round(float(history["loss"][-1]), 4),
            "final_accuracy": round(float(history["accuracy"][-1]), 4),
        },
        "heldout": {
            "method": "whole merchants: a quarter of each category's demo merchants, "
            "never in training (nor any line naming them); lines from other households",
            "data": asdict(config.data),
            "merchants": dataset.heldout_merchants,
        },
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "versions": package_versions(
            ("tensorflow-cpu", "tensorflow", "keras", "tf2onnx", "onnx", "numpy")
        ),
    }


def _vocabulary(dataset: Dataset, config: ModelConfig) -> list[str]:
    """The informative words of the training lines: a line with none of them is answered from
    its amount alone, which the categoriser then leaves for review."""
    featuriser = Featuriser(config.buckets, config.max_features)
    words: set[str] = set()
    for example in dataset.train:
        words |= featuriser.words(example.line)
    return sorted(words)
