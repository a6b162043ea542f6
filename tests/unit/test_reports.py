"""Reports without a database: definitions checked with pointers, the CSV and XLSX bytes of a
known table, periods of months and ISO weeks, and the report e-mail's words."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from events.reports import ReportGenerated
from shared.domain.errors import InvalidInput
from shared.domain.notification_templates import period_key, render
from shared.domain.notifications import Language
from shared.reports.definition import (
    ALL_MEASURES,
    Column,
    Kind,
    Measure,
    ReportDefinition,
    ReportTable,
    definition,
)
from shared.reports.periods import Frequency, ReportPeriod
from shared.reports.render import currency_format, to_csv, to_json, to_xlsx

START, END = date(2026, 11, 1), date(2026, 11, 30)


def _pointers(error: InvalidInput) -> list[tuple[str | int, ...]]:
    return [issue.location for issue in error.issues]


def test_no_measures_means_all_of_them_in_their_order():
    assert definition(START, END).measures == ALL_MEASURES


def test_every_problem_is_reported_at_once_with_its_place():
    with pytest.raises(InvalidInput) as caught:
        definition(END, START, ["category", "colour"], ["income", "profit", "income"])

    assert _pointers(caught.value) == [
        ("body", "measures", 1),
        ("body", "measures", 2),
        ("body", "dimensions", 1),
        ("body", "date_to"),
    ]


def test_a_range_too_long_for_its_grain_is_refused():
    with pytest.raises(InvalidInput) as caught:
        definition(date(2020, 1, 1), END, ["day"])
    assert caught.value.issues[0].code == "too_long"
    definition(date(2020, 1, 1), END, ["month"])  # the same range by month is fine


def _table() -> ReportTable:
    report = ReportDefinition(
        START,
        END,
        ("month", "category"),
        (Measure.INCOME, Measure.SAVINGS_RATE, Measure.TRANSACTIONS),
    )
    columns = (
        Column("period", Kind.DATE),
        Column("category", Kind.TEXT),
        Column("label", Kind.TEXT),
        Column("income", Kind.MONEY),
        Column("savings_rate", Kind.RATIO),
        Column("transactions", Kind.COUNT),
    )
    rows = [
        (START, "c1", "Alimentação", Decimal("1234.5"), Decimal("0.123456"), 3),
        (START, None, None, Decimal(0), None, 0),
    ]
    totals = {
        Measure.INCOME: Decimal("1234.5"),
        Measure.SAVINGS_RATE: Decimal("0.123456"),
        Measure.TRANSACTIONS: 3,
    }
    return ReportTable(report, "BRL", columns, rows, totals)


def test_csv_has_a_bom_a_header_dot_decimals_and_empty_nones():
    assert (
        to_csv(_table())
        == (
            "\ufeffperiod,category,label,income,savings_rate,transactions\r\n"
            "2026-11-01,c1,Alimentação,1234.50,0.1235,3\r\n"
            "2026-11-01,,,0.00,,0\r\n"
        ).encode()
    )


def test_json_keeps_counts_as_numbers_and_amounts_as_decimal_strings():
    answer = to_json(_table())

    assert answer["rows"][0] == {
        "period": "2026-11-01",
        "category": "c1",
        "label": "Alimentação",
        "income": "1234.50",
        "savings_rate": "0.1235",
        "transactions": 3,
    }
    assert answer["totals"] == {"income": "1234.50", "savings_rate": "0.1235", "transactions": 3}


def test_xlsx_reads_back_as_numbers_dates_and_a_totals_row():
    sheet = load_workbook(io.BytesIO(to_xlsx(_table()))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0] == ("period", "category", "label", "income", "savings_rate", "transactions")
    assert rows[1] == (datetime(2026, 11, 1), "c1", "Alimentação", 1234.5, 0.1235, 3)
    assert rows[2] == (datetime(2026, 11, 1), None, None, 0, None, 0)
    assert rows[3] == ("total", None, None, 1234.5, 0.1235, 3)
    assert sheet["D2"].number_format == currency_format("BRL", 2)
    assert sheet["E2"].number_format == "0.00%"


def test_currency_formats_name_the_currency():
    assert currency_format("BRL", 2) == "[$R$-416] #,##0.00;-[$R$-416] #,##0.00"
    assert currency_format("JPY", 0) == '#,##0 "JPY";-#,##0 "JPY"'


# The days transactions may have, less the week that would straddle either end.
@given(st.dates(min_value=date(1900, 1, 8), max_value=date(2199, 12, 24)))
def test_every_day_is_in_the_month_and_the_week_its_keys_name(day: date):
    month = ReportPeriod.month(day)
    week = ReportPeriod.week(day)

    assert month.start <= day <= month.end
    assert week.start <= day <= week.end
    assert (week.end - week.start) == timedelta(days=6)
    assert week.start.weekday() == 0
    assert ReportPeriod.parse(month.key) == month
    assert ReportPeriod.parse(week.key) == week


def test_a_schedule_reports_on_the_period_that_just_ended():
    assert ReportPeriod.last_complete(Frequency.MONTHLY, date(2026, 11, 1)).key == "2026-10"
    assert ReportPeriod.last_complete(Frequency.MONTHLY, date(2027, 1, 1)).key == "2026-12"
    assert ReportPeriod.last_complete(Frequency.WEEKLY, date(2026, 11, 2)).key == "2026-W44"


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-W54",
        "2026-10-01",
        "outubro",
        "",
        "9999-12",
        "9999-W52",
        "0001-01",
    ],
)
def test_what_is_not_a_period_is_refused(text: str):
    with pytest.raises(InvalidInput):
        ReportPeriod.parse(text)


def test_periods_are_named_in_the_persons_language():
    october = ReportPeriod.parse("2026-10")
    assert october.name(Language.PT_BR) == "outubro de 2026"
    assert october.name(Language.EN) == "October 2026"
    assert ReportPeriod.parse("2026-W44").name(Language.EN) == "week 44 of 2026"


def _generated(period: str = "2026-10") -> ReportGenerated:
    return ReportGenerated(
        report_id=uuid4(),
        tenant_id=uuid4(),
        user_id=uuid4(),
        frequency="monthly",
        period=period,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        language="pt-BR",
        html_key="reports/t/u/2026-10/report.html",
        csv_key="reports/t/u/2026-10/report.csv",
        url="https://example.com/r",
        expires_at=None,
    )


def test_the_report_email_names_the_month_and_carries_the_link():
    rendered = render("ReportGenerated", _generated(), Language.PT_BR)

    assert rendered.text == "Seu relatório de outubro de 2026 está pronto: https://example.com/r"
    assert render("ReportGenerated", _generated(), Language.EN).subject == (
        "Your report for October 2026 is ready"
    )


def test_a_report_is_announced_once_per_period():
    assert period_key(_generated()) == period_key(_generated()) == "report:2026-10"
    assert period_key(_generated("2026-W44")) != period_key(_generated())


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ({"id": "scheduled-event", "detail-type": "Scheduled Event"}, "2026-11"),
        ({"frequency": "monthly"}, "2026-11"),
        ({"frequency": "weekly"}, "2026-W48"),
        ({"period": "2026-10"}, "2026-10"),
    ],
)
def test_the_schedule_entry_picks_the_period_its_event_asks_for(event: dict[str, str], key: str):
    from types import SimpleNamespace

    from functions.analytics.reports_schedule import _period
    from shared.clock import FixedClock

    container = SimpleNamespace(clock=FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))

    assert _period(event, container).key == key  # type: ignore[arg-type]
