"""Learning from corrections as plain domain code: keys, choices, the winner, the chain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.categorisation.learned import (
    KEPT_CHOICES,
    MAX_CONFIDENCE,
    WINDOW,
    Choice,
    LearnedCategoriser,
    LearnedMerchant,
    confidence,
    decide,
    key_of,
    line_merchant,
    merchant_key,
    remembered,
)
from shared.categorisation.model import (
    EVIDENCE_LENGTH,
    REVIEW_BELOW,
    LineToCategorise,
    Verdict,
    short_evidence,
)
from shared.categorisation.rules import (
    Actions,
    Condition,
    ConditionField,
    Operator,
    Rule,
    RuleCategoriser,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
GROCERIES, RESTAURANTS, PHARMACY = uuid4(), uuid4(), uuid4()
SLUGS = {GROCERIES: "groceries", RESTAURANTS: "restaurants", PHARMACY: "pharmacy"}
NAMES = {GROCERIES: "Mercado", RESTAURANTS: "Restaurantes", PHARMACY: "Farmácia"}


def _choice(category: UUID, days_ago: float, transaction: UUID | None = None) -> Choice:
    return Choice(category, NOW - timedelta(days=days_ago), transaction or uuid4())


def _line(description: str, amount: str = "-10", **fields: object) -> LineToCategorise:
    return LineToCategorise(description=description, amount=Decimal(amount), **fields)  # type: ignore[arg-type]


def _merchant(name: str, *choices: Choice, enabled: bool = True) -> LearnedMerchant:
    return LearnedMerchant(key_of(name), name, enabled, choices)


class _Base:
    """A fallback that remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        self.calls.append([line.description for line in lines])
        return [Verdict("pharmacy", "Base", "base", 0.9, "base says") for _ in lines]


# -- keys ------------------------------------------------------------------------------------


def test_a_stored_merchant_is_keyed_with_accents_case_and_punctuation_folded():
    assert merchant_key("Pão de Açúcar", "whatever") == "pao de acucar"
    assert merchant_key("PAO DE ACUCAR", "") == merchant_key("pão-de-açúcar", "") == "pao de acucar"


def test_without_a_merchant_the_key_is_the_merchant_read_from_the_description():
    assert merchant_key(None, "IFD*PIZZARIA DOM PEPE") == "pizzaria dom pepe"
    assert merchant_key("  ", "COMPRA CARTAO DEB PAO DE ACUCAR SAO PAULO BR") == "pao de acucar"


def test_a_line_is_keyed_as_the_transaction_an_import_would_store_for_it():
    """The merchant an import stores: the bank's name for the other side, or the descriptor's."""
    line = _line("IFD*PIZZARIA DOM PEPE")
    assert key_of(line_merchant(line)) == merchant_key(None, line.description)
    named = _line("PIX ENVIADO", counterparty_name="Maria da Silva")
    assert key_of(line_merchant(named)) == merchant_key("Maria da Silva", "PIX ENVIADO")


def test_nothing_is_keyed_for_text_without_letters_or_digits():
    assert merchant_key("***", "") == ""
    assert key_of("--") == ""


# -- choices ---------------------------------------------------------------------------------


def test_the_most_frequent_recent_choice_wins():
    decision = decide(
        [_choice(GROCERIES, 30), _choice(RESTAURANTS, 20), _choice(GROCERIES, 10)], NOW
    )
    assert decision is not None
    assert (decision.category_id, decision.agreeing, decision.considered) == (GROCERIES, 2, 3)


def test_a_tie_goes_to_the_choice_made_last():
    decision = decide([_choice(GROCERIES, 3), _choice(RESTAURANTS, 1)], NOW)
    assert decision is not None
    assert decision.category_id == RESTAURANTS


