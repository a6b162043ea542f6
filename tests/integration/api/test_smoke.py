from tests.support.api import ok


def test_an_owner_creates_an_account_and_a_transaction(owner):
    account = ok(owner.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)
    assert account["currency"] == "BRL"
    created = ok(
        owner.post(
            "/v1/transactions",
            {
                "account_id": account["id"],
                "amount": "-42.50",
                "booked_on": "2026-10-03",
                "description": "IFD*RESTAURANTE SABOR",
                "tags": ["jantar"],
            },
        ),
        201,
    )
    assert created["amount"] == "-42.50"
    assert created["version"] == 1
    page = ok(owner.get("/v1/transactions"))
    assert [item["id"] for item in page["items"]] == [created["id"]]
