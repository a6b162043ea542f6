"""Recurring series on hand-written statements: the shapes real Brazilian statements have."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.forecasting.calendar import (
    add_months,
    business_day_on_or_after,
    day_in_month,
    is_business_day,
    nth_business_day,
    nth_last_business_day,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import (
    RecurringSeries,
    attributed,
    find_recurring,
    project,
)

_ids = iter(range(1, 10**9))


def line(
    day: date,
    amount: str | Decimal,
    description: str,
    *,
    merchant: str | None = None,
    account: str = "checking",
    account_kind: str = "checking",
    category: str | None = None,
    kind: str = "expense",
) -> Line:
    return Line(
        id=f"l{next(_ids)}",
        booked_on=day,
        amount=Decimal(amount),
        account_id=account,
        account_kind=account_kind,
        description=description,
        merchant=merchant,
        category=category,
        kind=kind,
    )


def monthly(first: tuple[int, int], months: int, day: int, *, shift: bool = False) -> list[date]:
    out = []
    for offset in range(months):
        year, month = add_months(first[0], first[1], offset)
        nominal = day_in_month(year, month, day)
        out.append(business_day_on_or_after(nominal) if shift else nominal)
    return out


def card(day: date, amount: str, text: str, merchant: str | None = None) -> Line:
    return line(day, amount, text, merchant=merchant, account="card", account_kind="credit_card")


def only(series: Iterable[RecurringSeries], counterparty: str) -> RecurringSeries:
    matches = [item for item in series if item.counterparty == counterparty]
    assert len(matches) == 1, [item.counterparty for item in series]
    return matches[0]


def noise(start: date, days: int, seed: int = 7) -> list[Line]:
    """Everyday card spending: many shops, random days and amounts."""
    rng = random.Random(seed)
    shops = ["PADARIA REAL", "SUPERMERCADO BOM PRECO", "POSTO SHELL", "DROGASIL", "UBER *TRIP"]
    out = []
    for offset in range(days):
        for _ in range(rng.randint(0, 3)):
            amount = f"-{rng.randint(800, 25000) / 100:.2f}"
            out.append(card(start + timedelta(days=offset), amount, rng.choice(shops)))
    return out


def test_a_card_subscription_is_monthly_on_its_day_even_on_weekends() -> None:
    days = monthly((2025, 11), 12, 12)
    lines = [card(day, "-44.90", "NETFLIX.COM") for day in days] + noise(date(2025, 11, 1), 360)

    series = only(find_recurring(lines, date(2026, 10, 20)), "Netflix")

    assert series.cadence == "monthly"
    assert series.amount == Decimal("-44.90")
    assert series.next_date == date(2026, 11, 12)  # a Thursday: card charges are not moved
    assert series.next_amount == Decimal("-44.90")
    assert len(series.line_ids) == 12
    assert series.previous_amount is None
    assert not series.price_changed
    assert series.confidence > 0.9


def test_a_boleto_due_on_a_weekend_or_holiday_is_expected_the_next_business_day() -> None:
    # The 15th: Sunday in Feb 2026 and Nov 2026 (Republic Day besides), Saturday in Aug 2026.
    days = monthly((2025, 10), 13, 15, shift=True)
    assert date(2026, 2, 16) not in days  # Carnival Monday: banks are closed
    assert date(2026, 2, 18) in days
    lines = [line(day, "-1850.00", "PAG BOLETO IMOBILIARIA LAR", category="rent") for day in days]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Imobiliaria Lar")

    assert series.cadence == "monthly"
    assert series.schedule == "day:15:after"
    assert series.next_date == date(2026, 11, 16)
    assert is_business_day(series.next_date)
    assert len(series.line_ids) == 13


def test_pay_on_the_fifth_business_day_is_found_as_such() -> None:
    days = [nth_business_day(*add_months(2025, 9, offset), 5) for offset in range(14)]
    lines = [
        line(day, "5230.00", "TED RECEBIDA ACME LTDA", merchant="Acme", kind="income")
        for day in days
    ]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Acme")

    assert series.schedule == "business_day:5"
    assert series.kind == "income"
    # 2 Nov is All Souls' Day: the 5th business day is the 9th.
    assert series.next_date == date(2026, 11, 9)
    assert series.occurrences(date(2027, 1, 31)) == [
        date(2026, 11, 9),
        date(2026, 12, 7),
        date(2027, 1, 8),
    ]


def test_a_yearly_price_rise_stays_one_series_and_records_the_old_price() -> None:
    days = monthly((2025, 6), 17, 3)
    amounts = ["-21.90"] * 12 + ["-23.90"] * 5  # +9 %
    lines = [card(day, amount, "SPOTIFY") for day, amount in zip(days, amounts, strict=True)]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Spotify")

    assert len(series.line_ids) == 17
    assert series.amount == Decimal("-23.90")
    assert series.previous_amount == Decimal("-21.90")
    assert series.price_changed
    assert series.next_amount == Decimal("-23.90")
    assert series.typical_amount == Decimal("-21.90")


def test_a_rise_in_the_latest_month_is_already_a_price_change() -> None:
    days = monthly((2025, 10), 13, 20)
    amounts = ["-119.90"] * 12 + ["-129.90"]
    lines = [card(day, a, "SMARTFIT") for day, a in zip(days, amounts, strict=True)]

    series = only(find_recurring(lines, date(2026, 10, 25)), "Smartfit")

    assert series.previous_amount == Decimal("-119.90")
    assert series.amount == Decimal("-129.90")


def test_a_metered_bill_varies_without_being_a_price_change() -> None:
    rng = random.Random(3)
    days = monthly((2025, 1), 22, 18, shift=True)
    lines = [
        line(day, f"-{rng.randint(16000, 30000) / 100:.2f}", "DEB AUT ENEL", merchant="Enel")
        for day in days
    ]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Enel")

    assert series.previous_amount is None
    assert len(series.line_ids) == 22
    assert Decimal("-300") <= series.next_amount <= Decimal("-160")


def test_a_cancelled_subscription_is_not_returned() -> None:
    days = monthly((2025, 5), 12, 8)  # last charge on 8 April 2026
    lines = [card(day, "-43.90", "DISNEY PLUS") for day in days]

    assert find_recurring(lines, date(2026, 10, 31)) == []
    # At the time it was still running, it was one.
    assert only(find_recurring(lines, date(2026, 4, 20)), "Disney Plus").next_date == date(
        2026, 5, 8
    )


def test_a_late_charge_is_still_expected_within_the_grace() -> None:
    days = monthly((2025, 11), 12, 10)  # the last on 10 Oct 2026; November's is late on the 14th
    lines = [card(day, "-55.90", "YOUTUBEPREMIUM") for day in days]

    series = only(find_recurring(lines, date(2026, 11, 14)), "Youtubepremium")

    assert series.next_date == date(2026, 11, 10)
    # The forecast puts the late charge on its first day rather than dropping it.
    assert project([series], date(2026, 11, 15), 3)[0] == Decimal("-55.90")


def test_yearly_taxes_are_found_from_two_years() -> None:
    lines = [
        line(date(2024, 1, 15), "-1480.00", "IPVA SP 2024 COTA UNICA", merchant="Sefaz SP"),
        line(date(2025, 1, 15), "-1361.60", "IPVA SP 2025 COTA UNICA", merchant="Sefaz SP"),
        line(date(2026, 1, 15), "-1252.67", "IPVA SP 2026 COTA UNICA", merchant="Sefaz SP"),
    ]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Sefaz SP")

    assert series.cadence == "yearly"
    assert series.next_date == date(2027, 1, 15)
    assert series.amount == Decimal("-1252.67")


def test_two_purchases_at_one_shop_a_year_apart_are_not_a_yearly_bill() -> None:
    lines = [
        card(date(2024, 12, 18), "-189.90", "O BOTICARIO", "O Boticário"),
        card(date(2025, 5, 9), "-79.90", "O BOTICARIO", "O Boticário"),
        card(date(2025, 12, 20), "-201.50", "O BOTICARIO", "O Boticário"),
    ]

    assert find_recurring(lines, date(2026, 1, 10)) == []


def test_two_plans_at_one_merchant_are_two_series_with_their_own_keys() -> None:
    days = monthly((2025, 11), 12, 5)
    lines = [card(day, "-14.90", "APPLE.COM/BILL", "Apple") for day in days]
    lines += [card(day, "-36.00", "APPLE.COM/BILL", "Apple") for day in days]

    found = find_recurring(lines, date(2026, 10, 31))

    series = [item for item in found if item.counterparty == "Apple"]

    assert sorted(item.amount for item in series) == [Decimal("-36.00"), Decimal("-14.90")]
    assert len({item.key for item in series}) == 2
    assert all(len(item.line_ids) == 12 for item in series)


def test_instalments_are_monthly_with_the_parts_left() -> None:
    lines = [
        card(date(2026, 8, 14), "-350.09", "PARCELA 1/10 MAGAZINE LUIZA"),
        card(date(2026, 9, 14), "-350.00", "PARCELA 2/10 MAGAZINE LUIZA"),
        card(date(2026, 10, 14), "-350.00", "PARCELA 3/10 MAGAZINE LUIZA"),
    ]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Magazine Luiza")

    assert series.cadence == "monthly"
    assert series.remaining == 7
    assert series.next_date == date(2026, 11, 14)
    assert series.next_amount == Decimal("-350.00")
    # Seven parts are left, however long the horizon.
    assert sum(project([series], date(2026, 11, 1), 365)) == Decimal("-2450.00")


def test_the_statements_own_instalment_columns_make_a_plan_without_the_wording() -> None:
    parts = [(date(2026, 9, 2), 1), (date(2026, 10, 2), 2)]
    lines = [
        replace(card(day, "-199.90", "MERCADOLIVRE*ELETRO"), instalment=(part, 6))
        for day, part in parts
    ]

    series = only(find_recurring(lines, date(2026, 10, 31)), "Mercadolivre")

    assert (series.remaining, series.next_date) == (4, date(2026, 11, 2))
    assert sum(project([series], date(2026, 11, 1), 365)) == Decimal("-799.60")


def test_a_refunded_part_is_not_a_plan_of_refunds_nor_part_of_the_purchase() -> None:
    lines = [
        card(date(2026, 9, 2), "-199.90", "PARC 01/06 MAGAZINE LUIZA"),
        card(date(2026, 10, 2), "-199.90", "PARC 02/06 MAGAZINE LUIZA"),
        card(date(2026, 10, 2), "199.90", "ESTORNO PARC 02/06 MAGAZINE LUIZA"),
    ]

    series = find_recurring(lines, date(2026, 10, 31))

    assert [(item.amount, item.remaining) for item in series] == [(Decimal("-199.90"), 4)]


def test_one_explicit_part_is_enough_and_a_paid_off_plan_is_not_returned() -> None:
    lines = [
        card(date(2026, 10, 3), "-89.90", "PARC 01/03 CENTAURO"),
        card(date(2026, 8, 22), "-120.00", "KABUM PARC 02/02"),
        card(date(2026, 7, 22), "-120.00", "KABUM PARC 01/02"),
    ]

    series = find_recurring(lines, date(2026, 10, 31))

    assert [item.counterparty for item in series] == ["Centauro"]
    assert series[0].remaining == 2
    assert series[0].next_date == date(2026, 11, 3)


def test_two_purchases_in_instalments_at_one_shop_are_two_series() -> None:
    lines = [
        card(date(2026, 8, 5), "-200.00", "AMAZON BR 01/05"),
        card(date(2026, 9, 5), "-200.00", "AMAZON BR 02/05"),
        card(date(2026, 9, 20), "-75.00", "AMAZON BR 01/05"),
        card(date(2026, 10, 5), "-200.00", "AMAZON BR 03/05"),
        card(date(2026, 10, 20), "-75.00", "AMAZON BR 02/05"),
    ]

    series = find_recurring(lines, date(2026, 10, 31))

    assert sorted((item.remaining, item.next_date) for item in series) == [
        (2, date(2026, 11, 5)),
        (3, date(2026, 11, 20)),
    ]
    assert len({item.key for item in series}) == 2


def test_weekly_and_fortnightly_pix() -> None:
    fridays = [date(2026, 6, 5) + timedelta(days=7 * n) for n in range(20)]
    every_other = [date(2026, 6, 2) + timedelta(days=14 * n) for n in range(11)]
    lines = [line(day, "-180.00", "PIX ENVIADO MARIA S") for day in fridays]
    lines += [line(day, "-250.00", "PIX ENVIADO JOAO P") for day in every_other]

    series = find_recurring(lines, date(2026, 10, 20))

    cleaner = only(series, "Maria S")
    assert (cleaner.cadence, cleaner.next_date) == ("weekly", date(2026, 10, 23))
    gardener = only(series, "Joao P")
    assert (gardener.cadence, gardener.next_date) == ("biweekly", date(2026, 11, 3))


def test_everyday_spending_is_not_recurring() -> None:
    lines = noise(date(2025, 11, 1), 365, seed=11)

    assert find_recurring(lines, date(2026, 10, 31)) == []


def test_a_duplicate_charge_is_left_out_of_the_series() -> None:
    days = monthly((2025, 11), 12, 9)
    lines = [card(day, "-34.90", "MAX.COM") for day in days]
    extra = card(date(2026, 6, 10), "-34.90", "MAX.COM")

    series = only(find_recurring([*lines, extra], date(2026, 10, 31)), "Max")

    assert extra.id not in series.line_ids
    assert len(series.line_ids) == 12


def test_lines_after_today_are_not_seen_and_keys_stay_stable() -> None:
    days = monthly((2025, 11), 12, 9)
    lines = [card(day, "-34.90", "MAX.COM") for day in days]

    earlier = only(find_recurring(lines, date(2026, 8, 31)), "Max")
    later = only(find_recurring(lines, date(2026, 10, 31)), "Max")

    assert earlier.last_date == date(2026, 8, 9)
    assert earlier.key == later.key


def test_project_and_attributed() -> None:
    days = monthly((2025, 11), 12, 12)
    lines = [card(day, "-34.90", "MAX.COM") for day in days]
    pay = [nth_business_day(*add_months(2025, 11, n), 5) for n in range(12)]
    lines += [line(day, "3000.00", "CRED SALARIO ACME", kind="income") for day in pay]
    series = find_recurring(lines, date(2026, 10, 31))

    daily = project(series, date(2026, 11, 1), 45)

    assert len(daily) == 45
    assert daily[8] == Decimal("3000.00")  # 9 Nov, the 5th business day
    assert daily[11] == Decimal("-34.90")  # 12 Nov
    assert daily[36] == Decimal("3000.00")  # 7 Dec
    assert daily[41] == Decimal("-34.90")  # 12 Dec
    assert sum(daily) == 2 * (Decimal("3000.00") - Decimal("34.90"))
    assert attributed(series) == frozenset(item.id for item in lines)
    assert project(series, date(2026, 11, 1), 0) == []


def test_to_json_is_plain_json() -> None:
    days = monthly((2025, 11), 12, 9)
    series = find_recurring([card(day, "-34.90", "MAX.COM") for day in days], date(2026, 10, 31))

    payload = series[0].to_json()

    assert payload["amount"] == "-34.90"
    assert payload["cadence"] == "monthly"
    assert payload["next_date"] == "2026-11-09"
    assert payload["previous_amount"] is None
    assert payload["price_changed"] is False
    assert len(payload["line_ids"]) == 12


@settings(max_examples=40, deadline=None)
@given(
    day=st.integers(min_value=1, max_value=31),
    months=st.integers(min_value=4, max_value=18),
    cents=st.integers(min_value=500, max_value=500_000),
    shift=st.booleans(),
    first_month=st.integers(min_value=1, max_value=12),
)
def test_any_fixed_day_monthly_charge_is_found_with_its_next_date(
    day: int, months: int, cents: int, shift: bool, first_month: int
) -> None:
    days = monthly((2024, first_month), months, day, shift=shift)
    amount = f"-{cents / 100:.2f}"
    # Boletos from checking move to business days; card charges stay on their day.
    if shift:
        lines = [line(d, amount, "PAG BOLETO ESCOLA ALFA") for d in days]
    else:
        lines = [card(d, amount, "ESCOLA ALFA") for d in days]
    today = days[-1] + timedelta(days=3)

    series = only(find_recurring(lines, today), "Escola Alfa")

    # The month after the last one charged (whose charge may have moved into the next month).
    year, month = add_months(2024, first_month, months)
    expected = day_in_month(year, month, day)
    if shift:
        expected = business_day_on_or_after(expected)
    assert series.next_date == expected
    assert len(series.line_ids) == months


@pytest.mark.parametrize("today", [date(2026, 10, 31), date(2026, 6, 30)])
def test_nothing_from_nothing(today: date) -> None:
    assert find_recurring([], today) == []
    assert project([], today, 5) == [Decimal("0")] * 5


@pytest.mark.parametrize("at_new_price", [1, 2, 5])
def test_a_big_jump_in_price_on_the_same_schedule_is_still_one_series(at_new_price: int) -> None:
    # A promotional price ends: +50 %, far more than a yearly rise.
    days = monthly((2025, 11), 8 + at_new_price, 17)
    amounts = ["-99.90"] * 8 + ["-149.90"] * at_new_price
    lines = [card(d, a, "BLUEFIT ACADEMIAS") for d, a in zip(days, amounts, strict=True)]
    today = days[-1] + timedelta(days=5)

    series = only(find_recurring(lines, today), "Bluefit Academias")

    assert len(series.line_ids) == 8 + at_new_price
    assert series.amount == Decimal("-149.90")
    assert series.previous_amount == Decimal("-99.90")
    assert series.next_amount == Decimal("-149.90")


def test_a_new_plan_after_a_cancelled_one_on_another_day_is_not_joined() -> None:
    old = [card(d, "-99.90", "BLUEFIT ACADEMIAS") for d in monthly((2025, 11), 6, 17)]
    new = [card(d, "-149.90", "BLUEFIT ACADEMIAS") for d in monthly((2026, 7), 4, 2)]

    series = find_recurring([*old, *new], date(2026, 10, 20))

    assert [(item.amount, item.previous_amount) for item in series] == [(Decimal("-149.90"), None)]


def test_pay_on_the_last_business_day_of_the_month() -> None:
    days = [nth_last_business_day(*add_months(2025, 10, offset), 1) for offset in range(12)]
    lines = [line(d, "7100.00", "REMUNERACAO/SALARIO ORG X", kind="income") for d in days]

    series = only(find_recurring(lines, date(2026, 10, 1)), "Remuneracao/salario Org X")

    # "The last business day" and "the 31st, or the business day before" are the same rule.
    assert series.schedule in ("business_day:-1", "day:31:before")
    assert series.next_date == date(2026, 10, 30)  # Friday: 31 October is a Saturday
    assert series.occurrences(date(2027, 1, 31))[1:] == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 29),
    ]


def test_a_purchase_date_at_the_end_of_a_descriptor_is_not_an_instalment() -> None:
    lines = [
        card(date(2026, 10, 6), "-23.40", "UBER *TRIP 05/10"),
        card(date(2026, 10, 9), "-61.00", "IFD*PIZZARIA DOM PEPE 09/10"),
    ]

    assert find_recurring(lines, date(2026, 10, 31)) == []


def test_an_advance_on_the_20th_and_the_rest_on_the_5th_business_day_are_two_series() -> None:
    months = [add_months(2025, 11, offset) for offset in range(12)]
    lines = [
        line(nth_business_day(y, m, 5), "3600.00", "CRED SALARIO ACME", kind="income")
        for y, m in months
    ]
    lines += [
        line(
            business_day_on_or_after(date(y, m, 20)), "2400.00", "CRED SALARIO ACME", kind="income"
        )
        for y, m in months
    ]

    series = find_recurring(lines, date(2026, 10, 31))

    assert sorted((item.amount, item.next_date) for item in series) == [
        (Decimal("2400.00"), date(2026, 11, 23)),  # the 20th is Black Awareness Day, a Friday
        (Decimal("3600.00"), date(2026, 11, 9)),
    ]


def test_a_weekly_series_with_missed_weeks_stays_weekly() -> None:
    fridays = [date(2026, 3, 6) + timedelta(days=7 * n) for n in range(34)]
    kept = [day for n, day in enumerate(fridays) if n not in (5, 17, 26)]  # holidays, a sick day
    lines = [line(day, "-200.00", "PIX ENVIADO ANA C") for day in kept]

    series = find_recurring(lines, date(2026, 10, 24))

    assert [(item.cadence, len(item.line_ids)) for item in series] == [("weekly", 31)]
