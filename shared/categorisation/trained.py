"""The trained categoriser: a small text model run by onnxruntime, for lines nothing else decides.

Training (``fluxo ml train-categoriser``, TensorFlow, ``ml/categoriser``) and prediction (here,
onnxruntime and numpy only: no TensorFlow in a Lambda) share one featurisation, ``Featuriser``:
each line becomes a bag of hashed features, each with a weight, and the ONNX model takes the two
arrays (``ids``, int32, and ``weights``, float32, both ``[lines, max_features]``; id 0 pads).

Features, in groups (the weights of a group sum to 1, so a long description does not drown the
amount): the words and word pairs of the folded description; the words of the normalised merchant
and their character 3- to 5-grams (``drog`` is a pharmacy's whatever the chain); the wallet and
transfer wording the merchant normaliser found; the description's first word; the amount's sign,
its magnitude (half decades) and its cents (``,90`` prices, round sums); the Open Finance type;
the MCC (code, its first three and first two digits).

The model answers a probability for each leaf of the taxonomy it was trained on. A verdict names
the likeliest leaf when it is sure enough of it (``REVIEW_BELOW``) and agrees with the likeliest
top-level category; otherwise it names the top-level category, with the summed probability of its
leaves ("restaurants, 0.92" rather than "coffee, 0.48"). The verdict's top level is therefore
always the likeliest top-level category.
"""

from __future__ import annotations

import json
import math
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from shared.categorisation.merchant import Merchant, fold, normalise_merchant, split_glued
from shared.categorisation.model import REVIEW_BELOW, LineToCategorise, Verdict
from shared.domain.taxonomy import PARENT_OF

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MODEL",
    "FEATURE_VERSION",
    "SOURCE",
    "TEXT_GROUPS",
    "Featuriser",
    "ModelUnavailable",
    "TrainedCategoriser",
]

SOURCE = "model"
FEATURE_VERSION = 1
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "ml" / "artifacts" / "categoriser.onnx"
"""The artefact ``fluxo ml train-categoriser`` writes (its metadata beside it, ``.json``)."""

# Only the head of a description is read: statement descriptors are short, and a pasted novel
# must cost no more than a descriptor.
_MAX_TEXT = 256
_MAX_WORDS = 16
_MERCHANT_WORDS = 6
_MAX_CHAR_GRAMS = 48
_CHAR_GRAMS = (3, 4, 5)
_BATCH = 512
"""Lines per onnxruntime call: the embedding's output is ``[lines, max_features, 32]`` floats
(8 MB at 512 lines), and onnxruntime's arena keeps the largest call's memory for the process's
life (67 MB at 4,096 lines)."""
TEXT_GROUPS = 5
"""Words, word pairs, merchant words, merchant character n-grams, wallet/transfer/first word."""
_TYPES = frozenset(
    {"PIX", "TED", "DOC", "TEF", "BOLETO", "CARTAO", "DEBITO", "CREDITO", "TARIFA", "OUTROS"}
)


class ModelUnavailable(RuntimeError):
    """The trained artefact is missing or does not match this code."""


@dataclass(frozen=True)
class Featuriser:
    """Lines to ``(ids, weights)``; deterministic, pure Python and numpy."""

    buckets: int
    max_features: int

    def transform(self, lines: Sequence[LineToCategorise]) -> tuple[NDArray[Any], NDArray[Any]]:
        ids = np.zeros((len(lines), self.max_features), dtype=np.int32)
        weights = np.zeros((len(lines), self.max_features), dtype=np.float32)
        for row, line in enumerate(lines):
            text_ids, text_weights = _encoded_text(
                line.description or "", line.counterparty_name or "", self.buckets
            )
            rest_ids, rest_weights = _encoded_other(_other_groups(line), self.buckets)
            size = min(self.max_features, len(text_ids))
            ids[row, :size] = text_ids[:size]
            weights[row, :size] = text_weights[:size]
            rest = min(self.max_features - size, len(rest_ids))
            ids[row, size : size + rest] = rest_ids[:rest]
            weights[row, size : size + rest] = rest_weights[:rest]
        return ids, weights

    def features(self, line: LineToCategorise) -> list[tuple[int, float]]:
        """The line's ``(bucket, weight)`` pairs, at most ``max_features`` of them."""
        return self.encode(self.groups(line))

    def groups(self, line: LineToCategorise) -> list[tuple[str, ...]]:
        """The named features of a line, by group: text groups first (``TEXT_GROUPS`` of them),
        then the amount, the type and the MCC."""
        return [
            *_text_groups(line.description or "", line.counterparty_name or ""),
            *_other_groups(line),
        ]

    def words(self, line: LineToCategorise) -> frozenset[str]:
        """The line's informative words (neither number shapes nor one- or two-letter tails):
        a model that knows none of them reads only the amount, and says so."""
        return _informative(line.description or "", line.counterparty_name or "")

    def encode(self, groups: Sequence[Sequence[str]]) -> list[tuple[int, float]]:
        """Each group weighs 1 in all, shared by its features."""
        return _encode(groups, self.buckets)[: self.max_features]


