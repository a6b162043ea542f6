"""Money and amount parsing: examples from real statements, then properties."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.errors import InvalidInput
from shared.domain.money import (
    CurrencyMismatch,
    Money,
    currency_exponent,
    is_currency,
    parse_amount,
    sum_money,
    zero,
)

NBSP, NNBSP = "\u00a0", "\u202f"


# -- currencies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("BRL", 2),
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("IDR", 2),  # CLDR says 0
        ("HUF", 2),  # CLDR says 0
        ("COP", 2),  # CLDR says 0
        ("IQD", 3),  # CLDR says 0
        ("BHD", 3),
        ("KWD", 3),
        ("OMR", 3),
        ("JOD", 3),
        ("TND", 3),
        ("LYD", 3),
        ("CLF", 4),
    ],
)
def test_currency_exponent_follows_iso_4217(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize("code", ["brl", "BR", "BRLL", "ZZZ", "", "XAU", "XXX", "R$"])
def test_unknown_or_non_monetary_codes_are_rejected(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(InvalidInput):
        currency_exponent(code)


# -- parse_amount: examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("-1234.56", "-1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("6000.000,00", "6000000.00"),
        ("R$ 1.234,56", "1234.56"),
        ("-R$ 1.234,56", "-1234.56"),
        ("R$ -1.234,56", "-1234.56"),
        ("- 2.870,40", "-2870.40"),
        ("-$7,971.39", "-7971.39"),
        ("US$ 10.00", "10.00"),
        ("€1.234,56", "1234.56"),
        ("1.234,56 €", "1234.56"),
        ("(123.45)", "-123.45"),
        ("(R$ 1.234,56)", "-1234.56"),
        ("123,45-", "-123.45"),
        ("+100", "100"),
        ("1 234,56", "1234.56"),
        (f"1{NBSP}234,56", "1234.56"),
        (f"1{NNBSP}234,56", "1234.56"),
        (f"R${NBSP}1.234,56", "1234.56"),
        ("0,5", "0.5"),
        ("-140", "-140"),
        ("-9.9", "-9.9"),
        ("1.234.567", "1234567"),
        ("1.234.567,89", "1234567.89"),
        ("1,00,000.00", "100000.00"),
        ("CHF 1'234.50", "1234.50"),
        ("BRL 10,00", "10.00"),
        ("\u221212,30", "-12.30"),
        ("  42  ", "42"),
        ("0,500", "0.500"),
        ("1 234,567", "1234.567"),
    ],
)
def test_parse_amount_reads_what_statements_write(text: str, expected: str) -> None:
    result = parse_amount(text)
    assert result == Decimal(expected)
    assert str(result) == expected  # digits are kept as written, never through a float


@pytest.mark.parametrize("text", ["1,234", "1.234", "-1.234", "R$ 1.234", "12.345"])
def test_a_single_separator_before_three_digits_is_ambiguous_without_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput, match="ambiguous"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("1.234", ",", "1234"),
        ("1.234", ".", "1.234"),
        ("1.234,56", ",", "1234.56"),
        ("1,234,567", ".", "1234567"),
        ("10", ",", "10"),
    ],
)
def test_a_decimal_separator_hint_makes_parsing_exact(
    text: str, separator: str, expected: str
) -> None:
    assert parse_amount(text, decimal_separator=separator) == Decimal(expected)


def test_a_hint_contradicted_by_the_text_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        parse_amount("1.234,56", decimal_separator=".")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "no digits"),
        ("--5", "more than one sign"),
        ("-5-", "more than one sign"),
        ("+-5", "more than one sign"),
        ("(-5)", "more than one sign"),
        ("-R$ -5", "more than one sign"),
        ("(5", "unbalanced"),
        ("12a3", "not an amount"),
        ("NaN", "not a finite"),
        ("Infinity", "not a finite"),
        ("-inf", "not a finite"),
        ("1e5", "exponent"),
        ("1.5E-3", "exponent"),
        ("XYZ 5", "not a currency"),
        ("$5$", "two currency markers"),
        ("1..2", "thousands"),
        ("1 23", "thousands"),
        ("1.2345.678", "thousands"),
        ("1,", "decimal part"),
        ("brl 5", "not an amount"),
        ("0x10", "not an amount"),
        ("1_000", "not an amount"),
        ("\u0663", "not an amount"),  # Arabic-Indic digit three
        ("1" * 200, "too long"),
    ],
)
def test_parse_amount_rejects_garbage_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_amount(text)


def test_parse_amount_rejects_an_unknown_hint() -> None:
    with pytest.raises(ValueError, match="decimal_separator"):
        parse_amount("1", decimal_separator=";")
    with pytest.raises(ValueError, match="decimal_separator"):
        parse_amount("1", decimal_separator="")


def test_negative_zero_is_plain_zero() -> None:
    assert parse_amount("-0,00").is_signed() is False


# -- Money: examples --------------------------------------------------------------------------


def test_money_of_accepts_decimal_int_and_canonical_strings() -> None:
    assert Money.of(Decimal("1.50"), "BRL").amount == Decimal("1.50")
    assert Money.of(7, "JPY").amount == Decimal(7)
    assert Money.of("-1234.56", "BRL").amount == Decimal("-1234.56")


@pytest.mark.parametrize("text", ["1,50", "R$ 1", "1e3", "NaN", "", " 1"])
def test_money_of_rejects_non_canonical_strings(text: str) -> None:
    with pytest.raises(InvalidInput):
        Money.of(text, "BRL")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_money_rejects_non_finite_amounts(amount: Decimal) -> None:
    with pytest.raises(InvalidInput):
        Money(amount, "BRL")


@pytest.mark.parametrize("amount", [True, "1.00", None, 1 + 0j])
def test_money_rejects_other_amount_types(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "BRL")  # type: ignore[arg-type]


def test_money_rejects_unknown_currency() -> None:
    with pytest.raises(InvalidInput):
        Money(Decimal(1), "REAIS")


def test_quantized_rounds_half_even_to_the_minor_unit() -> None:
    assert Money.of("0.125", "BRL").quantized().amount == Decimal("0.12")
    assert Money.of("0.135", "BRL").quantized().amount == Decimal("0.14")
    assert Money.of("2.5", "JPY").quantized().amount == Decimal(2)
    assert str(Money.of("1.2", "KWD").quantized().amount) == "1.200"


def test_check_precision_rejects_sub_cent_amounts() -> None:
    with pytest.raises(InvalidInput, match="more decimals"):
        Money.of("1.005", "BRL").check_precision()
    with pytest.raises(InvalidInput):
        Money.of("1.5", "JPY").check_precision()
    assert str(Money.of("1.500", "BRL").check_precision().amount) == "1.50"


def test_arithmetic_keeps_full_precision() -> None:
    brl = Money.of("10.00", "BRL")
    assert brl + Money.of("0.005", "BRL") == Money.of("10.005", "BRL")
    assert brl - Money.of("15", "BRL") == Money.of("-5", "BRL")
    assert -brl == Money.of("-10", "BRL")
    assert abs(Money.of("-3.2", "BRL")) == Money.of("3.2", "BRL")
    assert brl * Decimal("0.0333") == Money.of("0.333", "BRL")
    assert 3 * brl == brl * 3 == Money.of("30", "BRL")


def test_credits_and_debits_follow_the_sign() -> None:
    assert Money.of("1", "BRL").is_credit
    assert Money.of("-1", "BRL").is_debit
    assert not zero("BRL").is_credit
    assert not zero("BRL").is_debit


def test_zero_and_sum_money() -> None:
    assert str(zero("BRL").amount) == "0.00"
    assert sum_money([], "JPY") == zero("JPY")
    items = [Money.of("1.10", "BRL"), Money.of("2.20", "BRL"), Money.of("-0.30", "BRL")]
    assert sum_money(items, "BRL") == Money.of("3.00", "BRL")


def test_ordering_within_a_currency() -> None:
    small, big = Money.of("1", "BRL"), Money.of("2", "BRL")
    assert small < big <= big
    assert big > small >= small
    assert max([small, big]) == big


def test_equality_ignores_trailing_zeros_but_not_currency() -> None:
    assert Money.of("1.0", "BRL") == Money.of("1.00", "BRL")
    assert hash(Money.of("1.0", "BRL")) == hash(Money.of("1.00", "BRL"))
    assert Money.of("1", "BRL") != Money.of("1", "USD")


def test_allocate_gives_the_leftover_cent_to_the_first_parts() -> None:
    shares = Money.of("100.00", "BRL").allocate([1, 1, 1])
    assert [s.amount for s in shares] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_allocate_negative_amounts_mirror_positive_ones() -> None:
    shares = Money.of("-0.05", "BRL").allocate([1, 1])
    assert [s.amount for s in shares] == [Decimal("-0.03"), Decimal("-0.02")]


def test_allocate_by_weights_and_zero_weights() -> None:
    shares = Money.of("10", "BRL").allocate([70, 30, 0])
    assert [s.amount for s in shares] == [Decimal("7.00"), Decimal("3.00"), Decimal("0.00")]


@pytest.mark.parametrize("parts", [[], [0, 0], [-1, 2], [True, 1]])
def test_allocate_rejects_bad_parts(parts: list[int]) -> None:
    with pytest.raises(InvalidInput):
        Money.of("10", "BRL").allocate(parts)


def test_allocate_refuses_sub_cent_amounts() -> None:
    with pytest.raises(InvalidInput):
        Money.of("0.005", "BRL").allocate([1, 1])


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money.of("1234.56", "BRL"), "pt_BR", f"R${NBSP}1.234,56"),
        (Money.of("-1234.56", "BRL"), "pt_BR", f"-R${NBSP}1.234,56"),
        (Money.of("1234.56", "USD"), "en_US", "$1,234.56"),
        (Money.of("1234.56", "USD"), "en-US", "$1,234.56"),
        (Money.of("1234.565", "USD"), "en_US", "$1,234.56"),  # half-even
        (Money.of("1234", "JPY"), "en_US", "¥1,234"),
        (Money.of("1234.5", "IDR"), "id_ID", "Rp1.234,50"),  # ISO decimals, not CLDR's
        (Money.of("1.5", "KWD"), "en_US", "KWD1.500"),
    ],
)
def test_format_uses_the_locale_and_iso_decimals(money: Money, locale: str, text: str) -> None:
    assert money.format(locale) == text


def test_format_rejects_unknown_locales() -> None:
    with pytest.raises(InvalidInput):
        Money.of("1", "BRL").format("xx_YY")


# -- properties -------------------------------------------------------------------------------

CURRENCIES = ["BRL", "USD", "EUR", "JPY", "KWD", "CLF"]


def amounts(places: int = 4, limit: int = 10**12) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=-limit, max_value=limit, places=places, allow_nan=False, allow_infinity=False
    )


def cents() -> st.SearchStrategy[Decimal]:
    return amounts(places=2)


@given(amount=cents())
def test_pt_br_format_parses_back(amount: Decimal) -> None:
    text = Money(amount, "BRL").format("pt_BR")
    assert parse_amount(text, decimal_separator=",") == amount
    assert parse_amount(text) == amount  # two decimals are never ambiguous


@given(amount=cents())
def test_en_us_format_parses_back(amount: Decimal) -> None:
    text = Money(amount, "USD").format("en_US")
    assert parse_amount(text, decimal_separator=".") == amount
    assert parse_amount(text) == amount


@given(amount=st.integers(min_value=-(10**12), max_value=10**12))
def test_zero_decimal_currencies_parse_back_with_the_hint(amount: int) -> None:
    text = Money.of(amount, "JPY").format("en_US")
    assert parse_amount(text, decimal_separator=".") == amount


@given(
    units=st.integers(min_value=-(10**12), max_value=10**12),
    parts=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
    currency=st.sampled_from(CURRENCIES),
)
def test_allocate_loses_nothing_and_stays_within_one_unit(
    units: int, parts: list[int], currency: str
) -> None:
    exponent = currency_exponent(currency)
    whole = Money(Decimal(units).scaleb(-exponent), currency)
    shares = whole.allocate(parts)
    assert sum_money(shares, currency) == whole
    total_weight = sum(parts)
    for share, weight in zip(shares, parts, strict=True):
        share_units = int(share.amount.scaleb(exponent))
        # |share - exact ratio| < 1 minor unit, compared in integers to stay exact
        assert abs(share_units * total_weight - units * weight) < total_weight


@given(
    units=st.integers(min_value=-(10**9), max_value=10**9),
    count=st.integers(min_value=1, max_value=50),
)
def test_equal_allocation_parts_differ_by_at_most_one_cent(units: int, count: int) -> None:
    shares = Money(Decimal(units).scaleb(-2), "BRL").allocate([1] * count)
    values = [s.amount for s in shares]
    assert max(values) - min(values) <= Decimal("0.01")


@given(a=amounts(), b=amounts(), c=amounts(), currency=st.sampled_from(CURRENCIES))
def test_addition_is_associative_and_commutative(
    a: Decimal, b: Decimal, c: Decimal, currency: str
) -> None:
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert x - x == zero(currency)


@given(amount=amounts(places=6), currency=st.sampled_from(CURRENCIES))
def test_quantize_is_idempotent(amount: Decimal, currency: str) -> None:
    once = Money(amount, currency).quantized()
    assert once.quantized() == once
    assert once.amount.as_tuple().exponent == -currency_exponent(currency)
    assert once.check_precision() == once


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_accepted(value: float) -> None:
    with pytest.raises(TypeError):
        Money(value, "BRL")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(value, "BRL")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of("1", "BRL") * value
    with pytest.raises(TypeError):
        value * Money.of("1", "BRL")


@given(a=cents(), b=cents())
def test_mismatched_currencies_raise(a: Decimal, b: Decimal) -> None:
    brl, usd = Money(a, "BRL"), Money(b, "USD")
    for operation in (
        lambda: brl + usd,
        lambda: brl - usd,
        lambda: brl < usd,
        lambda: brl <= usd,
        lambda: brl > usd,
        lambda: brl >= usd,
        lambda: sum_money([brl, usd], "BRL"),
    ):
        with pytest.raises(CurrencyMismatch):
            operation()
    assert brl != usd


@given(text=st.text(alphabet=st.sampled_from("0123456789.,' -+()$R€BLe\u00a0\u2212"), max_size=20))
def test_parse_amount_only_ever_returns_a_finite_decimal_or_raises_invalid_input(
    text: str,
) -> None:
    try:
        result = parse_amount(text)
    except InvalidInput:
        return
    assert isinstance(result, Decimal)
    assert result.is_finite()


@given(text=st.text(max_size=30))
def test_parse_amount_never_crashes_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(InvalidInput):
        parse_amount(text)
