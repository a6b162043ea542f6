"""Learning from corrections, the review queue and why a category is what it is, through the API,
on SQLite and PostgreSQL.

What these tests check is decided by rules and by learning, which come first in the chain, and
the categories people choose are the workspace's own (no categoriser can guess those): the tests
hold whichever categoriser ends the chain.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from shared.db.models import OutboxEvent
from shared.domain.access import Role
from tests.support.api import Actor, categories_by_slug, ok, problem, token_for

ZE = "CASA DO ZE"
"""A merchant, learned as ``casa do ze``."""


@pytest.fixture
def account(owner: Actor) -> dict[str, Any]:
    return ok(owner.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)


@pytest.fixture
def categories(owner: Actor) -> dict[str, str]:
    """The workspace's categories by slug, and two of its own (``bars``, ``coffee``): no
    categoriser can guess a workspace's own category, so a learned one always stands out."""
    slugs = categories_by_slug(owner)
    for slug, name in (("bars", "Bar do Zé"), ("coffee", "Café do Zé")):
        body = {"name": name, "slug": f"ze_{slug}"}
        slugs[slug] = ok(owner.post("/v1/categories", body), 201)["id"]
    return slugs


def _names(actor: Actor) -> dict[str, str]:
    """Category id → name."""
    names: dict[str, str] = {}
    for node in ok(actor.get("/v1/categories")):
        names[node["id"]] = node["name"]
        for child in node["children"]:
            names[child["id"]] = child["name"]
    return names


def _tx(
    actor: Actor,
    account: dict[str, Any],
    description: str = ZE,
    amount: str = "-10.00",
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "account_id": account["id"],
        "amount": amount,
        "booked_on": fields.pop("booked_on", "2026-10-03"),
        "description": description,
        **fields,
    }
    created: dict[str, Any] = ok(actor.post("/v1/transactions", body), 201)
    return created


def _choose(actor: Actor, transaction: dict[str, Any], category_id: str | None) -> dict[str, Any]:
    """Recategorises by hand, with the version last read."""
    current = ok(actor.get(f"/v1/transactions/{transaction['id']}"))
    changed: dict[str, Any] = ok(
        actor.patch(
            f"/v1/transactions/{transaction['id']}",
            {"category_id": category_id},
            headers={"If-Match": f'"{current["version"]}"'},
        )
    )
    return changed