def _encode(groups: Sequence[Sequence[str]], buckets: int) -> list[tuple[int, float]]:
    found: list[tuple[int, float]] = []
    for group in groups:
        if not group:
            continue
        weight = 1.0 / len(group)
        found.extend((_hash(name, buckets), weight) for name in group)
    return found


def _hash(name: str, buckets: int) -> int:
    """1..buckets-1 (0 pads): CRC-32, the same in every process and on every machine."""
    return 1 + zlib.crc32(name.encode("utf-8")) % (buckets - 1)


# Statements repeat their descriptors: each distinct one is read once per process. The caches
# hold arrays, not Python objects: 16k descriptors cost ≈ 20 MB.
@lru_cache(maxsize=1 << 14)
def _encoded_text(description: str, counterparty: str, buckets: int) -> tuple[Any, Any]:
    return _arrays(_encode(_text_groups(description, counterparty), buckets))


@lru_cache(maxsize=1 << 12)
def _encoded_other(groups: tuple[tuple[str, ...], ...], buckets: int) -> tuple[Any, Any]:
    return _arrays(_encode(groups, buckets))


@lru_cache(maxsize=1 << 14)
def _informative(description: str, counterparty: str) -> frozenset[str]:
    words, _pairs, merchant, *_ = _text_groups(description, counterparty)
    names = (feature.split(":", 1)[1] for feature in (*words, *merchant))
    return frozenset(name for name in names if len(name) > 2 and not name.startswith("#"))


def _arrays(pairs: list[tuple[int, float]]) -> tuple[NDArray[Any], NDArray[Any]]:
    ids = np.array([bucket for bucket, _ in pairs], dtype=np.int32)
    return ids, np.array([weight for _, weight in pairs], dtype=np.float32)


_Key = tuple[str, str, tuple[tuple[str, ...], ...]]
_REMEMBERED = 1 << 16
"""Distinct feature sets whose answers are kept (then forgotten all at once)."""


def _key(line: LineToCategorise) -> _Key:
    """What the model reads of a line: the text it reads, and the other groups."""
    return (
        (line.description or "")[:_MAX_TEXT],
        line.counterparty_name or "",
        _other_groups(line),
    )


def _other_groups(line: LineToCategorise) -> tuple[tuple[str, ...], ...]:
    return _others(line.amount, line.type, line.mcc)


@lru_cache(maxsize=1 << 14)
def _others(
    amount: Decimal | float | int | None, kind: str | None, mcc: str | None
) -> tuple[tuple[str, ...], ...]:
    return (_amount_group(amount), (f"t:{_type(kind)}",), _mcc_group(mcc))


def _text_groups(description: str, counterparty: str) -> tuple[tuple[str, ...], ...]:
    text = description[:_MAX_TEXT]
    words = [_word(word) for word in fold(split_glued(text)).split()[:_MAX_WORDS]]
    merchant = _merchant(counterparty or text)
    names = merchant.key.split()[:_MERCHANT_WORDS]
    grams: dict[str, None] = {}
    for name in names:
        padded = f"<{name}>"
        for size in _CHAR_GRAMS:
            for start in range(max(1, len(padded) - size + 1)):
                grams.setdefault(f"c:{padded[start : start + size]}", None)
    meta = [f"f:{words[0]}"] if words else ["f:"]
    if merchant.via:
        meta.append(f"via:{merchant.via}")
    if merchant.transfer:
        meta.append(f"tr:{merchant.transfer}")
    return (
        tuple(dict.fromkeys(f"w:{word}" for word in words)),
        tuple(dict.fromkeys(f"b:{a} {b}" for a, b in pairwise(words))),
        tuple(dict.fromkeys(f"m:{name}" for name in names)),
        tuple(list(grams)[:_MAX_CHAR_GRAMS]),
        tuple(meta),
    )