def test_only_the_last_choices_within_the_window_count():
    old = [_choice(GROCERIES, WINDOW.days + 1 + n) for n in range(10)]
    decision = decide([*old, _choice(RESTAURANTS, 2)], NOW)
    assert decision is not None
    assert (decision.category_id, decision.considered) == (RESTAURANTS, 1)
    assert decide(old, NOW) is None
    many = [_choice(GROCERIES, 100 + n) for n in range(4)] + [
        _choice(RESTAURANTS, n) for n in range(KEPT_CHOICES)
    ]
    decision = decide(many, NOW)
    assert decision is not None
    assert (decision.category_id, decision.agreeing, decision.considered) == (
        RESTAURANTS,
        KEPT_CHOICES,
        KEPT_CHOICES,
    )


@pytest.mark.parametrize(
    ("agreeing", "considered", "expected", "applied"),
    [
        (1, 1, 0.8, True),
        (2, 2, 0.96, True),
        (3, 3, MAX_CONFIDENCE, True),
        (2, 3, 0.64, True),
        (3, 4, 0.744, True),
        (4, 5, 0.7987, True),
        (1, 2, 0.4, False),
        (2, 4, 0.48, False),
        (3, 5, 0.5952, False),
    ],
)
def test_confidence_grows_with_agreement_and_with_agreeing_choices(
    agreeing, considered, expected, applied
):
    assert confidence(agreeing, considered) == pytest.approx(expected, abs=1e-4)
    assert (confidence(agreeing, considered) >= REVIEW_BELOW) is applied


def test_a_transaction_recategorised_again_keeps_only_its_latest_choice():
    transaction = uuid4()
    first = _choice(GROCERIES, 2, transaction)
    kept = remembered([first, _choice(GROCERIES, 1)], _choice(RESTAURANTS, 0, transaction), NOW)
    assert [choice.category_id for choice in kept] == [GROCERIES, RESTAURANTS]
    assert first not in kept


def test_remembering_keeps_the_newest_choices_within_the_window_oldest_first():
    old = _choice(PHARMACY, WINDOW.days + 5)
    choices = [old] + [_choice(GROCERIES, 10 - n) for n in range(KEPT_CHOICES)]
    kept = remembered(choices, _choice(RESTAURANTS, 0), NOW)
    assert len(kept) == KEPT_CHOICES
    assert old not in kept
    assert kept[-1].category_id == RESTAURANTS
    assert [choice.chosen_at for choice in kept] == sorted(choice.chosen_at for choice in kept)


def test_a_choice_survives_its_json_form():
    choice = _choice(GROCERIES, 1.5)
    assert Choice.from_json(choice.to_json()) == choice
    assert Choice.from_json(Choice(GROCERIES, NOW).to_json()) == Choice(GROCERIES, NOW)


# -- the categoriser -------------------------------------------------------------------------


def test_a_learned_merchant_is_decided_with_evidence_and_the_rest_go_to_the_fallback_at_once():
    base = _Base()
    learned = LearnedCategoriser(
        [_merchant("Pao De Acucar", *(_choice(GROCERIES, n) for n in range(3)))],
        SLUGS,
        NAMES,
        NOW,
        fallback=base,
    )
    lines = [
        _line("PAG*PAO DE ACUCAR 03/12 SAO PAULO BR"),
        _line("DROGA RAIA"),
        _line("PÃO DE AÇÚCAR"),
        _line("PADARIA"),
    ]

    first, drug, second, bakery = learned.categorise(lines)

    assert base.calls == [["DROGA RAIA", "PADARIA"]]
    assert (first.slug, first.source, first.confidence) == ("groceries", "learned", 0.99)
    assert first.evidence == "you chose Mercado for Pao De Acucar 3 of the last 3 times"
    assert first.decided
    assert second.slug == "groceries"
    assert drug == bakery == Verdict("pharmacy", "Base", "base", 0.9, "base says")


