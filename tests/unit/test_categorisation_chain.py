"""The shipped categoriser: the trained model where it is sure, then the base, then the model's
less sure answer; undecided lines keep what each layer would have said."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from shared.bootstrap import bootstrap
from shared.categorisation.base import BaseCategoriser
from shared.categorisation.chain import MODEL_SURE, Chain, Layer, model_then_base
from shared.categorisation.model import REVIEW_BELOW, LineToCategorise, Verdict
from shared.categorisation.trained import TrainedCategoriser
from shared.settings import Settings


class _Fixed:
    """A categoriser answering from a table of description → (slug, confidence), counting the
    lines it was asked about."""

    def __init__(self, source: str, answers: dict[str, tuple[str | None, float]]) -> None:
        self.source = source
        self.answers = answers
        self.asked: list[list[str]] = []

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        self.asked.append([line.description for line in lines])
        verdicts = []
        for line in lines:
            slug, confidence = self.answers.get(line.description, (None, 0.0))
            verdicts.append(
                Verdict(slug, line.description.title(), self.source, confidence, self.source)
            )
        return verdicts


def _lines(*descriptions: str) -> list[LineToCategorise]:
    return [LineToCategorise(description, Decimal("-10")) for description in descriptions]


def test_each_layer_sees_only_the_lines_still_open_in_one_call() -> None:
    first = _Fixed("model", {"a": ("groceries", 0.95), "b": ("pharmacy", 0.7)})
    second = _Fixed("base", {"b": ("restaurants", 0.8), "c": ("fuel", 0.9)})
    chain = Chain([Layer(first, 0.9), Layer(second, REVIEW_BELOW)])

    verdicts = chain.categorise(_lines("a", "b", "c"))

    assert [(verdict.slug, verdict.source) for verdict in verdicts] == [
        ("groceries", "model"),
        ("restaurants", "base"),
        ("fuel", "base"),
    ]
    assert first.asked == [["a", "b", "c"]]
    assert second.asked == [["b", "c"]]


def test_a_less_sure_answer_is_used_when_no_later_layer_decides() -> None:
    chain = Chain(
        [Layer(_Fixed("model", {"x": ("pharmacy", 0.7)}), 0.9), Layer(_Fixed("base", {}), 0.6)]
    )

    [verdict] = chain.categorise(_lines("x"))

    assert (verdict.slug, verdict.source, verdict.confidence) == ("pharmacy", "model", 0.7)


def test_a_line_nobody_is_sure_of_is_left_for_review_with_every_guess_in_its_evidence() -> None:
    chain = Chain(
        [Layer(_Fixed("model", {"x": ("pharmacy", 0.41)}), 0.9), Layer(_Fixed("base", {}), 0.6)]
    )

    [verdict] = chain.categorise(_lines("x"))

    assert verdict.slug is None
    assert verdict.confidence == 0.41
    assert verdict.merchant == "X"
    assert "model: pharmacy at 0.41" in verdict.evidence
    assert "base: base" in verdict.evidence


def test_no_lines_and_no_layers() -> None:
    assert model_then_base(BaseCategoriser(), BaseCategoriser()).categorise([]) == []
    with pytest.raises(ValueError, match="at least one layer"):
        Chain([])


def test_the_shipped_chain_answers_model_base_or_review_in_that_order() -> None:
    model = TrainedCategoriser()
    chain = model_then_base(model, BaseCategoriser())
    lines = [
        LineToCategorise("IFD*RESTAURANTE SABOR CASEIRO", Decimal("-48.90"), "CARTAO"),
        LineToCategorise("DROGASIL 1234 SAO PAULO", Decimal("-32.10"), "CARTAO"),
        LineToCategorise("@@@ ### !!!", Decimal("-1.00")),
    ]
    nonsense = lines[2]
    model_verdicts = model.categorise(lines)

    verdicts = chain.categorise(lines)

    for line_verdict, model_verdict in zip(verdicts, model_verdicts, strict=True):
        if model_verdict.slug is not None and model_verdict.confidence >= MODEL_SURE:
            assert line_verdict == model_verdict
        else:
            assert line_verdict.source in {"base", "model"}
            assert line_verdict.evidence
    assert all(verdict.merchant is not None for verdict in verdicts)
    assert verdicts[lines.index(nonsense)].slug is None
    assert "model: no word it was trained on" in verdicts[lines.index(nonsense)].evidence
    assert "base: no known merchant or word" in verdicts[lines.index(nonsense)].evidence


def test_the_container_runs_the_model_then_the_base(tmp_path: Path) -> None:
    container = bootstrap(Settings(home=tmp_path))
    try:
        assert isinstance(container.categoriser, Chain)
    finally:
        container.close()


def test_without_the_artefact_the_base_decides_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "none.onnx"
    container = bootstrap(Settings(home=tmp_path, categoriser_model=missing))
    try:
        assert isinstance(container.categoriser, BaseCategoriser)
    finally:
        container.close()
    assert str(missing) in caplog.text
