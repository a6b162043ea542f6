"""The demo generator: deterministic, and realistic in the ways the dashboards and models need."""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.demo import (
    DEFAULT_END,
    AnomalyKind,
    DemoHousehold,
    DemoTransaction,
    generate_household,
    generate_households,
)
from shared.demo.documents import is_valid_cnpj, is_valid_cpf, make_cnpj, make_cpf
from shared.domain.taxonomy import PARENT_OF, walk

KIND_OF = {seed.slug: seed.kind for seed, _ in walk()}
ACCOUNT_KINDS = {"checking", "savings", "credit_card", "investment", "cash"}
TYPES = {"PIX", "TED", "BOLETO", "CARTAO", "DEBITO", "TARIFA", "OUTROS"}
CALENDAR_2025 = date(2025, 12, 31)  # Jan–Dec 2025: October, November and December side by side


@pytest.fixture(scope="module")
def year() -> list[DemoHousehold]:
    return generate_households(24, 12, end=CALENDAR_2025)


@pytest.fixture(scope="module")
def two_years() -> list[DemoHousehold]:
    return generate_households(8, 24)


def lines(households: list[DemoHousehold]) -> Iterator[tuple[DemoHousehold, DemoTransaction]]:
    for household in households:
        for line in household.transactions:
            yield household, line


def spending(household: DemoHousehold, year: int, month: int) -> Decimal:
    return -sum(
        (
            line.amount
            for line in household.transactions
            if KIND_OF[line.category_slug] == "expense"
            and (line.booked_on.year, line.booked_on.month) == (year, month)
        ),
        Decimal(0),
    )


def fifth_business_day(year: int, month: int) -> date:
    closed = holidays.country_holidays("BR", years=year)
    day, seen = date(year, month, 1), 0
    while True:
        if day.weekday() < 5 and day not in closed:
            seen += 1
            if seen == 5:
                return day
        day += timedelta(days=1)


# --- determinism and shape -------------------------------------------------------------------


def test_same_arguments_give_identical_households() -> None:
    assert generate_household(3, 12, seed=7) == generate_household(3, 12, seed=7)
    assert generate_households(3, 6) == [generate_household(i, 6) for i in range(3)]


def test_different_seeds_and_indexes_give_different_households() -> None:
    assert generate_household(0, 12, seed=1) != generate_household(0, 12, seed=2)
    salaries = {
        next(line.amount for line in h.transactions if line.category_slug == "salary")
        for h in generate_households(10, 1)
    }
    assert len(salaries) == 10


def test_history_is_whole_months_ending_at_the_fixed_default_end() -> None:
    household = generate_household(0, 12)
    first, last = household.transactions[0].booked_on, household.transactions[-1].booked_on
    assert date(2026, 10, 31) == DEFAULT_END
    assert first >= date(2025, 11, 1)
    assert last <= DEFAULT_END
    months = {(line.booked_on.year, line.booked_on.month) for line in household.transactions}
    assert len(months) == 12


def test_a_mid_month_end_cuts_the_last_month() -> None:
    household = generate_household(1, 3, end=date(2026, 5, 15))
    assert all(date(2026, 3, 1) <= t.booked_on <= date(2026, 5, 15) for t in household.transactions)


def test_months_must_be_positive() -> None:
    with pytest.raises(ValueError, match="months"):
        generate_household(0, 0)


def test_transactions_are_sorted_by_day_then_external_id(year: list[DemoHousehold]) -> None:
    for household in year:
        keys = [(line.booked_on, line.external_id) for line in household.transactions]
        assert keys == sorted(keys)


def test_external_ids_are_unique_within_a_household(year: list[DemoHousehold]) -> None:
    for household in year:
        ids = [line.external_id for line in household.transactions]
        assert len(ids) == len(set(ids))


def test_household_identity_and_accounts_are_well_formed(year: list[DemoHousehold]) -> None:
    for household in year:
        assert household.name.startswith("Família ")
        assert household.owner_email.endswith(f"+{household.index}@demo.fluxo.dev")
        assert household.owner_email.isascii()
        keys = {account.key for account in household.accounts}
        assert len(keys) == len(household.accounts)
        assert {account.kind for account in household.accounts} <= ACCOUNT_KINDS
        assert {"checking", "credit_card"} <= {account.kind for account in household.accounts}
        assert {line.account_key for line in household.transactions} <= keys


