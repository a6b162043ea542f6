"""Categorisers in order of trust: each decides the lines it is sure of, the next sees the rest.

The shipped chain is the trained model, then the built-in base (``fluxo ml evaluate-categoriser``
measures it): the model where it is very sure, the base where a known merchant or keyword names
the line, and the model's less sure answer where the base knows nothing. A tenant's rules and
what it taught by correcting lines sit in front of this chain, as its ``fallback``.

A line no layer is sure enough of stays undecided (``slug`` None, for review), its evidence
saying what each layer would have said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.categorisation.model import REVIEW_BELOW, LineToCategorise, Verdict
from shared.ports import Categoriser

MODEL_SURE = 0.9
"""The model's answers at least this sure come before the base's lexicon: on held-out merchants
they are right more often than the base (docs/ml.md)."""


@dataclass(frozen=True)
class Layer:
    categoriser: Categoriser
    sure: float
    """A verdict at least this confident is final; a less confident one is kept as a candidate
    for the lines no later layer decides."""


class Chain:
    """A ``Categoriser`` asking its layers in order, each one only about the lines still open:
    one batched call per layer."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        if not layers:
            raise ValueError("a chain needs at least one layer")
        self._layers = tuple(layers)

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        decided: list[Verdict | None] = [None] * len(lines)
        candidates: dict[int, list[Verdict]] = {}
        open_lines: Sequence[int] = range(len(lines))
        for layer in self._layers:
            if not open_lines:
                break
            verdicts = layer.categoriser.categorise([lines[index] for index in open_lines])
            still_open = []
            for index, verdict in zip(open_lines, verdicts, strict=True):
                if verdict.slug is not None and verdict.confidence >= layer.sure:
                    decided[index] = verdict
                else:
                    candidates.setdefault(index, []).append(verdict)
                    still_open.append(index)
            open_lines = still_open
        for index in open_lines:
            decided[index] = _settle(candidates[index])
        return [verdict for verdict in decided if verdict is not None]


def _settle(candidates: Sequence[Verdict]) -> Verdict:
    """The first candidate sure enough to apply; otherwise an undecided verdict that keeps the
    most confident guess in its evidence."""
    for verdict in candidates:
        if verdict.slug is not None and verdict.confidence >= REVIEW_BELOW:
            return verdict
    guess = max(candidates, key=lambda verdict: verdict.confidence)
    said = "; ".join(_said(verdict) for verdict in candidates)
    return Verdict(None, guess.merchant, guess.source, guess.confidence, f"not sure enough: {said}")


def _said(verdict: Verdict) -> str:
    if verdict.slug is None:
        return f"{verdict.source}: {verdict.evidence.removeprefix(verdict.source + ': ')}"
    return f"{verdict.source}: {verdict.slug} at {verdict.confidence:.2f}"


def model_then_base(model: Categoriser, base: Categoriser) -> Chain:
    return Chain([Layer(model, MODEL_SURE), Layer(base, REVIEW_BELOW)])