def test_choices_that_disagree_leave_the_line_for_review_and_say_why():
    learned = LearnedCategoriser(
        [_merchant("Amazon", _choice(GROCERIES, 2), _choice(PHARMACY, 1))],
        SLUGS,
        NAMES,
        NOW,
        fallback=_Base(),
    )
    [verdict] = learned.categorise([_line("AMAZON")])
    assert (verdict.slug, verdict.source, verdict.confidence) == ("pharmacy", "learned", 0.4)
    assert not verdict.decided
    assert verdict.evidence == "you chose Farmácia for Amazon 1 of the last 2 times"


def test_a_merchant_with_learning_off_or_an_archived_category_decides_nothing():
    base = _Base()
    learned = LearnedCategoriser(
        [
            _merchant("Amazon", _choice(GROCERIES, 1), enabled=False),
            _merchant("Droga Raia", _choice(uuid4(), 1)),  # its category is not there any more
        ],
        SLUGS,
        NAMES,
        NOW,
        fallback=base,
    )
    assert len(learned) == 0
    verdicts = learned.categorise([_line("AMAZON"), _line("DROGA RAIA")])
    assert [verdict.source for verdict in verdicts] == ["base", "base"]
    assert base.calls == [["AMAZON", "DROGA RAIA"]]


def test_without_a_fallback_an_unknown_merchant_is_undecided():
    learned = LearnedCategoriser([], SLUGS, NAMES, NOW)
    [verdict] = learned.categorise([_line("XPTO 4471 ZZ")])
    assert (verdict.slug, verdict.source, verdict.confidence) == (None, "learned", 0.0)
    assert verdict.evidence


def test_in_the_chain_a_rule_wins_over_learning_which_wins_over_the_base():
    """rule → learned → base: the order of the chain."""
    base = _Base()
    learned = LearnedCategoriser(
        [
            _merchant("Uber", _choice(GROCERIES, 1)),
            _merchant("Pao De Acucar", _choice(GROCERIES, 1)),
        ],
        SLUGS,
        NAMES,
        NOW,
        fallback=base,
    )
    rule = Rule(
        uuid4(),
        "Uber",
        0,
        True,
        False,
        (Condition(ConditionField.DESCRIPTION, Operator.CONTAINS, "uber"),),
        Actions(category_id=RESTAURANTS),
    )
    chain = RuleCategoriser([rule], SLUGS, fallback=learned)

    uber, market, other = chain.categorise(
        [_line("UBER"), _line("PAO DE ACUCAR"), _line("DROGA RAIA")]
    )

    assert (uber.slug, uber.source, uber.rule_id) == ("restaurants", "rule", rule.id)
    assert (market.slug, market.source, market.rule_id) == ("groceries", "learned", None)
    assert (other.slug, other.source) == ("pharmacy", "base")
    assert base.calls == [["DROGA RAIA"]]


# -- evidence as a transaction keeps it ------------------------------------------------------


def test_short_evidence_is_kept_as_it_is():
    assert short_evidence("'netflix' names streaming") == "'netflix' names streaming"
    assert short_evidence(None) is None
    assert short_evidence("") is None


def test_long_evidence_is_cut_with_an_ellipsis_never_inside_an_accent():
    decomposed = "e\u0301"  # é as a letter and its combining mark
    text = "x" * (EVIDENCE_LENGTH - 2) + decomposed * 5
    cut = short_evidence(text)
    assert cut is not None
    assert len(cut) <= EVIDENCE_LENGTH
    assert cut.endswith("…")
    assert not cut[:-1].endswith("e")  # the letter went with its mark


def test_control_characters_become_spaces():
    assert short_evidence("rule 'a\x00b'\n\tok") == "rule 'a b' ok"


@given(st.text(max_size=600))
def test_any_evidence_fits_and_holds_no_control_character(text: str) -> None:
    kept = short_evidence(text)
    assert kept is None or (
        0 < len(kept) <= EVIDENCE_LENGTH and "\x00" not in kept and kept.isprintable()
    )
