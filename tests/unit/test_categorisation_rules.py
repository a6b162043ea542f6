"""A tenant's rules as plain domain code: matching, order, stop-processing, safe patterns."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.categorisation.model import LineToCategorise, Verdict
from shared.categorisation.rules import (
    MATCHED_TEXT,
    MAX_PATTERN_LENGTH,
    OWN_ACCOUNTS,
    Actions,
    Condition,
    ConditionField,
    Narrowing,
    Operator,
    Rule,
    RuleCategoriser,
    Subject,
    compile_pattern,
    decide,
    definition_issues,
    pattern_problem,
)

F, O = ConditionField, Operator  # noqa: E741 - short names keep the tables readable
FOOD, TRANSPORT = uuid4(), uuid4()
SLUGS = {FOOD: "restaurants", TRANSPORT: "transport"}


def _rule(
    name: str,
    *conditions: Condition,
    position: int = 0,
    enabled: bool = True,
    stop: bool = False,
    **actions: object,
) -> Rule:
    return Rule(uuid4(), name, position, enabled, stop, conditions, Actions(**actions))  # type: ignore[arg-type]


def _subject(description: str = "", amount: str = "-10.00", **fields: object) -> Subject:
    return Subject(description=description, amount=Decimal(amount), **fields)  # type: ignore[arg-type]


def _matches(condition: Condition, subject: Subject) -> bool:
    return _rule("r", condition, tags=("t",)).matches(subject)


# -- each kind of condition -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "description", "expected"),
    [
        (O.CONTAINS, "sao joao", "PADARIA SÃO JOÃO LTDA", True),
        (O.CONTAINS, "São João", "padaria sao joao", True),
        (O.CONTAINS, "UBER", "PAG*Uber Trip", True),
        (O.CONTAINS, "uber eats", "UBER TRIP", False),
        (O.EQUALS, "netflix com", "NETFLIX.COM", True),
        (O.EQUALS, "netflix", "NETFLIX.COM", False),
        (O.STARTS_WITH, "pix enviado", "PIX ENVIADO - MARIA", True),
        (O.STARTS_WITH, "enviado", "PIX ENVIADO - MARIA", False),
        (O.REGEX, r"^IFD\*", "IFD*PIZZARIA DOM PEPE", True),
        (O.REGEX, r"^IFD\*", "IFD PIZZARIA", False),
        (O.REGEX, r"\bsão paulo\b", "UBER *TRIP SAO PAULO BR", True),
        (O.REGEX, r"parc(ela)? \d+/\d+", "LOJA X PARCELA 3/10", True),
    ],
)
def test_given_a_text_condition_when_matched_then_accents_and_case_do_not_matter(
    operator, value, description, expected
):
    condition = Condition(F.DESCRIPTION, operator, value)
    assert _matches(condition, _subject(description)) is expected


def test_given_a_merchant_condition_then_it_reads_the_counterparty_or_else_the_descriptor():
    condition = Condition(F.MERCHANT, O.EQUALS, "pizzaria dom pepe")
    assert _matches(condition, _subject("IFD*PIZZARIA DOM PEPE SALVADOR BR"))
    assert _matches(condition, _subject("PIX ENVIADO", merchant_name="Pizzaria Dom Pepe"))
    assert not _matches(condition, _subject("IFD*PIZZARIA DOM PEPE", merchant_name="Outra"))


@pytest.mark.parametrize(
    ("low", "high", "amount", "expected"),
    [
        ("-100", "-50", "-50.00", True),
        ("-100", "-50", "-100.00", True),
        ("-100", "-50", "-49.99", False),
        ("-100", "-50", "75.00", False),
        (None, "0", "-0.01", True),
        ("1000", None, "999.99", False),
    ],
)
def test_given_an_amount_between_then_both_bounds_are_included_and_amounts_are_signed(
    low, high, amount, expected
):
    condition = Condition(
        F.AMOUNT,
        O.BETWEEN,
        min=None if low is None else Decimal(low),
        max=None if high is None else Decimal(high),
    )
    assert _matches(condition, _subject("X", amount)) is expected


@pytest.mark.parametrize(
    ("sign", "amount", "expected"),
    [
        ("credit", "10", True),
        ("credit", "-10", False),
        ("debit", "-10", True),
        ("debit", "0", False),
        ("credit", "0", False),
    ],
)
def test_given_a_sign_condition_then_zero_is_neither(sign, amount, expected):
    assert _matches(Condition(F.AMOUNT, O.SIGN, sign), _subject("X", amount)) is expected


def test_given_account_conditions_then_equals_and_in_compare_ids():
    mine, other = uuid4(), uuid4()
    assert _matches(Condition(F.ACCOUNT, O.EQUALS, str(mine)), _subject(account_id=mine))
    assert not _matches(Condition(F.ACCOUNT, O.EQUALS, str(mine)), _subject(account_id=other))
    both = Condition(F.ACCOUNT, O.IN, values=(str(other), str(mine).upper()))
    assert _matches(both, _subject(account_id=mine))
    assert not _matches(both, _subject())


def test_given_a_type_condition_then_case_does_not_matter():
    condition = Condition(F.TYPE, O.IN, values=("pix", "TED"))
    assert _matches(condition, _subject(type="PIX"))
    assert _matches(condition, _subject(type="ted"))
    assert not _matches(condition, _subject(type="BOLETO"))
    assert not _matches(condition, _subject(type=None))


def test_given_a_document_condition_then_punctuation_does_not_matter():
    condition = Condition(F.COUNTERPARTY_DOCUMENT, O.EQUALS, "123.456.789-09")
    assert _matches(condition, _subject(counterparty_document="12345678909"))
    assert not _matches(condition, _subject(counterparty_document="12345678900"))
    assert not _matches(condition, _subject())


def test_given_an_mcc_condition_then_it_compares_the_code():
    condition = Condition(F.MCC, O.IN, values=("5812", "5814"))
    assert _matches(condition, _subject(mcc="5814"))
    assert not _matches(condition, _subject(mcc="5411"))
    assert not _matches(condition, _subject())


def test_given_several_conditions_then_all_must_hold():
    rule = _rule(
        "ifood",
        Condition(F.DESCRIPTION, O.CONTAINS, "ifd"),
        Condition(F.AMOUNT, O.SIGN, "debit"),
        tags=("delivery",),
    )
    assert rule.matches(_subject("IFD*X", "-10"))
    assert not rule.matches(_subject("IFD*X", "10"))
    assert not rule.matches(_subject("OUTRA", "-10"))


def test_a_rule_without_conditions_matches_nothing():
    assert not _rule("empty", tags=("x",)).matches(_subject("anything"))


# -- empty, long and any Unicode text --------------------------------------------------------


def test_given_an_empty_description_then_rules_run_without_matching_text():
    rules = [
        _rule("c", Condition(F.DESCRIPTION, O.CONTAINS, "uber"), tags=("a",)),
        _rule("r", Condition(F.DESCRIPTION, O.REGEX, "^$"), tags=("empty",)),
        _rule("m", Condition(F.MERCHANT, O.STARTS_WITH, "x"), tags=("b",)),
    ]
    outcome = decide(rules, _subject(""))
    assert outcome is not None
    assert outcome.tags == ("empty",)


def test_given_a_10000_character_description_then_only_its_first_1000_are_read():
    early = "UBER TRIP " + "x" * 9_990
    late = "x" * 9_990 + " UBER TRIP"
    rule = _rule("uber", Condition(F.DESCRIPTION, O.CONTAINS, "uber trip"), tags=("t",))
    pattern = _rule("uber", Condition(F.DESCRIPTION, O.REGEX, r"uber\s+trip"), tags=("t",))
    assert len(early) == len(late) == 10_000
    assert rule.matches(_subject(early))
    assert pattern.matches(_subject(early))
    assert not rule.matches(_subject(late))
    assert not pattern.matches(_subject(late))


@settings(max_examples=200, deadline=None)
@given(description=st.text(max_size=2_000), amount=st.decimals(-(10**9), 10**9, places=2))
def test_given_any_unicode_description_then_matching_answers_without_error(description, amount):
    rules = [
        _rule("a", Condition(F.DESCRIPTION, O.CONTAINS, "são"), category_id=FOOD),
        _rule("b", Condition(F.DESCRIPTION, O.REGEX, r"\w+\s?\d{2}"), tags=("x",)),
        _rule("c", Condition(F.MERCHANT, O.EQUALS, "ção"), merchant="C"),
        _rule("d", Condition(F.AMOUNT, O.BETWEEN, min=Decimal(-5), max=Decimal(5)), tags=("s",)),
    ]
    line = LineToCategorise(description=description, amount=amount)
    [verdict] = RuleCategoriser(rules, SLUGS).categorise([line])
    assert verdict.source == "rule"


# -- order, first decision, stop-processing ------------------------------------------------


UBER = Condition(F.DESCRIPTION, O.CONTAINS, "uber")
EATS = Condition(F.DESCRIPTION, O.CONTAINS, "uber eats")


def test_given_two_matching_rules_then_the_first_decides_and_tags_add_up():
    rules = [
        _rule("eats", EATS, position=0, category_id=FOOD, tags=("delivery",), merchant="Uber Eats"),
        _rule("uber", UBER, position=1, category_id=TRANSPORT, tags=("uber",), merchant="Uber"),
    ]
    outcome = decide(rules, _subject("UBER EATS PEDIDO"))
    assert outcome is not None
    assert (outcome.category_id, outcome.category_rule) == (FOOD, "eats")
    assert outcome.merchant == "Uber Eats"
    assert outcome.tags == ("delivery", "uber")
    assert outcome.matched == ("eats", "uber")


def test_given_a_first_rule_that_only_tags_then_a_later_rule_still_decides_the_category():
    rules = [
        _rule("tag", UBER, tags=("uber",)),
        _rule("cat", UBER, position=1, category_id=TRANSPORT),
    ]
    outcome = decide(rules, _subject("UBER TRIP"))
    assert outcome is not None
    assert (outcome.category_id, outcome.category_rule, outcome.tags) == (
        TRANSPORT,
        "cat",
        ("uber",),
    )


def test_given_stop_processing_then_no_later_rule_applies():
    rules = [
        _rule("eats", EATS, position=0, stop=True, category_id=FOOD, tags=("delivery",)),
        _rule("uber", UBER, position=1, tags=("uber",)),
    ]
    outcome = decide(rules, _subject("UBER EATS"))
    assert outcome is not None
    assert (outcome.tags, outcome.matched) == (("delivery",), ("eats",))
    # A stop rule that does not match stops nothing.
    later = decide(rules, _subject("UBER TRIP"))
    assert later is not None
    assert later.tags == ("uber",)


def test_given_no_matching_rule_then_there_is_no_outcome():
    assert decide([_rule("uber", UBER, tags=("u",))], _subject("PADARIA")) is None


# -- the categoriser -------------------------------------------------------------------------


class _Base:
    """A fallback that remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        self.calls.append([line.description for line in lines])
        return [Verdict("groceries", "Base", "base", 0.9, "base says") for _ in lines]


