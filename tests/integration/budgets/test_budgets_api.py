"""/v1/budgets on SQLite and PostgreSQL: CRUD with versions and idempotency keys, located
errors, and a period's progress (spent, remaining, percentage, projection, days left)."""

from __future__ import annotations

import pytest

from tests.integration.budgets.conftest import Books
from tests.support.api import ok, problem


def test_given_a_budget_when_created_read_listed_changed_and_deleted_then_versions_guard_it(
    books: Books,
):
    actor = books.actor
    response = actor.post(
        "/v1/budgets",
        {"name": "Mercado", "category_id": books.categories["groceries"], "amount": "800"},
    )
    created = ok(response, 201)
    assert response.headers["ETag"] == '"1"'
    assert created["amount"] == "800.00"
    assert created["currency"] == "BRL"
    assert created["period"] == {"frequency": "monthly", "starts": "calendar", "day": None}
    assert created["thresholds"] == [80, 100]
    assert created["rollover"] is False
    assert created["starts_on"] == "2026-12-01"  # the current period's first day
    path = f"/v1/budgets/{created['id']}"
    assert ok(actor.get(path)) == created
    assert [budget["id"] for budget in ok(actor.get("/v1/budgets"))] == [created["id"]]

    problem(actor.patch(path, {"amount": "900"}), 428)
    changed = actor.patch(
        path,
        {"amount": "900", "period": {"starts": "day", "day": 5}, "thresholds": [100, 50]},
        headers={"If-Match": '"1"'},
    )
    body = ok(changed)
    assert changed.headers["ETag"] == '"2"'
    assert body["amount"] == "900.00"
    assert body["period"] == {"frequency": "monthly", "starts": "day", "day": 5}
    assert body["thresholds"] == [50, 100]
    problem(actor.patch(path, {"name": "Outro", "version": 1}), 409)
    problem(actor.delete(path, headers={"If-Match": '"1"'}), 409)
    ok(actor.delete(path, headers={"If-Match": '"2"'}), 204)
    problem(actor.get(path), 404)
    assert ok(actor.get("/v1/budgets")) == []


def test_given_an_idempotency_key_when_the_post_is_retried_then_one_budget(books: Books):
    actor, body = books.actor, {"name": "Geral", "amount": "3000.00"}
    key = {"Idempotency-Key": "orcamento-geral"}
    first = actor.post("/v1/budgets", body, headers=key)
    again = actor.post("/v1/budgets", body, headers=key)
    assert ok(first, 201)["id"] == ok(again, 201)["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    problem(actor.post("/v1/budgets", {**body, "amount": "1.00"}, headers=key), 422)
    assert len(ok(actor.get("/v1/budgets"))) == 1


WEEKLY, YEARLY = {"frequency": "weekly"}, {"frequency": "yearly"}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"amount": "0"}, "/amount"),
        ({"amount": "-10"}, "/amount"),
        ({"amount": "10.001"}, "/amount"),
        ({"amount": "1e3"}, "/amount"),
        ({"amount": "10", "currency": "XYZ"}, "/currency"),
        ({"amount": "10", "period": {"starts": "business_day"}}, "/period/day"),
        ({"amount": "10", "period": {"starts": "business_day", "day": 16}}, "/period/day"),
        ({"amount": "10", "period": {"starts": "day", "day": 32}}, "/period/day"),
        ({"amount": "10", "period": {"day": 3}}, "/period/day"),
        ({"amount": "10", "period": {**WEEKLY, "starts": "day", "day": 8}}, "/period/day"),
        ({"amount": "10", "period": {**YEARLY, "starts": "day", "day": 1}}, "/period/starts"),
        ({"amount": "10", "period": {"frequency": "daily"}}, "/period/frequency"),
        ({"amount": "10", "thresholds": [80, 80]}, "/thresholds"),
        ({"amount": "10", "thresholds": []}, "/thresholds"),
        ({"amount": "10", "thresholds": [0]}, "/thresholds/0"),
        ({"amount": "10", "category_id": "00000000-0000-4000-8000-000000000000"}, "/category_id"),
        ({"amount": "10", "colour": "red"}, "/colour"),
    ],
)
def test_given_a_bad_budget_when_posted_then_422_points_at_the_field(books: Books, body, pointer):
    response = books.actor.post("/v1/budgets", {"name": "Ruim", **body})
    errors = problem(response, 422)["errors"]
    assert pointer in {error["pointer"] for error in errors}, errors
    assert ok(books.actor.get("/v1/budgets")) == []


def test_given_an_archived_category_when_budgeted_then_422(books: Books):
    category = books.categories["bakery"]
    ok(books.actor.patch(f"/v1/categories/{category}", {"archived": True}))
    response = books.actor.post(
        "/v1/budgets", {"name": "Padaria", "category_id": category, "amount": "50"}
    )
    assert problem(response, 422)["errors"][0]["pointer"] == "/category_id"


