"""Transactions through the API: exact amounts, versions and ETags, idempotency, events."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from shared.db.models import OutboxEvent, Transaction
from tests.support.api import categories_by_slug, ok, problem


def _rows(container, model) -> int:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _event_types(container, transaction_id: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        rows = session.execute(
            select(OutboxEvent.version, OutboxEvent.type)
            .where(OutboxEvent.aggregate_id == UUID(transaction_id))
            .order_by(OutboxEvent.version)
        ).all()
    return [(version, kind) for version, kind in rows]


@pytest.fixture
def account(owner) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return ok(owner.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)


@pytest.fixture
def categories(owner) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return categories_by_slug(owner)


def _body(account: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "account_id": account["id"],
        "amount": "-42.50",
        "booked_on": "2026-10-03",
        "description": "IFD*RESTAURANTE SABOR",
        **fields,
    }


def _create(actor, account, **fields):  # type: ignore[no-untyped-def]
    return ok(actor.post("/v1/transactions", _body(account, **fields)), 201)


def _if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


# -- create and read ---------------------------------------------------------------------------


def test_when_a_transaction_is_created_then_every_field_is_read_back(owner, account, categories):
    body = _body(
        account,
        amount="-1234.56",
        currency="BRL",
        value_on="2026-10-04",
        booked_at="13:45:00",
        merchant="Restaurante Sabor",
        category_id=categories["dining_out"],
        notes="jantar com a equipe",
        tags=["trabalho", "jantar"],
        type="CARTAO",
        counterparty_document="12.345.678/0001-90",
        status="pending",
        instalment_number=2,
        instalment_total=10,
        external_id="FITID-0001",
    )
    response = owner.post("/v1/transactions", body)
    created = ok(response, 201)

    assert response.headers["ETag"] == '"1"'
    expected = {key: value for key, value in body.items() if key != "tags"}
    assert {key: created[key] for key in expected} == expected
    assert created["tags"] == ["jantar", "trabalho"]
    assert created["category_source"] == "user"
    assert created["version"] == 1
    read = owner.get(f"/v1/transactions/{created['id']}")
    assert ok(read) == created
    assert read.headers["ETag"] == '"1"'


@pytest.mark.parametrize("amount", ["-1234.56", "0.10", "999999999.99", "-0.01", "1000000.00"])
def test_when_an_amount_is_stored_then_it_reads_back_as_the_same_exact_string(
    owner, account, amount
):
    created = _create(owner, account, amount=amount)
    assert created["amount"] == amount
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["amount"] == amount


def test_when_an_amount_has_fewer_decimals_than_brl_then_it_is_shown_with_two(owner, account):
    assert _create(owner, account, amount="7")["amount"] == "7.00"


def test_when_the_amount_is_a_json_number_then_it_is_parsed_exactly(owner, account):
    raw = json.dumps(_body(account)).replace('"-42.50"', "0.1")
    assert '"amount": 0.1,' in raw
    response = owner.client.post(
        "/v1/transactions",
        content=raw.encode(),
        headers=owner.headers({"Content-Type": "application/json"}),
    )
    assert ok(response, 201)["amount"] == "0.10"


def test_when_the_amount_is_a_long_json_number_then_no_float_rounding_happens(owner, account):
    # As a float, 999999999999.99 + the JSON round trip would still print fine; 0.1 + 0.2 would
    # not. Here a number float cannot represent exactly must come back exactly.
    raw = json.dumps(_body(account)).replace('"-42.50"', "-999999999.99")
    response = owner.client.post(
        "/v1/transactions",
        content=raw.encode(),
        headers=owner.headers({"Content-Type": "application/json"}),
    )
    assert ok(response, 201)["amount"] == "-999999999.99"


def test_when_an_unknown_transaction_is_read_then_404(owner):
    problem(owner.get(f"/v1/transactions/{uuid4()}"), 404)


def test_given_another_workspace_when_its_transaction_is_read_then_404(owner, new_actor):
    bia = new_actor("Bia")
    theirs = ok(bia.post("/v1/accounts", {"name": "Itaú", "kind": "checking"}), 201)
    created = _create(bia, theirs)
    problem(owner.get(f"/v1/transactions/{created['id']}"), 404)


def test_when_the_currency_differs_from_the_accounts_then_422_and_nothing_written(
    owner, account, container
):
    response = owner.post("/v1/transactions", _body(account, currency="USD"))
    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/currency"]
    assert _rows(container, Transaction) == 0


def test_when_the_account_is_unknown_then_422_at_account_id(owner, container):
    response = owner.post("/v1/transactions", _body({"id": str(uuid4())}))
    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/account_id"]
    assert _rows(container, Transaction) == 0


def test_when_the_category_is_unknown_then_422_at_category_id(owner, account, container):
    response = owner.post("/v1/transactions", _body(account, category_id=str(uuid4())))
    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/category_id"]
    assert _rows(container, Transaction) == 0


def test_when_the_category_belongs_to_another_workspace_then_422(owner, account, new_actor):
    bia = new_actor("Bia")
    theirs = ok(bia.get("/v1/categories"))[0]["id"]
    response = owner.post("/v1/transactions", _body(account, category_id=theirs))
    assert [error["pointer"] for error in problem(response, 422)["errors"]] == ["/category_id"]


def test_given_an_external_id_when_it_is_sent_again_in_the_same_account_then_409(
    owner, account, container
):
    _create(owner, account, external_id="FITID-1")
    problem(owner.post("/v1/transactions", _body(account, external_id="FITID-1")), 409)
    assert _rows(container, Transaction) == 1


def test_given_an_external_id_when_another_account_uses_it_then_it_is_accepted(
    owner, account, container
):
    other = ok(owner.post("/v1/accounts", {"name": "Inter", "kind": "checking"}), 201)
    _create(owner, account, external_id="FITID-1")
    _create(owner, other, external_id="FITID-1")
    assert _rows(container, Transaction) == 2


# -- idempotency -------------------------------------------------------------------------------


def test_given_an_idempotency_key_when_the_post_is_retried_then_one_transaction(
    owner, account, container
):
    headers = {"Idempotency-Key": "retry-1"}
    first = owner.post("/v1/transactions", _body(account), headers=headers)
    second = owner.post("/v1/transactions", _body(account), headers=headers)

    assert ok(second, 201)["id"] == ok(first, 201)["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert ok(second, 201) == ok(first, 201)
    assert _rows(container, Transaction) == 1
    assert _rows(container, OutboxEvent) == 1


def test_given_an_idempotency_key_and_an_external_id_when_retried_then_it_is_replayed(
    owner, account, container
):
    headers = {"Idempotency-Key": "retry-2"}
    body = _body(account, external_id="FITID-9")
    first = ok(owner.post("/v1/transactions", body, headers=headers), 201)
    second = owner.post("/v1/transactions", body, headers=headers)
    assert ok(second, 201)["id"] == first["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _rows(container, Transaction) == 1


def test_given_a_used_idempotency_key_when_another_body_is_sent_then_422(owner, account, container):
    headers = {"Idempotency-Key": "retry-3"}
    ok(owner.post("/v1/transactions", _body(account), headers=headers), 201)
    response = owner.post("/v1/transactions", _body(account, amount="-1.00"), headers=headers)
    errors = problem(response, 422)["errors"]
    assert errors[0]["in"] == "header"
    assert _rows(container, Transaction) == 1


def test_given_two_people_when_they_use_the_same_idempotency_key_then_both_create(
    owner, account, container, new_actor
):
    bia = new_actor("Bia")
    theirs = ok(bia.post("/v1/accounts", {"name": "Itaú", "kind": "checking"}), 201)
    headers = {"Idempotency-Key": "same-key"}
    mine = ok(owner.post("/v1/transactions", _body(account), headers=headers), 201)
    other = ok(bia.post("/v1/transactions", _body(theirs), headers=headers), 201)
    assert mine["id"] != other["id"]
    assert _rows(container, Transaction) == 2


# -- update: versions and ETags ----------------------------------------------------------------


def test_when_patched_without_a_version_then_428_and_nothing_changes(owner, account):
    created = _create(owner, account)
    problem(owner.patch(f"/v1/transactions/{created['id']}", {"notes": "x"}), 428)
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["notes"] is None


def test_when_patched_with_the_current_if_match_then_it_changes_and_the_etag_moves(owner, account):
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"notes": "conferido"}, headers=_if_match(1)
    )
    changed = ok(response)
    assert changed["notes"] == "conferido"
    assert changed["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert owner.get(f"/v1/transactions/{created['id']}").headers["ETag"] == '"2"'


def test_when_patched_with_a_weak_etag_then_422_at_if_match_and_nothing_changes(owner, account):
    """If-Match compares strongly (RFC 9110): a weak ETag never matches."""
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"notes": "x"}, headers={"If-Match": 'W/"1"'}
    )
    body = problem(response, 422)
    assert "strong ETag" in body["detail"]
    assert [(error["in"], error["pointer"]) for error in body["errors"]] == [
        ("header", "/If-Match")
    ]
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["version"] == 1


def test_when_deleted_with_a_weak_etag_then_422_and_it_stays(owner, account):
    created = _create(owner, account)
    response = owner.delete(f"/v1/transactions/{created['id']}", headers={"If-Match": 'W/"1"'})
    problem(response, 422)
    ok(owner.get(f"/v1/transactions/{created['id']}"))


def test_when_patched_with_the_version_in_the_body_then_it_changes(owner, account):
    created = _create(owner, account)
    changed = ok(
        owner.patch(f"/v1/transactions/{created['id']}", {"version": 1, "amount": "-50.00"})
    )
    assert (changed["amount"], changed["version"]) == ("-50.00", 2)


def test_when_patched_with_a_stale_if_match_then_409_with_the_current_version(owner, account):
    created = _create(owner, account)
    ok(owner.patch(f"/v1/transactions/{created['id']}", {"notes": "a"}, headers=_if_match(1)))

    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"notes": "b"}, headers=_if_match(1)
    )

    body = problem(response, 409)
    assert body["current_version"] == 2
    assert body["type"].endswith("/version-conflict")
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["notes"] == "a"


def test_when_if_match_and_the_body_version_disagree_then_422(owner, account):
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"version": 2, "notes": "x"}, headers=_if_match(1)
    )
    problem(response, 422)
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["version"] == 1


def test_when_if_match_is_not_a_version_then_422(owner, account):
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"notes": "x"}, headers={"If-Match": "*"}
    )
    problem(response, 422)


def test_when_the_category_changes_then_the_version_moves_by_one_with_a_categorized_event(
    owner, account, categories, container
):
    created = _create(owner, account)
    changed = ok(
        owner.patch(
            f"/v1/transactions/{created['id']}",
            {"category_id": categories["food_delivery"]},
            headers=_if_match(1),
        )
    )
    assert changed["version"] == 2
    assert changed["category_id"] == categories["food_delivery"]
    assert changed["category_source"] == "user"
    assert _event_types(container, created["id"]) == [
        (1, "TransactionCreated"),
        (2, "TransactionCategorized"),
    ]


def test_when_notes_and_category_change_together_then_two_events_and_two_versions(
    owner, account, categories, container
):
    created = _create(owner, account)
    changed = ok(
        owner.patch(
            f"/v1/transactions/{created['id']}",
            {"notes": "pedido grande", "category_id": categories["food_delivery"]},
            headers=_if_match(1),
        )
    )
    assert changed["version"] == 3
    assert _event_types(container, created["id"]) == [
        (1, "TransactionCreated"),
        (2, "TransactionUpdated"),
        (3, "TransactionCategorized"),
    ]


def test_when_a_patch_changes_nothing_then_the_version_stays_and_no_event(
    owner, account, container
):
    created = _create(owner, account, notes="igual", tags=["a"])
    response = owner.patch(
        f"/v1/transactions/{created['id']}",
        {"notes": "igual", "amount": "-42.5", "description": created["description"], "tags": ["a"]},
        headers=_if_match(1),
    )
    assert ok(response)["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert _event_types(container, created["id"]) == [(1, "TransactionCreated")]


def test_when_a_patch_sets_the_same_category_then_the_version_stays(
    owner, account, categories, container
):
    created = _create(owner, account, category_id=categories["dining_out"])
    response = owner.patch(
        f"/v1/transactions/{created['id']}",
        {"category_id": categories["dining_out"]},
        headers=_if_match(1),
    )
    assert ok(response)["version"] == 1
    assert _event_types(container, created["id"]) == [(1, "TransactionCreated")]


def test_when_the_category_is_cleared_then_source_and_confidence_are_cleared(
    owner, account, categories
):
    created = _create(owner, account, category_id=categories["dining_out"])
    changed = ok(
        owner.patch(
            f"/v1/transactions/{created['id']}", {"category_id": None}, headers=_if_match(1)
        )
    )
    assert changed["category_id"] is None
    assert changed["category_source"] is None
    assert changed["category_confidence"] is None
    assert changed["version"] == 2


def test_when_the_tags_change_then_they_are_replaced(owner, account):
    created = _create(owner, account, tags=["a", "b"])
    changed = ok(
        owner.patch(f"/v1/transactions/{created['id']}", {"tags": ["b", "c"]}, headers=_if_match(1))
    )
    assert changed["tags"] == ["b", "c"]
    assert changed["version"] == 2
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["tags"] == ["b", "c"]


def test_when_a_patch_has_an_invalid_amount_then_422_and_nothing_changes(owner, account, container):
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"amount": "1.234"}, headers=_if_match(1)
    )
    assert [error["pointer"] for error in problem(response, 422)["errors"]] == ["/amount"]
    read = ok(owner.get(f"/v1/transactions/{created['id']}"))
    assert (read["amount"], read["version"]) == ("-42.50", 1)
    assert _rows(container, OutboxEvent) == 1


def test_when_moved_to_an_account_in_another_currency_then_422_at_account_id(owner, account):
    created = _create(owner, account)
    usd = ok(
        owner.post("/v1/accounts", {"name": "Wise", "kind": "checking", "currency": "USD"}), 201
    )
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"account_id": usd["id"]}, headers=_if_match(1)
    )
    assert [error["pointer"] for error in problem(response, 422)["errors"]] == ["/account_id"]
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["account_id"] == account["id"]


def test_when_moved_to_another_account_in_the_same_currency_then_it_moves(owner, account):
    created = _create(owner, account)
    inter = ok(owner.post("/v1/accounts", {"name": "Inter", "kind": "checking"}), 201)
    moved = ok(
        owner.patch(
            f"/v1/transactions/{created['id']}", {"account_id": inter["id"]}, headers=_if_match(1)
        )
    )
    assert (moved["account_id"], moved["version"]) == (inter["id"], 2)


def test_when_a_required_field_is_patched_to_null_then_422(owner, account):
    created = _create(owner, account)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"description": None}, headers=_if_match(1)
    )
    problem(response, 422)


# -- delete ------------------------------------------------------------------------------------


def test_when_a_transaction_is_deleted_then_reading_it_gives_404(owner, account, container):
    created = _create(owner, account, tags=["x"])
    ok(owner.delete(f"/v1/transactions/{created['id']}"), 204)
    problem(owner.get(f"/v1/transactions/{created['id']}"), 404)
    assert _rows(container, Transaction) == 0
    assert _event_types(container, created["id"]) == [
        (1, "TransactionCreated"),
        (2, "TransactionDeleted"),
    ]


def test_when_deleted_with_the_current_if_match_then_it_is_deleted(owner, account):
    created = _create(owner, account)
    ok(owner.delete(f"/v1/transactions/{created['id']}", headers=_if_match(1)), 204)
    problem(owner.get(f"/v1/transactions/{created['id']}"), 404)


def test_when_deleted_with_a_stale_if_match_then_409_and_it_stays(owner, account):
    created = _create(owner, account)
    ok(owner.patch(f"/v1/transactions/{created['id']}", {"notes": "a"}, headers=_if_match(1)))
    response = owner.delete(f"/v1/transactions/{created['id']}", headers=_if_match(1))
    assert problem(response, 409)["current_version"] == 2
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["version"] == 2


def test_when_an_unknown_transaction_is_deleted_then_404(owner):
    problem(owner.delete(f"/v1/transactions/{uuid4()}"), 404)


def test_given_a_deleted_transaction_when_deleted_again_then_404(owner, account):
    created = _create(owner, account)
    ok(owner.delete(f"/v1/transactions/{created['id']}"), 204)
    problem(owner.delete(f"/v1/transactions/{created['id']}"), 404)


def test_given_a_viewer_when_they_create_a_transaction_then_403(owner, account, container):
    from shared.domain.access import Role
    from tests.support.api import Actor, token_for

    viewer = Actor(
        owner.client,
        token_for(container, owner.user_id, owner.tenant_id, Role.VIEWER),
        owner.user_id,
        owner.tenant_id,
    )
    problem(viewer.post("/v1/transactions", _body(account)), 403)
    assert _rows(container, Transaction) == 0


# -- accepted variants and rejected changes ----------------------------------------------------


def test_when_the_content_type_is_json_with_a_charset_then_it_is_accepted(owner, account):
    response = owner.client.post(
        "/v1/transactions",
        content=json.dumps(_body(account)).encode(),
        headers=owner.headers({"Content-Type": "application/json; charset=utf-8"}),
    )
    assert ok(response, 201)["amount"] == "-42.50"


def test_when_a_jpy_amount_is_whole_then_it_is_shown_without_decimals(owner):
    yen = ok(owner.post("/v1/accounts", {"name": "Yucho", "kind": "cash", "currency": "JPY"}), 201)
    created = _create(owner, yen, amount="1500")
    assert (created["amount"], created["currency"]) == ("1500", "JPY")


def test_when_an_instalment_is_patched_to_3_of_2_then_422_and_nothing_changes(
    owner, account, container
):
    created = _create(owner, account, instalment_number=1, instalment_total=2)
    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"instalment_number": 3}, headers=_if_match(1)
    )
    assert [error["pointer"] for error in problem(response, 422)["errors"]] == [
        "/instalment_number"
    ]
    read = ok(owner.get(f"/v1/transactions/{created['id']}"))
    assert (read["instalment_number"], read["version"]) == (1, 1)
    assert _rows(container, OutboxEvent) == 1