def _get(actor: Actor, transaction: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = ok(actor.get(f"/v1/transactions/{transaction['id']}"))
    return found


def _learned(actor: Actor, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(actor.get("/v1/merchants/learned", params=params))["items"]
    return items


def _queue(actor: Actor, **params: Any) -> list[str]:
    page = ok(actor.get("/v1/transactions", params={"needs_review": True, "limit": 500, **params}))
    return [item["id"] for item in page["items"]]


def _upload(actor: Actor, account: dict[str, Any], text: str) -> dict[str, Any]:
    response = actor.client.post(
        "/v1/imports",
        headers=actor.headers(),
        data={"account_id": account["id"]},
        files={"file": ("extrato.csv", text.encode(), "text/csv")},
    )
    report: dict[str, Any] = ok(response, 201)
    return report


def _by_description(actor: Actor, account: dict[str, Any]) -> dict[str, dict[str, Any]]:
    page = ok(actor.get("/v1/transactions", params={"account_id": account["id"], "limit": 500}))
    return {item["description"]: item for item in page["items"]}


def _events(container, transaction_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        rows = session.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.aggregate_id == UUID(transaction_id))
            .order_by(OutboxEvent.version)
        ).all()
    return list(rows)


def _envelopes(container, kind: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return list(
            session.scalars(select(OutboxEvent.envelope).where(OutboxEvent.type == kind)).all()
        )


# -- learning --------------------------------------------------------------------------------


def test_a_correction_is_learned_and_categorises_the_merchants_next_transactions(
    owner, account, categories
):
    butcher = categories["bars"]
    name = _names(owner)[butcher]
    first = _tx(owner, account, "PAG*PAO DE ACUCAR 03/12")
    assert first["category_source"] != "user"

    _choose(owner, first, butcher)

    [learned] = _learned(owner)
    evidence = f"you chose {name} for Pao de Acucar 1 of the last 1 time"
    assert learned["key"] == "pao de acucar"
    assert (learned["merchant"], learned["enabled"], learned["category_id"]) == (
        "Pao de Acucar",
        True,
        butcher,
    )
    assert (learned["confidence"], learned["confident"], learned["evidence"]) == (
        0.8,
        True,
        evidence,
    )
    assert [(c["category_id"], c["transaction_id"]) for c in learned["choices"]] == [
        (butcher, first["id"])
    ]
    # Addressed by its key or by its name as a transaction shows it.
    assert ok(owner.get("/v1/merchants/learned/pao de acucar")) == learned
    assert ok(owner.get("/v1/merchants/learned/Pão de Açúcar")) == learned

    second = _tx(owner, account, "COMPRA CARTAO DEB PAO DE ACUCAR SAO PAULO BR")
    assert (second["category_id"], second["category_source"], second["category_confidence"]) == (
        butcher,
        "learned",
        "0.8000",
    )
    assert (second["category_evidence"], second["needs_review"]) == (evidence, False)

    _upload(owner, account, "Data;Descrição;Valor\n05/11/2026;PAO DE ACUCAR;-99,90\n")
    imported = _by_description(owner, account)["PAO DE ACUCAR"]
    assert (imported["category_id"], imported["category_source"]) == (butcher, "learned")
    assert imported["category_evidence"] == evidence


def test_the_most_frequent_recent_choice_wins_and_a_transaction_counts_once(
    owner, account, categories
):
    bars, coffee = categories["bars"], categories["coffee"]
    made = [_tx(owner, account) for _ in range(3)]
    _choose(owner, made[0], bars)
    _choose(owner, made[1], coffee)
    _choose(owner, made[2], coffee)

    [learned] = _learned(owner)
    assert (learned["category_id"], learned["confidence"]) == (coffee, 0.64)
    assert learned["evidence"].endswith("for Casa do Ze 2 of the last 3 times")
    new = _tx(owner, account, "Casa do Zé")
    assert (new["category_id"], new["category_source"]) == (coffee, "learned")

    _choose(owner, made[0], coffee)  # changing one's mind replaces that transaction's choice

    [learned] = _learned(owner)
    assert len(learned["choices"]) == 3
    assert (learned["category_id"], learned["confidence"]) == (coffee, 0.99)


def test_choices_that_disagree_put_the_merchants_next_transactions_up_for_review(
    owner, account, categories
):
    bars, coffee = categories["bars"], categories["coffee"]
    first, second = _tx(owner, account), _tx(owner, account)
    _choose(owner, first, bars)
    _choose(owner, second, coffee)

    [learned] = _learned(owner)
    assert (learned["category_id"], learned["confident"], learned["confidence"]) == (
        coffee,
        False,
        0.4,
    )
    waiting = _tx(owner, account)
    assert (waiting["category_id"], waiting["category_source"], waiting["needs_review"]) == (
        None,
        None,
        True,
    )
    assert waiting["category_evidence"] == learned["evidence"]
    assert "1 of the last 2 times" in waiting["category_evidence"]
    assert _queue(owner) == [waiting["id"]]
    problem(owner.get("/v1/merchants/learned/casa do ze/preview"), 409)
    problem(owner.post("/v1/merchants/learned/casa do ze/apply"), 409)

    decided = _choose(owner, waiting, coffee)

    assert (decided["needs_review"], decided["category_source"]) == (False, "user")
    assert decided["category_evidence"] == "chosen by hand"
    assert _queue(owner) == []
    assert _learned(owner)[0]["confident"] is True  # 2 of 3 now


def test_learning_can_be_turned_off_and_back_on_for_a_merchant(owner, account, categories):
    bars, coffee = categories["bars"], categories["coffee"]
    _choose(owner, _tx(owner, account), bars)

    off = ok(owner.patch("/v1/merchants/learned/casa do ze", {"enabled": False}))

    assert off["enabled"] is False
    assert _learned(owner, enabled=False) == [off]
    assert _learned(owner, enabled=True) == []
    unlearned = _tx(owner, account)
    assert unlearned["category_source"] != "learned"
    _choose(owner, _tx(owner, account), coffee)  # not recorded while off
    assert ok(owner.get("/v1/merchants/learned/casa do ze"))["choices"] == off["choices"]

    on = ok(owner.patch("/v1/merchants/learned/Casa do Zé", {"enabled": True}))

    assert (on["enabled"], on["category_id"]) == (True, bars)
    again = _tx(owner, account)
    assert (again["category_id"], again["category_source"]) == (bars, "learned")
    problem(owner.patch("/v1/merchants/learned/casa do ze", {"enabled": None}), 422)


def test_apply_previews_then_changes_only_what_no_person_and_no_rule_decided(
    owner, account, categories, container
):
    bars, coffee, pharmacy = categories["bars"], categories["coffee"], categories["pharmacy"]
    rule = ok(
        owner.post(
            "/v1/rules",
            {
                "name": "Zé caro",
                "conditions": [
                    {"field": "description", "operator": "contains", "value": "casa do ze"},
                    {"field": "amount", "operator": "between", "max": "-50.00"},
                ],
                "actions": {"category_id": pharmacy},
            },
        ),
        201,
    )
    waiting = [_tx(owner, account, booked_on=f"2026-10-0{day}") for day in (1, 2)]
    by_hand = _tx(owner, account, category_id=bars)
    by_rule = _tx(owner, account, amount="-60.00")
    other_merchant = _tx(owner, account, "PAG*PAO DE ACUCAR 03/12")
    assert (by_rule["category_id"], by_rule["category_rule_id"]) == (pharmacy, rule["id"])
    corrected = _tx(owner, account)
    _choose(owner, corrected, coffee)
    untouched = [by_hand, by_rule, other_merchant, _get(owner, corrected)]
    before = [_get(owner, transaction) for transaction in waiting]

    preview = ok(owner.get("/v1/merchants/learned/casa do ze/preview"))

    assert preview["would_change"] == 2
    assert (preview["key"], preview["category_id"], preview["confidence"]) == (
        "casa do ze",
        coffee,
        0.8,
    )
    assert [_get(owner, transaction) for transaction in waiting] == before  # nothing changed

    applied = ok(owner.post("/v1/merchants/learned/Casa do Zé/apply"))

    assert applied == {"key": "casa do ze", "category_id": coffee, "changed": 2}
    for transaction in waiting:
        now = _get(owner, transaction)
        assert (now["category_id"], now["category_source"], now["needs_review"]) == (
            coffee,
            "learned",
            False,
        )
        assert now["category_evidence"] == preview["evidence"]
        assert now["version"] == transaction["version"] + 1
        assert _events(container, transaction["id"])[-1] == "TransactionCategorized"
    for transaction in untouched:
        assert _get(owner, transaction) == transaction
    assert _queue(owner) == []
    assert ok(owner.post("/v1/merchants/learned/casa do ze/apply"))["changed"] == 0
    assert ok(owner.get("/v1/merchants/learned/casa do ze/preview"))["would_change"] == 0


def test_a_category_chosen_by_hand_is_kept_on_every_path(owner, account, categories, container):
    bars, coffee, pharmacy = categories["bars"], categories["coffee"], categories["pharmacy"]
    ok(
        owner.post(
            "/v1/rules",
            {
                "name": "Zé",
                "conditions": [{"field": "merchant", "operator": "contains", "value": "ze"}],
                "actions": {"category_id": pharmacy},
            },
        ),
        201,
    )
    # Recorded with a category: no rule, no learning, no model replaces it.
    recorded = _tx(owner, account, category_id=bars, booked_on="2024-01-05")
    assert (recorded["category_id"], recorded["category_source"]) == (bars, "user")
    # Recategorised by hand, then a rule and the learning applied to what is stored.
    chosen = _choose(owner, _tx(owner, account, "PADARIA DO ZE", "-7.50"), coffee)
    [rule] = ok(owner.get("/v1/rules"))
    ok(owner.post(f"/v1/rules/{rule['id']}/apply"))
    ok(owner.post("/v1/merchants/learned/padaria do ze/apply"))
    # A pending entry chosen by hand, booked by an import; the same lines imported again.
    pending = _tx(owner, account, "FARMACIA DO ZE", "-30.00", status="pending", category_id=coffee)
    statement = (
        "Data;Descrição;Valor\n05/01/2024;CASA DO ZE;-10,00\n03/10/2026;FARMACIA DO ZE;-30,00\n"
    )
    report = _upload(owner, account, statement)
    assert (report["imported"], report["duplicates"]) == (0, 2)

    for transaction, category in ((recorded, bars), (chosen, coffee), (pending, coffee)):
        now = _get(owner, transaction)
        assert (now["category_id"], now["category_source"]) == (category, "user")
        assert now["category_evidence"] == "chosen by hand"
    assert _get(owner, pending)["status"] == "booked"


# -- the review queue ------------------------------------------------------------------------


def _disagree(owner: Actor, account: dict[str, Any], categories: dict[str, str]) -> None:
    """Casa do Zé filed under two categories: its next transactions wait for review."""
    _choose(owner, _tx(owner, account, booked_on="2026-01-01"), categories["bars"])
    _choose(owner, _tx(owner, account, booked_on="2026-01-02"), categories["coffee"])


def test_the_review_queue_pages_and_combines_with_the_other_filters(owner, account, categories):
    _disagree(owner, account, categories)
    other = ok(owner.post("/v1/accounts", {"name": "Outra", "kind": "checking"}), 201)
    waiting = [_tx(owner, account, booked_on=f"2026-10-{day:02d}") for day in range(1, 6)]
    elsewhere = _tx(owner, other, booked_on="2026-10-03")
    decided = _tx(owner, account, category_id=categories["bars"])
    newest_first = [item["id"] for item in reversed(waiting)]

    first = ok(owner.get("/v1/transactions", params={"needs_review": True, "limit": 2}))
    assert [item["id"] for item in first["items"]] == newest_first[:2]
    ids = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor is not None:
        page = ok(
            owner.get(
                "/v1/transactions", params={"needs_review": True, "limit": 2, "cursor": cursor}
            )
        )
        assert all(item["needs_review"] for item in page["items"])
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(ids) == len(set(ids)) == 6
    assert set(ids) == {*newest_first, elsewhere["id"]}
    assert set(_queue(owner, account_id=account["id"])) == set(newest_first)
    assert _queue(owner, account_id=other["id"]) == [elsewhere["id"]]
    assert set(_queue(owner, date_from="2026-10-04")) == set(newest_first[:2])
    assert set(_queue(owner, sort="-amount")) == {*newest_first, elsewhere["id"]}
    settled = ok(owner.get("/v1/transactions", params={"needs_review": False, "limit": 500}))
    assert decided["id"] in {item["id"] for item in settled["items"]}
    assert not {item["id"] for item in settled["items"]} & set(ids)


def test_a_line_the_chain_is_not_sure_of_waits_for_review_until_someone_decides(
    owner, account, categories, container
):
    _disagree(owner, account, categories)
    _upload(owner, account, "Data;Descrição;Valor\n10/10/2026;CASA DO ZE;-42,00\n")
    page = ok(owner.get("/v1/transactions", params={"date_from": "2026-10-10"}))
    [waiting] = page["items"]
    assert (waiting["category_id"], waiting["needs_review"]) == (None, True)
    assert "you chose" in waiting["category_evidence"]
    assert _queue(owner) == [waiting["id"]]
    wired = [
        item
        for envelope in _envelopes(container, "TransactionsImported")
        for item in envelope["data"]["transactions"]
    ]
    assert [(item["needsReview"], "categoryId" in item) for item in wired] == [(True, False)]
    assert wired[0]["categoryEvidence"] == waiting["category_evidence"]

    cleared = _choose(owner, waiting, None)  # deciding it has no category is a decision too

    assert (cleared["needs_review"], cleared["category_id"], cleared["category_evidence"]) == (
        False,
        None,
        None,
    )
    assert _queue(owner) == []
    assert _events(container, waiting["id"]) == ["TransactionCategorized"]


# -- why -------------------------------------------------------------------------------------


def test_every_category_says_why(owner, account, categories, container):
    transport = categories["transport"]
    rule = ok(
        owner.post(
            "/v1/rules",
            {
                "name": "Uber",
                "conditions": [{"field": "description", "operator": "contains", "value": "uber"}],
                "actions": {"category_id": transport},
            },
        ),
        201,
    )
    by_rule = _tx(owner, account, "UBER *TRIP")
    assert (by_rule["category_source"], by_rule["category_rule_id"]) == ("rule", rule["id"])
    assert by_rule["category_evidence"] == "rule 'Uber'"

    built_in = _tx(owner, account, "NETFLIX.COM")
    assert built_in["category_source"] in {"base", "model"}
    assert built_in["category_evidence"]
    assert built_in["category_rule_id"] is None

    by_hand = _tx(owner, account, category_id=categories["bars"])
    assert (by_hand["category_source"], by_hand["category_evidence"]) == ("user", "chosen by hand")

    _choose(owner, _tx(owner, account), categories["coffee"])
    learned = _tx(owner, account)
    assert learned["category_source"] == "learned"
    assert learned["category_evidence"].startswith("you chose ")

    _upload(owner, account, "Data;Descrição;Valor\n05/11/2026;UBER *TRIP SP;-20,00\n")
    imported = _by_description(owner, account)["UBER *TRIP SP"]
    assert (imported["category_rule_id"], imported["category_evidence"]) == (
        rule["id"],
        "rule 'Uber'",
    )

    with container.db.admin_session() as session:
        created = session.scalars(
            select(OutboxEvent.envelope).where(
                OutboxEvent.aggregate_id == UUID(by_rule["id"]),
                OutboxEvent.type == "TransactionCreated",
            )
        ).one()
    snapshot = created["data"]["transaction"]
    assert (snapshot["categoryEvidence"], snapshot["categoryRuleId"], snapshot["needsReview"]) == (
        "rule 'Uber'",
        rule["id"],
        False,
    )


def test_an_idempotent_retry_returns_the_transaction_as_first_categorised(
    owner, account, categories
):
    body = {
        "account_id": account["id"],
        "amount": "-10.00",
        "booked_on": "2026-10-03",
        "description": ZE,
    }
    headers = {"Idempotency-Key": "ze-1"}
    first = ok(owner.post("/v1/transactions", body, headers=headers), 201)
    _choose(owner, _tx(owner, account), categories["bars"])  # learned since
    again = owner.post("/v1/transactions", body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ok(again, 201)["category_source"] == first["category_source"] != "learned"


# -- who sees what ---------------------------------------------------------------------------


def test_another_workspace_never_learns_from_these_corrections(new_actor):
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    accounts = {
        actor.user_id: ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
        for actor in (ana, bruno)
    }
    bruno_bars = ok(bruno.post("/v1/categories", {"name": "Bar do Zé"}), 201)["id"]
    _choose(bruno, _tx(bruno, accounts[bruno.user_id]), bruno_bars)
    assert len(_learned(bruno)) == 1

    mine = _tx(ana, accounts[ana.user_id])

    assert mine["category_source"] != "learned"
    assert mine["category_id"] != bruno_bars
    assert _learned(ana) == []
    for request in (
        ana.get("/v1/merchants/learned/casa do ze"),
        ana.patch("/v1/merchants/learned/casa do ze", {"enabled": False}),
        ana.get("/v1/merchants/learned/casa do ze/preview"),
        ana.post("/v1/merchants/learned/casa do ze/apply"),
    ):
        problem(request, 404)
    ana_coffee = ok(ana.post("/v1/categories", {"name": "Café do Zé"}), 201)["id"]
    _choose(ana, mine, ana_coffee)
    [bruno_learned] = _learned(bruno)
    assert (bruno_learned["category_id"], bruno_learned["enabled"]) == (bruno_bars, True)
    assert len(bruno_learned["choices"]) == 1
    assert _learned(ana)[0]["category_id"] == ana_coffee


def test_a_viewer_reads_what_was_learned_but_cannot_change_or_apply_it(
    owner, account, categories, container, client
):
    _choose(owner, _tx(owner, account), categories["bars"])
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
    vera = Actor(client, token, vera_id, owner.tenant_id)
    assert _learned(vera) == _learned(owner)
    assert ok(vera.get("/v1/merchants/learned/casa do ze/preview"))["would_change"] == 0
    problem(vera.patch("/v1/merchants/learned/casa do ze", {"enabled": False}), 403)
    problem(vera.post("/v1/merchants/learned/casa do ze/apply"), 403)
    assert _learned(owner)[0]["enabled"] is True


def test_a_merchant_that_was_never_corrected_or_names_nothing_is_refused(owner):
    problem(owner.get("/v1/merchants/learned/nunca corrigido"), 404)
    problem(owner.get("/v1/merchants/learned/***"), 422)
    problem(owner.get("/v1/merchants/learned/" + "x" * 201), 422)


def test_what_was_learned_comes_in_pages_by_key(owner, account, categories):
    for name in ("BETA LTDA", "ALFA LTDA", "GAMA LTDA"):
        _choose(owner, _tx(owner, account, name), categories["bars"])
    first = ok(owner.get("/v1/merchants/learned", params={"limit": 2}))
    assert [item["key"] for item in first["items"]] == ["alfa", "beta"]
    rest = ok(
        owner.get("/v1/merchants/learned", params={"limit": 2, "cursor": first["next_cursor"]})
    )
    assert ([item["key"] for item in rest["items"]], rest["next_cursor"]) == (["gama"], None)
    problem(owner.get("/v1/merchants/learned", params={"cursor": "garbage"}), 422)
