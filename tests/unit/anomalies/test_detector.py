"""The anomaly rules on hand-written statements: each kind found where it is, and not where a
household's habits explain the amount."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from shared.anomalies import Anomaly, AnomalyKind, detect, zscore_baseline
from shared.anomalies.detector import counterparty_key, is_peak, purchase_size
from shared.anomalies.reasons import money, render
from shared.anomalies.thresholds import Thresholds, load_thresholds
from shared.forecasting.lines import Line

START = date(2026, 1, 5)  # a Monday
DEFAULTS = Thresholds()


def line(
    ident: str,
    day: date,
    amount: str,
    merchant: str,
    *,
    category: str = "supermarket",
    account: str = "card",
    account_kind: str = "credit_card",
    kind: str = "expense",
    description: str | None = None,
) -> Line:
    return Line(
        id=ident,
        booked_on=day,
        amount=Decimal(amount),
        account_id=account,
        account_kind=account_kind,
        description=description or merchant.upper(),
        merchant=merchant,
        category=category,
        kind=kind,
    )


def habits(days: int = 200) -> list[Line]:
    """A salary each month and a supermarket, bakery and pharmacy habit, week after week."""
    lines = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        if day.day == 5:
            lines.append(
                line(
                    f"pay-{offset}",
                    day,
                    "6000.00",
                    "ACME",
                    category="salary",
                    account="checking",
                    account_kind="checking",
                    kind="income",
                )
            )
        if offset % 7 == 0:
            lines.append(line(f"super-{offset}", day, f"-{180 + offset % 5 * 7}.40", "Carrefour"))
        if offset % 3 == 0:
            lines.append(
                line(f"bread-{offset}", day, f"-{12 + offset % 4}.50", "Padaria", category="bakery")
            )
        if offset % 10 == 0:
            lines.append(
                line(
                    f"drug-{offset}", day, f"-{40 + offset % 6}.00", "Drogasil", category="pharmacy"
                )
            )
    return lines


def kinds_of(found: list[Anomaly]) -> dict[str, AnomalyKind]:
    return {anomaly.line_id: anomaly.kind for anomaly in found}


def test_given_habits_only_when_judged_then_nothing_is_flagged() -> None:
    lines = habits()
    assert detect(lines, today=lines[-1].booked_on, thresholds=DEFAULTS) == []


def test_given_a_charge_eight_times_the_usual_at_a_known_shop_then_an_outlier() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    found = detect(lines, today=day, thresholds=DEFAULTS)
    assert kinds_of(found) == {"odd": AnomalyKind.OUTLIER}
    evidence = found[0].evidence
    assert evidence["count"] >= DEFAULTS.outlier_min_lines
    assert Decimal(evidence["median"]) < Decimal(200)
    assert found[0].score >= 1


def test_given_a_big_supermarket_bill_in_december_then_the_season_explains_it() -> None:
    christmas = date(2026, 12, 22)
    lines = [*habits(360), line("ceia", christmas, "-700.00", "Carrefour")]
    assert is_peak(christmas)
    found = detect(lines, today=christmas, thresholds=DEFAULTS, kinds={AnomalyKind.OUTLIER})
    assert found == []
    # The same bill in March is an outlier.
    march = date(2026, 3, 10)
    lines = [*habits(), line("march", march, "-1100.00", "Carrefour")]
    found = detect(lines, today=march, thresholds=DEFAULTS, kinds={AnomalyKind.OUTLIER})
    assert kinds_of(found) == {"march": AnomalyKind.OUTLIER}


def test_black_friday_weekend_is_a_peak_and_the_week_before_is_not() -> None:
    assert is_peak(date(2026, 11, 27))  # Black Friday 2026
    assert is_peak(date(2026, 11, 30))  # Cyber Monday
    assert not is_peak(date(2026, 11, 20))
    # In 2024 November began on a Friday: Black Friday was the 29th, not the 22nd.
    assert is_peak(date(2024, 11, 29))
    assert not is_peak(date(2024, 11, 22))


def test_given_a_first_purchase_of_half_a_salary_then_a_new_large_merchant() -> None:
    day = START + timedelta(days=120)
    lines = [*habits(), line("jewel", day, "-3000.00", "Vivara", category="gifts")]
    found = detect(lines, today=day, thresholds=DEFAULTS)
    assert kinds_of(found) == {"jewel": AnomalyKind.NEW_MERCHANT_LARGE}
    assert found[0].evidence["income_share"] == pytest.approx(0.5)


def test_given_a_first_purchase_in_the_first_weeks_then_it_is_not_judged_new() -> None:
    """Everything is new in a fresh workspace: a first visit means nothing yet."""
    day = START + timedelta(days=10)
    lines = [*habits(), line("early", day, "-3000.00", "Vivara", category="gifts")]
    assert "early" not in kinds_of(detect(lines, today=day, thresholds=DEFAULTS))


def test_given_a_small_first_purchase_then_nothing() -> None:
    day = START + timedelta(days=120)
    lines = [*habits(), line("new", day, "-80.00", "Livraria Cultura", category="books")]
    assert detect(lines, today=day, thresholds=DEFAULTS) == []


def test_given_the_category_already_holds_purchases_that_big_then_a_new_shop_is_not_flagged() -> (
    None
):
    lines = habits()
    earlier = START + timedelta(days=60)
    # An earlier flight, paid in ten parts of 400: a 4,000 ticket.
    lines.append(
        line(
            "latam",
            earlier,
            "-400.00",
            "LATAM",
            category="flights",
            description="PARCELA 1/10 LATAM",
        )
    )
    day = START + timedelta(days=150)
    lines.append(line("gol", day, "-3500.00", "GOL", category="flights"))
    assert "gol" not in kinds_of(detect(lines, today=day, thresholds=DEFAULTS))


def test_given_the_same_charge_the_next_day_then_the_copy_is_a_duplicate() -> None:
    day = START + timedelta(days=100)
    lines = [
        *habits(),
        line("tv", day, "-899.90", "Magazine Luiza", category="electronics"),
        line(
            "tv-again", day + timedelta(days=1), "-899.90", "Magazine Luiza", category="electronics"
        ),
    ]
    found = detect(lines, today=day + timedelta(days=1), thresholds=DEFAULTS)
    duplicates = [a for a in found if a.kind is AnomalyKind.DUPLICATE]
    assert [a.line_id for a in duplicates] == ["tv-again"]
    assert duplicates[0].evidence["original_line_id"] == "tv"
    assert duplicates[0].evidence["days_apart"] == 1


def test_given_the_same_charge_three_days_later_or_on_another_account_then_no_duplicate() -> None:
    day = START + timedelta(days=100)
    lines = [
        *habits(),
        line("a", day, "-59.90", "Spotify", category="streaming"),
        line("b", day + timedelta(days=3), "-59.90", "Spotify", category="streaming"),
        line("c", day, "-59.90", "Spotify", category="streaming", account="other-card"),
    ]
    found = detect(lines, today=day + timedelta(days=3), kinds={AnomalyKind.DUPLICATE})
    assert found == []


def test_given_two_bus_fares_the_same_day_then_two_rides_not_a_duplicate() -> None:
    day = START + timedelta(days=100)
    fare = {"category": "public_transport"}
    lines = [
        line("ride-1", day, "-4.40", "SPTrans", **fare),
        line("ride-2", day, "-4.40", "SPTrans", **fare),
        line("top-1", day, "-100.00", "SPTrans", **fare),
        line("top-2", day, "-100.00", "SPTrans", **fare),
    ]
    found = detect(lines, today=day, thresholds=DEFAULTS, kinds={AnomalyKind.DUPLICATE})
    assert kinds_of(found) == {"top-2": AnomalyKind.DUPLICATE}


def test_given_a_day_with_eight_shops_on_the_card_then_a_card_spike_on_its_largest() -> None:
    lines = habits()
    day = START + timedelta(days=160)
    shops = ["Zara", "Renner", "C&A", "Riachuelo", "Centauro", "Nike", "Hering", "Arezzo"]
    burst = [
        line(f"burst-{n}", day, f"-{150 + n * 10}.00", shop, category="clothing")
        for n, shop in enumerate(shops)
    ]
    found = detect([*lines, *burst], today=day, thresholds=DEFAULTS, kinds={AnomalyKind.CARD_SPIKE})
    assert kinds_of(found) == {"burst-7": AnomalyKind.CARD_SPIKE}
    evidence = found[0].evidence
    # The day's usual purchases count too: the burst is on top of them.
    assert evidence["purchases"] >= 8
    assert {item.id for item in burst} <= set(evidence["line_ids"])


def test_given_five_rides_with_one_app_then_a_busy_errand_not_a_spike() -> None:
    lines = habits()
    day = START + timedelta(days=160)
    rides = [
        line(f"uber-{n}", day, f"-{20 + n}.00", "Uber", category="ride_hailing") for n in range(8)
    ]
    found = detect([*lines, *rides], today=day, thresholds=DEFAULTS, kinds={AnomalyKind.CARD_SPIKE})
    assert found == []


def test_given_a_plan_at_one_price_that_rises_then_its_first_higher_charge_is_flagged() -> None:
    lines = habits(300)
    charges = []
    for month in range(1, 10):
        price = "44.90" if month < 7 else "49.90"
        charges.append(
            line(
                f"netflix-{month}",
                date(2026, month, 12),
                f"-{price}",
                "Netflix",
                category="streaming",
            )
        )
    found = detect(
        [*lines, *charges],
        today=date(2026, 10, 1),
        thresholds=DEFAULTS,
        kinds={AnomalyKind.PRICE_RISE},
    )
    assert kinds_of(found) == {"netflix-7": AnomalyKind.PRICE_RISE}
    assert found[0].evidence["previous_amount"] == "-44.90"
    assert found[0].evidence["rise"] == pytest.approx(0.1114, abs=1e-4)


def test_given_a_metered_bill_that_moves_every_month_then_no_price_rise() -> None:
    lines = habits(300)
    bills = [
        line(
            f"water-{month}",
            date(2026, month, 15),
            f"-{80 + (month * 7) % 13}.{month:02d}",
            "Sabesp",
            category="water",
            account="checking",
            account_kind="checking",
        )
        for month in range(1, 10)
    ]
    found = detect([*lines, *bills], today=date(2026, 10, 1), kinds={AnomalyKind.PRICE_RISE})
    assert found == []


def test_judge_limits_the_lines_judged_and_the_past_stays_the_history() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    assert detect(lines, today=day, judge={"super-7"}, thresholds=DEFAULTS) == []
    assert kinds_of(detect(lines, today=day, judge={"odd"}, thresholds=DEFAULTS)) == {
        "odd": AnomalyKind.OUTLIER
    }


def test_lines_after_today_are_not_judged() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    assert detect(lines, today=day - timedelta(days=1), thresholds=DEFAULTS) == []


def test_the_answer_does_not_depend_on_the_order_lines_arrive_in_within_a_day() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    forward = {(a.kind, a.line_id) for a in detect(lines, today=day)}
    backward = {(a.kind, a.line_id) for a in detect(list(reversed(lines)), today=day)}
    assert forward == backward


def test_reasons_are_worded_in_portuguese_and_english_from_the_evidence() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    portuguese = detect(lines, today=day, thresholds=DEFAULTS)[0]
    english = detect(lines, today=day, language="en", thresholds=DEFAULTS)[0]
    assert "R$ 1.500,00 em Carrefour" in portuguese.reason
    assert "R$1,500.00 at Carrefour" in english.reason
    assert render(AnomalyKind.OUTLIER, portuguese.evidence, "en") == english.reason
    json.dumps(portuguese.to_json())  # JSON-able, evidence included


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="pt-BR"):
        detect(habits(30), today=START, language="fr")


def test_money_is_formatted_per_language() -> None:
    assert money(Decimal("-1234.5"), "pt-BR") == "R$ 1.234,50"
    assert money(Decimal("1234.5"), "en") == "R$1,234.50"
    assert money(Decimal("10"), "en", "USD") == "US$10.00"


def test_counterparties_are_compared_without_accents_case_or_instalment_numbers() -> None:
    a = line("a", START, "-1", "Padaria São João", description="x")
    b = line("b", START, "-1", "PADARIA SAO JOAO", description="x")
    assert counterparty_key(a) == counterparty_key(b)
    c = Line("c", START, Decimal(-100), "card", "credit_card", "LOJA X PARCELA 2/10")
    d = Line("d", START, Decimal(-100), "card", "credit_card", "LOJA X 03/10")
    assert counterparty_key(c) == counterparty_key(d) == "loja x"
    assert purchase_size(c) == 1000.0


def test_the_zscore_baseline_flags_large_amounts_within_a_category_only() -> None:
    day = START + timedelta(days=150)
    lines = [*habits(), line("odd", day, "-1500.00", "Carrefour")]
    found = zscore_baseline(lines)
    assert "odd" in kinds_of(found)
    assert {a.kind for a in found} == {AnomalyKind.OUTLIER}
    assert zscore_baseline(lines, judge={"super-0"}) == []


def test_tuned_thresholds_are_read_from_the_artefact(tmp_path: Path) -> None:
    path = tmp_path / "anomalies.json"
    path.write_text(json.dumps({"thresholds": {"outlier_ratio": 9.5, "unknown": 1}}))
    assert load_thresholds(path).outlier_ratio == 9.5
    (tmp_path / "broken.json").write_text("{")
    assert load_thresholds(tmp_path / "broken.json") == Thresholds()
    assert load_thresholds(tmp_path / "missing.json") == Thresholds()
