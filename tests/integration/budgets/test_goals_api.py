"""/v1/goals on SQLite and PostgreSQL: CRUD with versions and idempotency keys, located errors,
and a goal's progress measured by an account's balance or by a category's contributions (saved,
remaining, monthly amount needed, pace over three months, projected completion). The clock is
fixed on 5 December 2026 in São Paulo (``conftest``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.budgets.conftest import Books
from tests.support.api import ok, problem

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def savings(books: Books, opening: str = "0.00", currency: str | None = None) -> Any:
    body = {"name": "Poupança", "kind": "savings", "opening_balance": opening}
    if currency:
        body["currency"] = currency
    return ok(books.actor.post("/v1/accounts", body), 201)


def move(books: Books, account: dict[str, Any], amount: str, day: str, category: str) -> Any:
    body = {
        "account_id": account["id"],
        "amount": amount,
        "booked_on": day,
        "description": "APLICACAO" if amount.startswith("-") else "DEPOSITO",
        "category_id": books.categories[category],
    }
    return ok(books.actor.post("/v1/transactions", body), 201)


def test_given_a_goal_when_created_read_listed_changed_and_deleted_then_versions_guard_it(
    books: Books,
):
    actor, account = books.actor, savings(books)
    response = actor.post(
        "/v1/goals",
        {"name": "Viagem", "target_amount": "10000", "account_id": account["id"]},
    )
    created = ok(response, 201)
    assert response.headers["ETag"] == '"1"'
    assert created["target_amount"] == "10000.00"
    assert created["currency"] == "BRL"  # the account's
    assert created["measure"] == "account"
    assert (created["account_id"], created["category_id"]) == (account["id"], None)
    assert created["milestones"] == [25, 50, 75, 100]
    assert created["starts_on"] == "2026-12-05"  # today in São Paulo
    assert created["target_date"] is None
    path = f"/v1/goals/{created['id']}"
    assert ok(actor.get(path)) == created
    assert [goal["id"] for goal in ok(actor.get("/v1/goals"))] == [created["id"]]

    problem(actor.patch(path, {"name": "Férias"}), 428)
    deposits = books.categories["investment_deposit"]
    changed = actor.patch(
        path,
        {"category_id": deposits, "target_date": "2027-06-30", "milestones": [50, 10]},
        headers={"If-Match": '"1"'},
    )
    body = ok(changed)
    assert changed.headers["ETag"] == '"2"'
    assert (body["measure"], body["account_id"], body["category_id"]) == (
        "category",
        None,
        deposits,
    )
    assert body["milestones"] == [10, 50, 100]  # ordered, with the goal itself
    assert body["target_date"] == "2027-06-30"
    problem(actor.patch(path, {"name": "Outra", "version": 1}), 409)
    problem(actor.delete(path, headers={"If-Match": '"1"'}), 409)
    ok(actor.delete(path, headers={"If-Match": '"2"'}), 204)
    problem(actor.get(path), 404)
    assert ok(actor.get("/v1/goals")) == []


def test_given_an_idempotency_key_when_the_post_is_retried_then_one_goal(books: Books):
    body = {
        "name": "Reserva",
        "target_amount": "30000.00",
        "category_id": books.categories["investment_deposit"],
    }
    key = {"Idempotency-Key": "meta-reserva"}
    first = books.actor.post("/v1/goals", body, headers=key)
    again = books.actor.post("/v1/goals", body, headers=key)
    assert ok(first, 201)["id"] == ok(again, 201)["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(ok(books.actor.get("/v1/goals"))) == 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"target_amount": "0"}, "/target_amount"),
        ({"target_amount": "-10"}, "/target_amount"),
        ({"target_amount": "10.001"}, "/target_amount"),
        ({"target_amount": "1e3"}, "/target_amount"),
        ({"currency": "XYZ"}, "/currency"),
        ({"category_id": None}, "/account_id"),  # neither account nor category
        ({"account_id": "{account}"}, "/category_id"),  # both
        ({"category_id": UNKNOWN}, "/category_id"),
        ({"category_id": None, "account_id": UNKNOWN}, "/account_id"),
        ({"category_id": None, "account_id": "{account}", "currency": "USD"}, "/currency"),
        ({"starts_on": "2026-12-01", "target_date": "2026-11-30"}, "/target_date"),
        ({"milestones": [50, 50]}, "/milestones"),
        ({"milestones": [0]}, "/milestones/0"),
        ({"milestones": [101]}, "/milestones/0"),
        ({"milestones": []}, "/milestones"),
        ({"colour": "green"}, "/colour"),
    ],
)
def test_given_a_bad_goal_when_posted_then_422_points_at_the_field(
    books: Books, body: dict[str, Any], pointer: str
):
    account = savings(books)
    sent = {
        "name": "Ruim",
        "target_amount": "100",
        "category_id": books.categories["investment_deposit"],
        **body,
    }
    sent = {key: account["id"] if value == "{account}" else value for key, value in sent.items()}
    errors = problem(books.actor.post("/v1/goals", sent), 422)["errors"]
    assert pointer in {error["pointer"] for error in errors}, errors
    assert ok(books.actor.get("/v1/goals")) == []


def test_given_an_account_in_use_by_a_goal_when_deleted_then_it_is_archived(books: Books):
    account = savings(books)
    body = {"name": "Meta", "target_amount": "5", "account_id": account["id"]}
    ok(books.actor.post("/v1/goals", body), 201)
    ok(books.actor.delete(f"/v1/accounts/{account['id']}"), 204)
    listed = ok(books.actor.get("/v1/accounts", params={"include_archived": True}))
    assert {item["id"]: item["archived"] for item in listed}[account["id"]] is True


def test_given_a_savings_account_when_progress_is_read_then_balance_need_pace_and_projection(
    books: Books,
):
    account = savings(books, opening="1000.00")
    goal = ok(
        books.actor.post(
            "/v1/goals",
            {
                "name": "Viagem",
                "target_amount": "10000",
                "account_id": account["id"],
                "target_date": "2027-06-30",
            },
        ),
        201,
    )
    move(books, account, "500.00", "2026-09-05", "investment_deposit")  # before the pace window
    move(books, account, "600.00", "2026-10-10", "investment_deposit")
    move(books, account, "300.00", "2026-11-15", "investment_deposit")
    move(books, account, "-150.00", "2026-12-01", "investment_withdrawal")
    books.spend("-400.00", "2026-12-02", "investment_deposit")  # another account: not this goal
    progress = ok(books.actor.get(f"/v1/goals/{goal['id']}/progress"))
    assert progress == {
        "goal_id": goal["id"],
        "measure": "account",
        "currency": "BRL",
        "as_of": "2026-12-05",
        "target_amount": "10000.00",
        "saved": "2250.00",  # 1,000 opening + 500 + 600 + 300 - 150
        "remaining": "7750.00",
        "percentage": "22.50",
        "reached": False,
        "target_date": "2027-06-30",
        "target_date_passed": False,
        "months_left": 7,  # December to June
        "monthly_needed": "1107.15",  # 7,750 / 7, rounded up
        "average_monthly_contribution": "250.00",  # (600 + 300 - 150) / 3
        "pace_from": "2026-09-06",
        "pace_to": "2026-12-05",
        "projected_completion": "2029-07-06",  # 31 months of 30.436875 days, rounded up
        "on_track": False,
        "milestones": [
            {"milestone": 25, "reached": False},
            {"milestone": 50, "reached": False},
            {"milestone": 75, "reached": False},
            {"milestone": 100, "reached": False},
        ],
    }


def test_given_a_category_when_progress_is_read_then_contributions_since_the_start(
    books: Books,
):
    goal = ok(
        books.actor.post(
            "/v1/goals",
            {
                "name": "Reserva",
                "target_amount": "12000",
                "category_id": books.categories["investment_deposit"],
                "starts_on": "2026-10-01",
            },
        ),
        201,
    )
    books.spend("-1000.00", "2026-09-20", "investment_deposit")  # before the start: pace only
    books.spend("-2000.00", "2026-10-05", "investment_deposit")
    books.spend("-500.00", "2026-11-05", "investment_deposit")
    books.spend("300.00", "2026-11-20", "investment_deposit", "RESGATE")  # money back out
    books.spend("-100.00", "2026-11-10", "groceries")  # another category
    progress = ok(books.actor.get(f"/v1/goals/{goal['id']}/progress"))
    assert progress["measure"] == "category"
    assert (progress["saved"], progress["remaining"], progress["percentage"]) == (
        "2200.00",
        "9800.00",
        "18.33",
    )
    assert progress["average_monthly_contribution"] == "1066.67"  # 3,200 / 3
    assert progress["projected_completion"] == "2027-09-11"
    assert (progress["months_left"], progress["monthly_needed"], progress["on_track"]) == (
        None,
        None,
        None,
    )
    assert progress["target_date_passed"] is False


def test_given_a_passed_target_date_then_progress_says_so_and_needs_no_monthly_amount(
    books: Books,
):
    goal = ok(
        books.actor.post(
            "/v1/goals",
            {
                "name": "Natal",
                "target_amount": "1000",
                "category_id": books.categories["investment_deposit"],
                "starts_on": "2026-11-01",
                "target_date": "2026-11-30",
            },
        ),
        201,
    )
    books.spend("300.00", "2026-11-02", "investment_deposit", "RESGATE")  # a withdrawal only
    progress = ok(books.actor.get(f"/v1/goals/{goal['id']}/progress"))
    assert progress["saved"] == "-300.00"
    assert (progress["target_date_passed"], progress["months_left"]) == (True, None)
    assert (progress["monthly_needed"], progress["projected_completion"]) == (None, None)
    assert progress["on_track"] is False
