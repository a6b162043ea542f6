"""Accounts through the API: currencies, opening balances, archiving, on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import func, select

from shared.db.models import Account
from tests.support.api import ok, problem


def _account_rows(container) -> int:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def _pointers(body) -> list[str]:  # type: ignore[no-untyped-def]
    return [error["pointer"] for error in body.get("errors", [])]


def _open(actor, **fields):  # type: ignore[no-untyped-def]
    return ok(actor.post("/v1/accounts", {"name": "Nubank", "kind": "checking", **fields}), 201)


def _spend(actor, account_id: str, amount: str = "-10.00"):  # type: ignore[no-untyped-def]
    body = {
        "account_id": account_id,
        "amount": amount,
        "booked_on": "2026-03-01",
        "description": "PADARIA REAL",
    }
    return ok(actor.post("/v1/transactions", body), 201)


# -- creating ----------------------------------------------------------------------------------


def test_given_a_brl_workspace_when_an_account_is_opened_without_currency_then_it_is_in_brl(
    owner,
):
    account = _open(owner)
    assert account["currency"] == "BRL"
    assert account["opening_balance"] == "0.00"
    assert account["archived"] is False
    assert ok(owner.get(f"/v1/accounts/{account['id']}")) == account


def test_given_a_usd_workspace_when_an_account_is_opened_without_currency_then_it_is_in_usd(
    new_actor,
):
    joe = new_actor("Joe", currency="USD")
    assert _open(joe)["currency"] == "USD"


def test_given_a_brl_workspace_when_an_account_is_opened_in_usd_then_it_keeps_usd(owner):
    account = _open(owner, name="Wise", currency="USD", opening_balance="250.5")
    assert account["currency"] == "USD"
    assert account["opening_balance"] == "250.50"
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["currency"] == "USD"


def test_when_an_account_is_opened_in_an_unknown_currency_then_422_and_nothing_written(
    owner, container
):
    body = problem(
        owner.post("/v1/accounts", {"name": "X", "kind": "cash", "currency": "XYZ"}), 422
    )
    assert any(error["pointer"] == "/currency" for error in body["errors"])
    assert _account_rows(container) == 0


def test_when_a_jpy_account_opens_with_half_a_yen_then_422_and_nothing_written(owner, container):
    response = owner.post(
        "/v1/accounts",
        {"name": "Yucho", "kind": "savings", "currency": "JPY", "opening_balance": "1.5"},
    )
    assert _pointers(problem(response, 422)) == ["/opening_balance"]
    assert _account_rows(container) == 0


def test_when_a_jpy_account_opens_with_whole_yen_then_it_has_no_decimals(owner):
    account = _open(owner, name="Yucho", currency="JPY", opening_balance="15000")
    assert account["opening_balance"] == "15000"


def test_when_a_bhd_account_opens_with_three_decimals_then_they_are_kept_exactly(owner):
    account = _open(owner, name="NBB", currency="BHD", opening_balance="1.234")
    assert account["opening_balance"] == "1.234"
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["opening_balance"] == "1.234"


def test_when_a_bhd_account_opens_with_four_decimals_then_422(owner, container):
    response = owner.post(
        "/v1/accounts",
        {"name": "NBB", "kind": "savings", "currency": "BHD", "opening_balance": "1.2345"},
    )
    assert _pointers(problem(response, 422)) == ["/opening_balance"]
    assert _account_rows(container) == 0


def test_when_a_brl_account_opens_with_three_decimals_then_422(owner, container):
    response = owner.post(
        "/v1/accounts", {"name": "Itaú", "kind": "checking", "opening_balance": "10.005"}
    )
    assert _pointers(problem(response, 422)) == ["/opening_balance"]
    assert _account_rows(container) == 0


def test_when_an_opening_balance_is_beyond_what_is_stored_then_422_on_both_engines(
    owner, container
):
    response = owner.post(
        "/v1/accounts",
        {"name": "Tio Patinhas", "kind": "investment", "opening_balance": "10000000000000"},
    )
    assert _pointers(problem(response, 422)) == ["/opening_balance"]
    assert _account_rows(container) == 0


def test_when_an_opening_balance_is_at_the_largest_stored_size_then_it_is_kept(owner):
    account = _open(owner, name="Tio Patinhas", opening_balance="-999999999999")  # MAX_AMOUNT
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["opening_balance"] == "-999999999999.00"


def test_given_the_same_idempotency_key_when_an_account_is_opened_twice_then_one_account(
    owner, container
):
    headers = {"Idempotency-Key": "acc-1"}
    first = owner.post("/v1/accounts", {"name": "Inter", "kind": "checking"}, headers=headers)
    second = owner.post("/v1/accounts", {"name": "Inter", "kind": "checking"}, headers=headers)
    assert ok(first, 201)["id"] == ok(second, 201)["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _account_rows(container) == 1


# -- reading and listing -----------------------------------------------------------------------


def test_when_an_unknown_account_is_read_then_404(owner):
    problem(owner.get(f"/v1/accounts/{uuid4()}"), 404)


def test_given_another_workspace_when_its_account_is_read_then_404(owner, new_actor):
    other = new_actor("Bia")
    account = _open(other)
    problem(owner.get(f"/v1/accounts/{account['id']}"), 404)
    assert ok(owner.get("/v1/accounts")) == []


def test_given_an_archived_account_when_listing_then_only_include_archived_shows_it(owner):
    kept = _open(owner, name="Conta A")
    archived = _open(owner, name="Conta B")
    ok(owner.patch(f"/v1/accounts/{archived['id']}", {"archived": True}))

    default = ok(owner.get("/v1/accounts"))
    everything = ok(owner.get("/v1/accounts", params={"include_archived": "true"}))

    assert [account["id"] for account in default] == [kept["id"]]
    assert [account["id"] for account in everything] == [kept["id"], archived["id"]]
    assert everything[1]["archived"] is True


# -- changing ----------------------------------------------------------------------------------


def test_when_an_account_is_renamed_then_the_new_name_is_read_back(owner):
    account = _open(owner)
    renamed = ok(owner.patch(f"/v1/accounts/{account['id']}", {"name": "Nubank PJ"}))
    assert renamed["name"] == "Nubank PJ"
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["name"] == "Nubank PJ"


def test_given_an_empty_account_when_its_currency_changes_then_it_is_accepted(owner):
    account = _open(owner)
    changed = ok(owner.patch(f"/v1/accounts/{account['id']}", {"currency": "EUR"}))
    assert changed["currency"] == "EUR"


def test_given_an_account_with_transactions_when_its_currency_changes_then_409(owner):
    account = _open(owner)
    _spend(owner, account["id"])
    problem(owner.patch(f"/v1/accounts/{account['id']}", {"currency": "USD"}), 409)
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["currency"] == "BRL"


def test_given_an_account_with_transactions_when_patched_with_its_own_currency_then_ok(owner):
    account = _open(owner)
    _spend(owner, account["id"])
    ok(owner.patch(f"/v1/accounts/{account['id']}", {"currency": "BRL", "name": "Nu"}))


def test_given_a_brl_balance_with_cents_when_the_currency_becomes_jpy_then_422(owner):
    account = _open(owner, opening_balance="10.50")
    response = owner.patch(f"/v1/accounts/{account['id']}", {"currency": "JPY"})
    assert _pointers(problem(response, 422)) == ["/opening_balance"]
    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["currency"] == "BRL"


def test_when_an_account_name_is_patched_to_null_then_422(owner):
    account = _open(owner)
    problem(owner.patch(f"/v1/accounts/{account['id']}", {"name": None}), 422)


# -- deleting ----------------------------------------------------------------------------------


def test_given_an_empty_account_when_deleted_then_it_is_gone(owner, container):
    account = _open(owner)
    ok(owner.delete(f"/v1/accounts/{account['id']}"), 204)
    problem(owner.get(f"/v1/accounts/{account['id']}"), 404)
    assert _account_rows(container) == 0


def test_given_an_account_with_transactions_when_deleted_then_it_is_archived_instead(
    owner, container
):
    account = _open(owner)
    spent = _spend(owner, account["id"])

    ok(owner.delete(f"/v1/accounts/{account['id']}"), 204)

    assert ok(owner.get(f"/v1/accounts/{account['id']}"))["archived"] is True
    assert ok(owner.get("/v1/accounts")) == []
    assert ok(owner.get(f"/v1/transactions/{spent['id']}"))["amount"] == "-10.00"
    assert _account_rows(container) == 1


def test_given_an_archived_account_when_a_transaction_is_added_to_it_then_422(owner):
    account = _open(owner)
    ok(owner.patch(f"/v1/accounts/{account['id']}", {"archived": True}))
    body = {
        "account_id": account["id"],
        "amount": "-1.00",
        "booked_on": "2026-03-01",
        "description": "X",
    }
    errors = problem(owner.post("/v1/transactions", body), 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/account_id"]
