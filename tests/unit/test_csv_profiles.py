"""Brazilian bank CSV profiles (Bradesco, Santander, C6) read through ``read_csv``.

Each fixture is fictional data laid out as the bank's export is (sources in ``profiles.json``).
Tests marked ``xfail(strict=True)`` state what a real export needs and the reader cannot do yet;
they start passing, and so fail as XPASS, the day the reader gains that capability.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shared.imports.csv_reader import read_csv
from shared.imports.model import AccountHint, FileRejected, ParsedStatement, StatementLine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "csv"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_line(statement: ParsedStatement) -> dict[int, StatementLine]:
    return {line.line: line for line in statement.lines}


def total(statement: ParsedStatement) -> Decimal:
    return sum((line.amount for line in statement.lines), Decimal(0))


# -- Bradesco --------------------------------------------------------------------------------------


def test_bradesco_cp1252_debit_and_credit_columns() -> None:
    data = fixture("bradesco.csv")
    assert b"\r\n" in data
    assert "Histórico".encode("cp1252") in data  # the bytes are not UTF-8
    statement = read_csv(data)
    assert statement.profile == "bradesco"
    assert statement.account_hint is AccountHint.CHECKING
    assert statement.currency == "BRL"
    assert statement.errors == []
    # The preamble (line 1), SALDO ANTERIOR (3) and the Total line (10) are not transactions.
    assert [line.line for line in statement.lines] == [4, 5, 6, 7, 8, 9]
    assert statement.rows_read == 6
    lines = by_line(statement)
    assert lines[4].amount == Decimal("3200.00")
    assert lines[4].booked_on == date(2024, 3, 4)
    assert lines[7].amount == Decimal("-1500.00")
    assert lines[7].description == "TRANSFERENCIA PIX DES: MARIA JOSÉ"
    assert lines[8].amount == Decimal("5478.12")
    assert lines[8].description == "CRED SALARIO - CONSTRUÇÕES AÇAÍ LTDA"
    assert lines[9].booked_on == date(2024, 3, 25)
    # 1.250,00 before, 7.795,72 after: the statement's own balances agree with the lines read.
    assert total(statement) == Decimal("7795.72") - Decimal("1250.00")
    assert sum(line.amount for line in statement.lines if line.amount < 0) == Decimal("-2132.40")
    assert all(line.external_id is None for line in statement.lines)


def test_bradesco_current_export_reads_the_booked_movements() -> None:
    statement = read_csv(fixture("bradesco_full_export.csv"))
    assert statement.profile == "bradesco"
    lines = by_line(statement)
    assert (lines[4].booked_on, lines[4].amount) == (date(2024, 6, 3), Decimal("750.00"))
    assert (lines[5].booked_on, lines[5].amount) == (date(2024, 6, 4), Decimal("-187.34"))
    assert 10 not in lines  # ";;Total;0,00;410,00;;"


@pytest.mark.xfail(
    strict=True,
    reason="the reader cannot skip Bradesco's 'COD. LANC. 0' opening-balance row, stop at (or "
    "mark as pending) the 'Últimos Lançamentos' section, skip its repeated header, or ignore the "
    "'Os dados acima têm como base ...' footer",
)
def test_bradesco_current_export_has_nothing_but_movements() -> None:
    statement = read_csv(fixture("bradesco_full_export.csv"))
    assert statement.errors == []
    assert all(line.amount != 0 for line in statement.lines)
    booked = [line.line for line in statement.lines if line.status == "booked"]
    assert booked == [4, 5]


@pytest.mark.xfail(
    strict=True,
    reason="older Bradesco exports continue a transaction on a line that starts with ';' and "
    "holds the rest of the description; the reader has no continuation-line rule",
)
def test_bradesco_continuation_line_belongs_to_the_row_above() -> None:
    data = (
        "Data;Histórico;Docto.;Crédito (R$);Débito (R$);Saldo (R$)\r\n"
        "02/08/15;TRANSFERENCIA PIX;1234567; ;100,00;1.134,56\r\n"
        ";REM: FULANO DE TAL 01/08;;;;\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert statement.errors == []
    [line] = statement.lines
    assert "REM: FULANO DE TAL" in line.description


# -- Santander -------------------------------------------------------------------------------------


def test_santander_quoted_cells_signed_amounts_newest_first() -> None:
    statement = read_csv(fixture("santander.csv"))
    assert statement.profile == "santander"
    assert statement.account_hint is AccountHint.CHECKING
    assert statement.errors == []
    # AGENCIA line, blank line, header; SALDO ANTERIOR on line 9 is a balance, not a movement.
    assert [line.line for line in statement.lines] == [4, 5, 6, 7, 8]
    assert [line.booked_on for line in statement.lines] == [
        date(2024, 6, 28),
        date(2024, 6, 27),
        date(2024, 6, 21),
        date(2024, 6, 14),
        date(2024, 6, 5),
    ]
    assert [line.amount for line in statement.lines] == [
        Decimal("-47.05"),
        Decimal("-64.90"),
        Decimal("1000.00"),
        Decimal("-1235.48"),
        Decimal("0.87"),
    ]
    # A ';' inside a quoted description does not split the cell.
    assert statement.lines[0].description == "PIX ENVIADO PADARIA; CONFEITARIA SÃO JORGE"
    # The balance column is never read as an amount: 4.259,13 + lines = 3.912,57.
    assert total(statement) == Decimal("3912.57") - Decimal("4259.13")


@pytest.mark.xfail(
    strict=True,
    reason="a newer Santander export writes dates as 'Quarta, 24/09/2025'; the reader only "
    "parses a bare date and a profile cannot state a date pattern",
)
def test_santander_weekday_prefixed_dates() -> None:
    data = (
        "Data;Descrição;Crédito (R$);Débito (R$)\r\n"
        "Quarta, 24/09/2025;PREST. EMPREST;0,00;557,78\r\n"
        "Quinta, 11/09/2025;PIX RECEBIDO;5.000,00;0,00\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert statement.errors == []
    assert [(line.booked_on, line.amount) for line in statement.lines] == [
        (date(2025, 9, 24), Decimal("-557.78")),
        (date(2025, 9, 11), Decimal("5000.00")),
    ]


# -- C6 Bank ---------------------------------------------------------------------------------------


def test_c6_card_purchases_positive_in_file_are_money_out() -> None:
    statement = read_csv(fixture("c6_card.csv"))
    assert statement.profile == "c6_card"
    assert statement.account_hint is AccountHint.CREDIT_CARD
    assert statement.currency == "BRL"
    assert statement.errors == []
    assert statement.rows_read == 7
    lines = by_line(statement)
    assert lines[2].amount == Decimal("-312.45")
    assert lines[2].booked_on == date(2024, 5, 2)
    assert lines[2].category_hint == (
        "Supermercados / Mercearia / Padarias / Lojas de Conveniência"
    )
    # Bought in US$: the bill charges the "Valor (em R$)" column, not US$ times anything.
    assert lines[6].amount == Decimal("-617.37")
    # The bill payment and a refund are negative in the file: money back into the card account.
    assert lines[7].amount == Decimal("1843.76")
    assert lines[7].description == "Inclusao de Pagamento"
    assert lines[8].amount == Decimal("18.90")
    purchases = [line.amount for line in statement.lines if line.amount < 0]
    assert sum(purchases) == Decimal("-1220.62")
    assert total(statement) == Decimal("642.04")


def test_c6_card_instalment_keeps_the_original_purchase_date() -> None:
    moveis = by_line(read_csv(fixture("c6_card.csv")))[4]
    assert moveis.booked_on == date(2024, 2, 28)
    assert moveis.amount == Decimal("-250.00")


@pytest.mark.xfail(
    strict=True,
    reason="no profile role maps 'Parcela' ('3/6', 'Única') to instalment_number/total; C6 "
    "repeats the purchase date in every instalment, so only n/m tells 2/6 from 3/6",
)
def test_c6_card_parcela_is_the_instalment() -> None:
    moveis = by_line(read_csv(fixture("c6_card.csv")))[4]
    assert (moveis.instalment_number, moveis.instalment_total) == (3, 6)


def test_c6_account_bom_preamble_entrada_saida() -> None:
    data = fixture("c6_account.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    statement = read_csv(data)
    assert statement.profile == "c6_account"
    assert statement.account_hint is AccountHint.CHECKING
    assert statement.errors == []
    assert [line.line for line in statement.lines] == [7, 8, 9, 10, 11]
    lines = by_line(statement)
    assert lines[7].amount == Decimal("1500.00")
    assert lines[8].amount == Decimal("-182.40")
    assert lines[8].description == "DEBITO DE CARTAO - POSTO IPIRANGA CENTRO"
    # The comma inside the quoted Descrição is not a separator.
    assert lines[9].description == "Pix enviado para IMOBILIARIA SOL - ALUGUEL APTO 12, BLOCO B"
    assert lines[10].booked_on == date(2024, 6, 15)  # Data Lançamento, not Data Contábil
    assert lines[11].amount == Decimal("4.28")
    # Opening balance 1.230,15, last Saldo do Dia 1.104,73.
    assert total(statement) == Decimal("1104.73") - Decimal("1230.15")


@pytest.mark.xfail(
    strict=True,
    reason="description joins every listed column even when Título and Descrição repeat each "
    "other; the reader has no rule to drop a repeated cell",
)
def test_c6_account_identical_title_and_description_appear_once() -> None:
    data = (
        "Data Lançamento,Data Contábil,Título,Descrição,Entrada(R$),Saída(R$),Saldo do Dia(R$)\r\n"
        "03/06/2024,03/06/2024,Pix recebido de MARCOS LIMA,Pix recebido de MARCOS LIMA,"
        "10.00,0.00,10.00\r\n"
    ).encode()
    [line] = read_csv(data).lines
    assert line.description == "Pix recebido de MARCOS LIMA"


# -- Caixa -----------------------------------------------------------------------------------------

# Caixa's .txt export: every cell quoted, compact dates, unsigned amounts and a C/D column. It has
# no file under fixtures/csv because every file there must be readable by some profile.
CAIXA = (
    b'"Conta";"Data_Mov";"Nr_Doc";"Historico";"Valor";"Deb_Cred"\r\n'
    b'"0123001000012345678";"20240531";"000000";"SALDO ANT";"1510.00";"C"\r\n'
    b'"0123001000012345678";"20240603";"030624";"CRED PIX";"250.00";"C"\r\n'
    b'"0123001000012345678";"20240604";"040624";"PAG BOLETO";"89.90";"D"\r\n'
    b'"0123001000012345678";"20240604";"000000";"SALDO DIA";"1670.10";"C"\r\n'
)


def test_caixa_is_refused_rather_than_read_with_every_debit_as_money_in() -> None:
    with pytest.raises(FileRejected, match="no known bank layout"):
        read_csv(CAIXA)


@pytest.mark.xfail(
    strict=True,
    raises=(FileRejected, AssertionError),
    reason="a profile can state neither a compact date format (20240603) nor a column whose "
    "C/D value gives the sign (Deb_Cred); see '_not_expressible_yet' in profiles.json",
)
def test_caixa_deb_cred_gives_the_sign() -> None:
    statement = read_csv(CAIXA)
    assert statement.profile == "caixa"
    assert statement.errors == []
    assert [(line.booked_on, line.amount) for line in statement.lines] == [
        (date(2024, 6, 3), Decimal("250.00")),
        (date(2024, 6, 4), Decimal("-89.90")),
    ]


# -- across profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("bradesco.csv", "bradesco"),
        ("santander.csv", "santander"),
        ("c6_card.csv", "c6_card"),
        ("c6_account.csv", "c6_account"),
    ],
)
def test_forced_profile_reads_its_own_file_and_refuses_the_others(name: str, profile: str) -> None:
    assert read_csv(fixture(name), profile=profile).profile == profile
    with pytest.raises(FileRejected):
        read_csv(fixture("nuconta.csv"), profile=profile)
