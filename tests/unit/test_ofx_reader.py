"""OFX/QFX reader: each quirk real banks send, reproduced in fixtures written for Fluxo."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.imports.model import AccountHint, FileRejected, ParsedStatement, StatementFormat
from shared.imports.ofx_reader import read_ofx, read_ofx_statements

FIXTURES = Path(__file__).parent.parent / "fixtures" / "statements" / "ofx"
ALL = sorted(FIXTURES.glob("*.ofx"))


def load(name: str) -> ParsedStatement:
    return read_ofx((FIXTURES / name).read_bytes())


def test_there_are_fixtures() -> None:
    assert len(ALL) >= 8


@pytest.mark.parametrize("name", ["bb_latin1_xml_closing.ofx", "bb_utf8_lying_charset.ofx"])
def test_banco_do_brasil_latin1_or_utf8_with_xml_closing_tags(name: str) -> None:
    st_ = load(name)
    assert st_.format is StatementFormat.OFX
    assert st_.profile == "Banco do Brasil"
    assert st_.account_id == "12345-6"
    assert st_.account_hint is AccountHint.CHECKING
    assert st_.currency == "BRL"
    assert [line.description for line in st_.lines] == [
        "Transferência recebida",
        "Compra com Cartão - Padaria São João",
    ]
    assert [line.amount for line in st_.lines] == [Decimal("1500.00"), Decimal("-42.90")]
    assert [line.type for line in st_.lines] == [None, None]  # OTHER carries nothing
    assert st_.lines[0].external_id == "2024030501"
    assert st_.lines[0].booked_on == date(2024, 3, 5)
    assert st_.lines[0].line == 19
    assert st_.errors == []


def test_itau_timezone_padded_memos_comma_amounts() -> None:
    st_ = load("itau_est_padded.ofx")
    assert st_.account_id == "1234 56789-0"
    assert st_.profile == "Itaú"
    assert [line.description for line in st_.lines] == [
        "SISPAG FORNECEDOR",
        "REND PAGO APLIC",
        "PIX RECEBIDO",
    ]
    assert [line.amount for line in st_.lines] == [
        Decimal("-250.00"),
        Decimal("-25.00"),
        Decimal("1234.56"),
    ]
    assert st_.lines[0].booked_on == date(2024, 3, 2)
    assert st_.lines[0].booked_at == time(10, 0)


def test_nubank_card_raw_ampersand_quotes_and_instalments() -> None:
    st_ = load("nubank_card_ampersand.ofx")
    assert st_.account_hint is AccountHint.CREDIT_CARD
    first, iof, payment = st_.lines
    assert first.description == "Loja Tom & Jerry 3/12"
    assert (first.instalment_number, first.instalment_total) == (3, 12)
    assert first.amount == Decimal("-140")
    assert iof.description == 'IOF de "Store.Eu" & Co'
    assert iof.amount == Decimal("-9.9")
    assert iof.instalment_number is None
    assert payment.amount == Decimal("500")  # card payment stays positive (money in)


def test_us_checking_tabs_milliseconds_tilde_account() -> None:
    st_ = load("us_checking_tabs_millis.ofx")
    assert st_.account_id == "998877~1"
    assert st_.account_hint is AccountHint.SAVINGS
    assert st_.currency == "USD"
    interest, fee = st_.lines
    assert interest.booked_on == date(2024, 4, 30)
    assert interest.description == "INTEREST EARNED - FOR PERIOD ENDING 04/30/24"
    assert interest.instalment_number is None  # a date is not an instalment
    assert interest.type == "INT"  # unknown to Open Finance: kept raw
    assert fee.type == "TARIFA_SERVICOS_AVULSOS"
    assert fee.description == "SERVICE FEE"  # NAME == MEMO: not doubled
    assert interest.line == 39  # CRLF counted as one line


def test_canadian_one_line_per_transaction() -> None:
    st_ = load("ca_one_line_per_trn.ofx")
    assert [line.line for line in st_.lines] == [15, 16]
    assert [line.type for line in st_.lines] == ["CARTAO", "SAQUE"]
    assert st_.lines[0].booked_at == time(12, 20, 17)
    assert st_.lines[0].description == "POS PURCHASE;COFFEE SHOP #12"
    assert st_.lines[1].description == "ATM WITHDRAWAL - BRANCH 0042"
    assert st_.account_id == "00011 222333444"


def test_empty_tags_blank_lines_and_ddmmyy() -> None:
    st_ = load("empty_tags_blank_lines.ofx")
    assert st_.currency is None  # <CURDEF></CURDEF>
    assert st_.account_hint is AccountHint.UNKNOWN
    transfer, odd = st_.lines
    assert transfer.external_id is None
    assert transfer.type is None  # "Credit"
    assert transfer.currency == "AUD"
    assert transfer.description == "ACME:Transfer"
    assert transfer.line == 17
    assert odd.booked_on == date(2024, 7, 15)  # 150724 read as DDMMYY


def test_two_statements_xml_with_located_errors() -> None:
    data = (FIXTURES / "two_statements_xml.ofx").read_bytes()
    checking, card = read_ofx_statements(data)
    assert checking.account_hint is AccountHint.CHECKING
    assert checking.account_id == "1111-1"
    assert card.account_hint is AccountHint.CREDIT_CARD
    assert card.account_id == "2222"
    assert checking.lines[0].description == "Maria & Filhos - Pix enviado"
    assert checking.lines[0].counterparty_name == "Maria & Filhos"
    assert [(e.line, e.column) for e in checking.errors] == [(10, "DTPOSTED")]
    assert [(e.line, e.column, e.raw) for e in card.errors] == [(21, "TRNAMT", "abc")]
    merged = read_ofx(data)
    assert merged.rows_read == 4
    assert len(merged.lines) == 2
    assert len(merged.errors) == 2
    assert merged.account_id is None
    assert merged.account_hint is AccountHint.UNKNOWN
    assert merged.currency == "BRL"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20240102", date(2024, 1, 2)),
        ("20240102103000", date(2024, 1, 2)),
        ("20240102103000.123", date(2024, 1, 2)),
        ("20240102103000[-3:GMT]", date(2024, 1, 2)),
        ("20240102103000.000[-03:EST]", date(2024, 1, 2)),
        ("20240102[+5.5:IST]", date(2024, 1, 2)),
        ("020124", date(2024, 1, 2)),
        ("31122024", date(2024, 12, 31)),
    ],
)
def test_dates(raw: str, expected: date) -> None:
    body = f"<OFX><STMTRS><STMTTRN><DTPOSTED>{raw}<TRNAMT>1</STMTTRN></STMTRS></OFX>"
    assert read_ofx(body.encode()).lines[0].booked_on == expected


def test_missing_fields_are_row_errors() -> None:
    body = (
        b"<OFX><STMTRS><STMTTRN><TRNAMT>1</STMTTRN>"
        b"<STMTTRN><DTPOSTED>20240101</STMTTRN></STMTRS></OFX>"
    )
    result = read_ofx(body)
    assert [e.column for e in result.errors] == ["DTPOSTED", "TRNAMT"]
    assert result.rows_read == 2


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\n", b"\x00\x01\x02binary", b"PK\x03\x04zip", b"OFXHEADER:100\n", b"<OFX></OFX>"],
)
def test_unreadable_files_are_rejected(data: bytes) -> None:
    with pytest.raises(FileRejected):
        read_ofx(data)


def _outcome(data: bytes) -> None:
    try:
        result = read_ofx(data)
    except FileRejected as exc:
        reason = exc.reason
    else:
        assert isinstance(result, ParsedStatement)
        assert result.rows_read == len(result.lines) + len(result.errors)
        return
    assert reason


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    _outcome(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ALL),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(min_size=0, max_size=8)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_fixtures_never_raise_anything_else(
    path: Path, edits: list[tuple[float, int, bytes]]
) -> None:
    data = bytearray(path.read_bytes())
    for where, kind, chunk in edits:
        at = int(where * len(data))
        if kind == 0:
            data[at:at] = chunk
        elif kind == 1:
            del data[at : at + len(chunk) + 1]
        elif kind == 2:
            data[at : at + len(chunk)] = chunk
        else:
            data[at:at] = b"<" + chunk + b">"
    _outcome(bytes(data))
