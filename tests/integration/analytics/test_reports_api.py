"""POST /v1/reports: the known November as JSON, CSV and XLSX on both databases; bad
definitions answered 422 with where the problem is in the body."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.bootstrap import Container
from shared.domain.access import Role
from tests.integration.analytics.conftest import Books
from tests.support.api import Actor, ok, problem, token_for

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _report(actor: Actor, **body: Any) -> Any:
    return actor.post("/v1/reports", {**NOVEMBER, **body})


def test_given_november_when_reported_as_json_then_one_row_of_totals(november: Books):
    answer = ok(_report(november.actor))

    assert answer["columns"][0] == {"name": "income", "kind": "money"}
    assert answer["rows"] == [
        {
            "income": "5000.00",
            "expenses": "1550.00",
            "net": "3450.00",
            "savings_rate": "0.6900",
            "transactions": 6,
            "average_ticket": "387.50",
        }
    ]
    assert answer["totals"] == answer["rows"][0]
    assert answer["currency"] == "BRL"


def test_given_dimensions_and_measures_then_one_row_per_group_with_those_columns(november: Books):
    answer = ok(_report(november.actor, dimensions=["category"], measures=["expenses", "income"]))

    assert [c["name"] for c in answer["columns"]] == ["category", "label", "expenses", "income"]
    by_label = {row["label"]: (row["expenses"], row["income"]) for row in answer["rows"]}
    assert by_label == {
        "Eletrônicos": ("1000.00", "0.00"),
        "Supermercado": ("300.00", "0.00"),
        "Restaurantes": ("150.00", "0.00"),
        None: ("100.00", "0.00"),
        "Salário": ("0.00", "5000.00"),
    }
    assert answer["totals"] == {"expenses": "1550.00", "income": "5000.00"}


def test_filters_narrow_the_report(november: Books):
    restaurants = november.categories["restaurants"]
    answer = ok(_report(november.actor, filters={"category_ids": [restaurants]}))

    assert answer["totals"]["expenses"] == "150.00"


def test_given_csv_then_a_download_with_a_bom_a_header_and_dot_decimals(november: Books):
    response = _report(november.actor, dimensions=["month", "category"], format="csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="fluxo-report-2026-11-01-2026-11-30.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "period,category,label,income,expenses,net,savings_rate,transactions,average_ticket"
    )
    supermarket = next(line for line in lines if "Supermercado" in line)
    assert supermarket.endswith(",Supermercado,0.00,300.00,-300.00,,1,300.00")
    assert supermarket.startswith("2026-11-01,")
    assert "Eletrônicos" in response.content.decode("utf-8-sig")


def test_given_xlsx_then_numbers_are_numbers_and_dates_are_dates(november: Books):
    response = _report(
        november.actor, dimensions=["month"], measures=["income", "savings_rate"], format="xlsx"
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("period", "income", "savings_rate")
    assert rows[1] == (datetime(2026, 11, 1), 5000, 0.69)
    assert rows[2] == ("total", 5000, 0.69)
    assert "R$" in sheet["B2"].number_format
    assert sheet["C2"].number_format == "0.00%"
    assert sheet["A2"].is_date


def test_a_viewer_may_run_a_report(november: Books, container: Container):
    owner = november.actor
    viewer = Actor(
        owner.client,
        token_for(container, owner.user_id, owner.tenant_id, Role.VIEWER),
        owner.user_id,
        owner.tenant_id,
    )

    assert ok(_report(viewer))["totals"]["income"] == "5000.00"


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"measures": ["income", "profit"]}, {"/measures/1"}),
        ({"measures": ["net", "net"]}, {"/measures/1"}),
        ({"dimensions": ["category", "colour"]}, {"/dimensions/1"}),
        ({"dimensions": ["month", "week"]}, {"/dimensions/1"}),
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, {"/date_to"}),
        ({"date_from": "1990-01-01", "date_to": "2026-11-01"}, {"/date_to"}),
        ({"date_from": "2020-01-01", "dimensions": ["day"]}, {"/date_to"}),
        ({"format": "pdf"}, {"/format"}),
        ({"measures": ["lucro"], "date_to": "2026-10-01"}, {"/measures/0", "/date_to"}),
        ({"filters": {"currency": "XYZ"}}, {"/filters/currency"}),
        ({"filters": {"tags": ["nenhuma"]}}, {"/filters/tags"}),
        ({"filters": {"unknown": 1}}, {"/filters/unknown"}),
        ({"date_from": "9999-12-01", "date_to": "9999-12-31"}, {"/date_from", "/date_to"}),
        ({"date_from": "0001-06-01", "date_to": "0001-06-30"}, {"/date_from", "/date_to"}),
    ],
)
def test_bad_definitions_are_422_with_pointers(
    owner: Actor, body: dict[str, Any], pointers: set[str]
):
    answer = problem(_report(owner, **body), 422)

    assert {error["pointer"] for error in answer["errors"]} == pointers
    assert all(error["in"] == "body" for error in answer["errors"])


def test_an_account_of_another_workspace_is_unknown_here(owner: Actor, new_actor):
    other = new_actor("Bruno")
    account = ok(other.post("/v1/accounts", {"name": "Dele", "kind": "checking"}), 201)

    answer = problem(_report(owner, filters={"account_ids": [account["id"]]}), 422)

    assert [error["pointer"] for error in answer["errors"]] == ["/filters/account_ids"]