def test_households_differ_in_means_city_and_family(year: list[DemoHousehold]) -> None:
    salaries = [next(t.amount for t in h.transactions if t.category_slug == "salary") for h in year]
    assert max(salaries) > 3 * min(salaries)
    power_companies = {t.merchant for _, t in lines(year) if t.category_slug == "electricity"}
    assert len(power_companies) >= 5
    with_school = sum(any(t.category_slug == "school" for t in h.transactions) for h in year)
    assert 0 < with_school < len(year)


def test_every_category_is_a_taxonomy_slug(year: list[DemoHousehold]) -> None:
    assert {line.category_slug for _, line in lines(year)} <= set(PARENT_OF)


def test_types_are_open_finance_codes(year: list[DemoHousehold]) -> None:
    assert {line.type for _, line in lines(year)} == TYPES


def test_amounts_are_two_place_decimals_signed_by_category_kind(
    year: list[DemoHousehold],
) -> None:
    for _, line in lines(year):
        assert isinstance(line.amount, Decimal)
        assert line.amount.as_tuple().exponent == -2
        assert line.amount != 0
        kind = KIND_OF[line.category_slug]
        if kind == "income":
            assert line.amount > 0, line
        elif kind == "expense":
            assert line.amount < 0, line


def test_counterparty_documents_have_valid_check_digits(year: list[DemoHousehold]) -> None:
    documents = [
        line.counterparty_document for _, line in lines(year) if line.counterparty_document
    ]
    assert documents
    for document in documents:
        assert is_valid_cpf(document) or is_valid_cnpj(document), document


def test_descriptions_read_like_statement_lines(year: list[DemoHousehold]) -> None:
    descriptions = [line.description for _, line in lines(year)]
    upper = sum(text == text.upper() for text in descriptions)
    assert upper / len(descriptions) > 0.9
    assert any(text.endswith(" BR") for text in descriptions)  # card descriptor city tails
    assert any(text.startswith("PAG*") for text in descriptions)


# --- income ---------------------------------------------------------------------------------


def test_salary_arrives_on_the_fifth_business_day_from_the_employer(
    year: list[DemoHousehold],
) -> None:
    for household in year:
        salaries = [line for line in household.transactions if line.category_slug == "salary"]
        assert len(salaries) == 12
        for line in salaries:
            assert line.booked_on == fifth_business_day(line.booked_on.year, line.booked_on.month)
            assert line.type in {"TED", "PIX"}
            assert is_valid_cnpj(line.counterparty_document or "")
            assert Decimal(3000) <= line.amount <= Decimal(25000)


def test_thirteenth_salary_comes_in_two_parts_late_november_and_before_december_20(
    year: list[DemoHousehold],
) -> None:
    for household in year:
        parts = [t for t in household.transactions if t.category_slug == "thirteenth_salary"]
        assert [(t.booked_on.month) for t in parts] == [11, 12]
        first, second = parts
        assert first.booked_on.day >= 20
        assert second.booked_on.day < 20
        assert first.amount > second.amount  # the second part carries the deductions


# --- housing, bills, taxes ------------------------------------------------------------------


def test_rent_and_condo_fee_are_boletos_early_in_the_month(year: list[DemoHousehold]) -> None:
    with_condo = 0
    for household in year:
        rent = [t for t in household.transactions if t.category_slug == "rent"]
        condo = [t for t in household.transactions if t.category_slug == "condo_fee"]
        assert len(rent) == 12
        with_condo += bool(condo)
        for line in rent + condo:
            assert line.type == "BOLETO"
            assert line.booked_on.day <= 15
            assert is_valid_cnpj(line.counterparty_document or "")
    assert 0 < with_condo < len(year)


def test_electricity_is_higher_in_the_summer(year: list[DemoHousehold]) -> None:
    for household in year:
        bills = {
            t.booked_on.month: -t.amount
            for t in household.transactions
            if t.category_slug == "electricity"
        }
        assert len(bills) == 12
        summer = statistics.mean(bills[m] for m in (12, 1, 2, 3))
        winter = statistics.mean(bills[m] for m in (6, 7, 8))
        assert summer > winter * Decimal("1.2")


def test_every_household_pays_water_internet_and_phone(year: list[DemoHousehold]) -> None:
    for household in year:
        categories = Counter(t.category_slug for t in household.transactions if not injected(t))
        assert categories["water"] == categories["internet"] == categories["phone"] == 12