def _line(description: str, amount: str = "-10", **fields: object) -> LineToCategorise:
    return LineToCategorise(description=description, amount=Decimal(amount), **fields)  # type: ignore[arg-type]


def test_given_rules_and_a_base_then_rule_verdicts_win_and_the_rest_go_to_the_base_at_once():
    base = _Base()
    rules = [
        _rule("eats", EATS, category_id=FOOD, tags=("delivery",)),
        _rule("tag", Condition(F.DESCRIPTION, O.CONTAINS, "mercado"), tags=("feira",)),
        _rule("off", UBER, enabled=False, category_id=TRANSPORT),
    ]
    lines = [_line("UBER EATS"), _line("UBER TRIP"), _line("MERCADO DO ZE"), _line("PADARIA")]

    verdicts = RuleCategoriser(rules, SLUGS, fallback=base).categorise(lines)

    assert base.calls == [["UBER TRIP", "MERCADO DO ZE", "PADARIA"]]
    eats, trip, market, bakery = verdicts
    assert (eats.slug, eats.source, eats.confidence, eats.tags) == (
        "restaurants",
        "rule",
        1.0,
        ("delivery",),
    )
    assert "'eats'" in eats.evidence
    assert trip == Verdict("groceries", "Base", "base", 0.9, "base says")
    assert (market.slug, market.source, market.tags) == ("groceries", "base", ("feira",))
    assert "'tag'" in market.evidence
    assert bakery.tags == ()


