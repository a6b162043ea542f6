"""Rules run on statement lines find, once per distinct text, the rules whose text conditions
hold, then test only the rest per line: the outcome must be the one every rule tested in full
gives, whatever the line."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid5

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.categorisation.model import LineToCategorise
from shared.categorisation.rules import (
    Actions,
    Condition,
    ConditionField,
    Operator,
    Rule,
    RuleCategoriser,
    Subject,
    decide,
)

_NS = UUID("0b7d7f7e-3f43-4c55-9a43-3c1a4a1f0e21")
GROCERIES, TRANSPORT, HEALTH = (uuid5(_NS, slug) for slug in ("groceries", "transport", "health"))
SLUGS = {GROCERIES: "groceries", TRANSPORT: "transport", HEALTH: "health"}


def _rule(number: int, stop: bool, actions: Actions, *conditions: Condition) -> Rule:
    return Rule(uuid5(_NS, str(number)), f"r{number}", number, True, stop, conditions, actions)


RULES = [
    _rule(
        1,
        False,
        Actions(tags=("big",)),
        Condition(ConditionField.AMOUNT, Operator.BETWEEN, min=Decimal(-1000), max=Decimal(-100)),
    ),
    _rule(
        2,
        True,
        Actions(category_id=GROCERIES),
        Condition(ConditionField.DESCRIPTION, Operator.CONTAINS, "mercado"),
        Condition(ConditionField.AMOUNT, Operator.SIGN, "debit"),
    ),
    _rule(
        3,
        False,
        Actions(category_id=TRANSPORT, merchant="Uber"),
        Condition(ConditionField.MERCHANT, Operator.STARTS_WITH, "uber"),
    ),
    _rule(
        4,
        True,
        Actions(category_id=HEALTH, tags=("farmacia",)),
        Condition(ConditionField.DESCRIPTION, Operator.REGEX, r"DROGA|FARMA"),
        Condition(ConditionField.TYPE, Operator.IN, values=("CARTAO", "PIX")),
    ),
    _rule(
        5,
        False,
        Actions(tags=("pix",)),
        Condition(ConditionField.TYPE, Operator.EQUALS, "PIX"),
    ),
]

WORDS = ["MERCADO", "mercadão", "UBER *TRIP", "Uber", "DROGARIA", "farmácia", "PIX", "X", ""]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
            st.integers(min_value=-200_000, max_value=200_000),
            st.sampled_from([None, "PIX", "CARTAO", "TED"]),
            st.sampled_from([None, "Uber do Brasil", "Mercado Bom"]),
        ),
        max_size=30,
    )
)
def test_the_outcome_is_that_of_every_rule_tested_in_full(
    raw: list[tuple[str, int, str | None, str | None]],
) -> None:
    lines = [
        LineToCategorise(text, Decimal(cents).scaleb(-2), kind, counterparty_name=name)
        for text, cents, kind, name in raw
    ]
    categoriser = RuleCategoriser(RULES, SLUGS)

    verdicts = categoriser.categorise(lines + lines)  # the second time, from what it found

    for line, verdict in zip(lines + lines, verdicts, strict=True):
        expected = decide(RULES, Subject.of_line(line))
        if expected is None:
            assert verdict.tags == ()
            assert verdict.slug is None
            continue
        assert verdict.tags == expected.tags
        assert verdict.merchant_override == expected.merchant
        decided = SLUGS.get(expected.category_id) if expected.category_id else None
        assert verdict.slug == decided