def test_property_tax_starts_in_the_first_quarter(year: list[DemoHousehold]) -> None:
    for household in year:
        iptu = [t for t in household.transactions if t.category_slug == "property_tax"]
        assert iptu
        first = [t for t in iptu if t.instalment_number in (None, 1)]
        assert all(t.booked_on.month <= 3 for t in first)
    assert any(t.instalment_total for _, t in lines(year) if t.category_slug == "property_tax")


def test_car_owners_fill_up_and_pay_ipva_in_the_first_quarter(year: list[DemoHousehold]) -> None:
    owners = 0
    for household in year:
        fuel = [t for t in household.transactions if t.category_slug == "fuel"]
        ipva = [t for t in household.transactions if t.description.startswith("IPVA")]
        assert bool(fuel) == bool(ipva)
        if not fuel:
            continue
        owners += 1
        assert all(t.description.startswith(("POSTO", "AUTO POSTO")) for t in fuel)
        assert all(t.booked_on.month <= 3 and t.category_slug == "vehicle_tax" for t in ipva)
    assert 0 < owners < len(year)


def test_bank_fees_or_iof_appear(year: list[DemoHousehold]) -> None:
    for household in year:
        fees = [t for t in household.transactions if t.category_slug in {"bank_fees", "iof"}]
        assert fees
        assert all(t.type == "TARIFA" for t in fees)


# --- everyday spending ----------------------------------------------------------------------


def test_everyday_merchants_show_up_as_statements_print_them(year: list[DemoHousehold]) -> None:
    texts = [line.description for _, line in lines(year)]
    for prefix in ("IFD*", "UBER *TRIP", "99APP *99POP", "DROGASIL", "RAIA DROGASIL", "PIX "):
        assert any(text.startswith(prefix) for text in texts), prefix
    for household in year:
        categories = Counter(t.category_slug for t in household.transactions)
        assert categories["supermarket"] >= 12
        assert categories["bakery"] >= 12
        assert categories["pharmacy"] >= 1


def test_restaurants_are_busier_from_friday_to_sunday(year: list[DemoHousehold]) -> None:
    days = [t.booked_on.weekday() for _, t in lines(year) if t.category_slug == "dining_out"]
    weekend = sum(day >= 4 for day in days)
    assert weekend / len(days) > 0.55  # three days of seven would be 0.43


def test_streaming_is_charged_on_a_fixed_day_on_the_card(year: list[DemoHousehold]) -> None:
    for household in year:
        by_service: dict[str, set[int]] = defaultdict(set)
        for line in household.transactions:
            if line.category_slug == "streaming" and not injected(line):
                assert line.account_key == "card"
                by_service[line.merchant].add(line.booked_on.day)
        assert by_service
        assert all(len(days) == 1 for days in by_service.values())


def test_subscription_prices_rise_once_a_year(two_years: list[DemoHousehold]) -> None:
    for household in two_years:
        by_service: dict[str, list[DemoTransaction]] = defaultdict(list)
        for line in household.transactions:
            if line.category_slug == "streaming" and not injected(line):
                by_service[line.merchant].append(line)
        for charges in by_service.values():
            prices = [-line.amount for line in charges]
            assert prices == sorted(prices)
            rises = [i for i in range(1, len(prices)) if prices[i] > prices[i - 1]]
            assert 1 <= len(rises) <= 2
            assert all(later - earlier == 12 for earlier, later in pairwise(rises))


def test_pix_lines_name_the_person_and_carry_a_cpf(year: list[DemoHousehold]) -> None:
    pix = [t for _, t in lines(year) if t.category_slug in {"transfer_sent", "transfer_received"}]
    assert pix
    for line in pix:
        verb = "PIX ENVIADO " if line.amount < 0 else "PIX RECEBIDO "
        assert line.description.startswith(verb)
        assert line.type == "PIX"
        assert is_valid_cpf(line.counterparty_document or "")


def test_one_pix_name_is_one_person_within_a_household(year: list[DemoHousehold]) -> None:
    for household in year:
        people: dict[str, set[str]] = defaultdict(set)
        for line in household.transactions:
            if line.type == "PIX" and line.counterparty_document:
                name = line.description.removeprefix("PIX ENVIADO ").removeprefix("PIX RECEBIDO ")
                people[name].add(line.counterparty_document)
        assert all(len(documents) == 1 for documents in people.values())