def test_given_a_rule_renaming_the_merchant_then_the_verdict_carries_the_override():
    rules = [_rule("rename", UBER, merchant="Uber Brasil", category_id=TRANSPORT)]
    [verdict] = RuleCategoriser(rules, SLUGS).categorise(
        [_line("UBER *TRIP", counterparty_name="X")]
    )
    assert (verdict.merchant, verdict.merchant_override) == ("Uber Brasil", "Uber Brasil")


def test_given_an_own_transfer_rule_then_the_slug_is_own_accounts():
    rules = [
        _rule(
            "mine", Condition(F.COUNTERPARTY_DOCUMENT, O.EQUALS, "12345678909"), own_transfer=True
        )
    ]
    [verdict] = RuleCategoriser(rules, SLUGS).categorise(
        [_line("PIX ENVIADO", counterparty_document="123.456.789-09")]
    )
    assert (verdict.slug, verdict.source) == (OWN_ACCOUNTS, "rule")


def test_given_a_rule_whose_category_is_gone_then_the_base_decides():
    base = _Base()
    rules = [_rule("gone", UBER, category_id=uuid4(), tags=("u",))]
    [verdict] = RuleCategoriser(rules, SLUGS, fallback=base).categorise([_line("UBER")])
    assert (verdict.slug, verdict.source, verdict.tags) == ("groceries", "base", ("u",))


