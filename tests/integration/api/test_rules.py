"""Categorisation rules through the API: kept in order, validated, previewed, applied, and used
by imports; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from shared.db.models import OutboxEvent
from shared.domain.access import Principal, Role
from shared.services.access import Caller
from shared.services.transactions import NewTransaction
from tests.support.api import Actor, categories_by_slug, ok, problem, token_for

UBER = {"field": "description", "operator": "contains", "value": "uber"}
DEBIT = {"field": "amount", "operator": "sign", "value": "debit"}


@pytest.fixture
def account(owner) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return ok(owner.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)


@pytest.fixture
def categories(owner) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return categories_by_slug(owner)


def _rule(actor: Actor, name: str, conditions: list[Any], status: int = 201, **fields: Any) -> Any:
    body = {"name": name, "conditions": conditions, "actions": {"tags": ["x"]}, **fields}
    return ok(actor.post("/v1/rules", body), status)


def _tx(actor: Actor, account: dict[str, Any], description: str, amount: str = "-10.00", **fields):  # type: ignore[no-untyped-def]
    body = {
        "account_id": account["id"],
        "amount": amount,
        "booked_on": fields.pop("booked_on", "2026-10-03"),
        "description": description,
        **fields,
    }
    return ok(actor.post("/v1/transactions", body), 201)


def _names(actor: Actor) -> list[tuple[str, int]]:
    return [(rule["name"], rule["position"]) for rule in ok(actor.get("/v1/rules"))]


def _pointers(body: dict[str, Any]) -> set[str]:
    return {error["pointer"] for error in body.get("errors", [])}


def _events(container, transaction_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        rows = session.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.aggregate_id == UUID(transaction_id))
            .order_by(OutboxEvent.version)
        ).all()
    return list(rows)


def _viewer(owner: Actor, container, client) -> Actor:  # type: ignore[no-untyped-def]
    ok(
        owner.post(
            f"/v1/workspaces/{owner.tenant_id}/members",
            {"email": "vera@example.com", "role": "viewer"},
        ),
        201,
    )
    members = ok(owner.get(f"/v1/workspaces/{owner.tenant_id}/members"))
    vera_id = next(m["user_id"] for m in members if m["email"] == "vera@example.com")
    token = token_for(container, vera_id, owner.tenant_id, Role.VIEWER)
    return Actor(client, token, vera_id, owner.tenant_id)


# -- creating, reading, ordering -----------------------------------------------------------


def test_a_rule_is_created_and_read_back_with_its_version(owner, categories):
    body = {
        "name": "Uber",
        "stop_processing": True,
        "conditions": [
            UBER,
            {"field": "amount", "operator": "between", "min": "-200.00", "max": "-0.01"},
            {"field": "type", "operator": "in", "values": ["CARTAO", "PIX"]},
        ],
        "actions": {
            "category_id": categories["transport"],
            "tags": ["viagem", " viagem "],
            "merchant": "Uber",
        },
    }
    response = owner.post("/v1/rules", body)
    created = ok(response, 201)
    assert response.headers["ETag"] == '"1"'
    assert created["position"] == 0
    assert (created["enabled"], created["stop_processing"], created["version"]) == (True, True, 1)
    assert created["conditions"][0] == {**UBER, "values": None, "min": None, "max": None}
    assert created["conditions"][1]["min"] == "-200.00"
    assert created["actions"] == {
        "category_id": categories["transport"],
        "tags": ["viagem"],
        "merchant": "Uber",
        "own_transfer": False,
    }
    assert ok(owner.get(f"/v1/rules/{created['id']}")) == created
    assert ok(owner.get("/v1/rules")) == [created]
    assert "viagem" in [tag["name"] for tag in ok(owner.get("/v1/tags"))]


def test_rules_run_in_order_and_a_new_rule_can_go_first(owner):
    _rule(owner, "A", [UBER])
    _rule(owner, "B", [UBER])
    _rule(owner, "C", [UBER], position=0)
    _rule(owner, "D", [UBER], position=99)
    assert _names(owner) == [("C", 0), ("A", 1), ("B", 2), ("D", 3)]


def test_a_change_needs_the_version_read_and_a_move_shifts_the_others(owner):
    first = _rule(owner, "A", [UBER])
    _rule(owner, "B", [UBER])
    third = _rule(owner, "C", [UBER])

    problem(owner.patch(f"/v1/rules/{first['id']}", {"name": "A2"}), 428)
    problem(owner.patch(f"/v1/rules/{first['id']}", {"name": "A2", "version": 7}), 409)
    problem(owner.patch(f"/v1/rules/{first['id']}", {"name": "A2"}, headers={"If-Match": "x"}), 422)
    response = owner.patch(f"/v1/rules/{first['id']}", {"name": "A2"}, headers={"If-Match": '"1"'})
    renamed = ok(response)
    assert (renamed["name"], renamed["version"], response.headers["ETag"]) == ("A2", 2, '"2"')

    moved = ok(owner.patch(f"/v1/rules/{third['id']}", {"position": 0, "version": 1}))
    assert (moved["position"], moved["version"]) == (0, 2)
    assert _names(owner) == [("C", 0), ("A2", 1), ("B", 2)]
    # The rules that shifted are at a new version too: an edit from before the move is stale.
    problem(owner.patch(f"/v1/rules/{first['id']}", {"enabled": False, "version": 2}), 409)


def test_a_patch_replaces_conditions_and_actions_and_validates_them(owner, categories):
    rule = _rule(owner, "A", [UBER])
    changed = ok(
        owner.patch(
            f"/v1/rules/{rule['id']}",
            {
                "version": 1,
                "conditions": [DEBIT],
                "actions": {"category_id": categories["groceries"]},
                "enabled": False,
            },
        )
    )
    assert [c["field"] for c in changed["conditions"]] == ["amount"]
    assert changed["actions"]["category_id"] == categories["groceries"]
    assert changed["enabled"] is False
    bad = {
        "version": 2,
        "conditions": [{"field": "description", "operator": "regex", "value": "("}],
    }
    assert "/conditions/0/value" in _pointers(
        problem(owner.patch(f"/v1/rules/{rule['id']}", bad), 422)
    )
    assert ok(owner.get(f"/v1/rules/{rule['id']}")) == changed


def test_deleting_a_rule_renumbers_the_rest(owner):
    first = _rule(owner, "A", [UBER])
    _rule(owner, "B", [UBER])
    _rule(owner, "C", [UBER])
    problem(owner.delete(f"/v1/rules/{first['id']}", headers={"If-Match": '"9"'}), 409)
    ok(owner.delete(f"/v1/rules/{first['id']}"), 204)
    assert _names(owner) == [("B", 0), ("C", 1)]
    problem(owner.get(f"/v1/rules/{first['id']}"), 404)


# -- what is refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "([a-z]+",  # does not compile
        "(a+)+$",  # catastrophic: nested quantifiers
        "(x|xx)*y",
        r"\s*\s*\s*$",  # polynomial: overlapping repetitions
        r"(\d+)-\1",  # a backreference
        "a" * 301,  # too long
    ],
)
def test_a_risky_or_broken_regular_expression_is_refused_where_it_stands(owner, pattern):
    conditions = [UBER, {"field": "merchant", "operator": "regex", "value": pattern}]
    body = problem(
        owner.post(
            "/v1/rules", {"name": "R", "conditions": conditions, "actions": {"tags": ["t"]}}
        ),
        422,
    )
    assert _pointers(body) == {"/conditions/1/value"}
    assert ok(owner.get("/v1/rules")) == []


def test_a_category_not_in_the_workspace_or_archived_is_refused(owner, categories, new_actor):
    other = new_actor("Bruno")
    theirs = ok(other.post("/v1/categories", {"name": "Deles"}), 201)["id"]
    mine = ok(owner.post("/v1/categories", {"name": "Velha"}), 201)["id"]
    ok(owner.patch(f"/v1/categories/{mine}", {"archived": True}))
    for category in (theirs, mine, "00000000-0000-4000-8000-000000000000"):
        body = {"name": "R", "conditions": [UBER], "actions": {"category_id": category}}
        assert _pointers(problem(owner.post("/v1/rules", body), 422)) == {"/actions/category_id"}
    assert ok(owner.get("/v1/rules")) == []


@pytest.mark.parametrize(
    ("condition", "actions", "pointer"),
    [
        (
            {"field": "amount", "operator": "contains", "value": "1"},
            {"tags": ["t"]},
            "/conditions/0/operator",
        ),
        (
            {"field": "colour", "operator": "equals", "value": "1"},
            {"tags": ["t"]},
            "/conditions/0/field",
        ),
        ({"field": "amount", "operator": "between"}, {"tags": ["t"]}, "/conditions/0/min"),
        (
            {"field": "amount", "operator": "sign", "value": "up"},
            {"tags": ["t"]},
            "/conditions/0/value",
        ),
        (
            {"field": "mcc", "operator": "in", "values": ["5812", "58a2"]},
            {"tags": ["t"]},
            "/conditions/0/values/1",
        ),
        (
            {"field": "account", "operator": "equals", "value": "nope"},
            {"tags": ["t"]},
            "/conditions/0/value",
        ),
        (UBER, {}, "/actions"),
        (
            UBER,
            {"own_transfer": True, "category_id": "00000000-0000-4000-8000-000000000000"},
            "/actions/own_transfer",
        ),
    ],
)
def test_a_bad_condition_or_action_is_refused_with_a_pointer(owner, condition, actions, pointer):
    body = {"name": "R", "conditions": [condition], "actions": actions}
    assert pointer in _pointers(problem(owner.post("/v1/rules", body), 422))


def test_a_rule_needs_a_condition(owner):
    body = {"name": "R", "conditions": [], "actions": {"tags": ["t"]}}
    assert _pointers(problem(owner.post("/v1/rules", body), 422)) == {"/conditions"}


# -- preview and apply -----------------------------------------------------------------------


def test_preview_changes_nothing_and_apply_changes_exactly_what_it_listed(
    owner, account, categories, container
):
    trip = _tx(owner, account, "UBER *TRIP SAO PAULO", booked_on="2026-10-05")
    other_trip = _tx(owner, account, "Uber Trip", "-31.20", booked_on="2026-10-01")
    by_hand = _tx(owner, account, "UBER VIAGEM", category_id=categories["restaurants"])
    refund = _tx(owner, account, "UBER ESTORNO", "31.20")  # a credit: the rule wants debits
    bakery = _tx(owner, account, "PADARIA")
    definition = {
        "name": "Uber",
        "conditions": [UBER, DEBIT],
        "actions": {"category_id": categories["transport"], "tags": ["uber"]},
    }

    preview = ok(owner.post("/v1/rules/preview", definition))

    assert preview["next_cursor"] is None
    assert [item["transaction_id"] for item in preview["items"]] == [
        trip["id"],
        by_hand["id"],
        other_trip["id"],
    ]  # newest first
    first = preview["items"][0]
    # Recorded without a category: the built-in base gave it one, which the rule replaces.
    assert first["before"] == {"category_id": trip["category_id"], "merchant": None, "tags": []}
    assert first["after"] == {
        "category_id": categories["transport"],
        "merchant": None,
        "tags": ["uber"],
    }
    assert (first["amount"], first["currency"]) == ("-10.00", "BRL")
    kept = preview["items"][1]
    assert (
        kept["before"]["category_id"] == kept["after"]["category_id"] == categories["restaurants"]
    )
    assert kept["after"]["tags"] == ["uber"]
    for transaction in (trip, other_trip, by_hand, refund, bakery):
        assert ok(owner.get(f"/v1/transactions/{transaction['id']}")) == transaction
    assert ok(owner.get("/v1/rules")) == []  # a preview saves nothing

    rule = ok(owner.post("/v1/rules", definition), 201)
    saved_preview = ok(owner.get(f"/v1/rules/{rule['id']}/preview"))
    assert saved_preview["items"] == preview["items"]

    applied = ok(owner.post(f"/v1/rules/{rule['id']}/apply"))

    assert applied == {"rule_id": rule["id"], "changed": 3}
    for transaction in (trip, other_trip):
        now = ok(owner.get(f"/v1/transactions/{transaction['id']}"))
        assert (now["category_id"], now["category_source"], now["category_confidence"]) == (
            categories["transport"],
            "rule",
            "1.0000",
        )
        assert (now["tags"], now["version"]) == (["uber"], 3)
        assert _events(container, transaction["id"]) == [
            "TransactionCreated",
            "TransactionUpdated",
            "TransactionCategorized",
        ]
    hand = ok(owner.get(f"/v1/transactions/{by_hand['id']}"))
    assert (hand["category_id"], hand["category_source"]) == (categories["restaurants"], "user")
    assert hand["tags"] == ["uber"]
    assert _events(container, by_hand["id"]) == ["TransactionCreated", "TransactionUpdated"]
    for untouched in (refund, bakery):
        assert ok(owner.get(f"/v1/transactions/{untouched['id']}")) == untouched
    assert ok(owner.get(f"/v1/rules/{rule['id']}/preview"))["items"] == []
    assert ok(owner.post(f"/v1/rules/{rule['id']}/apply"))["changed"] == 0


def test_a_preview_comes_in_pages(owner, account):
    made = [_tx(owner, account, f"UBER {n}", booked_on=f"2026-10-{n + 1:02d}") for n in range(5)]
    _tx(owner, account, "PADARIA", booked_on="2026-10-03")
    definition = {"name": "U", "conditions": [UBER], "actions": {"tags": ["u"]}}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(owner.post("/v1/rules/preview", definition, params=params))
        assert len(page["items"]) <= 2
        seen.extend(item["transaction_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [transaction["id"] for transaction in reversed(made)]
    bad = owner.post("/v1/rules/preview", definition, params={"cursor": "nope"})
    assert _pointers(problem(bad, 422)) == {"/cursor"}


def test_each_kind_of_condition_selects_what_it_says(owner, account, categories):
    savings = ok(owner.post("/v1/accounts", {"name": "Poupança", "kind": "savings"}), 201)
    pix = _tx(
        owner,
        account,
        "PIX ENVIADO JOAO",
        "-100.00",
        type="PIX",
        counterparty_document="123.456.789-09",
    )
    card = _tx(owner, account, "IFD*PIZZARIA DOM PEPE", "-55.00", type="CARTAO")
    saved = _tx(owner, savings, "APLICACAO", "100.00", type="TED")
    named = _tx(owner, account, "COMPRA", "-5.00", merchant="Padaria São João")

    def matched(*conditions: dict[str, Any]) -> list[str]:
        definition = {"name": "p", "conditions": list(conditions), "actions": {"tags": ["t"]}}
        page = ok(owner.post("/v1/rules/preview", definition))
        return sorted(item["transaction_id"] for item in page["items"])

    assert matched({"field": "description", "operator": "starts_with", "value": "pix enviado"}) == [
        pix["id"]
    ]
    assert matched({"field": "description", "operator": "regex", "value": r"^IFD\*"}) == [
        card["id"]
    ]
    assert matched({"field": "description", "operator": "equals", "value": "aplicação"}) == [
        saved["id"]
    ]
    assert matched({"field": "merchant", "operator": "contains", "value": "sao joao"}) == [
        named["id"]
    ]
    assert matched({"field": "merchant", "operator": "equals", "value": "pizzaria dom pepe"}) == [
        card["id"]
    ]
    assert matched(
        {"field": "amount", "operator": "between", "min": "-100", "max": "-55"}
    ) == sorted([pix["id"], card["id"]])
    assert matched({"field": "amount", "operator": "sign", "value": "credit"}) == [saved["id"]]
    assert matched({"field": "account", "operator": "equals", "value": savings["id"]}) == [
        saved["id"]
    ]
    assert matched({"field": "type", "operator": "in", "values": ["pix", "ted"]}) == sorted(
        [pix["id"], saved["id"]]
    )
    assert matched(
        {"field": "counterparty_document", "operator": "equals", "value": "12345678909"}
    ) == [pix["id"]]
    # Stored transactions keep no MCC: an MCC condition matches only imported lines.
    assert matched({"field": "mcc", "operator": "equals", "value": "5812"}) == []


def test_renaming_the_merchant_and_marking_own_transfers(owner, account, categories):
    transfer = _tx(owner, account, "TED ENVIADA", "-500.00", counterparty_document="12345678909")
    rule = ok(
        owner.post(
            "/v1/rules",
            {
                "name": "Minha poupança",
                "conditions": [
                    {
                        "field": "counterparty_document",
                        "operator": "equals",
                        "value": "123.456.789-09",
                    }
                ],
                "actions": {"own_transfer": True, "merchant": "Eu mesmo"},
            },
        ),
        201,
    )
    assert ok(owner.post(f"/v1/rules/{rule['id']}/apply"))["changed"] == 1
    now = ok(owner.get(f"/v1/transactions/{transfer['id']}"))
    assert (now["category_id"], now["merchant"], now["category_source"]) == (
        categories["own_accounts"],
        "Eu mesmo",
        "rule",
    )


def test_a_saved_rule_whose_category_was_archived_cannot_run(owner, account):
    category = ok(owner.post("/v1/categories", {"name": "Temporária"}), 201)["id"]
    rule = ok(
        owner.post(
            "/v1/rules", {"name": "T", "conditions": [UBER], "actions": {"category_id": category}}
        ),
        201,
    )
    _tx(owner, account, "UBER")
    ok(owner.patch(f"/v1/categories/{category}", {"archived": True}))
    problem(owner.post(f"/v1/rules/{rule['id']}/apply"), 409)
    problem(owner.get(f"/v1/rules/{rule['id']}/preview"), 409)


def test_empty_and_10000_character_descriptions_are_read(owner, container, account):
    tenant_id = UUID(str(owner.tenant_id))
    caller = Caller(Principal(owner.user_id, tenant_id, frozenset({Role.OWNER})), tenant_id)
    long_early = "UBER TRIP " + "ç" * 9_990
    long_late = "ç" * 9_990 + " UBER TRIP"
    ids = container.transactions.create_many(
        caller,
        [
            NewTransaction(UUID(account["id"]), Decimal("-1.00"), date(2026, 10, 1), description)
            for description in ("", long_early, long_late)
        ],
    )
    for condition in (
        {"field": "description", "operator": "contains", "value": "uber trip"},
        {"field": "description", "operator": "regex", "value": r"uber\s+trip"},
    ):
        rule = ok(
            owner.post(
                "/v1/rules", {"name": "U", "conditions": [condition], "actions": {"tags": ["u"]}}
            ),
            201,
        )
        page = ok(owner.get(f"/v1/rules/{rule['id']}/preview"))
        assert [item["transaction_id"] for item in page["items"]] == [str(ids[1])]
    empty = {"field": "description", "operator": "regex", "value": "^$"}
    rule = ok(
        owner.post(
            "/v1/rules", {"name": "E", "conditions": [empty], "actions": {"tags": ["vazio"]}}
        ),
        201,
    )
    assert ok(owner.post(f"/v1/rules/{rule['id']}/apply"))["changed"] == 1
    assert ok(owner.get(f"/v1/transactions/{ids[0]}"))["tags"] == ["vazio"]


# -- who may do what -------------------------------------------------------------------------


def test_another_workspace_cannot_see_or_touch_a_rule(owner, account, categories, new_actor):
    rule = ok(
        owner.post(
            "/v1/rules",
            {
                "name": "Segredo",
                "conditions": [UBER],
                "actions": {"category_id": categories["transport"]},
            },
        ),
        201,
    )
    _tx(owner, account, "UBER SEGREDO")
    stranger = new_actor("Zeca")
    path = f"/v1/rules/{rule['id']}"
    problem(stranger.get(path), 404)
    problem(stranger.patch(path, {"name": "x", "version": 1}), 404)
    problem(stranger.delete(path), 404)
    problem(stranger.get(f"{path}/preview"), 404)
    problem(stranger.post(f"{path}/apply"), 404)
    assert ok(stranger.get("/v1/rules")) == []
    # Their own preview sees none of the owner's transactions, and cannot use its category.
    mine = {"name": "p", "conditions": [UBER], "actions": {"tags": ["t"]}}
    assert ok(stranger.post("/v1/rules/preview", mine))["items"] == []
    theirs = {**mine, "actions": {"category_id": categories["transport"]}}
    assert _pointers(problem(stranger.post("/v1/rules/preview", theirs), 422)) == {
        "/actions/category_id"
    }
    in_owner = {"X-Fluxo-Workspace": str(owner.tenant_id)}
    problem(stranger.get("/v1/rules", headers=in_owner), 404)
    assert ok(owner.get(path)) == rule


def test_a_viewer_reads_rules_but_cannot_change_or_apply_them(owner, container, client, account):
    _tx(owner, account, "UBER")  # before the rule, which would otherwise tag it as it is recorded
    rule = _rule(owner, "U", [UBER])
    vera = _viewer(owner, container, client)
    path = f"/v1/rules/{rule['id']}"
    assert ok(vera.get("/v1/rules")) == [rule]
    assert ok(vera.get(path)) == rule
    assert len(ok(vera.get(f"{path}/preview"))["items"]) == 1
    problem(
        vera.post("/v1/rules", {"name": "V", "conditions": [UBER], "actions": {"tags": ["t"]}}), 403
    )
    problem(vera.patch(path, {"name": "V", "version": 1}), 403)
    problem(vera.delete(path), 403)
    problem(vera.post(f"{path}/apply"), 403)
    assert ok(owner.get(path)) == rule


# -- imports ---------------------------------------------------------------------------------


def _upload(actor: Actor, account_id: str, path: Path):  # type: ignore[no-untyped-def]
    return actor.client.post(
        "/v1/imports",
        headers=actor.headers(),
        data={"account_id": account_id},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )


def _imported(owner: Actor, account: dict[str, Any]) -> dict[str, dict[str, Any]]:
    page = ok(owner.get("/v1/transactions", params={"account_id": account["id"], "limit": 100}))
    return {item["description"]: item for item in page["items"]}


LONG = "Mercadão " + "ç" * 9_991
"""A 10,000-character description: rules read its first 1,000 characters."""


def test_an_import_applies_the_workspace_rules_before_the_built_in_categoriser(
    owner, categories, container, tmp_path
):
    card = ok(owner.post("/v1/accounts", {"name": "Cartão", "kind": "credit_card"}), 201)
    _rule(
        owner,
        "Pizza",
        [{"field": "description", "operator": "regex", "value": r"pizzaria\s+dom"}],
        actions={
            "category_id": categories["restaurants"],
            "tags": ["pizza", "delivery"],
            "merchant": "Dom Pepe",
        },
        stop_processing=True,
    )
    _rule(
        owner,
        "Delivery tag",
        [{"field": "description", "operator": "starts_with", "value": "ifd"}],
        actions={"tags": ["ifood"]},
    )
    _rule(owner, "Off", [UBER], enabled=False, actions={"category_id": categories["restaurants"]})
    _rule(
        owner,
        "Mercado",
        [{"field": "description", "operator": "contains", "value": "mercadão"}],
        actions={"tags": ["feira"]},
    )
    path = tmp_path / "nubank.csv"
    path.write_text(
        "date,title,amount\n"
        "2024-01-05,IFD*PIZZARIA DOM PEPE,55.00\n"
        "2024-01-06,IFD*OUTRO RESTAURANTE,20.00\n"
        "2024-01-07,Uber *Trip,18.45\n"
        "2024-01-08,MERCADAO CENTRAL,40.00\n"
        f"2024-01-09,{LONG},1.00\n",
        encoding="utf-8",
    )

    report = ok(_upload(owner, card["id"], path), 201)

    assert (report["imported"], report["rejected"]) == (5, 0)
    found = _imported(owner, card)
    pizza = found["IFD*PIZZARIA DOM PEPE"]
    assert (pizza["category_id"], pizza["category_source"], pizza["merchant"]) == (
        categories["restaurants"],
        "rule",
        "Dom Pepe",
    )
    assert pizza["tags"] == ["delivery", "pizza"]  # the rule stops: no "ifood"
    other = found["IFD*OUTRO RESTAURANTE"]
    assert other["tags"] == ["ifood"]
    # The built-in chain (model, base) decides, the rule only tags.
    assert other["category_source"] in (None, "model", "base")
    trip = found["Uber *Trip"]
    # The Uber rule is disabled: the built-in chain decides.
    assert (trip["category_source"] in {"model", "base"}, trip["tags"]) == (True, [])
    assert trip["category_id"] not in (None, categories["restaurants"])
    assert found["MERCADAO CENTRAL"]["tags"] == ["feira"]
    assert found[LONG]["tags"] == ["feira"]
    with container.db.admin_session() as session:
        envelopes = session.scalars(
            select(OutboxEvent.envelope).where(OutboxEvent.type == "TransactionsImported")
        ).all()
    wired = {
        t["description"]: t for envelope in envelopes for t in envelope["data"]["transactions"]
    }
    assert wired["IFD*PIZZARIA DOM PEPE"]["tags"] == ["delivery", "pizza"]
    assert wired["IFD*PIZZARIA DOM PEPE"]["categorySource"] == "rule"
    assert "tags" not in wired["Uber *Trip"]


def test_an_import_without_rules_is_categorised_by_the_built_in_chain(owner, categories, tmp_path):
    card = ok(owner.post("/v1/accounts", {"name": "Cartão", "kind": "credit_card"}), 201)
    path = tmp_path / "nubank.csv"
    path.write_text("date,title,amount\n2024-01-07,Uber *Trip,18.45\n", encoding="utf-8")
    ok(_upload(owner, card["id"], path), 201)
    [trip] = _imported(owner, card).values()
    assert (trip["category_source"] in {"model", "base"}, trip["tags"]) == (True, [])
    assert trip["category_id"] is not None
