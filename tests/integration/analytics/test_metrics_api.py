"""GET /v1/analytics/metrics: the figures of a known month, grouped and filtered, on both
databases; bad questions answered 422 with where the problem is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.analytics.conftest import Books
from tests.support.api import problem

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _figures(totals: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("income", "expenses", "net", "savings_rate", "transactions", "average_ticket")
    return tuple(totals[key] for key in keys)


def test_card_bills_and_own_transfers_never_count_twice(november: Books):
    answer = november.metrics(**NOVEMBER)

    # Income 5,000; expenses 300 + 200 − 50 + 100 + 1,000 over 4 purchases; 6 transactions
    # of income or expense (the refund is one).
    assert _figures(answer["totals"]) == ("5000.00", "1550.00", "3450.00", "0.6900", 6, "387.50")
    assert answer["source"] == "rollups"
    assert answer["groups"] == []


def test_grouped_by_category_each_category_has_its_own_figures(november: Books):
    answer = november.metrics(**NOVEMBER, group_by="category")

    by_label = {group["label"]: (group["income"], group["expenses"]) for group in answer["groups"]}
    assert by_label == {
        "Eletrônicos": ("0.00", "1000.00"),
        "Supermercado": ("0.00", "300.00"),
        "Restaurantes": ("0.00", "150.00"),
        None: ("0.00", "100.00"),
        "Salário": ("5000.00", "0.00"),
    }
    # Biggest spending first; transfers (card bill, own accounts) are not groups of their own.
    assert [group["label"] for group in answer["groups"]][:2] == ["Eletrônicos", "Supermercado"]


def test_grouped_by_month_every_month_of_the_range_is_there(november: Books):
    answer = november.metrics(date_from="2026-09-15", date_to="2026-12-10", group_by="month")

    assert [(g["period"], g["net"]) for g in answer["groups"]] == [
        ("2026-09-01", "0.00"),
        ("2026-10-01", "0.00"),
        ("2026-11-01", "3450.00"),
        ("2026-12-01", "0.00"),
    ]


def test_grouped_by_week_and_account(november: Books):
    answer = november.metrics(**NOVEMBER, group_by=["week", "account"])

    card = [g for g in answer["groups"] if g["key"] == november.card["id"]]
    assert [(g["period"], g["expenses"], g["label"]) for g in card] == [
        ("2026-11-02", "1000.00", "Cartão")
    ]


def test_a_category_filter_takes_its_children(november: Books):
    answer = november.metrics(**NOVEMBER, category_id=november.categories["restaurants"])

    assert _figures(answer["totals"])[:2] == ("0.00", "150.00")


def test_merchants_of_whole_months_come_from_their_rollup(november: Books):
    answer = november.metrics(**NOVEMBER, group_by="merchant")

    assert answer["source"] == "rollups"
    by_merchant = {g["key"]: g["expenses"] for g in answer["groups"]}
    assert by_merchant["Tech"] == "1000.00"
    assert by_merchant["Sabor"] == "150.00"
    assert by_merchant["PIX ALGO"] == "100.00"  # no merchant found: its description


def test_merchants_of_part_of_a_month_come_from_the_transactions(november: Books):
    rollup = november.metrics(**NOVEMBER, group_by="merchant")
    raw = november.metrics(date_from="2026-11-01", date_to="2026-11-29", group_by="merchant")

    assert raw["source"] == "transactions"
    assert raw["groups"] == rollup["groups"]


def test_tags_types_and_merchants_filter_through_the_transactions(november: Books):
    tagged = november.add("-80.00", "2026-11-18", "supermarket", "FEIRA", tags=["casa"])
    november.add("-20.00", "2026-11-18", "supermarket", "FEIRA", type="PIX")

    by_tag = november.metrics(**NOVEMBER, tag="casa")
    by_type = november.metrics(**NOVEMBER, type="PIX")
    by_merchant = november.metrics(**NOVEMBER, merchant="Sabor")
    grouped = november.metrics(**NOVEMBER, group_by="tag")

    assert by_tag["source"] == "transactions"
    assert by_tag["totals"]["expenses"] == "80.00"
    assert by_type["totals"]["expenses"] == "20.00"
    assert by_merchant["totals"]["expenses"] == "150.00"
    casa = [g for g in grouped["groups"] if g["label"] == "casa"]
    assert [(g["expenses"], g["transactions"]) for g in casa] == [("80.00", 1)]
    assert tagged["tags"] == ["casa"]


def test_an_edit_moves_the_figures(november: Books):
    moved = november.add("-40.00", "2026-11-20", "supermarket", "MERCADO")
    november.edit(moved, amount="-60.00", booked_on="2026-10-31", category="dining_out")

    october = november.metrics(date_from="2026-10-01", date_to="2026-10-31", group_by="category")
    assert [(g["label"], g["expenses"]) for g in october["groups"]] == [("Restaurantes", "60.00")]
    assert november.metrics(**NOVEMBER)["totals"]["expenses"] == "1550.00"


def test_another_currency_is_asked_for_by_name(november: Books):
    usd = november.metrics(**NOVEMBER, currency="USD")

    assert usd["currency"] == "USD"
    assert usd["totals"]["transactions"] == 0


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"group_by": "quarter"}, "/group_by/0"),
        ({"group_by": ["month", "year"]}, "/group_by/1"),
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "/date_to"),
        ({"date_from": "1990-01-01", "date_to": "2026-11-01"}, "/date_to"),
        ({"date_from": "2020-01-01", "date_to": "2026-11-01", "group_by": "day"}, "/date_to"),
        ({"account_id": "6f1d0c0e-3c55-4d0b-9a59-2f6a4f0c8e11"}, "/account_id"),
        ({"tag": "nenhuma"}, "/tag"),
        ({"currency": "XYZ"}, "/currency"),
        ({"date_from": "2026-13-01"}, "/date_from"),
        # Days no transaction can have, where month arithmetic would leave the calendar.
        ({"date_from": "9999-12-01", "date_to": "9999-12-31"}, "/date_from"),
        ({"date_from": "9999-12-01", "date_to": "9999-12-31", "group_by": "week"}, "/date_from"),
        ({"date_from": "0001-06-01", "date_to": "0001-06-30"}, "/date_from"),
    ],
)
def test_bad_questions_are_answered_422_with_where(books: Books, params, pointer):
    response = books.actor.get("/v1/analytics/metrics", params={**NOVEMBER, **params})

    body = problem(response, 422)
    assert pointer in [error["pointer"] for error in body["errors"] if error["in"] == "query"]