@lru_cache(maxsize=1 << 14)
def _merchant(text: str) -> Merchant:
    return normalise_merchant(text[:_MAX_TEXT])


def _word(word: str) -> str:
    """Numbers longer than two digits (years, documents, amounts) by their length only."""
    if len(word) > 2 and word.isdigit():
        return f"#{min(len(word), 9)}"
    return word


_LARGEST_AMOUNT = Decimal(10) ** 15


def _amount_group(amount: Decimal | float | int | None) -> tuple[str, ...]:
    try:
        value = Decimal(amount if amount is not None else 0)
    except (InvalidOperation, TypeError, ValueError):
        value = Decimal(0)
    if not value.is_finite() or value == 0:
        return ("s:0",)
    sign = "-" if value < 0 else "+"
    # Nothing real is larger; beyond it the cents below cannot be computed (1e400).
    size = min(abs(value), _LARGEST_AMOUNT)
    # Half decades: R$ 1–3, 3–10, 10–31, 31–100, … up to a million. A size too small for a
    # float (1e-400) is the smallest band.
    magnitude = float(size)
    bucket = 0 if magnitude == 0 else min(12, max(0, math.floor(2 * math.log10(magnitude))))
    cents = int((size * 100) % 100)
    reais = int(size)
    if cents in (90, 99):
        shape = f"{cents}"
    elif cents:
        shape = "cents"
    elif reais % 100 == 0:
        shape = "100"
    elif reais % 10 == 0:
        shape = "10"
    else:
        shape = "reais"
    return (f"s:{sign}", f"a:{sign}{bucket}", f"k:{sign}{shape}")


@lru_cache(maxsize=256)
def _type(kind: str | None) -> str:
    if not kind:
        return "?"
    folded = fold(kind).upper().replace(" ", "")
    return folded if folded in _TYPES else "other"


@lru_cache(maxsize=1024)
def _mcc_group(mcc: str | None) -> tuple[str, ...]:
    digits = "".join(char for char in (mcc or "")[:8] if char.isdigit())
    if len(digits) != 4:
        return ("mcc:?",)
    return (f"mcc:{digits}", f"mcc3:{digits[:3]}", f"mcc2:{digits[:2]}")


