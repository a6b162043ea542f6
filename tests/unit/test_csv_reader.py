"""CSV statement reader: encodings, bank profiles, whole-file decisions, row errors, fuzzing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.imports.csv_reader import ColumnMapping, DateOrder, SignConvention, read_csv
from shared.imports.encoding import decode
from shared.imports.model import AccountHint, FileRejected, ParsedStatement
from shared.imports.profiles import load_profiles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "csv"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def amounts(statement: ParsedStatement) -> list[Decimal]:
    return [line.amount for line in statement.lines]


# -- encoding -----------------------------------------------------------------------------------


def test_decode_utf8_bom_and_crlf() -> None:
    text, encoding = decode(b"\xef\xbb\xbfData;Descri\xc3\xa7\xc3\xa3o\r\n1;2\r3\n")
    assert encoding == "utf-8-sig"
    assert text == "Data;Descrição\n1;2\n3\n"


def test_decode_cp1252_from_the_bytes() -> None:
    text, encoding = decode("Descrição;Valor\n".encode("cp1252"))
    assert (text, encoding) == ("Descrição;Valor\n", "cp1252")


def test_decode_latin1_when_cp1252_cannot() -> None:
    text, encoding = decode(b"caf\xe9 \x81\n")
    assert encoding == "latin-1"
    assert text.startswith("café")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"  \n\r\n",
        b"PK\x03\x04\x14\x00rest",
        b"a,b\x00c\n",
        b"%PDF-1.4",
        bytes(range(1, 32)) * 4,
    ],
)
def test_decode_rejects_empty_and_binary(data: bytes) -> None:
    with pytest.raises(FileRejected):
        decode(data)


# -- profiles ------------------------------------------------------------------------------------


def test_nubank_card_purchases_positive_in_file_are_stored_negative() -> None:
    statement = read_csv(fixture("nubank_card.csv"))
    assert statement.profile == "nubank_card"
    assert statement.account_hint is AccountHint.CREDIT_CARD
    assert amounts(statement) == [
        Decimal("-25.90"),
        Decimal("-18.45"),
        Decimal("500.00"),
        Decimal("-1234.56"),
    ]
    assert statement.lines[0].booked_on == date(2024, 1, 5)
    assert statement.lines[0].description == "Padaria Pão Quente"
    assert statement.lines[0].category_hint == "restaurante"
    assert statement.errors == []


def test_nuconta_bom_crlf_identifier_is_external_id() -> None:
    statement = read_csv(fixture("nuconta.csv"))
    assert statement.profile == "nuconta"
    assert [line.external_id for line in statement.lines] == [
        "65a1b2c3-0001",
        "65a1b2c3-0002",
        "65a1b2c3-0003",
    ]
    assert statement.lines[1].booked_on == date(2024, 1, 15)
    assert statement.lines[2].description.endswith("CONDOMINIO, BLOCO A")
    assert sum(amounts(statement)) == Decimal("2215.44")


def test_itau_headerless_cp1252_skips_balance_rows() -> None:
    statement = read_csv(fixture("itau.csv"))
    assert statement.profile == "itau"
    assert [line.line for line in statement.lines] == [2, 3, 4]
    assert amounts(statement) == [Decimal("-150.00"), Decimal("2870.40"), Decimal("-2870.40")]
    # every day and month is <= 12: the profile's day-first default decides
    assert statement.lines[1].booked_on == date(2024, 1, 5)
    assert statement.lines[0].description == "PIX TRANSF JOÃO 03/01"
    assert statement.rows_read == 3


def test_banco_inter_preamble_two_digit_years_thousands() -> None:
    statement = read_csv(fixture("banco_inter.csv"))
    assert statement.profile == "banco_inter"
    assert [line.line for line in statement.lines] == [7, 8, 9]
    assert [line.booked_on for line in statement.lines] == [
        date(2024, 1, 2),
        date(2024, 1, 15),
        date(2024, 1, 31),
    ]
    assert amounts(statement) == [Decimal("-25.90"), Decimal("1000.00"), Decimal("-2000.00")]
    assert statement.lines[0].description == "Pix enviado - Padaria São João"


def test_ing_de_dotted_dates_and_value_date() -> None:
    statement = read_csv(fixture("ing_de.csv"))
    assert statement.profile == "ing_de"
    assert statement.currency == "EUR"
    assert amounts(statement) == [Decimal("3000.00"), Decimal("-65.44"), Decimal("-950.00")]
    assert statement.lines[2].booked_on == date(2024, 1, 2)
    assert statement.lines[2].value_on == date(2024, 1, 1)


def test_revolut_fee_pending_and_declined() -> None:
    statement = read_csv(fixture("revolut.csv"))
    assert statement.profile == "revolut"
    assert statement.currency == "GBP"
    assert amounts(statement) == [
        Decimal("-12.50"),
        Decimal("500.00"),
        Decimal("-100.50"),
        Decimal("-6.20"),
    ]
    assert [line.status for line in statement.lines][-1] == "pending"
    assert statement.lines[0].type == "CARD_PAYMENT"
    assert [(e.line, e.column, e.raw) for e in statement.errors] == [(6, "State", "DECLINED")]


def test_us_bank_summary_preamble_and_dollar_amounts() -> None:
    statement = read_csv(fixture("us_bank.csv"))
    assert statement.profile == "us_bank"
    assert amounts(statement) == [Decimal("2500.00"), Decimal("-7971.39")]
    assert statement.lines[1].booked_on == date(2024, 1, 15)
    assert statement.errors == []


def test_generic_pt_br_tab_debit_credit_and_total_line() -> None:
    statement = read_csv(fixture("generic_pt_br.tsv"))
    assert statement.profile == "generic_pt_br"
    assert amounts(statement) == [Decimal("-1234.56"), Decimal("6000.00"), Decimal("-12.00")]
    assert statement.lines[0].booked_on == date(2024, 2, 3)
    assert statement.rows_read == 3


def test_generic_en_us_month_first_two_digit_years() -> None:
    statement = read_csv(fixture("generic_en_us.csv"))
    assert statement.profile == "generic_en_us"
    assert [line.booked_on for line in statement.lines] == [
        date(2024, 1, 5),
        date(2024, 2, 1),
        date(1999, 12, 31),
    ]
    assert amounts(statement)[1] == Decimal("1234.56")


def test_every_profile_has_a_fixture_that_detects_it() -> None:
    detected = {
        read_csv(path.read_bytes()).profile
        for path in FIXTURES.iterdir()
        if path.name != "custom_mapping.csv"
    }
    assert {p.name for p in load_profiles()} <= detected


def test_forced_profile_must_match() -> None:
    assert read_csv(fixture("itau.csv"), profile="itau").profile == "itau"
    with pytest.raises(FileRejected):
        read_csv(fixture("nubank_card.csv"), profile="ing_de")


# -- whole-file decisions ------------------------------------------------------------------------


def test_day_first_when_a_first_field_exceeds_twelve() -> None:
    data = b"Date,Description,Amount\n01/02/2024,a,1.00\n13/02/2024,b,2.00\n"
    statement = read_csv(data)
    assert [line.booked_on for line in statement.lines] == [date(2024, 2, 1), date(2024, 2, 13)]


def test_month_first_when_a_second_field_exceeds_twelve() -> None:
    data = "Data;Histórico;Valor\n01/02/2024;a;1,00\n02/13/2024;b;2,00\n".encode()
    statement = read_csv(data)
    assert statement.profile == "generic_pt_br"
    assert [line.booked_on for line in statement.lines] == [date(2024, 1, 2), date(2024, 2, 13)]


def test_ambiguous_dates_follow_the_profile_default() -> None:
    pt = read_csv("Data;Descrição;Valor\n01/02/2024;a;1,00\n".encode())
    en = read_csv(b"Transaction Date,Payee,Amount\n01/02/2024,a,1.00\n")
    assert pt.lines[0].booked_on == date(2024, 2, 1)
    assert en.lines[0].booked_on == date(2024, 1, 2)


def test_decimal_separator_from_the_whole_file() -> None:
    # "1.234" alone is ambiguous; "5,50" in another row says the comma is the decimal separator
    data = "Data;Descrição;Valor\n01/02/2024;a;1.234\n02/02/2024;b;5,50\n".encode()
    assert amounts(read_csv(data)) == [Decimal("1234"), Decimal("5.50")]
    data = b'Date,Description,Amount\n01/02/2024,a,"1,234"\n01/03/2024,b,5.5\n'
    assert amounts(read_csv(data)) == [Decimal("1234"), Decimal("5.5")]


@pytest.mark.parametrize(
    ("cell", "booked_on"),
    [
        ("Quarta, 24/09/2025", date(2025, 9, 24)),
        ("Seg 01/09/2025", date(2025, 9, 1)),
        ("Quarta-feira, 24/09/2025", date(2025, 9, 24)),
        ("sáb., 27/09/2025", date(2025, 9, 27)),
        ("Ter,02/09/2025 10:15", date(2025, 9, 2)),
        ("qui 2025-09-04", date(2025, 9, 4)),
    ],
)
def test_a_leading_weekday_word_does_not_hide_the_date(cell: str, booked_on: date) -> None:
    statement = read_csv(f"Data;Descrição;Valor\n{cell};PIX RECEBIDO;5,00\n".encode())
    assert statement.errors == []
    assert [line.booked_on for line in statement.lines] == [booked_on]


def test_weekday_dates_decide_the_date_order_like_bare_ones() -> None:
    # Month first (generic en-US default) unless a day above 12 proves otherwise.
    data = b"Date,Description,Amount\nWed 01/02/2024,a,1.00\nTue 13/02/2024,b,2.00\n"
    assert [line.booked_on for line in read_csv(data).lines] == [
        date(2024, 2, 1),
        date(2024, 2, 13),
    ]


@pytest.mark.parametrize(
    "cell",
    ["Quarta feira 24/09/2025", "Quarta, 24/09", "Quarta, amanhã", "Quarta,", "24/09/2025 Quarta"],
)
def test_only_one_word_before_a_whole_date_is_stripped(cell: str) -> None:
    statement = read_csv(f"Data;Descrição;Valor\n01/09/2025;a;1,00\n{cell};b;5,00\n".encode())
    assert [(e.line, e.column, e.raw) for e in statement.errors] == [(3, "Data", cell)]


def test_a_balance_word_before_a_date_is_a_balance_line_not_a_weekday() -> None:
    data = "Data;Descrição;Valor\n01/09/2025;a;1,00\nSaldo 31/08/2025;;1.000,00\n".encode()
    statement = read_csv(data)
    assert [line.line for line in statement.lines] == [2]
    assert statement.errors == []


def test_description_columns_that_repeat_each_other_appear_once() -> None:
    mapping = ColumnMapping(date=0, description=(1, 2, 3), amount=4, has_header=False)
    data = (
        b"03/06/2024;Pix recebido;Pix recebido;MARCOS;10,00\n"
        b"04/06/2024;Pix recebido;MARCOS;Pix recebido;10,00\n"
        b"05/06/2024;Pix recebido;PIX RECEBIDO;;10,00\n"
        b"06/06/2024;;MARCOS;MARCOS;10,00\n"
    )
    assert [line.description for line in read_csv(data, mapping=mapping).lines] == [
        "Pix recebido - MARCOS",
        "Pix recebido - MARCOS",
        "Pix recebido - PIX RECEBIDO",  # identical only: a cell that differs is kept
        "MARCOS",
    ]


def test_currency_symbols_and_spaced_signs() -> None:
    data = 'Data;Descrição;Valor\n01/02/2024;a;R$ 1.234,56\n02/02/2024;b;"- 2.870,40"\n'.encode()
    assert amounts(read_csv(data)) == [Decimal("1234.56"), Decimal("-2870.40")]


# -- user mappings -------------------------------------------------------------------------------


def test_mapping_with_debit_credit_columns_and_skipped_rows() -> None:
    mapping = ColumnMapping(
        date="When",
        description="What",
        debit="Out",
        credit="In",
        external_id="Ref",
        date_format="%Y%m%d",
        skip_rows=2,
    )
    statement = read_csv(fixture("custom_mapping.csv"), mapping=mapping)
    assert statement.profile is None
    assert amounts(statement) == [Decimal("-45.10"), Decimal("3210.00")]
    assert statement.lines[0].booked_on == date(2024, 1, 5)
    assert statement.lines[1].external_id == "A2"
    assert [(e.line, e.column, e.raw) for e in statement.errors] == [(6, "Out", "abc")]


def test_mapping_headerless_inverted_sign() -> None:
    mapping = ColumnMapping(
        date=0,
        description=(1, 2),
        amount=3,
        has_header=False,
        sign=SignConvention.INVERTED,
        date_order=DateOrder.MDY,
        decimal_separator=".",
    )
    statement = read_csv(
        b"01/02/2024\tShop\tnote\t10.00\n01/03/2024\tRefund\t\t-3\n", mapping=mapping
    )
    assert amounts(statement) == [Decimal("-10.00"), Decimal("3")]
    assert statement.lines[0].booked_on == date(2024, 1, 2)
    assert statement.lines[0].description == "Shop - note"


def test_mapping_validation() -> None:
    with pytest.raises(ValueError, match="amount column or debit/credit"):
        ColumnMapping(date="d", description="x")
    with pytest.raises(ValueError, match="positions"):
        ColumnMapping(date="d", description=1, amount=2, has_header=False)


def test_mapping_unknown_column_rejects_the_file() -> None:
    with pytest.raises(FileRejected, match="Quando"):
        read_csv(
            fixture("custom_mapping.csv"),
            mapping=ColumnMapping(date="Quando", description="What", amount="Out", skip_rows=2),
        )


# -- bad input -----------------------------------------------------------------------------------


def test_row_errors_are_located() -> None:
    statement = read_csv(fixture("broken_rows.csv"))
    assert [line.line for line in statement.lines] == [2, 6]
    assert [(e.line, e.column) for e in statement.errors] == [
        (3, "date"),
        (4, "amount"),
        (5, None),  # the columns changed mid-file
        (7, None),
    ]
    assert statement.errors[0].raw == "2024-13-40"
    assert statement.rows_read == 6


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"date,title,amount\n",
        b"date,title,amount\r\n\r\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"hello world\nthis is not a statement\n",
        "Data;Descrição;Valor\nSaldo;;10,00\n".encode(),
    ],
)
def test_file_level_rejections(data: bytes) -> None:
    with pytest.raises(FileRejected):
        read_csv(data)


def _outcome(data: bytes) -> None:
    """The only outcomes: a statement (maybe with row errors) or FileRejected with a reason."""
    statement: ParsedStatement | None
    try:
        statement, reason = read_csv(data), ""
    except FileRejected as rejected:
        statement, reason = None, rejected.reason
    if statement is None:
        assert reason
        return
    assert isinstance(statement, ParsedStatement)
    assert statement.rows_read == len(statement.lines) + len(statement.errors)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    _outcome(data)


_FIXTURE_BYTES = [p.read_bytes() for p in sorted(FIXTURES.iterdir())]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_FIXTURE_BYTES),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255), st.booleans()),
        max_size=12,
    ),
)
def test_mutated_fixtures_never_raise_anything_else(
    original: bytes, mutations: list[tuple[int, int, bool]]
) -> None:
    data = bytearray(original)
    for position, value, insert in mutations:
        index = position % (len(data) + 1)
        if insert:
            data.insert(index, value)
        elif data:
            data[index % len(data)] = value
    _outcome(bytes(data))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_FIXTURE_BYTES),
    st.text(alphabet=st.sampled_from(list(',;\t"\n\r-.$R0123456789/ aZ')), max_size=80),
    st.integers(min_value=0),
)
def test_spliced_csv_text_never_raises_anything_else(original: bytes, junk: str, at: int) -> None:
    index = at % (len(original) + 1)
    _outcome(original[:index] + junk.encode() + original[index:])
