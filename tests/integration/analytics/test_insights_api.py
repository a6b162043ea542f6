"""GET /v1/analytics/insights: six months of a household through the API, on both databases.

Today is 2026-11-20 (the analytics conftest's clock), so November is still running. The books:
a salary of 5.000 every month from June; restaurants about 300 a month from August, then 700 in
November; transport 100 in October and 600 in November; a Netflix charge of 55,90 from
September; a 6.000 laptop in August, which puts August in the red.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.analytics.conftest import Books
from tests.support.api import Actor, ok, problem

MONTHS = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")


class Household:
    def __init__(self, books: Books) -> None:
        self.books = books
        for month in MONTHS:
            books.add("5000.00", f"{month}-05", "salary", "SALARIO ACME", merchant="ACME")
        self.restaurants = {
            month: [books.add(f"-{amount}", f"{month}-12", "dining_out", "REST", merchant="Sabor")]
            for month, amount in (
                ("2026-08", "300.00"),
                ("2026-09", "280.00"),
                ("2026-10", "320.00"),
            )
        }
        self.restaurants["2026-11"] = [
            books.add("-300.00", "2026-11-08", "dining_out", "REST", merchant="Sabor"),
            books.add("-400.00", "2026-11-15", "restaurants", "JANTAR", merchant="Bistrô"),
        ]
        self.rides = [
            books.add("-100.00", "2026-10-03", "ride_hailing", "UBER", merchant="Uber"),
            books.add("-600.00", "2026-11-04", "ride_hailing", "UBER", merchant="Uber"),
        ]
        self.netflix = [
            books.add("-55.90", f"{month}-18", "streaming", "NETFLIX.COM", merchant="Netflix")
            for month in ("2026-09", "2026-10", "2026-11")
        ]
        self.laptop = books.add(
            "-6000.00", "2026-08-20", "electronics", "LOJA TECH", account=books.card
        )
        # Money moved between own accounts is neither income nor expense, nor evidence.
        books.add("-2000.00", "2026-08-21", "own_accounts", "TRANSF ENTRE CONTAS")

    def insights(self, **params: Any) -> Any:
        return ok(self.books.actor.get("/v1/analytics/insights", params=params))


@pytest.fixture
def household(books: Books) -> Household:
    return Household(books)


def _ids(*transactions: dict[str, Any]) -> list[str]:
    return [transaction["id"] for transaction in transactions]


def _by_kind(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["kind"]: item for item in answer["insights"]}


def test_this_months_insights_come_with_their_numbers_and_evidence(household: Household):
    answer = household.insights()

    assert (answer["month"], answer["currency"], answer["language"]) == ("2026-11", "BRL", "pt-BR")
    # Strongest first: August in the red (1.300), transport's jump (500), restaurants above
    # their average (400; their jump from October is not said twice), Netflix (55,90 × 3).
    assert [(item["kind"], item["score"]) for item in answer["insights"]] == [
        ("negative_net_month", 1300.0),
        ("biggest_change", 500.0),
        ("category_above_average", 400.0),
        ("new_recurring_charge", 167.7),
    ]
    found = _by_kind(answer)
    categories = household.books.categories

    above = found["category_above_average"]
    assert above["category_id"] == categories["restaurants"]
    assert above["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert above["amounts"] == {
        "current": "700.00",
        "average": "300.00",
        "change": "400.00",
        "change_ratio": "1.3333",
    }
    bistro, sabor = household.restaurants["2026-11"][1], household.restaurants["2026-11"][0]
    assert above["transaction_ids"] == _ids(bistro, sabor)  # the parent's and the child's
    assert above["title"] == "Restaurantes: gastos acima da média"
    assert above["text"] == (
        "Você gastou R$ 700,00 com Restaurantes em novembro de 2026, 133,3% acima da média dos "
        "3 meses anteriores (R$ 300,00): R$ 400,00 a mais."
    )
    assert above["language"] == "pt-BR"

    biggest = found["biggest_change"]
    assert biggest["category_id"] == categories["transport"]
    assert biggest["period"] == {"from": "2026-10-01", "to": "2026-11-30"}
    assert biggest["amounts"] == {
        "current": "600.00",
        "previous": "100.00",
        "change": "500.00",
        "change_ratio": "5.0000",
    }
    assert biggest["transaction_ids"] == _ids(household.rides[1], household.rides[0])
    assert "+R$ 500,00, +500%" in biggest["text"]

    netflix = found["new_recurring_charge"]
    assert netflix["merchant"] == "Netflix"
    assert netflix["category_id"] is None
    assert netflix["period"] == {"from": "2026-09-01", "to": "2026-11-30"}
    assert netflix["amounts"] == {"current": "55.90", "median": "55.90", "yearly": "670.80"}
    assert netflix["transaction_ids"] == _ids(*household.netflix)
    assert netflix["title"] == "Nova cobrança recorrente: Netflix"

    red = found["negative_net_month"]
    assert red["months"] == [{"month": "2026-08", "net": "-1300.00"}]
    assert red["amounts"] == {"total": "-1300.00", "worst": "-1300.00"}
    assert red["period"] == {"from": "2026-08-01", "to": "2026-08-31"}
    # August's expenses, largest first; the transfer between own accounts is not one.
    assert red["transaction_ids"] == _ids(household.laptop, household.restaurants["2026-08"][0])
    assert red["text"] == "Você gastou mais do que ganhou em agosto de 2026: saldo de -R$ 1.300,00."


def test_an_english_profile_reads_english(household: Household):
    actor = household.books.actor
    ok(actor.patch("/v1/profile", {"locale": "en-US"}))

    answer = household.insights(month="2026-11")

    assert answer["language"] == "en"
    above = _by_kind(answer)["category_above_average"]
    assert above["language"] == "en"
    assert above["text"] == (
        "You spent R$700.00 on Restaurantes in November 2026, 133.3% above the average of the 3 "
        "months before (R$300.00): R$400.00 more."
    )
    assert _by_kind(answer)["negative_net_month"]["title"] == "A month in the red"


def test_an_ended_month_is_asked_by_its_name(household: Household):
    answer = household.insights(month="2026-08")

    found = _by_kind(answer)
    # August's laptop is a change from July's nothing; August itself is in the red.
    assert found["biggest_change"]["amounts"]["change"] == "6000.00"
    assert found["negative_net_month"]["months"] == [{"month": "2026-08", "net": "-1300.00"}]
    assert "new_recurring_charge" not in found


def test_a_workspace_without_money_has_no_insights(owner: Actor):
    answer = ok(owner.get("/v1/analytics/insights"))

    assert answer == {"month": "2026-11", "currency": "BRL", "language": "pt-BR", "insights": []}


def test_another_workspaces_money_is_never_used(household: Household, new_actor):
    bruno = Books(new_actor("Bruno"))
    theirs = [
        bruno.add("-55.90", f"{month}-18", "streaming", "NETFLIX.COM", merchant="Netflix")
        for month in ("2026-09", "2026-10", "2026-11")
    ]
    theirs += [bruno.add("-9000.00", "2026-11-02", "dining_out", "FESTA", merchant="Sabor")]

    response = household.books.actor.get("/v1/analytics/insights")

    answer = ok(response)
    assert _by_kind(answer)["category_above_average"]["amounts"]["current"] == "700.00"
    assert _by_kind(answer)["new_recurring_charge"]["transaction_ids"] == _ids(*household.netflix)
    assert len(answer["insights"]) == 4
    for transaction in theirs:
        assert transaction["id"] not in response.text
    assert "9000" not in response.text
    assert "9.000" not in response.text


@pytest.mark.parametrize(
    ("month", "code"),
    [
        ("2026-13", "string_pattern_mismatch"),
        ("2026-1", "string_pattern_mismatch"),
        ("novembro", "string_pattern_mismatch"),
        ("0000-01", "string_pattern_mismatch"),
        ("2026-12", "in_the_future"),
        ("2016-10", "too_old"),
    ],
)
def test_a_bad_month_is_refused_pointing_at_it(owner: Actor, month: str, code: str):
    body = problem(owner.get("/v1/analytics/insights", params={"month": month}), 422)

    assert [(e["in"], e["pointer"], e["code"]) for e in body["errors"]] == [
        ("query", "/month", code)
    ]


def test_ten_years_back_is_still_answered(owner: Actor):
    assert ok(owner.get("/v1/analytics/insights", params={"month": "2016-11"}))["insights"] == []