def test_savings_deposits_leave_checking_and_arrive_in_savings(
    year: list[DemoHousehold],
) -> None:
    savers = [h for h in year if any(a.key == "savings" for a in h.accounts)]
    assert 0 < len(savers) < len(year)
    for household in savers:
        moves = [t for t in household.transactions if t.category_slug == "investment_deposit"]
        out = sorted((t.booked_on, -t.amount) for t in moves if t.account_key == "checking")
        into = sorted((t.booked_on, t.amount) for t in moves if t.account_key == "savings")
        assert out == into
        assert len(out) == 12


def test_card_bill_is_paid_from_checking_and_credited_on_the_card(
    year: list[DemoHousehold],
) -> None:
    for household in year:
        payments = [t for t in household.transactions if t.category_slug == "card_payment"]
        debits = {(t.booked_on, -t.amount) for t in payments if t.account_key == "checking"}
        credits = {(t.booked_on, t.amount) for t in payments if t.account_key == "card"}
        assert len(debits) >= 11
        assert debits == credits
        assert all(amount > 0 for _, amount in debits)


def test_card_purchases_are_on_the_credit_card(year: list[DemoHousehold]) -> None:
    for household in year:
        card = [t for t in household.transactions if t.account_key == "card"]
        assert sum(t.type == "CARTAO" for t in card) > 100


# --- instalments and big tickets ------------------------------------------------------------


def test_instalments_are_consecutive_months_with_coherent_numbers(
    year: list[DemoHousehold],
) -> None:
    groups: dict[tuple[int, str], list[DemoTransaction]] = defaultdict(list)
    for household, line in lines(year):
        if line.instalment_total is not None:
            stem = line.external_id.rsplit("-", 1)[0]
            groups[household.index, stem].append(line)
    assert len(groups) > len(year)
    for parts in groups.values():
        parts.sort(key=lambda line: line.booked_on)
        numbers = [line.instalment_number or 0 for line in parts]
        total = parts[0].instalment_total or 0
        assert total > 1
        assert all(line.instalment_total == total for line in parts)
        assert numbers == list(range(numbers[0], numbers[0] + len(parts)))
        assert numbers[0] >= 1
        assert numbers[-1] <= total
        months = [line.booked_on.year * 12 + line.booked_on.month for line in parts]
        assert months == list(range(months[0], months[0] + len(parts)))
        for line in parts:
            n, m = line.instalment_number, total
            assert f"{n}/{m}" in line.description or f"{n:02d}/{m:02d}" in line.description


def test_some_instalment_plans_began_before_the_history(year: list[DemoHousehold]) -> None:
    first_seen = [
        t.instalment_number
        for _, t in lines(year)
        if t.instalment_number and t.booked_on.month == 1 and t.category_slug != "property_tax"
    ]
    assert any(number > 1 for number in first_seen)


def test_black_friday_makes_november_spending_jump(year: list[DemoHousehold]) -> None:
    jumped = sum(spending(h, 2025, 11) > spending(h, 2025, 10) for h in year)
    assert jumped >= len(year) * 0.8
    november = sum(spending(h, 2025, 11) for h in year)
    october = sum(spending(h, 2025, 10) for h in year)
    assert november > october * Decimal("1.2")
    friday = date(2025, 11, 28)
    deals = [t for _, t in lines(year) if friday - timedelta(days=1) <= t.booked_on <= friday]
    assert sum(t.category_slug == "electronics" for t in deals) >= len(year) // 2


def test_christmas_brings_gift_shopping_in_december(year: list[DemoHousehold]) -> None:
    gifts = Counter(t.booked_on.month for _, t in lines(year) if t.category_slug == "gifts")
    assert gifts[12] > sum(gifts.values()) / 2


# --- anomalies ------------------------------------------------------------------------------


def injected(line: DemoTransaction) -> bool:
    """Labelled by the anomalies step; a price rise is labelled where it happens."""
    return line.anomaly not in (None, AnomalyKind.PRICE_RISE)


def test_each_household_has_two_to_five_injected_anomalies_a_year(
    year: list[DemoHousehold],
) -> None:
    kinds: Counter[AnomalyKind] = Counter()
    for household in year:
        # A card spike is one anomaly of several purchases.
        labelled = {
            (t.anomaly, t.booked_on) if t.anomaly is AnomalyKind.CARD_SPIKE else t.external_id: t
            for t in household.transactions
            if injected(t)
        }
        assert 2 <= len(labelled) <= 5
        kinds.update(t.anomaly for t in labelled.values() if t.anomaly is not None)
        kinds.update(t.anomaly for t in household.transactions if t.anomaly is not None)
    assert set(kinds) == set(AnomalyKind)