def test_given_no_base_then_undecided_lines_stay_undecided():
    [verdict] = RuleCategoriser([_rule("t", UBER, tags=("u",))], SLUGS).categorise([_line("UBER")])
    assert (verdict.slug, verdict.confidence, verdict.tags) == (None, 0.0, ("u",))


def test_given_an_account_rule_then_the_lines_account_is_read():
    account = uuid4()
    rules = [_rule("acc", Condition(F.ACCOUNT, O.EQUALS, str(account)), category_id=FOOD)]
    categoriser = RuleCategoriser(rules, SLUGS)
    [mine, other] = categoriser.categorise(
        [_line("X", account_id=account), _line("X", account_id=uuid4())]
    )
    assert (mine.slug, other.slug) == ("restaurants", None)


# -- regular expressions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a+)+$", "nested"),
        ("(a*)*b", "nested"),
        ("(a|aa)+$", "nested"),
        (r"(\w+\s?)*$", "nested"),
        (r"(?:\d+,?)+x", "nested"),
        (r"\s*\s*x$", "too long"),
        (r".*a.*b", "too long"),
        ("a?" * 25 + "a" * 25, "too long"),
        (r"(\d+)\1", "backreference"),
        ("(?P<x>a)(?P=x)", "backreference"),
        ("(a)?(?(1)b|c)", "conditional"),
        ("[", "not a valid"),
        ("a{2,1}", "not a valid"),
        ("(?x)a b", "flags"),
        ("a" * (MAX_PATTERN_LENGTH + 1), "characters"),
    ],
)
def test_given_a_risky_or_broken_pattern_then_it_is_refused_with_a_reason(pattern, reason):
    problem = pattern_problem(pattern)
    assert problem is not None
    assert reason in problem
    assert compile_pattern(pattern) is None


SAFE = [
    r"^IFD\*",
    r"uber\s*trip",
    r"^PIX.*MERCADO.*",
    r"(?:pix|ted)\s+enviad[oa]",
    r"(?:\.\d{3})*,\d{2}$",
    r"\d{2}/\d{2}/\d{4}",
    r"parc(?:ela)? ?\d{1,2}/\d{1,2}",
    r"parc(ela)? \d+/\d+",
    r"uber\s*\*?\s?trip",
    r"\d+[.,]\d{2}$",
    r"^\s*\s*x$",
    "caf[eé]",
    r"(?i)netflix|spotify|disney\+",
    "a" * MAX_PATTERN_LENGTH,
]
ADVERSARIAL = [
    " " * 10_000,
    "a" * 10_000,
    "1" * 10_000 + "!",
    "PIX" + " " * 9_997,
    "pix " * 2_500,
    "uber " * 2_000,
    ".123" * 2_500,
    "x" * 10_000,
]


@pytest.mark.parametrize("pattern", SAFE)
def test_given_an_accepted_pattern_then_no_text_takes_long_to_search(pattern):
    assert pattern_problem(pattern) is None
    rule = _rule("p", Condition(F.DESCRIPTION, O.REGEX, pattern), tags=("t",))
    for text in ADVERSARIAL:
        started = time.perf_counter()
        rule.matches(_subject(text))
        assert time.perf_counter() - started < 0.5, (pattern, text[:10])


def test_the_bound_on_searched_text_is_what_the_estimate_assumes():
    assert len(_subject("é" * 5_000).plain_description) == MATCHED_TEXT
    compiled = compile_pattern(r"^IFD\*")
    assert isinstance(compiled, re.Pattern)


# -- validation ------------------------------------------------------------------------------


def _locations(conditions: Sequence[Condition], actions: Actions) -> dict[tuple, str]:  # type: ignore[type-arg]
    return {issue.location: issue.message for issue in definition_issues(conditions, actions)}


TAGS = Actions(tags=("t",))


