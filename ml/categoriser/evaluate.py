"""Top-level accuracy and macro-F1 of the trained categoriser and of the base, on held-out
merchants. Runs the ONNX artefact with onnxruntime only (no TensorFlow)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.categoriser.dataset import DataConfig, Example, heldout_only, top_level
from shared.categorisation.base import BaseCategoriser
from shared.categorisation.chain import MODEL_SURE, model_then_base
from shared.categorisation.model import REVIEW_BELOW
from shared.categorisation.trained import TrainedCategoriser


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    rows: int
    classes: dict[str, ClassScore] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "rows": self.rows,
        }


@dataclass(frozen=True)
class Report:
    model: Scores
    base: Scores
    chain: Scores
    """The categoriser as shipped: the model where it is sure, the base where it knows the
    merchant or a word, the model's less sure answer elsewhere (``model_then_base``)."""
    applied_share: float
    """Lines the model is sure enough of to categorise (confidence ≥ ``REVIEW_BELOW``)."""
    applied_accuracy: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "heldout_rows": self.model.rows,
            "model": self.model.as_dict(),
            "base": self.base.as_dict(),
            "chain": self.chain.as_dict(),
            "model_applied_share": round(self.applied_share, 4),
            "model_applied_accuracy": round(self.applied_accuracy, 4),
            "per_category": {
                name: {
                    "support": score.support,
                    "model_f1": round(score.f1, 4),
                    "base_f1": round(self.base.classes[name].f1, 4),
                    "chain_f1": round(self.chain.classes[name].f1, 4),
                }
                for name, score in self.model.classes.items()
            },
        }

    def summary(self) -> str:
        return (
            f"accuracy={self.chain.accuracy:.4f} macro_f1={self.chain.macro_f1:.4f} "
            f"base_accuracy={self.base.accuracy:.4f} heldout_rows={self.model.rows}"
        )


def score(truth: Sequence[str], predicted: Sequence[str | None]) -> Scores:
    """Accuracy, and F1 per category of the truth (macro: their plain mean). A prediction of
    nothing (the base's undecided lines) is a miss."""
    if not truth:
        return Scores(0.0, 0.0, 0)
    hits = Counter(t for t, p in zip(truth, predicted, strict=True) if t == p)
    said = Counter(p for p in predicted if p is not None)
    support = Counter(truth)
    classes = {}
    for name in sorted(support):
        precision = hits[name] / said[name] if said[name] else 0.0
        recall = hits[name] / support[name]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes[name] = ClassScore(precision, recall, f1, support[name])
    accuracy = sum(hits.values()) / len(truth)
    macro = sum(score.f1 for score in classes.values()) / len(classes)
    return Scores(accuracy, macro, len(truth), classes)


def evaluate_lines(categoriser: TrainedCategoriser, examples: Sequence[Example]) -> Report:
    lines = [example.line for example in examples]
    truth = [top_level(example.label) or "" for example in examples]
    started = time.perf_counter()
    verdicts = categoriser.categorise(lines)
    seconds = time.perf_counter() - started
    predicted = [top_level(verdict.slug) for verdict in verdicts]
    base_categoriser = BaseCategoriser()
    base = [top_level(verdict.slug) for verdict in base_categoriser.categorise(lines)]
    chain = [
        top_level(verdict.slug)
        for verdict in model_then_base(categoriser, base_categoriser).categorise(lines)
    ]
    applied = [
        (t, p)
        for t, p, verdict in zip(truth, predicted, verdicts, strict=True)
        if verdict.confidence >= REVIEW_BELOW
    ]
    return Report(
        model=score(truth, predicted),
        base=score(truth, base),
        chain=score(truth, chain),
        applied_share=len(applied) / len(truth) if truth else 0.0,
        applied_accuracy=sum(t == p for t, p in applied) / len(applied) if applied else 0.0,
        seconds=seconds,
    )


def evaluate_artefact(model: Path) -> Report:
    """The held-out merchants recorded in the artefact, regenerated and scored."""
    categoriser = TrainedCategoriser(model)
    heldout = categoriser.metadata["heldout"]
    config = DataConfig(**heldout["data"])
    return evaluate_lines(categoriser, heldout_only(config, heldout["merchants"]))


def format_report(report: Report) -> str:
    header = (
        f"{'category':<16} {'rows':>5}  {'model P':>7} {'R':>5} {'F1':>5}  {'base F1':>7}"
        f"  {'chain F1':>8}"
    )
    lines = [header, "-" * len(header)]
    for name, model in report.model.classes.items():
        base = report.base.classes[name]
        lines.append(
            f"{name:<16} {model.support:>5}  {model.precision:>7.3f} {model.recall:>5.3f} "
            f"{model.f1:>5.3f}  {base.f1:>7.3f}  {report.chain.classes[name].f1:>8.3f}"
        )
    lines.append("-" * len(header))
    lines.append(
        f"model: accuracy {report.model.accuracy:.4f}, macro-F1 {report.model.macro_f1:.4f}; "
        f"sure enough to apply (>= {REVIEW_BELOW}) on {report.applied_share:.1%} of the lines, "
        f"{report.applied_accuracy:.1%} right there"
    )
    lines.append(f"base:  accuracy {report.base.accuracy:.4f}, macro-F1 {report.base.macro_f1:.4f}")
    lines.append(
        f"chain (model if >= {MODEL_SURE}, then base, then the model's less sure answer): "
        f"accuracy {report.chain.accuracy:.4f}, macro-F1 {report.chain.macro_f1:.4f}"
    )
    lines.append(report.summary())
    return "\n".join(lines)
