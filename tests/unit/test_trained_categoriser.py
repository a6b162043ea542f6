"""The trained categoriser as the API and the import Lambdas run it: the shipped ONNX artefact,
onnxruntime and numpy, no TensorFlow."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.categorisation.model import REVIEW_BELOW, LineToCategorise
from shared.categorisation.trained import (
    DEFAULT_MODEL,
    FEATURE_VERSION,
    SOURCE,
    Featuriser,
    ModelUnavailable,
    TrainedCategoriser,
)
from shared.domain.taxonomy import PARENT_OF

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def categoriser() -> TrainedCategoriser:
    return TrainedCategoriser()


def _line(
    description: str, amount: str = "-42.50", kind: str | None = "CARTAO"
) -> LineToCategorise:
    return LineToCategorise(description, Decimal(amount), kind)


def _top(slug: str | None) -> str | None:
    return (PARENT_OF.get(slug) or slug) if slug else None


def test_the_shipped_artefact_is_the_one_its_metadata_describes() -> None:
    metadata = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))

    assert metadata["onnx_sha256"] == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    assert metadata["features"]["version"] == FEATURE_VERSION
    assert set(metadata["labels"]) <= set(PARENT_OF)
    assert DEFAULT_MODEL.stat().st_size < 8_000_000


@pytest.mark.parametrize(
    ("description", "amount", "kind", "top"),
    [
        ("AUTO POSTO BOA VIAGEM RECIFE BR", "-180.00", "CARTAO", "transport"),
        ("PADARIA NOVA ESPERANCA", "-18.40", "CARTAO", "groceries"),
        ("DROGARIA POPULAR", "-63.90", "CARTAO", "health"),
        ("PIX ENVIADO JOANA M", "-150.00", "PIX", "transfers"),
        ("PIX RECEBIDO RICARDO T", "80.00", "PIX", "transfers"),
        ("PAG BOLETO ALUGUEL IMOBILIARIA SOL", "-2300.00", "BOLETO", "housing"),
        ("ESTORNO LOJAS MODA BELLA", "120.00", "CARTAO", "income"),
        ("IOF COMPRA INTERNACIONAL", "-3.12", "TARIFA", "fees_taxes"),
    ],
)
def test_lines_of_merchants_it_never_saw_go_to_their_category(
    categoriser: TrainedCategoriser, description: str, amount: str, kind: str, top: str
) -> None:
    (verdict,) = categoriser.categorise([_line(description, amount, kind)])

    assert _top(verdict.slug) == top, verdict


def test_a_verdict_says_who_decided_how_sure_and_why(categoriser: TrainedCategoriser) -> None:
    (verdict,) = categoriser.categorise([_line("IFD*PIZZARIA DO BAIRRO", "-58.00")])

    assert verdict.source == SOURCE == "model"
    assert verdict.slug in PARENT_OF
    assert 0.0 <= verdict.confidence <= 1.0
    assert verdict.evidence == f"model: {verdict.confidence:.2f} for {verdict.slug}"
    assert verdict.merchant == "Pizzaria do Bairro"


def test_the_counterparty_names_the_merchant_when_the_bank_gives_one(
    categoriser: TrainedCategoriser,
) -> None:
    line = LineToCategorise("PIX ENVIADO", Decimal("-35"), "PIX", counterparty_name="Ana Souza")

    (verdict,) = categoriser.categorise([line])

    assert verdict.merchant == "Ana Souza"


@pytest.mark.parametrize(
    "description",
    [
        "",
        "   ",
        "☕ CAFÉ DA ESQUINA 😀",
        "北京烤鸭 RESTAURANTE",
        "PÃO DE AÇÚCAR SÃO JOSÉ",
        "\x00\t\n",
        "X" * 10_000,
        "PADARIA " * 1_250,
    ],
)
def test_any_description_gets_a_verdict(categoriser: TrainedCategoriser, description: str) -> None:
    (verdict,) = categoriser.categorise([_line(description)])

    assert verdict.slug is None or verdict.slug in PARENT_OF
    assert 0.0 <= verdict.confidence <= 1.0
    assert verdict.evidence


@pytest.mark.parametrize(
    ("description", "amount"),
    [("@@@", "-1.00"), ("XPTO 4471 ZZ", "-10.00"), ("QWERTY", "1500.00"), ("", "-35.00")],
)
def test_a_line_without_a_word_it_was_trained_on_is_left_for_review(
    categoriser: TrainedCategoriser, description: str, amount: str
) -> None:
    """The amount alone makes the model sound sure (the demo's amounts are typical of their
    categories); that is not a reason to file a line."""
    (verdict,) = categoriser.categorise([_line(description, amount, None)])

    assert verdict.slug is None
    assert "no word it was trained on" in verdict.evidence


def test_the_artefact_records_the_words_it_was_trained_on(
    categoriser: TrainedCategoriser,
) -> None:
    words = categoriser.metadata["features"]["words"]

    assert words == sorted(set(words))
    assert {"padaria", "supermercado", "pix"} <= set(words)
    assert not [word for word in words if len(word) <= 2 or word.startswith("#")]


def test_no_lines_no_verdicts(categoriser: TrainedCategoriser) -> None:
    assert categoriser.categorise([]) == []
    assert categoriser.probabilities([]).shape == (0, len(categoriser.labels))


def test_a_big_batch_answers_in_order_as_lines_one_by_one_would(
    categoriser: TrainedCategoriser,
) -> None:
    samples = [
        _line("SUPERMERCADO IDEAL", "-230.10"),
        _line("PIX RECEBIDO CARLA F", "50.00", "PIX"),
        _line("DEB AUT COMPANHIA DE AGUA", "-88.70", "DEBITO"),
    ]
    lines = [samples[number % 3] for number in range(10_000)]

    verdicts = categoriser.categorise(lines)

    assert len(verdicts) == len(lines)
    one_by_one = [categoriser.categorise([line])[0] for line in samples]
    assert verdicts[:3] == one_by_one
    assert verdicts[9_999] == one_by_one[0]


def test_probabilities_are_a_distribution_over_its_labels(
    categoriser: TrainedCategoriser,
) -> None:
    probabilities = categoriser.probabilities([_line("ACADEMIA CORPO LIVRE"), _line("")])

    assert probabilities.shape == (2, len(categoriser.labels))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)


def test_a_leaf_is_named_when_sure_the_top_level_when_only_its_family_is_sure(
    categoriser: TrainedCategoriser,
) -> None:
    labels = list(categoriser.labels)
    sure = np.zeros(len(labels), dtype=np.float32)
    sure[labels.index("coffee")] = 0.9
    sure[labels.index("bakery")] = 0.1
    split = np.zeros(len(labels), dtype=np.float32)
    split[labels.index("coffee")] = 0.45
    split[labels.index("dining_out")] = 0.4
    split[labels.index("bakery")] = 0.15

    decided = categoriser._load().decide(np.stack([sure, split]))

    assert decided[0] == ("coffee", 0.9)
    assert decided[1][0] == "restaurants"
    assert decided[1][1] == pytest.approx(0.85, abs=1e-4)
    assert decided[1][1] >= REVIEW_BELOW


@settings(max_examples=60, deadline=None)
@given(
    description=st.text(max_size=400),
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    kind=st.one_of(st.none(), st.sampled_from(["PIX", "CARTAO", "boleto", "??", ""])),
    mcc=st.one_of(st.none(), st.text(max_size=6)),
)
def test_whatever_the_line_the_verdict_is_well_formed(
    categoriser: TrainedCategoriser, description: str, cents: int, kind: str | None, mcc: str | None
) -> None:
    line = LineToCategorise(description, Decimal(cents).scaleb(-2), kind, mcc)

    (verdict,) = categoriser.categorise([line])

    assert verdict.slug is None or verdict.slug in PARENT_OF
    assert 0.0 <= verdict.confidence <= 1.0


def test_features_are_the_same_in_every_process() -> None:
    """Training and inference share the featuriser: its hash must not depend on the process
    (no ``hash()``, whose seed changes), so a golden value guards it."""
    featuriser = Featuriser(buckets=1 << 15, max_features=128)
    line = _line("PAG*PadariaDoZe SAO PAULO BR", "-12.90")

    first = featuriser.features(line)

    assert first == featuriser.features(line)
    # "w:pag", the first of the description's seven words: CRC-32 0xE987154A.
    assert first[0] == (26716, pytest.approx(1 / 7))
    assert 1 + 0xE987154A % ((1 << 15) - 1) == 26716
    ids, weights = featuriser.transform([line, _line("")])
    assert ids.dtype == np.int32
    assert weights.dtype == np.float32
    assert ids.shape == weights.shape == (2, 128)
    assert (ids[1] > 0).sum() == (weights[1] > 0).sum()


def test_a_missing_artefact_is_reported_when_first_needed(tmp_path: Path) -> None:
    categoriser = TrainedCategoriser(tmp_path / "nothing.onnx")  # nothing is read yet

    with pytest.raises(ModelUnavailable, match="fluxo ml train-categoriser"):
        categoriser.categorise([_line("PADARIA")])


def test_an_artefact_of_other_features_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "categoriser.onnx"
    shutil.copy(DEFAULT_MODEL, model)
    metadata = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    metadata["features"]["version"] = FEATURE_VERSION + 1
    model.with_suffix(".json").write_text(json.dumps(metadata), encoding="utf-8")

    with pytest.raises(ModelUnavailable, match="retrain"):
        TrainedCategoriser(model).categorise([_line("PADARIA")])


def test_predicting_never_imports_tensorflow() -> None:
    probe = (
        "import sys\n"
        "from decimal import Decimal\n"
        "from shared.categorisation.model import LineToCategorise\n"
        "from shared.categorisation.trained import TrainedCategoriser\n"
        "TrainedCategoriser().categorise([LineToCategorise('PADARIA', Decimal('-5'))])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("amount", ["1e-400", "-1e-400", "1e400", "-1e400", "-0.001"])
def test_amounts_a_float_cannot_hold_are_read_as_the_smallest_or_largest(
    categoriser: TrainedCategoriser, amount: str
) -> None:
    (verdict,) = categoriser.categorise([_line("PADARIA PAO QUENTE", amount)])

    assert 0.0 <= verdict.confidence <= 1.0