class TrainedCategoriser:
    """A ``shared.ports.Categoriser`` backed by the ONNX artefact, loaded on first use.

    ``categorise`` answers one verdict per line, in order; source ``"model"``, the model's
    probability as the confidence. One instance per process: the session is reused across warm
    Lambda invocations, and ``threads`` caps onnxruntime's threads (one suits a Lambda).
    """

    def __init__(self, model: Path | str | None = None, *, threads: int = 1) -> None:
        self._path = Path(model) if model is not None else DEFAULT_MODEL
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        # A line's answer depends only on its features: statements repeat their merchants at
        # like amounts, so each distinct set is run once per process.
        self._decided: dict[_Key, Verdict] = {}

    @property
    def path(self) -> Path:
        return self._path

    def available(self) -> bool:
        """The artefact and its metadata are there (whether they load is checked on first use)."""
        return self._path.is_file() and self._path.with_suffix(".json").is_file()

    @property
    def metadata(self) -> dict[str, Any]:
        return self._load().metadata

    @property
    def labels(self) -> tuple[str, ...]:
        return self._load().labels

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        if not lines:
            return []
        keys = [_key(line) for line in lines]
        first: dict[_Key, LineToCategorise] = {}
        for key, line in zip(keys, lines, strict=True):
            if key not in self._decided:
                first.setdefault(key, line)
        if first:
            if len(self._decided) + len(first) > _REMEMBERED:
                self._decided.clear()
            loaded = self._load()
            answers = loaded.decide(self.probabilities(list(first.values())))
            for (key, line), (slug, confidence) in zip(first.items(), answers, strict=True):
                self._decided[key] = _verdict(line, slug, confidence, loaded.knows_a_word_of(line))
        return [self._decided[key] for key in keys]

    def probabilities(self, lines: Sequence[LineToCategorise]) -> NDArray[Any]:
        """``[lines, labels]`` leaf probabilities, in the order of ``labels``."""
        loaded = self._load()
        if not lines:
            return np.zeros((0, len(loaded.labels)), dtype=np.float32)
        parts = []
        for start in range(0, len(lines), _BATCH):
            ids, weights = loaded.featuriser.transform(lines[start : start + _BATCH])
            parts.append(loaded.run(ids, weights))
        return np.concatenate(parts)

    def _load(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _Loaded.open(self._path, self._threads)
                loaded = self._loaded
        return loaded


def _verdict(line: LineToCategorise, slug: str, confidence: float, read: bool) -> Verdict:
    """Everything in it follows from the line's key: the same line gets the same verdict."""
    merchant = _merchant(line.counterparty_name or line.description or "").name
    if not read:
        # An answer from the amount and type alone is a guess, however sure it sounds.
        evidence = f"model: no word it was trained on; {slug} at {confidence:.2f} by amount"
        return Verdict(None, merchant, SOURCE, confidence, evidence)
    return Verdict(slug, merchant, SOURCE, confidence, f"model: {confidence:.2f} for {slug}")


@dataclass(frozen=True)
class _Loaded:
    metadata: dict[str, Any]
    labels: tuple[str, ...]
    featuriser: Featuriser
    session: Any
    output: str
    tops: tuple[str, ...]
    leaf_top: NDArray[Any]
    """For each label, the index of its top-level category in ``tops``."""
    top_matrix: NDArray[Any]
    """``[labels, tops]``: 1 where a label is under a top level."""
    known_words: frozenset[str] | None
    """The informative words of the training lines (None: an artefact that did not record them,
    whose every answer is taken)."""

    def knows_a_word_of(self, line: LineToCategorise) -> bool:
        return self.known_words is None or not self.known_words.isdisjoint(
            self.featuriser.words(line)
        )

    @classmethod
    def open(cls, path: Path, threads: int) -> _Loaded:
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise ModelUnavailable(
                f"no trained categoriser at {path} (run `fluxo ml train-categoriser`)"
            )
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        features = metadata.get("features", {})
        if features.get("version") != FEATURE_VERSION:
            raise ModelUnavailable(
                f"{path} was trained with features version {features.get('version')}, "
                f"this code reads version {FEATURE_VERSION}: retrain it"
            )
        labels = tuple(metadata["labels"])
        unknown = [label for label in labels if label not in PARENT_OF]
        if unknown:
            raise ModelUnavailable(f"{path} predicts categories not in the taxonomy: {unknown}")
        import onnxruntime  # type: ignore[import-untyped]  # ~70 ms, on first use only

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        inputs = sorted(item.name for item in session.get_inputs())
        if inputs != ["ids", "weights"]:
            raise ModelUnavailable(f"{path} takes {inputs}, not the inputs ids and weights")
        tops = tuple(dict.fromkeys(PARENT_OF[label] or label for label in labels))
        leaf_top = np.array([tops.index(PARENT_OF[label] or label) for label in labels])
        return cls(
            metadata=metadata,
            labels=labels,
            featuriser=Featuriser(int(features["buckets"]), int(features["max_features"])),
            session=session,
            output=session.get_outputs()[0].name,
            tops=tops,
            leaf_top=leaf_top,
            top_matrix=np.eye(len(tops), dtype=np.float32)[leaf_top],
            known_words=frozenset(features["words"]) if "words" in features else None,
        )

    def run(self, ids: NDArray[Any], weights: NDArray[Any]) -> NDArray[Any]:
        result = self.session.run([self.output], {"ids": ids, "weights": weights})[0]
        return np.asarray(result, dtype=np.float32)

    def decide(self, probabilities: NDArray[Any]) -> list[tuple[str, float]]:
        """Per line: the likeliest leaf if sure enough and under the likeliest top level, else
        that top level with the summed probability of its leaves."""
        rows = np.arange(len(probabilities))
        by_top = probabilities @ self.top_matrix
        top = np.argmax(by_top, axis=1)
        leaf = np.argmax(probabilities, axis=1)
        leaf_probability = probabilities[rows, leaf]
        use_leaf = (self.leaf_top[leaf] == top) & (leaf_probability >= REVIEW_BELOW)
        top_probability = np.minimum(by_top[rows, top], 1.0)
        return [
            (self.labels[int(best)], round(float(p), 4))
            if chosen
            else (self.tops[int(t)], round(float(q), 4))
            for chosen, best, p, t, q in zip(
                use_leaf, leaf, leaf_probability, top, top_probability, strict=True
            )
        ]