def test_given_spending_and_a_refund_when_progress_is_read_then_figures_and_projection(
    books: Books,
):
    budget = books.budget(category="groceries", amount="1000")
    books.spend("-300.00", "2026-12-02", "supermarket")  # a child of groceries
    books.spend("50.00", "2026-12-03", "supermarket", "ESTORNO")  # a refund
    books.spend("-80.00", "2026-12-04", "dining_out")  # another category
    books.spend("-999.00", "2026-11-30", "groceries")  # the previous period
    progress = books.progress(budget)
    assert progress == {
        "budget_id": budget["id"],
        "currency": "BRL",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "as_of": "2026-12-05",
        "amount": "1000.00",
        "carried_over": "0.00",
        "limit": "1000.00",
        "spent": "250.00",
        "remaining": "750.00",
        "percentage": "25.00",
        "projected": "1550.00",  # 250 in 5 days → 31 days
        "days_in_period": 31,
        "days_elapsed": 5,
        "days_left": 26,
        "thresholds": [
            {"threshold": 80, "crossed": False},
            {"threshold": 100, "crossed": False},
        ],
    }
    november = books.progress(budget, on="2026-11-30")  # its last day
    assert (november["period_start"], november["spent"], november["days_left"]) == (
        "2026-11-01",
        "999.00",
        0,
    )
    assert november["projected"] == "999.00"
    assert november["thresholds"][1] == {"threshold": 100, "crossed": False}


def test_given_the_overall_budget_then_transfers_card_bills_and_income_are_not_spending(
    books: Books,
):
    budget = books.budget(amount="2000")
    books.spend("-100.00", "2026-12-01", "supermarket")
    books.spend("-500.00", "2026-12-01", "own_accounts", "TRANSF ENTRE CONTAS")
    books.spend("-1000.00", "2026-12-02", "card_payment", "PAGAMENTO FATURA")
    books.spend("5000.00", "2026-12-02", "salary", "SALARIO")
    books.spend("-40.00", "2026-12-03", None, "ZQXW 0001")
    books.spend("20.00", "2026-12-03", None, "ZQXW 0002")  # money in, uncategorised: not a refund
    assert books.progress(budget)["spent"] == "140.00"


def test_given_a_payday_budget_when_the_day_passes_the_month_end_then_the_last_day(
    books: Books,
):
    budget = books.budget(amount="100", period={"starts": "day", "day": 31})
    progress = books.progress(budget, on="2027-02-27")
    assert (progress["period_start"], progress["period_end"]) == ("2027-01-31", "2027-02-27")
    progress = books.progress(budget, on="2027-02-28")
    assert (progress["period_start"], progress["period_end"]) == ("2027-02-28", "2027-03-30")


def test_given_the_fifth_business_day_then_periods_skip_weekends_and_national_holidays(
    books: Books,
):
    budget = books.budget(amount="100", period={"starts": "business_day", "day": 5})
    # November 2026: the 2nd (Monday) is All Souls' Day; December's 5th business day is the 7th.
    progress = books.progress(budget)
    assert (progress["period_start"], progress["period_end"]) == ("2026-11-09", "2026-12-06")
    assert (progress["days_in_period"], progress["days_elapsed"], progress["days_left"]) == (
        28,
        27,
        1,
    )


def test_given_weekly_and_yearly_budgets_then_their_periods(books: Books):
    weekly = books.budget(amount="100", period={"frequency": "weekly", "starts": "day", "day": 3})
    yearly = books.budget(amount="100", period={"frequency": "yearly"})
    progress = books.progress(weekly)  # Saturday 5 December; weeks start on Wednesdays
    assert (progress["period_start"], progress["period_end"]) == ("2026-12-02", "2026-12-08")
    progress = books.progress(yearly)
    assert (progress["period_start"], progress["period_end"]) == ("2026-01-01", "2026-12-31")


def test_given_rollover_then_unspent_money_raises_and_overspending_lowers_the_next_limit(
    books: Books,
):
    saver = books.budget(category="groceries", amount="500", rollover=True, starts_on="2026-10-01")
    books.spend("-300.00", "2026-10-10", "supermarket")  # leaves 200
    books.spend("-650.00", "2026-11-10", "supermarket")  # overspends 150: carry 200 - 150 = 50
    books.spend("-100.00", "2026-09-10", "supermarket")  # before the budget started: ignored
    books.spend("-25.00", "2026-12-02", "supermarket")
    progress = books.progress(saver)
    assert (progress["carried_over"], progress["limit"], progress["spent"]) == (
        "50.00",
        "550.00",
        "25.00",
    )
    assert progress["remaining"] == "525.00"
    plain = books.budget(category="groceries", amount="500", starts_on="2026-10-01")
    assert books.progress(plain)["carried_over"] == "0.00"
    assert books.progress(saver, on="2026-10-20")["carried_over"] == "0.00"


def test_given_a_viewer_then_budgets_can_be_read_but_not_written(books: Books, container):
    from uuid import UUID

    from shared.domain.access import Role
    from tests.support.api import Actor, token_for

    budget = books.budget(amount="100")
    owner = books.actor
    viewer = Actor(
        owner.client,
        token_for(container, owner.user_id, UUID(str(owner.tenant_id)), Role.VIEWER),
        owner.user_id,
        owner.tenant_id,
    )
    assert ok(viewer.get(f"/v1/budgets/{budget['id']}"))["id"] == budget["id"]
    ok(viewer.get(f"/v1/budgets/{budget['id']}/progress"))
    problem(viewer.post("/v1/budgets", {"name": "X", "amount": "1"}), 403)
    problem(viewer.delete(f"/v1/budgets/{budget['id']}"), 403)
