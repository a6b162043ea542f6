"""Tenant isolation through the API: a person of workspace A can neither see nor touch B.

Every route is tried with B's ids; the table below is the list of attempts, so a new route is one
more line. B's data is compared before and after each attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.api import Actor, ok, problem

# Strings that exist only in B: none may ever appear in an answer to A.
B_SECRETS = (
    "Casa de Bruno",
    "Conta Secreta",
    "SEGREDO DO BRUNO",
    "segredo-b",
    "Categoria Oculta",
    "bruno.",
)


@dataclass(frozen=True)
class Attempt:
    method: str
    path: str
    body: Any = None
    status: int = 404
    pointer: str | None = None
    """For 422: where the problem must point (a reference to B inside A's request)."""
    headers: dict[str, str] = field(default_factory=dict)


IN_B = {"X-Fluxo-Workspace": "{b_workspace}"}
B_DEVICE = (
    "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/fluxo/5e9c0a57-0000-4000-8000-00000000000b"
)
ANY_TEXT = {"field": "description", "operator": "contains", "value": "segredo"}

ATTEMPTS: dict[str, Attempt] = {
    # B's resources addressed directly, acting in A
    "get B's account": Attempt("GET", "/v1/accounts/{b_account}"),
    "patch B's account": Attempt("PATCH", "/v1/accounts/{b_account}", {"name": "hacked"}),
    "archive B's account": Attempt("PATCH", "/v1/accounts/{b_account}", {"archived": True}),
    "delete B's account": Attempt("DELETE", "/v1/accounts/{b_account}"),
    "get B's category": Attempt("GET", "/v1/categories/{b_category}"),
    "patch B's category": Attempt("PATCH", "/v1/categories/{b_category}", {"name": "hacked"}),
    "archive B's category": Attempt("PATCH", "/v1/categories/{b_category}", {"archived": True}),
    "move B's category under mine": Attempt(
        "PATCH", "/v1/categories/{b_category}", {"parent_id": "{a_category}"}
    ),
    "patch B's tag": Attempt("PATCH", "/v1/tags/{b_tag}", {"name": "hacked"}),
    "delete B's tag": Attempt("DELETE", "/v1/tags/{b_tag}"),
    "get B's transaction": Attempt("GET", "/v1/transactions/{b_transaction}"),
    "patch B's transaction": Attempt(
        "PATCH", "/v1/transactions/{b_transaction}", {"version": 1, "amount": "-999.00"}
    ),
    "patch B's transaction with if-match": Attempt(
        "PATCH",
        "/v1/transactions/{b_transaction}",
        {"notes": "hacked"},
        headers={"If-Match": '"1"'},
    ),
    "delete B's transaction": Attempt("DELETE", "/v1/transactions/{b_transaction}"),
    "delete B's transaction with if-match": Attempt(
        "DELETE", "/v1/transactions/{b_transaction}", headers={"If-Match": '"1"'}
    ),
    "get B's rule": Attempt("GET", "/v1/rules/{b_rule}"),
    "patch B's rule": Attempt("PATCH", "/v1/rules/{b_rule}", {"version": 1, "name": "hacked"}),
    "delete B's rule": Attempt("DELETE", "/v1/rules/{b_rule}"),
    "preview B's rule": Attempt("GET", "/v1/rules/{b_rule}/preview"),
    "apply B's rule": Attempt("POST", "/v1/rules/{b_rule}/apply"),
    "get B's learned merchant": Attempt("GET", "/v1/merchants/learned/{b_learned}"),
    "turn off B's learning": Attempt(
        "PATCH", "/v1/merchants/learned/{b_learned}", {"enabled": False}
    ),
    "preview B's learned category": Attempt("GET", "/v1/merchants/learned/{b_learned}/preview"),
    "apply B's learned category": Attempt("POST", "/v1/merchants/learned/{b_learned}/apply"),
    "get B's budget": Attempt("GET", "/v1/budgets/{b_budget}"),
    "patch B's budget": Attempt("PATCH", "/v1/budgets/{b_budget}", {"version": 1, "amount": "1"}),
    "delete B's budget": Attempt("DELETE", "/v1/budgets/{b_budget}"),
    "progress of B's budget": Attempt("GET", "/v1/budgets/{b_budget}/progress"),
    "get B's goal": Attempt("GET", "/v1/goals/{b_goal}"),
    "patch B's goal": Attempt("PATCH", "/v1/goals/{b_goal}", {"version": 1, "name": "hacked"}),
    "delete B's goal": Attempt("DELETE", "/v1/goals/{b_goal}"),
    "progress of B's goal": Attempt("GET", "/v1/goals/{b_goal}/progress"),
    "remove B's device": Attempt("DELETE", "/v1/notifications/devices/{b_device}"),
    # B's workspace and its members
    "get workspace B": Attempt("GET", "/v1/workspaces/{b_workspace}"),
    "patch workspace B": Attempt("PATCH", "/v1/workspaces/{b_workspace}", {"name": "hacked"}),
    "list B's members": Attempt("GET", "/v1/workspaces/{b_workspace}/members"),
    "invite into B": Attempt(
        "POST",
        "/v1/workspaces/{b_workspace}/members",
        {"email": "spy@example.com", "role": "owner"},
    ),
    "invite myself into B": Attempt(
        "POST", "/v1/workspaces/{b_workspace}/members", {"email": "{a_email}", "role": "owner"}
    ),
    "demote B's owner": Attempt(
        "PATCH", "/v1/workspaces/{b_workspace}/members/{b_owner}", {"role": "viewer"}
    ),
    "remove B's owner": Attempt("DELETE", "/v1/workspaces/{b_workspace}/members/{b_owner}"),
    "promote myself in B": Attempt(
        "PATCH", "/v1/workspaces/{b_workspace}/members/{a_owner}", {"role": "owner"}
    ),
    "B's owner through A's members": Attempt(
        "PATCH", "/v1/workspaces/{a_workspace}/members/{b_owner}", {"role": "viewer"}
    ),
    "remove B's owner through A": Attempt(
        "DELETE", "/v1/workspaces/{a_workspace}/members/{b_owner}"
    ),
    # Acting in B by naming it in X-Fluxo-Workspace
    "header B: list accounts": Attempt("GET", "/v1/accounts", headers=IN_B),
    "header B: get account": Attempt("GET", "/v1/accounts/{b_account}", headers=IN_B),
    "header B: open account": Attempt(
        "POST", "/v1/accounts", {"name": "Intrusa", "kind": "checking"}, headers=IN_B
    ),
    "header B: patch account": Attempt(
        "PATCH", "/v1/accounts/{b_account}", {"name": "hacked"}, headers=IN_B
    ),
    "header B: delete account": Attempt("DELETE", "/v1/accounts/{b_account}", headers=IN_B),
    "header B: category tree": Attempt("GET", "/v1/categories", headers=IN_B),
    "header B: create category": Attempt(
        "POST", "/v1/categories", {"name": "Intrusa"}, headers=IN_B
    ),
    "header B: patch category": Attempt(
        "PATCH", "/v1/categories/{b_category}", {"name": "hacked"}, headers=IN_B
    ),
    "header B: list tags": Attempt("GET", "/v1/tags", headers=IN_B),
    "header B: create tag": Attempt("POST", "/v1/tags", {"name": "intrusa"}, headers=IN_B),
    "header B: delete tag": Attempt("DELETE", "/v1/tags/{b_tag}", headers=IN_B),
    "header B: list transactions": Attempt("GET", "/v1/transactions", headers=IN_B),
    "header B: get transaction": Attempt("GET", "/v1/transactions/{b_transaction}", headers=IN_B),
    "header B: record transaction": Attempt(
        "POST",
        "/v1/transactions",
        {
            "account_id": "{b_account}",
            "amount": "-1.00",
            "booked_on": "2026-10-05",
            "description": "INTRUSA",
        },
        headers=IN_B,
    ),
    "header B: patch transaction": Attempt(
        "PATCH",
        "/v1/transactions/{b_transaction}",
        {"version": 1, "notes": "hacked"},
        headers=IN_B,
    ),
    "header B: delete transaction": Attempt(
        "DELETE", "/v1/transactions/{b_transaction}", headers=IN_B
    ),
    "header B: list rules": Attempt("GET", "/v1/rules", headers=IN_B),
    "header B: create rule": Attempt(
        "POST",
        "/v1/rules",
        {"name": "Intrusa", "conditions": [ANY_TEXT], "actions": {"tags": ["x"]}},
        headers=IN_B,
    ),
    "header B: apply rule": Attempt("POST", "/v1/rules/{b_rule}/apply", headers=IN_B),
    "header B: list learned merchants": Attempt("GET", "/v1/merchants/learned", headers=IN_B),
    "header B: turn off learning": Attempt(
        "PATCH", "/v1/merchants/learned/{b_learned}", {"enabled": False}, headers=IN_B
    ),
    "header B: apply learned category": Attempt(
        "POST", "/v1/merchants/learned/{b_learned}/apply", headers=IN_B
    ),
    "header B: list budgets": Attempt("GET", "/v1/budgets", headers=IN_B),
    "header B: create budget": Attempt(
        "POST", "/v1/budgets", {"name": "Intrusa", "amount": "1"}, headers=IN_B
    ),
    "header B: patch budget": Attempt(
        "PATCH", "/v1/budgets/{b_budget}", {"version": 1, "name": "hacked"}, headers=IN_B
    ),
    "header B: delete budget": Attempt("DELETE", "/v1/budgets/{b_budget}", headers=IN_B),
    "header B: progress of budget": Attempt("GET", "/v1/budgets/{b_budget}/progress", headers=IN_B),
    "header B: list goals": Attempt("GET", "/v1/goals", headers=IN_B),
    "header B: create goal": Attempt(
        "POST",
        "/v1/goals",
        {"name": "Intrusa", "target_amount": "1", "account_id": "{b_account}"},
        headers=IN_B,
    ),
    "header B: patch goal": Attempt(
        "PATCH", "/v1/goals/{b_goal}", {"version": 1, "name": "hacked"}, headers=IN_B
    ),
    "header B: delete goal": Attempt("DELETE", "/v1/goals/{b_goal}", headers=IN_B),
    "header B: progress of goal": Attempt("GET", "/v1/goals/{b_goal}/progress", headers=IN_B),
    "header B: list notifications": Attempt("GET", "/v1/notifications", headers=IN_B),
    "header B: failed notifications": Attempt(
        "GET", "/v1/notifications?status=failed", headers=IN_B
    ),
    "header B: search": Attempt("GET", "/v1/search?q=segredo", headers=IN_B),
    "header B: insights": Attempt("GET", "/v1/analytics/insights?month=2026-10", headers=IN_B),
    "header B: forecast": Attempt("POST", "/v1/ai/forecast", {"horizon_days": 30}, headers=IN_B),
    "header B: recurring series": Attempt("GET", "/v1/recurring", headers=IN_B),
    "header B: anomalies": Attempt("GET", "/v1/ai/anomalies", headers=IN_B),
    "header B: run a report": Attempt(
        "POST",
        "/v1/reports",
        {"date_from": "2026-10-01", "date_to": "2026-10-31", "dimensions": ["category"]},
        headers=IN_B,
    ),
    # B's ids inside A's own requests
    "record in A on B's account": Attempt(
        "POST",
        "/v1/transactions",
        {
            "account_id": "{b_account}",
            "amount": "-1.00",
            "booked_on": "2026-10-05",
            "description": "CRUZADA",
        },
        status=422,
        pointer="/account_id",
    ),
    "record in A with B's category": Attempt(
        "POST",
        "/v1/transactions",
        {
            "account_id": "{a_account}",
            "amount": "-1.00",
            "booked_on": "2026-10-05",
            "description": "CRUZADA",
            "category_id": "{b_category}",
        },
        status=422,
        pointer="/category_id",
    ),
    "move A's transaction to B's account": Attempt(
        "PATCH",
        "/v1/transactions/{a_transaction}",
        {"version": 1, "account_id": "{b_account}"},
        status=422,
        pointer="/account_id",
    ),
    "categorise A's transaction with B's category": Attempt(
        "PATCH",
        "/v1/transactions/{a_transaction}",
        {"version": 1, "category_id": "{b_category}"},
        status=422,
        pointer="/category_id",
    ),
    "categorise and tag A's transaction with B's category": Attempt(
        "PATCH",
        "/v1/transactions/{a_transaction}",
        {"version": 1, "category_id": "{b_category}", "tags": ["nova"]},
        status=422,
        pointer="/category_id",
    ),
    "move A's transaction to B's account and tag it": Attempt(
        "PATCH",
        "/v1/transactions/{a_transaction}",
        {"version": 1, "tags": ["nova"], "account_id": "{b_account}"},
        status=422,
        pointer="/account_id",
    ),
    "rule in A setting B's category": Attempt(
        "POST",
        "/v1/rules",
        {"name": "Cruzada", "conditions": [ANY_TEXT], "actions": {"category_id": "{b_category}"}},
        status=422,
        pointer="/actions/category_id",
    ),
    "preview in A with B's category": Attempt(
        "POST",
        "/v1/rules/preview",
        {"conditions": [ANY_TEXT], "actions": {"category_id": "{b_category}"}},
        status=422,
        pointer="/actions/category_id",
    ),
    "create in A under B's category": Attempt(
        "POST",
        "/v1/categories",
        {"name": "Filha", "parent_id": "{b_category}"},
        status=422,
        pointer="/parent_id",
    ),
    "budget in A on B's category": Attempt(
        "POST",
        "/v1/budgets",
        {"name": "Cruzado", "amount": "10", "category_id": "{b_category}"},
        status=422,
        pointer="/category_id",
    ),
    "move A's budget to B's category": Attempt(
        "PATCH",
        "/v1/budgets/{a_budget}",
        {"version": 1, "category_id": "{b_category}"},
        status=422,
        pointer="/category_id",
    ),
    "goal in A on B's account": Attempt(
        "POST",
        "/v1/goals",
        {"name": "Cruzada", "target_amount": "10", "account_id": "{b_account}"},
        status=422,
        pointer="/account_id",
    ),
    "goal in A on B's category": Attempt(
        "POST",
        "/v1/goals",
        {"name": "Cruzada", "target_amount": "10", "category_id": "{b_category}"},
        status=422,
        pointer="/category_id",
    ),
    "move A's goal to B's category": Attempt(
        "PATCH",
        "/v1/goals/{a_goal}",
        {"version": 1, "category_id": "{b_category}"},
        status=422,
        pointer="/category_id",
    ),
    "move A's goal to B's account": Attempt(
        "PATCH",
        "/v1/goals/{a_goal}",
        {"version": 1, "account_id": "{b_account}"},
        status=422,
        pointer="/account_id",
    ),
    "report in A on B's category": Attempt(
        "POST",
        "/v1/reports",
        {
            "date_from": "2026-10-01",
            "date_to": "2026-10-31",
            "filters": {"category_ids": ["{b_category}"]},
        },
        status=422,
        pointer="/filters/category_ids",
    ),
    "report in A on B's account": Attempt(
        "POST",
        "/v1/reports",
        {
            "date_from": "2026-10-01",
            "date_to": "2026-10-31",
            "filters": {"account_ids": ["{b_account}"]},
            "format": "csv",
        },
        status=422,
        pointer="/filters/account_ids",
    ),
    "forecast in A of B's account": Attempt(
        "POST",
        "/v1/ai/forecast",
        {"horizon_days": 30, "accounts": ["{a_account}", "{b_account}"]},
        status=422,
        pointer="/accounts",
    ),
    "recurring series in A of B's account": Attempt(
        "GET", "/v1/recurring?account={b_account}", status=422, pointer="/account"
    ),
    "anomalies in A of B's account": Attempt(
        "GET", "/v1/ai/anomalies?account={b_account}", status=422, pointer="/account"
    ),
    "dismiss B's anomaly": Attempt("POST", "/v1/ai/anomalies/{b_anomaly}/dismiss"),
    "move A's category under B's": Attempt(
        "PATCH",
        "/v1/categories/{a_category}",
        {"parent_id": "{b_category}"},
        status=422,
        pointer="/parent_id",
    ),
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


@dataclass
class Tenants:
    a: Actor
    b: Actor
    ids: dict[str, str]


@pytest.fixture
def tenants(new_actor) -> Tenants:
    """Ana owns A, Bruno owns B; each has an account, a category, a tag and a transaction."""
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    ok(bruno.patch(f"/v1/workspaces/{bruno.tenant_id}", {"name": "Casa de Bruno"}))
    b_account = ok(bruno.post("/v1/accounts", {"name": "Conta Secreta", "kind": "checking"}), 201)
    b_category = ok(bruno.post("/v1/categories", {"name": "Categoria Oculta"}), 201)
    b_tag = ok(bruno.post("/v1/tags", {"name": "segredo-b"}), 201)
    b_transaction = ok(
        bruno.post(
            "/v1/transactions",
            {
                "account_id": b_account["id"],
                "amount": "-1234.56",
                "booked_on": "2026-10-01",
                "description": "SEGREDO DO BRUNO",
                "category_id": b_category["id"],
                "tags": ["segredo-b"],
            },
        ),
        201,
    )
    # The same charge twice: B's anomalies consumer flags the copy.
    b_copy = {"account_id": b_account["id"], "amount": "-1234.56", "booked_on": "2026-10-01"}
    ok(bruno.post("/v1/transactions", {**b_copy, "description": "SEGREDO DO BRUNO"}), 201)
    b_anomaly = ok(bruno.get("/v1/ai/anomalies"))["items"][0]
    b_rule = ok(
        bruno.post(
            "/v1/rules",
            {
                "name": "Regra segredo-b",
                "conditions": [ANY_TEXT],
                "actions": {"category_id": b_category["id"], "tags": ["segredo-b"]},
            },
        ),
        201,
    )
    # Bruno recategorises his transaction by hand: B learns the merchant.
    b_learned_category = ok(bruno.post("/v1/categories", {"name": "Categoria Oculta 2"}), 201)
    ok(
        bruno.patch(
            f"/v1/transactions/{b_transaction['id']}",
            {"category_id": b_learned_category["id"]},
            headers={"If-Match": '"1"'},
        )
    )
    [b_learned] = ok(bruno.get("/v1/merchants/learned"))["items"]
    b_budget = ok(
        bruno.post(
            "/v1/budgets",
            {"name": "Orçamento segredo-b", "amount": "100", "category_id": b_category["id"]},
        ),
        201,
    )
    b_goal = ok(
        bruno.post(
            "/v1/goals",
            {"name": "Meta segredo-b", "target_amount": "100", "account_id": b_account["id"]},
        ),
        201,
    )
    a_account = ok(ana.post("/v1/accounts", {"name": "Conta da Ana", "kind": "checking"}), 201)
    a_goal = {"name": "Meta da Ana", "target_amount": "50", "account_id": a_account["id"]}
    a_category = ok(ana.post("/v1/categories", {"name": "Da Ana"}), 201)
    a_transaction = ok(
        ana.post(
            "/v1/transactions",
            {
                "account_id": a_account["id"],
                "amount": "-5.00",
                "booked_on": "2026-10-02",
                "description": "PADARIA DA ANA",
            },
        ),
        201,
    )
    ids = {
        "a_workspace": str(ana.tenant_id),
        "a_owner": str(ana.user_id),
        "a_email": ok(ana.get("/v1/profile"))["email"],
        "a_account": a_account["id"],
        "a_category": a_category["id"],
        "a_transaction": a_transaction["id"],
        "a_budget": ok(ana.post("/v1/budgets", {"name": "Da Ana", "amount": "50"}), 201)["id"],
        "b_workspace": str(bruno.tenant_id),
        "b_owner": str(bruno.user_id),
        "b_account": b_account["id"],
        "b_category": b_category["id"],
        "b_tag": b_tag["id"],
        "b_transaction": b_transaction["id"],
        "b_rule": b_rule["id"],
        "b_learned": b_learned["key"],
        "b_budget": b_budget["id"],
        "a_goal": ok(ana.post("/v1/goals", a_goal), 201)["id"],
        "b_goal": b_goal["id"],
        "b_anomaly": b_anomaly["id"],
        "b_device": ok(
            bruno.post(
                "/v1/notifications/devices",
                {"endpoint_arn": B_DEVICE, "label": "segredo-b"},
            ),
            201,
        )["id"],
    }
    return Tenants(ana, bruno, ids)


def _state_of_b(tenants: Tenants) -> dict[str, Any]:
    """Everything B's owner can read about B."""
    bruno, ids = tenants.b, tenants.ids
    transaction = bruno.get(f"/v1/transactions/{ids['b_transaction']}")
    return {
        "workspace": ok(bruno.get(f"/v1/workspaces/{ids['b_workspace']}")),
        "members": ok(bruno.get(f"/v1/workspaces/{ids['b_workspace']}/members")),
        "accounts": ok(bruno.get("/v1/accounts", params={"include_archived": True})),
        "categories": ok(bruno.get("/v1/categories", params={"include_archived": True})),
        "tags": ok(bruno.get("/v1/tags")),
        "transactions": ok(bruno.get("/v1/transactions")),
        "rules": ok(bruno.get("/v1/rules")),
        "learned": ok(bruno.get("/v1/merchants/learned")),
        "budgets": ok(bruno.get("/v1/budgets")),
        "budget progress": ok(bruno.get(f"/v1/budgets/{ids['b_budget']}/progress")),
        "goals": ok(bruno.get("/v1/goals")),
        "goal progress": ok(bruno.get(f"/v1/goals/{ids['b_goal']}/progress")),
        "notification preferences": ok(bruno.get("/v1/notifications/preferences")),
        "notifications": ok(bruno.get("/v1/notifications")),
        "anomalies": ok(bruno.get("/v1/ai/anomalies")),
        "transaction": ok(transaction),
        "etag": transaction.headers["ETag"],
    }


def _state_of_a(tenants: Tenants) -> dict[str, Any]:
    ana = tenants.a
    return {
        "accounts": ok(ana.get("/v1/accounts", params={"include_archived": True})),
        "categories": ok(ana.get("/v1/categories", params={"include_archived": True})),
        "tags": ok(ana.get("/v1/tags")),
        "transactions": ok(ana.get("/v1/transactions")),
        "rules": ok(ana.get("/v1/rules")),
        "learned": ok(ana.get("/v1/merchants/learned")),
        "budgets": ok(ana.get("/v1/budgets")),
        "goals": ok(ana.get("/v1/goals")),
        "members": ok(ana.get(f"/v1/workspaces/{tenants.ids['a_workspace']}/members")),
    }


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_given_a_user_of_a_when_trying_a_route_on_b_then_refused_and_b_is_unchanged(
    tenants, attempt: Attempt
):
    before_b, before_a = _state_of_b(tenants), _state_of_a(tenants)
    ana, ids = tenants.a, tenants.ids
    response = ana.client.request(
        attempt.method,
        _fill(attempt.path, ids),
        json=_fill(attempt.body, ids),
        headers=ana.headers(_fill(attempt.headers, ids)),
    )
    body = problem(response, attempt.status)
    if attempt.pointer is not None:
        assert attempt.pointer in {error["pointer"] for error in body["errors"]}
    for secret in B_SECRETS:
        assert secret not in response.text
    assert _state_of_b(tenants) == before_b
    assert _state_of_a(tenants) == before_a


def test_given_a_user_of_a_when_listing_workspaces_then_b_is_not_listed(tenants):
    listed = ok(tenants.a.get("/v1/workspaces"))
    assert [item["id"] for item in listed] == [tenants.ids["a_workspace"]]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts",
        "/v1/categories",
        "/v1/tags",
        "/v1/transactions",
        "/v1/transactions?account_id={b_account}",
        "/v1/transactions?category_id={b_category}",
        "/v1/transactions?tag=segredo-b",
        "/v1/transactions?q=SEGREDO",
        "/v1/accounts?include_archived=true",
        "/v1/categories?include_archived=true",
        "/v1/rules",
        "/v1/merchants/learned",
        "/v1/budgets",
        "/v1/goals",
        "/v1/transactions?needs_review=true",
        "/v1/transactions?needs_review=false",
        "/v1/search?q=segredo",
        "/v1/search?q=bruno",
        "/v1/search?q=segredo&account_id={b_account}",
        "/v1/search?q=padaria&category_id={b_category}",
        "/v1/analytics/insights",
        "/v1/analytics/insights?month=2026-10",
        "/v1/recurring",
        "/v1/ai/anomalies",
        "/v1/ai/anomalies?dismissed=true",
    ],
)
def test_given_a_user_of_a_when_listing_in_a_then_nothing_of_b_appears(tenants, path):
    response = tenants.a.get(_fill(path, tenants.ids))
    ok(response)
    for secret in B_SECRETS:
        assert secret not in response.text
    for name in ("b_account", "b_category", "b_tag", "b_transaction", "b_learned"):
        assert tenants.ids[name] not in response.text


