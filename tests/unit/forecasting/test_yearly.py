"""Yearly payroll payments: the 13th salary and profit sharing, on hand-written statements."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from shared.forecasting.calendar import add_months, nth_business_day
from shared.forecasting.lines import Line
from shared.forecasting.recurring import find_recurring
from shared.forecasting.yearly import (
    PROFIT_SHARING,
    THIRTEENTH,
    YearlyPayment,
    daily,
    is_profit_sharing,
    is_thirteenth,
    yearly_payments,
)

_ids = iter(range(1, 10**9))


def line(day: date, amount: str, description: str, category: str | None = None) -> Line:
    return Line(
        id=f"y{next(_ids)}",
        booked_on=day,
        amount=Decimal(amount),
        account_id="checking",
        account_kind="checking",
        description=description,
        category=category,
        kind="income" if Decimal(amount) > 0 else "expense",
    )


def salaries(
    first: tuple[int, int], months: int, amount: str, raise_on: date | None = None
) -> list[Line]:
    """Pay on the 5th business day, as CLT has it; ``raise_on``: 5 % more from then on."""
    out = []
    for offset in range(months):
        year, month = add_months(*first, offset)
        day = nth_business_day(year, month, 5)
        paid = Decimal(amount) * (Decimal("1.05") if raise_on and day >= raise_on else 1)
        out.append(line(day, str(paid), "TED RECEBIDA ACME LTDA", "salary"))
    return out


def expected(lines: list[Line], today: date, days: int = 90) -> list[YearlyPayment]:
    return yearly_payments(lines, today, find_recurring(lines, today), days)


def test_last_years_parts_come_again_on_the_same_days_grown_with_the_salary() -> None:
    history = [
        *salaries((2024, 1), 22, "5000.00", raise_on=date(2025, 3, 1)),
        line(date(2024, 11, 29), "2900.00", "13 SALARIO 1A PARC ACME", THIRTEENTH),
        line(date(2024, 12, 19), "2100.00", "13 SALARIO 2A PARC ACME", THIRTEENTH),
    ]
    found = expected(history, date(2025, 10, 31))
    # 29 Nov 2025 is a Saturday: the business day before; 19 Dec 2025 is a Friday.
    assert [(item.day, item.amount, item.part) for item in found] == [
        (date(2025, 11, 28), Decimal("3045.00"), 1),
        (date(2025, 12, 19), Decimal("2205.00"), 2),
    ]
    assert all(item.kind == THIRTEENTH and "as last year" in item.basis for item in found)


def test_a_new_household_with_a_salary_expects_half_of_it_on_each_legal_deadline() -> None:
    history = salaries((2025, 4), 7, "6000.00")
    found = expected(history, date(2025, 10, 20))
    # 30 Nov 2025 is a Sunday, 20 Dec 2025 a Saturday: the Friday before each.
    assert [(item.day, item.amount) for item in found] == [
        (date(2025, 11, 28), Decimal("3000.00")),
        (date(2025, 12, 19), Decimal("3000.00")),
    ]
    assert "legal deadline" in found[0].basis


def test_no_13th_last_year_means_none_is_expected_this_year() -> None:
    history = salaries((2024, 6), 17, "6000.00")  # covers 2024's deadlines, no 13th in them
    assert expected(history, date(2025, 10, 20)) == []


def test_nobody_without_a_salary_expects_a_13th() -> None:
    freelance = [
        line(date(2025, 5, 3) + timedelta(days=30 * n), "4000.00", "PIX RECEBIDO") for n in range(6)
    ]
    assert expected(freelance, date(2025, 10, 20)) == []


def test_a_first_part_paid_early_with_vacation_is_not_expected_again() -> None:
    history = [
        *salaries((2025, 3), 8, "6000.00"),
        line(date(2025, 7, 10), "3000.00", "ADIANT 13º SALÁRIO ACME"),
    ]
    found = expected(history, date(2025, 10, 20))
    assert [(item.day, item.part) for item in found] == [(date(2025, 12, 19), 2)]


def test_a_part_already_received_this_year_is_not_expected_again() -> None:
    history = [
        *salaries((2025, 3), 9, "6000.00"),
        line(date(2025, 11, 28), "3000.00", "13 SALARIO 1A PARC", THIRTEENTH),
    ]
    found = expected(history, date(2025, 12, 1))
    assert [item.part for item in found] == [2]


def test_only_payments_inside_the_horizon_are_expected() -> None:
    history = salaries((2025, 4), 7, "6000.00")
    assert [item.part for item in expected(history, date(2025, 10, 20), days=40)] == [1]
    assert expected(history, date(2025, 10, 20), days=30) == []


def test_profit_sharing_comes_again_on_the_same_business_day_of_the_same_month() -> None:
    paid_on = nth_business_day(2025, 2, 10)
    history = [*salaries((2024, 11), 14, "6000.00"), line(paid_on, "9000.00", "PLR ACME LTDA")]
    found = [item for item in expected(history, date(2026, 1, 20)) if item.kind == PROFIT_SHARING]
    assert [(item.day, item.amount) for item in found] == [
        (nth_business_day(2026, 2, 10), Decimal("9000.00"))
    ]


def test_profit_sharing_already_paid_again_is_not_expected_a_third_time() -> None:
    history = [
        *salaries((2024, 11), 16, "6000.00"),
        line(nth_business_day(2025, 2, 10), "9000.00", "PLR ACME LTDA"),
        line(nth_business_day(2026, 2, 10), "9400.00", "PLR ACME LTDA"),
    ]
    found = expected(history, date(2026, 2, 20))
    assert [item for item in found if item.kind == PROFIT_SHARING] == []


def test_wording_is_recognised_without_a_category_and_with_accents() -> None:
    for text in (
        "13º SALÁRIO 1ª PARCELA",
        "DECIMO TERCEIRO SALARIO",
        "DECIMO TERC SAL ACME",
        "13o sal adiant",
        "13 SAL",
        "ADIANTAMENTO 13 ACME",
        "ADTO DO 13",
        "ANTECIPACAO 13",
    ):
        assert is_thirteenth(line(date(2025, 11, 28), "1.00", text)), text
    for text in ("PLR 2024 ACME", "Participação nos Lucros e Resultados", "PPR EMPRESA"):
        assert is_profit_sharing(line(date(2025, 2, 14), "1.00", text)), text
    for text in ("PADARIA 13 DE MAIO", "SALA 13 COWORKING", "SUPERMERCADO PLRX", "PARC 13/24 LOJA"):
        plain = line(date(2025, 2, 14), "1.00", text)
        assert not is_thirteenth(plain), text
        assert not is_profit_sharing(plain), text


def test_daily_puts_each_payment_on_its_step_from_tomorrow() -> None:
    today = date(2025, 11, 20)
    payments = [
        YearlyPayment(date(2025, 11, 21), Decimal("10"), THIRTEENTH, 1, ""),
        YearlyPayment(date(2025, 11, 28), Decimal("5"), THIRTEENTH, 1, ""),
        YearlyPayment(date(2025, 11, 28), Decimal("7"), PROFIT_SHARING, 1, ""),
        YearlyPayment(date(2026, 3, 1), Decimal("9"), PROFIT_SHARING, 1, ""),  # past the horizon
    ]
    totals = daily(payments, today, 10)
    assert (totals[0], totals[7], sum(totals)) == (Decimal("10"), Decimal("12"), 22)


def parts(found: list[YearlyPayment]) -> list[tuple[date, Decimal, int]]:
    return [(item.day, item.amount, item.part) for item in found if item.kind == THIRTEENTH]


def test_a_13th_paid_at_once_last_year_is_expected_at_once_this_year() -> None:
    history = [
        *salaries((2025, 1), 22, "5000.00"),
        line(date(2025, 11, 28), "5000.00", "13 SALARIO ACME", THIRTEENTH),
    ]
    # 28 Nov 2026 is a Saturday: the Friday before; no second part was ever paid.
    assert parts(expected(history, date(2026, 10, 20))) == [
        (date(2026, 11, 27), Decimal("5000.00"), 1)
    ]


def test_a_13th_paid_at_once_this_year_leaves_no_second_part() -> None:
    history = [
        *salaries((2026, 3), 9, "6000.00"),
        line(date(2026, 11, 27), "6000.00", "13 SALARIO ACME", THIRTEENTH),
    ]
    assert parts(expected(history, date(2026, 12, 1))) == []


def test_a_part_whose_usual_day_has_passed_unpaid_is_expected_by_its_deadline() -> None:
    with_vacation = [
        *salaries((2025, 1), 22, "5000.00"),
        line(date(2025, 2, 10), "2500.00", "ADIANT 13 SALARIO", THIRTEENTH),
        line(date(2025, 12, 19), "2500.00", "13 SALARIO 2A PARC", THIRTEENTH),
    ]
    assert [(day, part) for day, _, part in parts(expected(with_vacation, date(2026, 10, 20)))] == [
        (date(2026, 11, 30), 1),
        (date(2026, 12, 18), 2),  # 19 Dec 2026 is a Saturday
    ]
    late = [
        *salaries((2025, 1), 23, "5000.00"),
        line(date(2025, 11, 28), "2500.00", "13 SALARIO 1A PARC", THIRTEENTH),
        line(date(2025, 12, 10), "2500.00", "13 SALARIO 2A PARC", THIRTEENTH),
        line(date(2026, 11, 27), "2500.00", "13 SALARIO 1A PARC", THIRTEENTH),
    ]
    # 10 Dec 2026 came and went without the second part; the law's deadline is still ahead.
    assert parts(expected(late, date(2026, 12, 12))) == [
        (date(2026, 12, 18), Decimal("2500.00"), 2)
    ]


def test_two_employers_two_13ths() -> None:
    history = [
        *salaries((2025, 1), 22, "5000.00"),
        line(date(2025, 11, 28), "2500.00", "13 SALARIO 1A PARC ACME", THIRTEENTH),
        line(date(2025, 11, 28), "1000.00", "13 SALARIO 1A PARC BETA", THIRTEENTH),
        line(date(2025, 12, 19), "2500.00", "13 SALARIO 2A PARC ACME", THIRTEENTH),
        line(date(2025, 12, 19), "1000.00", "13 SALARIO 2A PARC BETA", THIRTEENTH),
    ]
    assert [amount for _, amount, _ in parts(expected(history, date(2026, 10, 20)))] == [
        Decimal("3500.00"),
        Decimal("3500.00"),
    ]


def test_no_salary_now_no_13th_even_after_one_last_year() -> None:
    history = [
        *salaries((2025, 1), 12, "5000.00"),  # the job ended in December 2025
        line(date(2025, 11, 28), "2500.00", "13 SALARIO 1A PARC", THIRTEENTH),
        line(date(2025, 12, 19), "2500.00", "13 SALARIO 2A PARC", THIRTEENTH),
    ]
    assert parts(expected(history, date(2026, 10, 20))) == []


def test_fund_income_called_proventos_is_no_salary() -> None:
    dividends = []
    for offset in range(6):
        year, month = add_months(2026, 4, offset)
        day = nth_business_day(year, month, 15)
        dividends.append(
            replace(line(day, "1500.00", "PROVENTOS HGLG11"), account_kind="investment")
        )
    assert expected(dividends, date(2026, 10, 20)) == []


def test_a_history_covering_only_last_december_without_a_13th_expects_none() -> None:
    history = salaries((2025, 12), 11, "6000.00")
    history.insert(0, line(date(2025, 12, 5), "-80.00", "PADARIA"))
    assert parts(expected(history, date(2026, 10, 20))) == []


def test_profit_sharing_on_a_saturday_comes_back_near_the_same_day() -> None:
    history = [
        *salaries((2025, 11), 14, "6000.00"),
        line(date(2026, 2, 14), "8000.00", "PIX PLR ACME"),  # a Saturday
    ]
    found = [item for item in expected(history, date(2027, 1, 10)) if item.kind == PROFIT_SHARING]
    # Saturday counts as Friday 13 Feb 2026, the month's 10th business day (Carnival is the
    # 16th-17th); in 2027 the 10th comes after Carnival (8-9 Feb).
    assert [item.day for item in found] == [nth_business_day(2027, 2, 10)]
    assert found[0].day == date(2027, 2, 16)


def test_profit_sharing_paid_early_this_year_is_not_expected_again() -> None:
    history = [
        *salaries((2024, 11), 14, "6000.00"),
        line(date(2025, 2, 10), "8000.00", "PLR ACME"),
        line(date(2025, 12, 19), "8400.00", "PLR ACME ANTECIPADA"),
    ]
    found = expected(history, date(2026, 1, 5))
    assert [item for item in found if item.kind == PROFIT_SHARING] == []
