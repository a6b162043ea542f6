"""Per-day features and the household summary."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from shared.forecasting.calendar import add_months, nth_business_day
from shared.forecasting.features import (
    FEATURE_VERSION,
    FEATURES,
    PAYDAY_HORIZON,
    SUMMARY_FEATURES,
    daily_features,
    household_summary,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import find_recurring, project

_next = iter(range(1, 10**9))


def line(day: date, amount: str, text: str, kind: str, account: str = "checking") -> Line:
    return Line(
        id=f"f{next(_next)}",
        booked_on=day,
        amount=Decimal(amount),
        account_id=account,
        account_kind="credit_card" if account == "card" else "checking",
        description=text,
        category={"income": "salary", "expense": "groceries", "transfer": "card_payment"}[kind],
        kind=kind,
    )


def household() -> list[Line]:
    lines = []
    for offset in range(6):
        year, month = add_months(2026, 5, offset)
        lines.append(
            line(nth_business_day(year, month, 5), "4000.00", "CRED SALARIO ACME", "income")
        )
        lines.append(line(date(year, month, 12), "-39.90", "NETFLIX.COM", "expense", "card"))
        lines.append(line(date(year, month, 20), "-900.00", "ITAU FATURA", "transfer"))
        lines.append(
            line(date(year, month, 20), "900.00", "PAGAMENTO RECEBIDO", "transfer", "card")
        )
        # The bakery: a few visits a month on no particular day, for no particular amount.
        for day, cents in ((2 + offset, 1250 + 700 * offset), (8 + 2 * offset, 4790), (23, 900)):
            lines.append(line(date(year, month, day), f"-{cents / 100:.2f}", "PADARIA", "expense"))
    return lines


def test_the_columns_are_the_declared_ones() -> None:
    lines = household()
    features = daily_features(lines, date(2026, 5, 1), date(2026, 10, 31), [])

    assert features.values.shape == (184, len(FEATURES))
    assert features.days[0] == date(2026, 5, 1)
    assert features.days[-1] == date(2026, 10, 31)
    assert FEATURE_VERSION
    assert len(set(FEATURES)) == len(FEATURES)


def test_net_leaves_transfers_out_and_income_plus_expense_is_net() -> None:
    lines = household()
    features = daily_features(lines, date(2026, 5, 1), date(2026, 10, 31), [])

    net = features.column("net")
    assert np.allclose(net, features.column("income") + features.column("expense"))
    expected = sum(float(item.amount) for item in lines if item.kind != "transfer")
    assert net.sum() == pytest.approx(expected)
    # The card bill day (20 Jun) has only transfers: no flow.
    assert net[(date(2026, 6, 20) - date(2026, 5, 1)).days] == 0


def test_recurring_is_what_the_series_booked_then_what_they_project() -> None:
    lines = household()
    today = date(2026, 10, 31)
    series = find_recurring(lines, today)
    assert {item.counterparty for item in series} >= {"Cred Salario Acme", "Netflix"}

    features = daily_features(lines, date(2026, 10, 1), date(2026, 11, 30), series)

    recurring = features.column("recurring")
    days = list(features.days)
    assert recurring[days.index(date(2026, 10, 12))] == pytest.approx(-39.90)
    assert recurring[days.index(date(2026, 10, 7))] == pytest.approx(4000.0)  # 5th business day
    # The bakery is not a series: it stays in the residual.
    bakery = days.index(date(2026, 10, 18))
    assert recurring[bakery] == 0
    assert features.column("residual")[bakery] == pytest.approx(-47.90)
    # Transfer series (the card bill) are not in the recurring flow.
    assert recurring[days.index(date(2026, 10, 20))] == 0
    ahead = [
        float(value)
        for value in project(
            [item for item in series if item.kind != "transfer"], date(2026, 11, 1), 30
        )
    ]
    assert np.allclose(recurring[31:], ahead)
    assert recurring[days.index(date(2026, 11, 9))] == pytest.approx(4000.0)


def test_calendar_columns_and_business_days() -> None:
    features = daily_features([], date(2026, 11, 13), date(2026, 11, 21), [])

    days = list(features.days)
    assert list(features.column("day_of_week")[:3]) == [4, 5, 6]  # Fri, Sat, Sun
    assert features.column("day_of_month")[0] == 13
    assert set(features.column("month")) == {11}
    flags = dict(zip(days, features.column("business_day"), strict=True))
    assert flags[date(2026, 11, 13)] == 1
    assert flags[date(2026, 11, 16)] == 1
    assert flags[date(2026, 11, 20)] == 0  # Black Awareness Day


def test_days_to_payday_counts_down_to_the_salary() -> None:
    lines = household()
    series = find_recurring(lines, date(2026, 10, 31))

    features = daily_features(lines, date(2026, 10, 1), date(2026, 11, 10), series)

    countdown = dict(zip(features.days, features.column("days_to_payday"), strict=True))
    assert countdown[date(2026, 10, 7)] == 0
    assert countdown[date(2026, 10, 1)] == 6
    assert countdown[date(2026, 10, 8)] == 32  # to 9 November
    assert countdown[date(2026, 11, 9)] == 0
    no_pay = daily_features(lines, date(2026, 10, 1), date(2026, 10, 3), [])
    assert set(no_pay.column("days_to_payday")) == {PAYDAY_HORIZON}


def test_balance_is_anchored_at_today() -> None:
    lines = household()
    today = date(2026, 10, 31)
    features = daily_features(
        lines, date(2026, 10, 1), date(2026, 11, 5), [], today=today, balance=Decimal("1000.00")
    )

    balance = dict(zip(features.days, features.column("balance"), strict=True))
    assert balance[today] == pytest.approx(1000.0)
    after = sum(float(item.amount) for item in lines if item.booked_on > date(2026, 10, 20))
    assert balance[date(2026, 10, 20)] == pytest.approx(1000.0 - after)
    assert balance[date(2026, 11, 5)] == pytest.approx(1000.0)  # nothing projected without series
    relative = daily_features(lines, date(2026, 10, 1), date(2026, 10, 31), [])
    assert relative.column("balance")[-1] == pytest.approx(
        sum(float(item.amount) for item in lines if item.booked_on >= date(2026, 10, 1))
    )


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before start"):
        daily_features([], date(2026, 10, 2), date(2026, 10, 1), [])


def test_household_summary() -> None:
    lines = household()
    summary = household_summary(lines, date(2026, 10, 31))

    assert set(SUMMARY_FEATURES) <= summary.keys()
    assert summary["average_monthly_income"] == pytest.approx(4000.0)
    assert 0 < summary["spending_volatility"] < 0.2
    assert summary["categories"] == 1  # Netflix and the bakery are both "groceries" here
    assert summary["category_diversity"] == 0.0
    assert len(summary["seasonal_index"]) == 12
    assert summary["seasonal_index"][0] == 1.0  # January not observed
    assert summary["transactions_per_month"] == pytest.approx(42 / (184 / 30.4375), rel=0.01)
    assert household_summary([], date(2026, 10, 31))["history_days"] == 0


def test_seasonal_index_and_volatility_follow_spending() -> None:
    start = date(2025, 11, 1)
    lines = [
        line(start + timedelta(days=offset), "-10.00", "PADARIA", "expense")
        for offset in range(365)
    ]
    lines += [line(date(2025, 12, d), "-30.00", "LOJAS RENNER", "expense") for d in range(1, 32)]

    summary = household_summary(lines, date(2026, 10, 31))

    index = summary["seasonal_index"]
    assert index[11] > 1.5 * index[5]  # December over June
    assert summary["spending_volatility"] > 0.3
    flat = household_summary(lines[:365], date(2026, 10, 31))
    assert flat["category_diversity"] == 0.0
    assert flat["spending_volatility"] < 0.05


def test_an_uncategorised_monthly_credit_counts_as_pay() -> None:
    lines = [
        Line(
            id=f"u{n}",
            booked_on=nth_business_day(*add_months(2026, 1, n), 5),
            amount=Decimal("3100.00"),
            account_id="checking",
            account_kind="checking",
            description="TED RECEBIDA ACME",
        )
        for n in range(10)
    ]
    series = find_recurring(lines, date(2026, 10, 31))

    features = daily_features(lines, date(2026, 10, 1), date(2026, 10, 7), series)

    assert features.column("days_to_payday")[0] == 6  # 7 October