def test_given_b_filters_when_used_in_a_then_no_transaction_is_returned(tenants):
    ids = tenants.ids
    for query in (
        f"account_id={ids['b_account']}",
        f"category_id={ids['b_category']}",
        "tag=segredo-b",
        "q=SEGREDO",
    ):
        assert ok(tenants.a.get(f"/v1/transactions?{query}"))["items"] == []
    for query in (f"q=segredo&account_id={ids['b_account']}", "q=segredo", "q=bruno"):
        assert ok(tenants.a.get(f"/v1/search?{query}"))["total"] == 0


def test_given_a_person_in_two_workspaces_when_reusing_an_idempotency_key_then_each_gets_its_own(
    new_actor,
):
    ana = new_actor("Ana")
    other = ok(ana.post("/v1/workspaces", {"name": "Empresa"}), 201)
    headers = {"Idempotency-Key": "conta-1"}
    body = {"name": "Caixa", "kind": "cash"}
    first = ok(ana.post("/v1/accounts", body, headers=headers), 201)
    second = ana.post("/v1/accounts", body, headers={**headers, "X-Fluxo-Workspace": other["id"]})
    assert second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first["id"]
    assert [a["id"] for a in ok(ana.get("/v1/accounts"))] == [first["id"]]


def test_given_b_tag_names_when_a_records_a_transaction_with_them_then_a_gets_its_own_tag(
    tenants,
):
    ana, ids = tenants.a, tenants.ids
    created = ok(
        ana.post(
            "/v1/transactions",
            {
                "account_id": ids["a_account"],
                "amount": "-2.00",
                "booked_on": "2026-10-03",
                "description": "MESMA TAG",
                "tags": ["segredo-b"],
            },
        ),
        201,
    )
    assert created["tags"] == ["segredo-b"]
    a_tags = ok(ana.get("/v1/tags"))
    assert [tag["name"] for tag in a_tags] == ["segredo-b"]
    assert a_tags[0]["id"] != ids["b_tag"]
    b_transactions = ok(tenants.b.get("/v1/transactions", params={"tag": "segredo-b"}))["items"]
    assert [item["id"] for item in b_transactions] == [ids["b_transaction"]]
