"""The insight rules at their thresholds, their order, and their words in pt-BR and en."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from shared.analytics.insight_texts import TEMPLATES, render
from shared.analytics.insights import (
    MAX_INSIGHTS,
    Charge,
    Figures,
    Insight,
    InsightKind,
    biggest_change,
    category_vs_average,
    insights,
    negative_net_months,
    new_recurring_charges,
)
from shared.domain.errors import InvalidInput
from shared.domain.notifications import Language
from shared.services.insights import check_month, language_of

NOV = date(2026, 11, 1)
OCT, SEP, AUG, JUL, JUN = (date(2026, m, 1) for m in (10, 9, 8, 7, 6))
FOOD, RENT, FUN = UUID(int=1), UUID(int=2), UUID(int=3)
NAMES = {FOOD: "Restaurantes", RENT: "Moradia", FUN: "Lazer"}
ACTIVE = {m: Decimal(100) for m in (JUN, JUL, AUG, SEP, OCT, NOV)}
"""Months with activity: history enough to call a charge new."""


def D(text: str | int) -> Decimal:
    return Decimal(str(text))


def figures(
    spending: Mapping[date, Mapping[UUID, Decimal]] | None = None,
    *,
    net: Mapping[date, Decimal] | None = None,
    charges: Mapping[str, Mapping[date, Charge]] | None = None,
    complete: bool = True,
    currency: str = "BRL",
) -> Figures:
    return Figures(
        NOV,
        complete,
        currency,
        spending or {},
        ACTIVE if net is None else net,
        charges or {},
    )


def monthly(category: UUID, aug: str, sep: str, oct: str, nov: str) -> dict[date, dict]:
    return {
        AUG: {category: D(aug)},
        SEP: {category: D(sep)},
        OCT: {category: D(oct)},
        NOV: {category: D(nov)},
    }


def only(found: list[Insight]) -> Insight:
    assert len(found) == 1, found
    return found[0]


# Category against its 3-month average


def test_spending_25_percent_and_50_reais_above_average_is_said_with_its_numbers():
    found = only(category_vs_average(figures(monthly(FOOD, "200", "200", "200", "250"))))

    assert found.kind is InsightKind.CATEGORY_ABOVE_AVERAGE
    assert found.category_id == FOOD
    assert (found.start, found.end) == (NOV, date(2026, 11, 30))
    assert found.amounts == {
        "current": D("250"),
        "average": D("200.00"),
        "change": D("50.00"),
        "change_ratio": D("0.2500"),
    }


@pytest.mark.parametrize(
    ("nov", "why"),
    [("249.99", "below 25 %"), ("240", "below 25 % and R$ 50")],
)
def test_spending_just_under_the_relative_threshold_is_no_insight(nov: str, why: str):
    assert category_vs_average(figures(monthly(FOOD, "200", "200", "200", nov))) == [], why


def test_a_large_ratio_of_a_small_amount_is_no_insight():
    # +100 % but only R$ 49,99 more: under the absolute floor.
    assert category_vs_average(figures(monthly(FOOD, "49.99", "49.99", "49.99", "99.98"))) == []
    found = only(category_vs_average(figures(monthly(FOOD, "50", "50", "50", "100"))))
    assert found.amounts["change"] == D("50.00")


def test_a_large_amount_with_a_small_ratio_is_no_insight():
    # Rent R$ 3.000 → R$ 3.500 is R$ 500 more but 16,7 %.
    assert category_vs_average(figures(monthly(RENT, "3000", "3000", "3000", "3500"))) == []


def test_the_floor_follows_the_currency():
    # 10 dollars and 25 % is enough in USD; the same in BRL is not.
    spending = monthly(FOOD, "40", "40", "40", "50")
    assert only(category_vs_average(figures(spending, currency="USD"))).amounts["change"] == D(10)
    assert category_vs_average(figures(spending, currency="BRL")) == []


def test_a_category_with_spending_in_only_one_of_the_3_months_before_has_no_average():
    assert category_vs_average(figures(monthly(FOOD, "0", "0", "300", "900"))) == []
    # Two of three is enough; the empty month counts as zero in the average.
    found = only(category_vs_average(figures(monthly(FOOD, "0", "300", "300", "900"))))
    assert found.amounts["average"] == D("200.00")
    assert found.amounts["change_ratio"] == D("3.5000")


def test_spending_below_average_in_an_ended_month_is_said():
    found = only(category_vs_average(figures(monthly(FOOD, "400", "400", "400", "300"))))

    assert found.kind is InsightKind.CATEGORY_BELOW_AVERAGE
    assert found.amounts["change"] == D("-100.00")
    assert found.amounts["change_ratio"] == D("-0.2500")


def test_below_average_is_not_said_of_a_month_still_running():
    # On the 10th every category is "below average": that is no news.
    spending = monthly(FOOD, "400", "400", "400", "100")
    assert category_vs_average(figures(spending, complete=False)) == []
    # Above average already is, though.
    rising = monthly(FOOD, "400", "400", "400", "600")
    assert only(category_vs_average(figures(rising, complete=False))).amounts["change"] == D(200)


# Biggest change against last month


def test_the_biggest_change_is_the_category_that_moved_most_in_money():
    spending = {
        OCT: {FOOD: D(300), FUN: D(100), RENT: D(3000)},
        NOV: {FOOD: D(400), FUN: D(300), RENT: D(3400)},
    }
    found = biggest_change(figures(spending))

    # Rent moved most (R$ 400) but by 13 %: under the relative threshold.
    assert found is not None
    assert found.category_id == FUN
    assert found.amounts == {
        "current": D(300),
        "previous": D(100),
        "change": D(200),
        "change_ratio": D("2.0000"),
    }
    assert (found.start, found.end) == (OCT, date(2026, 11, 30))


def test_a_category_new_this_month_has_a_change_without_ratio():
    found = biggest_change(figures({NOV: {FUN: D(80)}}))

    assert found is not None
    assert found.amounts == {"current": D(80), "previous": D(0), "change": D(80)}


def test_no_biggest_change_under_the_floor_and_no_fall_in_a_running_month():
    assert biggest_change(figures({OCT: {FUN: D(100)}, NOV: {FUN: D("149.99")}})) is None
    falling = {OCT: {FUN: D(500)}, NOV: {FUN: D(100)}}
    assert biggest_change(figures(falling, complete=False)) is None
    fell = biggest_change(figures(falling))
    assert fell is not None
    assert fell.amounts["change"] == D(-400)


def test_the_biggest_change_is_not_repeated_when_the_average_already_says_it():
    found = insights(figures(monthly(FOOD, "300", "300", "300", "700")))

    assert [item.kind for item in found] == [InsightKind.CATEGORY_ABOVE_AVERAGE]


# New recurring charges


def netflix(*months: date, amount: str = "55.90", debits: int = 1) -> dict[str, dict]:
    return {"Netflix": {month: Charge(D(amount), debits) for month in months}}


def test_a_merchant_charging_once_a_month_for_3_months_and_never_before_is_a_new_charge():
    found = only(new_recurring_charges(figures(charges=netflix(SEP, OCT, NOV))))

    assert found.kind is InsightKind.NEW_RECURRING_CHARGE
    assert found.merchant == "Netflix"
    assert (found.start, found.end) == (SEP, date(2026, 11, 30))
    assert found.amounts == {"current": D("55.90"), "median": D("55.90"), "yearly": D("670.80")}


def test_a_charge_seen_in_the_3_months_before_is_not_new():
    assert new_recurring_charges(figures(charges=netflix(AUG, SEP, OCT, NOV))) == []
    assert new_recurring_charges(figures(charges=netflix(JUN, SEP, OCT, NOV))) == []


def test_two_months_of_charges_are_not_yet_recurring():
    assert new_recurring_charges(figures(charges=netflix(OCT, NOV))) == []


def test_several_charges_a_month_are_purchases_not_a_subscription():
    assert new_recurring_charges(figures(charges=netflix(SEP, OCT, NOV, debits=2))) == []


def test_amounts_must_stay_within_15_percent_of_their_median():
    def charges(sep: str) -> dict[str, dict]:
        return {"Gym": {SEP: Charge(D(sep), 1), OCT: Charge(D(100), 1), NOV: Charge(D(100), 1)}}

    assert only(new_recurring_charges(figures(charges=charges("115")))).amounts["median"] == 100
    assert only(new_recurring_charges(figures(charges=charges("85"))))
    assert new_recurring_charges(figures(charges=charges("115.01"))) == []
    assert new_recurring_charges(figures(charges=charges("84.99"))) == []


def test_without_history_before_a_charge_cannot_be_called_new():
    recent_only = {SEP: D(10), OCT: D(10), NOV: D(10)}
    assert new_recurring_charges(figures(net=recent_only, charges=netflix(SEP, OCT, NOV))) == []


# Months in the red


def test_the_red_months_of_the_last_12_are_one_insight():
    net = {
        date(2025, 11, 1): D(-1000),  # 13 months back: outside
        date(2026, 3, 1): D(-120),
        JUN: D(500),
        AUG: D("-300.50"),
        NOV: D(-50),
    }
    found = negative_net_months(figures(net=net))

    assert found is not None
    assert found.months == ((date(2026, 3, 1), D(-120)), (AUG, D("-300.50")), (NOV, D(-50)))
    assert found.amounts == {"total": D("-470.50"), "worst": D("-300.50")}
    assert (found.start, found.end) == (date(2026, 3, 1), date(2026, 11, 30))


def test_a_month_still_running_is_not_called_red():
    # Mid-month the salary may not be in yet: only months that ended count.
    found = negative_net_months(figures(net={NOV: D(-900), OCT: D(-60)}, complete=False))

    assert found is not None
    assert found.months == ((OCT, D(-60)),)


def test_red_months_adding_up_to_less_than_the_floor_are_no_insight():
    assert negative_net_months(figures(net={OCT: D("-49.99")})) is None
    assert negative_net_months(figures(net={OCT: D(-30), SEP: D(-20)})) is not None
    assert negative_net_months(figures(net={OCT: D(10)})) is None


# Together


def test_insights_come_strongest_first_and_at_most_eight():
    spending = {
        **monthly(FOOD, "300", "300", "300", "700"),  # +400: score 400
    }
    spending[AUG][FUN] = spending[SEP][FUN] = spending[OCT][FUN] = D(400)
    spending[NOV][FUN] = D(100)  # −300 below average: score 150
    charges = {**netflix(SEP, OCT, NOV)}  # 55.90 × 3: score 167.70
    net = {**ACTIVE, OCT: D(-250)}  # score 250
    found = insights(figures(spending, net=net, charges=charges))

    assert [(item.kind, item.score) for item in found] == [
        (InsightKind.CATEGORY_ABOVE_AVERAGE, D("400.00")),
        (InsightKind.NEGATIVE_NET_MONTH, D("250.00")),
        (InsightKind.NEW_RECURRING_CHARGE, D("167.70")),
        (InsightKind.CATEGORY_BELOW_AVERAGE, D("150.00")),
    ]

    many = {f"Loja {n}": netflix(SEP, OCT, NOV)["Netflix"] for n in range(12)}
    assert len(insights(figures(charges=many))) == MAX_INSIGHTS
    assert [item.merchant for item in insights(figures(charges=many))][:2] == ["Loja 0", "Loja 1"]


def test_no_figures_no_insights():
    assert insights(figures(net={})) == []


# Words


def test_every_kind_speaks_both_languages():
    for kind in InsightKind:
        for language in Language:
            assert (kind, language, "") in TEMPLATES


def test_above_average_in_portuguese_with_brazilian_money():
    found = only(category_vs_average(figures(monthly(FOOD, "1000", "1000", "1000", "2234.56"))))

    text = render(found, Language.PT_BR, "BRL", NAMES)

    assert text.title == "Restaurantes: gastos acima da média"
    assert text.text == (
        "Você gastou R$ 2.234,56 com Restaurantes em novembro de 2026, 123,5% acima da média "
        "dos 3 meses anteriores (R$ 1.000,00): R$ 1.234,56 a mais."
    )


def test_above_average_in_english():
    found = only(category_vs_average(figures(monthly(FOOD, "1000", "1000", "1000", "2234.56"))))

    text = render(found, Language.EN, "BRL", NAMES)

    assert text.title == "Restaurantes: spending above average"
    assert text.text == (
        "You spent R$2,234.56 on Restaurantes in November 2026, 123.5% above the average of "
        "the 3 months before (R$1,000.00): R$1,234.56 more."
    )


def test_below_average_words():
    found = only(category_vs_average(figures(monthly(FOOD, "400", "400", "400", "300"))))

    assert render(found, Language.PT_BR, "BRL", NAMES).text == (
        "Você gastou R$ 300,00 com Restaurantes em novembro de 2026, 25% abaixo da média dos 3 "
        "meses anteriores (R$ 400,00): R$ 100,00 a menos."
    )


def test_biggest_change_words_with_sign():
    found = biggest_change(figures({OCT: {FUN: D(100)}, NOV: {FUN: D(300)}}))
    assert found is not None

    assert render(found, Language.PT_BR, "BRL", NAMES).text == (
        "Lazer foi a categoria que mais mudou em relação a outubro de 2026: R$ 300,00 em "
        "novembro de 2026, contra R$ 100,00 (+R$ 200,00, +200%)."
    )
    fell = biggest_change(figures({OCT: {FUN: D(300)}, NOV: {FUN: D(100)}}))
    assert fell is not None
    assert render(fell, Language.EN, "BRL", NAMES).text == (
        "Lazer changed the most since October 2026: R$100.00 in November 2026, against "
        "R$300.00 (-R$200.00, -66.7%)."
    )


def test_new_recurring_charge_words():
    found = only(new_recurring_charges(figures(charges=netflix(SEP, OCT, NOV))))

    assert render(found, Language.PT_BR, "BRL", NAMES).title == "Nova cobrança recorrente: Netflix"
    assert render(found, Language.PT_BR, "BRL", NAMES).text == (
        "Netflix cobrou R$ 55,90 em novembro de 2026, depois de cobranças parecidas nos 2 meses "
        "anteriores e nenhuma antes: parece uma nova assinatura, cerca de R$ 670,80 por ano."
    )
    assert "about R$670.80 a year" in render(found, Language.EN, "BRL", NAMES).text


def test_red_months_words_one_and_many():
    many = negative_net_months(figures(net={AUG: D("-1234.56"), OCT: D(-100)}))
    one = negative_net_months(figures(net={OCT: D(-100)}))
    assert many is not None
    assert one is not None

    assert render(many, Language.PT_BR, "BRL", NAMES).text == (
        "Você gastou mais do que ganhou em 2 dos últimos 12 meses: agosto de 2026 e outubro de "
        "2026. O pior foi agosto de 2026, com saldo de -R$ 1.234,56."
    )
    assert render(one, Language.EN, "BRL", NAMES).title == "A month in the red"
    assert render(one, Language.EN, "BRL", NAMES).text == (
        "You spent more than you earned in October 2026: a net of -R$100.00."
    )


def test_a_category_gone_since_is_named_as_removed():
    found = only(category_vs_average(figures(monthly(uuid4(), "300", "300", "300", "700"))))

    assert (
        render(found, Language.EN, "BRL", NAMES).title == "Removed category: spending above average"
    )


# The service's small rules


def test_the_language_follows_the_profile_locale():
    assert language_of("en-US") is Language.EN
    assert language_of("EN") is Language.EN
    assert language_of("pt-BR") is Language.PT_BR
    assert language_of("es-AR") is Language.PT_BR
    assert language_of(None) is Language.PT_BR


def test_the_month_defaults_to_today_and_stays_within_ten_years():
    today = date(2026, 11, 20)
    assert check_month(None, today) == NOV
    assert check_month(date(2016, 11, 1), today) == date(2016, 11, 1)
    with pytest.raises(InvalidInput) as future:
        check_month(date(2026, 12, 1), today)
    assert future.value.issues[0].location == ("query", "month")
    with pytest.raises(InvalidInput) as old:
        check_month(date(2016, 10, 1), today)
    assert old.value.issues[0].code == "too_old"
