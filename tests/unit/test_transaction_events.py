"""The diff a TransactionUpdated event carries is in wire form: camelCase keys, JSON values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from events.transactions import (
    TransactionCategorized,
    TransactionSnapshot,
    TransactionUpdated,
)
from shared.services.transaction_events import change_events


def _snapshot(**fields: object) -> TransactionSnapshot:
    defaults: dict[str, object] = {
        "account_id": uuid4(),
        "amount": Decimal("-42.50"),
        "currency": "BRL",
        "booked_on": date(2026, 10, 3),
        "description": "IFD*RESTAURANTE SABOR",
        "status": "booked",
    }
    return TransactionSnapshot.model_validate({**defaults, **fields})


def test_the_changes_of_an_edit_are_keyed_by_wire_names_with_wire_values():
    before = _snapshot()
    after = before.model_copy(
        update={"booked_on": date(2026, 10, 4), "amount": Decimal("-45.00"), "value_on": None}
    )

    (updated,) = change_events(uuid4(), before, after)

    assert isinstance(updated, TransactionUpdated)
    assert updated.changes == {
        "amount": {"from": "-42.50", "to": "-45.00"},
        "bookedOn": {"from": "2026-10-03", "to": "2026-10-04"},
    }


def test_a_category_change_alone_is_a_categorised_event_not_an_update():
    before = _snapshot()
    category_id = uuid4()
    after = before.model_copy(
        update={
            "category_id": category_id,
            "category_source": "user",
            "category_confidence": Decimal(1),
        }
    )

    (categorized,) = change_events(uuid4(), before, after)

    assert isinstance(categorized, TransactionCategorized)
    assert categorized.category_id == category_id


def test_an_edit_with_a_category_change_gives_both_events_with_camel_case_changes():
    before = _snapshot()
    category_id = uuid4()
    after = before.model_copy(update={"notes": "conferido", "category_id": category_id})

    updated, categorized = change_events(uuid4(), before, after)

    assert isinstance(updated, TransactionUpdated)
    assert isinstance(categorized, TransactionCategorized)
    assert updated.changes == {
        "categoryId": {"from": None, "to": str(category_id)},
        "notes": {"from": None, "to": "conferido"},
    }


def test_leaving_the_review_queue_with_its_evidence_is_a_categorised_event_not_an_update():
    before = _snapshot(needs_review=True, category_evidence="no known merchant or word")
    after = before.model_copy(update={"needs_review": False, "category_evidence": None})

    (categorized,) = change_events(uuid4(), before, after)

    assert isinstance(categorized, TransactionCategorized)
    assert (categorized.category_id, categorized.needs_review, categorized.evidence) == (
        None,
        False,
        None,
    )


def test_a_rule_decision_carries_its_rule_and_evidence():
    rule_id, category_id = uuid4(), uuid4()
    before = _snapshot()
    after = before.model_copy(
        update={
            "category_id": category_id,
            "category_source": "rule",
            "category_confidence": Decimal(1),
            "category_evidence": "rule 'Uber'",
            "category_rule_id": rule_id,
        }
    )

    (categorized,) = change_events(uuid4(), before, after)

    assert isinstance(categorized, TransactionCategorized)
    assert (categorized.rule_id, categorized.evidence, categorized.source) == (
        rule_id,
        "rule 'Uber'",
        "rule",
    )