@pytest.mark.parametrize(
    ("condition", "where"),
    [
        (Condition(F.AMOUNT, O.CONTAINS, "1"), "operator"),
        (Condition(F.DESCRIPTION, O.BETWEEN, min=Decimal(1)), "operator"),
        (Condition(F.DESCRIPTION, O.CONTAINS), "value"),
        (Condition(F.DESCRIPTION, O.CONTAINS, "***"), "value"),
        (Condition(F.DESCRIPTION, O.CONTAINS, "x" * 501), "value"),
        (Condition(F.DESCRIPTION, O.CONTAINS, "x", values=("y",)), "values"),
        (Condition(F.DESCRIPTION, O.REGEX, "(a+)+"), "value"),
        (Condition(F.AMOUNT, O.BETWEEN), "min"),
        (Condition(F.AMOUNT, O.BETWEEN, min=Decimal(5), max=Decimal(1)), "min"),
        (Condition(F.AMOUNT, O.SIGN, "positive"), "value"),
        (Condition(F.ACCOUNT, O.EQUALS, "not-an-id"), "value"),
        (Condition(F.ACCOUNT, O.IN), "values"),
        (Condition(F.MCC, O.EQUALS, "58"), "value"),
        (Condition(F.COUNTERPARTY_DOCUMENT, O.EQUALS, "..."), "value"),
        (Condition(F.TYPE, O.EQUALS, "PIX ENVIADO"), "value"),
    ],
)
def test_given_a_bad_condition_then_the_issue_points_at_its_field(condition, where):
    found = _locations([condition], TAGS)
    assert ("body", "conditions", 0, where) in found, found


def test_given_a_bad_value_of_a_list_then_the_issue_points_at_that_value():
    condition = Condition(F.MCC, O.IN, values=("5812", "x"))
    assert ("body", "conditions", 0, "values", 1) in _locations([condition], TAGS)


def test_given_no_condition_or_no_action_then_both_are_reported():
    found = _locations([], Actions())
    assert set(found) == {("body", "conditions"), ("body", "actions")}


def test_given_a_category_and_an_own_transfer_then_the_transfer_is_refused():
    actions = Actions(category_id=uuid4(), own_transfer=True)
    assert ("body", "actions", "own_transfer") in _locations([UBER], actions)


def test_a_valid_rule_has_no_issues():
    conditions = [
        UBER,
        Condition(F.AMOUNT, O.BETWEEN, min=Decimal("-100")),
        Condition(F.TYPE, O.EQUALS, "CARTAO"),
        Condition(F.MCC, O.IN, values=("4121",)),
        Condition(F.ACCOUNT, O.IN, values=(str(uuid4()),)),
        Condition(F.COUNTERPARTY_DOCUMENT, O.EQUALS, "12.345.678/0001-90"),
    ]
    assert definition_issues(conditions, Actions(category_id=TRANSPORT)) == []


def test_conditions_and_actions_survive_their_json_form():
    conditions = (
        UBER,
        Condition(F.AMOUNT, O.BETWEEN, min=Decimal("-10.50"), max=Decimal(0)),
        Condition(F.MCC, O.IN, values=("5812",)),
    )
    actions = Actions(category_id=FOOD, tags=("a", "b"), merchant="M", own_transfer=False)
    assert tuple(Condition.from_json(c.to_json()) for c in conditions) == conditions
    assert Actions.from_json(actions.to_json()) == actions


def test_the_narrowing_keeps_every_transaction_the_rule_may_match():
    account = uuid4()
    narrowing = Narrowing.of(
        [
            Condition(F.ACCOUNT, O.IN, values=(str(account), str(uuid4()))),
            Condition(F.ACCOUNT, O.EQUALS, str(account)),
            Condition(F.TYPE, O.IN, values=("pix", "Ted")),
            Condition(F.AMOUNT, O.BETWEEN, min=Decimal(-100), max=Decimal(0)),
            Condition(F.AMOUNT, O.BETWEEN, min=Decimal(-50)),
            Condition(F.AMOUNT, O.SIGN, "debit"),
            UBER,
        ]
    )
    assert narrowing == Narrowing(
        account_ids=frozenset({account}),
        types=frozenset({"PIX", "TED"}),
        amount_min=Decimal(-50),
        amount_max=Decimal(0),
        credit=False,
    )
    assert Narrowing.of([UBER]) == Narrowing()
    assert isinstance(next(iter(narrowing.account_ids or ())), UUID)
