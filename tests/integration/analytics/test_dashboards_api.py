"""Dashboards: the default one, saving and replacing one's own, and every widget's data in one
call — from the cache until something it shows changes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.bootstrap import Container
from tests.integration.analytics.conftest import Books
from tests.support.api import Actor, ok, problem

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _default(actor: Actor) -> dict[str, Any]:
    (dashboard,) = ok(actor.get("/v1/analytics/dashboards"))
    return dashboard  # type: ignore[no-any-return]


def _data(actor: Actor, dashboard_id: str, **params: Any) -> Any:
    return ok(actor.get(f"/v1/analytics/dashboards/{dashboard_id}/data", params=params))


def test_a_new_person_has_a_default_dashboard_with_every_widget(books: Books):
    dashboard = _default(books.actor)

    assert dashboard["version"] == 0
    assert [widget["type"] for widget in dashboard["widgets"]] == [
        "kpis",
        "income_vs_expenses",
        "category_breakdown",
        "top_merchants",
        "cash_flow_sankey",
        "balance_over_time",
        "budget_progress",
        "recent_transactions",
        "largest_transactions",
    ]


def test_the_default_dashboard_shows_the_month(november: Books):
    ok(
        november.actor.post(
            "/v1/budgets",
            {
                "name": "Mercado",
                "amount": "400.00",
                "category_id": november.categories["groceries"],
            },
        ),
        201,
    )
    data = _data(november.actor, _default(november.actor)["id"])
    widgets = data["widgets"]

    assert (data["date_from"], data["date_to"], data["currency"]) == (
        "2026-11-01",
        "2026-11-30",
        "BRL",
    )
    figures = widgets["kpis"]["figures"]
    assert figures["income"] == {"value": "5000", "previous": "0", "change": None}
    assert figures["expenses"]["value"] == "1550"
    assert widgets["kpis"]["previous_period"] == {"from": "2026-10-01", "to": "2026-10-31"}
    months = widgets["income_vs_expenses"]["months"]
    assert len(months) == 12
    assert months[-1] == {
        "month": "2026-11-01",
        "income": "5000",
        "expenses": "1550",
        "net": "3450",
    }
    breakdown = widgets["category_breakdown"]
    assert breakdown["total"] == "1550"
    assert [(c["name"], c["amount"]) for c in breakdown["categories"]] == [
        ("Compras", "1000"),
        ("Mercado", "300"),
        ("Restaurantes", "150"),
        (None, "100"),
    ]
    assert [m["merchant"] for m in widgets["top_merchants"]["merchants"]][:2] == [
        "Tech",
        "Pão de Açúcar",
    ]
    links = {
        (link["source"], link["target"]): link["amount"]
        for link in widgets["cash_flow_sankey"]["links"]
    }
    assert links[("income", "savings")] == "3450"
    assert sum(float(amount) for (source, _), amount in links.items() if source == "income") == 5000
    balances = {
        a["name"]: a["points"][-1]["balance"] for a in widgets["balance_over_time"]["accounts"]
    }
    # Checking: 5,000 − 300 − 200 + 50 − 100 − 1,000 − 500; card: −1,000 + 1,000 + 500.
    assert balances == {"Conta": "2950", "Cartão": "500"}
    (budget,) = widgets["budget_progress"]["budgets"]
    assert (budget["spent"], budget["limit"], budget["percentage"]) == ("300", "400", "75")
    assert len(widgets["recent_transactions"]["transactions"]) == 10
    largest = [t["description"] for t in widgets["largest_transactions"]["transactions"]]
    assert largest[:2] == ["LOJA TECH", "PAO DE ACUCAR"]  # the card bill is no expense


def test_the_default_period_is_served_from_a_snapshot_the_consumer_keeps_current(
    november: Books,
):
    dashboard_id = _default(november.actor)["id"]

    first = _data(november.actor, dashboard_id)
    second = _data(november.actor, dashboard_id)
    november.add("-25.00", "2026-11-19", "supermarket", "PADARIA")
    third = _data(november.actor, dashboard_id)

    # The write's event reached the activity consumer, which computed the snapshot again.
    assert (first["cached"], second["cached"], third["cached"]) == (False, True, True)
    assert second["widgets"] == first["widgets"]
    assert third["generation"] > second["generation"]
    assert third["widgets"]["kpis"]["figures"]["expenses"]["value"] == "1575"
    assert third["widgets"] == _data(november.actor, dashboard_id, **NOVEMBER)["widgets"]


def test_other_periods_are_cached_until_a_write_changes_them(november: Books):
    dashboard_id = _default(november.actor)["id"]

    first = _data(november.actor, dashboard_id, **NOVEMBER)
    second = _data(november.actor, dashboard_id, **NOVEMBER)
    november.add("-25.00", "2026-11-19", "supermarket", "PADARIA")
    third = _data(november.actor, dashboard_id, **NOVEMBER)

    assert (first["cached"], second["cached"], third["cached"]) == (False, True, False)
    assert second["widgets"] == first["widgets"]
    assert third["widgets"]["kpis"]["figures"]["expenses"]["value"] == "1575"


def test_renaming_a_category_is_shown_at_once(november: Books):
    dashboard_id = _default(november.actor)["id"]
    _data(november.actor, dashboard_id)
    category = november.categories["shopping"]
    ok(november.actor.patch(f"/v1/categories/{category}", {"name": "Compras e afins"}))

    again = _data(november.actor, dashboard_id)

    assert again["cached"] is False
    assert again["widgets"]["category_breakdown"]["categories"][0]["name"] == "Compras e afins"


def test_saving_replacing_and_deleting_a_dashboard(books: Books):
    dashboard_id = str(uuid4())
    body = {
        "name": "Só o essencial",
        "widgets": [{"type": "kpis"}, {"type": "top_merchants", "settings": {"limit": 3}}],
    }

    created = books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body)
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    assert [d["id"] for d in ok(books.actor.get("/v1/analytics/dashboards"))] == [dashboard_id]

    problem(books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body), 428)
    stale = books.actor.put(
        f"/v1/analytics/dashboards/{dashboard_id}", body, headers={"If-Match": '"7"'}
    )
    problem(stale, 409)
    replaced = ok(
        books.actor.put(
            f"/v1/analytics/dashboards/{dashboard_id}",
            {**body, "widgets": [{"type": "recent_transactions"}]},
            headers={"If-Match": '"1"'},
        )
    )
    assert (replaced["version"], [w["id"] for w in replaced["widgets"]]) == (
        2,
        ["recent_transactions"],
    )
    data = _data(books.actor, dashboard_id)
    assert list(data["widgets"]) == ["recent_transactions"]

    ok(
        books.actor.delete(f"/v1/analytics/dashboards/{dashboard_id}", headers={"If-Match": '"2"'}),
        204,
    )
    problem(books.actor.get(f"/v1/analytics/dashboards/{dashboard_id}"), 404)


@pytest.mark.parametrize(
    ("widgets", "pointer"),
    [
        ([{"type": "pie_of_everything"}], "/widgets/0/type"),
        ([{"type": "kpis"}, {"type": "kpis"}], "/widgets/1/id"),
        ([{"type": "top_merchants", "settings": {"limit": 500}}], "/widgets/0/settings/limit"),
        ([{"type": "top_merchants", "settings": {"months": 3}}], "/widgets/0/settings/months"),
        ([{"type": "kpis"}] * 31, "/widgets"),
    ],
)
def test_bad_widgets_are_answered_422_with_where(books: Books, widgets, pointer):
    response = books.actor.put(
        f"/v1/analytics/dashboards/{uuid4()}", {"name": "Ruim", "widgets": widgets}
    )

    body = problem(response, 422)
    assert pointer in [error["pointer"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "/date_to"),
        ({"date_from": "1900-01-01", "date_to": "2026-11-01"}, "/date_to"),
        ({"currency": "brl"}, "/currency"),
        ({"date_from": "9999-12-15"}, "/date_from"),
        ({"date_from": "0001-06-01", "date_to": "0001-06-30"}, "/date_from"),
    ],
)
def test_bad_periods_are_answered_422(books: Books, params, pointer):
    response = books.actor.get(
        f"/v1/analytics/dashboards/{_default(books.actor)['id']}/data", params=params
    )

    assert pointer in [e["pointer"] for e in problem(response, 422)["errors"]]


def test_another_persons_dashboard_is_not_found(books: Books, container: Container, new_actor):
    dashboard_id = str(uuid4())
    body = {"name": "Meu", "widgets": [{"type": "kpis"}]}
    ok(books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body), 201)
    viewer = books.invite_viewer(container)
    stranger: Actor = new_actor("Caio")

    for other in (viewer, stranger):
        problem(other.get(f"/v1/analytics/dashboards/{dashboard_id}"), 404)
        problem(other.get(f"/v1/analytics/dashboards/{dashboard_id}/data"), 404)
        replace = other.put(
            f"/v1/analytics/dashboards/{dashboard_id}", body, headers={"If-Match": '"1"'}
        )
        problem(replace, 409)  # the id is taken; whose it is stays unsaid
    # A viewer keeps dashboards of their own: a view of the money, not a change to it.
    assert ok(viewer.get("/v1/analytics/dashboards"))[0]["version"] == 0