def test_a_card_spike_is_a_burst_of_purchases_at_known_shops_on_one_day(
    year: list[DemoHousehold],
) -> None:
    bursts = 0
    for household in year:
        by_day: dict[date, list[DemoTransaction]] = defaultdict(list)
        for t in household.transactions:
            if t.anomaly is AnomalyKind.CARD_SPIKE:
                by_day[t.booked_on].append(t)
        bursts += len(by_day)
        for burst in by_day.values():
            assert {t.account_key for t in burst} == {"card"}
            assert 6 <= len(burst) <= 10
            assert len({t.merchant for t in burst}) == len(burst)
        first = household.transactions[0].booked_on
        for line in (t for burst in by_day.values() for t in burst):
            assert line.amount < 0
            assert line.booked_on >= first + timedelta(days=45)
            earlier = [
                t
                for t in household.transactions
                if t.merchant == line.merchant and t.booked_on < line.booked_on
            ]
            assert earlier, line
    assert bursts


def test_a_price_rise_is_the_first_charge_of_a_plan_at_its_higher_price(
    two_years: list[DemoHousehold],
) -> None:
    rises = 0
    for household in two_years:
        by_plan: dict[tuple[str, str], list[DemoTransaction]] = defaultdict(list)
        for line in household.transactions:
            by_plan[(line.account_key, line.merchant)].append(line)
        for charges in by_plan.values():
            for previous, line in pairwise(charges):
                if line.anomaly is AnomalyKind.PRICE_RISE:
                    rises += 1
                    assert -line.amount > -previous.amount
                    assert previous.anomaly is None
    assert rises


def test_a_duplicate_repeats_an_unlabelled_charge_the_same_or_next_day(
    year: list[DemoHousehold],
) -> None:
    for household in year:
        for copy in (t for t in household.transactions if t.anomaly is AnomalyKind.DUPLICATE):
            originals = [
                t
                for t in household.transactions
                if t.anomaly is None
                and (t.account_key, t.description, t.amount)
                == (copy.account_key, copy.description, copy.amount)
                and timedelta(0) <= copy.booked_on - t.booked_on <= timedelta(days=1)
            ]
            assert len(originals) == 1


def test_unlabelled_lines_never_look_like_duplicates(year: list[DemoHousehold]) -> None:
    for household in year:
        seen: dict[tuple[str, str, Decimal], list[date]] = defaultdict(list)
        for line in household.transactions:
            if line.anomaly is not None:
                continue
            key = (line.account_key, line.description, line.amount)
            assert all(abs((line.booked_on - day).days) > 1 for day in seen[key]), line
            seen[key].append(line.booked_on)


def test_an_outlier_is_far_above_the_usual_amount_at_a_known_merchant(
    year: list[DemoHousehold],
) -> None:
    for household in year:
        for odd in (t for t in household.transactions if t.anomaly is AnomalyKind.OUTLIER):
            usual = [
                -t.amount
                for t in household.transactions
                if t.merchant == odd.merchant and t.anomaly is None
            ]
            earlier = [t for t in household.transactions if t.merchant == odd.merchant]
            assert earlier.index(odd) >= 3  # the merchant was known before
            assert -odd.amount > statistics.median(usual) * 4


def test_a_new_large_merchant_is_seen_only_once(year: list[DemoHousehold]) -> None:
    for household in year:
        salary = next(t.amount for t in household.transactions if t.category_slug == "salary")
        for new in (
            t for t in household.transactions if t.anomaly is AnomalyKind.NEW_MERCHANT_LARGE
        ):
            assert [t.merchant for t in household.transactions].count(new.merchant) == 1
            assert -new.amount > salary * Decimal("0.2")


# --- speed and helpers ----------------------------------------------------------------------


@given(st.integers())
def test_generated_cpf_and_cnpj_pass_their_check_digits(seed: int) -> None:
    rng = random.Random(seed)
    assert is_valid_cpf(make_cpf(rng))
    assert is_valid_cnpj(make_cnpj(rng))


def test_known_documents_validate() -> None:
    assert is_valid_cpf("52998224725")
    assert not is_valid_cpf("52998224726")
    assert not is_valid_cpf("11111111111")
    assert is_valid_cnpj("11222333000181")
    assert not is_valid_cnpj("11222333000182")
