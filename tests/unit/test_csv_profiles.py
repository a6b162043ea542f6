"""Brazilian bank CSV profiles (Bradesco, Santander, C6, Caixa) read through ``read_csv``, and
the profile features they need: each declared as data in ``profiles.json``, each proven off for a
profile that does not declare it.

Each fixture is fictional data laid out as the bank's export is (sources in ``profiles.json``).
A test marked ``xfail(strict=True)`` states what a real export needs and the reader cannot do
yet; it starts passing, and so fails as XPASS, the day the reader gains that capability.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.imports.csv_reader import read_csv
from shared.imports.model import AccountHint, FileRejected, ParsedStatement, StatementLine
from shared.imports.profiles import load_profiles, parse_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "csv"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_line(statement: ParsedStatement) -> dict[int, StatementLine]:
    return {line.line: line for line in statement.lines}


def total(statement: ParsedStatement) -> Decimal:
    return sum((line.amount for line in statement.lines), Decimal(0))


def errors(statement: ParsedStatement) -> list[tuple[int, str | None, str | None]]:
    return [(error.line, error.column, error.raw) for error in statement.errors]


GENERIC = "Data;Descrição;Valor\r\n"
"""A header only the generic pt-BR profile claims: it declares none of the features below."""


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


def test_bradesco_current_export_has_nothing_but_movements_and_says_what_follows_them() -> None:
    # COD. LANC. 0 (line 3) is the opening balance; the statement ends at "Últimos Lançamentos"
    # (line 7): its repeated header (8), its one movement (9), its Total (10), and the footer (11)
    # are not imported, and one error on line 7 says that one row (line 9) was left out.
    statement = read_csv(fixture("bradesco_full_export.csv"))
    assert all(line.amount != 0 for line in statement.lines)
    booked = [line.line for line in statement.lines if line.status == "booked"]
    assert booked == [4, 5]
    assert [line.line for line in statement.lines] == [4, 5]
    [ended] = statement.errors
    assert (ended.line, ended.column, ended.raw) == (7, None, "Últimos Lançamentos")
    assert ended.reason == (
        "the statement ends on this line: the row after it (line 9) is not imported"
    )
    assert statement.rows_read == 3


BRADESCO_HEADER = "Data;Histórico;Docto.;Crédito (R$);Débito (R$);Saldo (R$)\r\n"


def test_bradesco_rows_after_the_end_are_counted_in_one_error_not_one_per_line() -> None:
    data = (
        BRADESCO_HEADER + "04/03/2024;PIX RECEBIDO;1918162;3.200,00; ;4.450,00\r\n"
        "Últimos Lançamentos;;;;;\r\n"
        "Data;Histórico;Docto.;Crédito (R$);Débito (R$);\r\n"
        "10/03/2024;PAGTO ELETRON COBRANCA;0004513; ;410,00;\r\n"
        "11/03/2024;PIX ENVIADO;0004514; ;25,00;\r\n"
        ";;Total;0,00;435,00;;\r\n"
        "Os dados acima têm como base 05/03/2024 às 09:12h;;;;;\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert [line.line for line in statement.lines] == [2]
    assert [error.reason for error in statement.errors] == [
        "the statement ends on this line: the 2 rows after it (lines 5 to 6) are not imported"
    ]
    assert errors(statement) == [(3, None, "Últimos Lançamentos")]


def test_bradesco_footer_with_nothing_after_it_is_no_error() -> None:
    data = (
        BRADESCO_HEADER + "04/03/2024;PIX RECEBIDO;1918162;3.200,00; ;4.450,00\r\n"
        "Os dados acima têm como base 05/03/2024 às 09:12h;;;;;\r\n"
        ";;;;;\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert [line.line for line in statement.lines] == [2]
    assert statement.errors == []


def test_bradesco_header_repeated_inside_the_statement_is_not_a_row() -> None:
    data = (
        BRADESCO_HEADER
        + "04/03/2024;PIX RECEBIDO;1918162;3.200,00; ;4.450,00\r\n"
        + BRADESCO_HEADER
        + "05/03/2024;SAQUE 24H;0012345; ;200,00;4.250,00\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert [line.line for line in statement.lines] == [2, 4]
    assert statement.errors == []


def test_a_file_with_only_the_opening_balance_marker_has_no_data_rows() -> None:
    data = (BRADESCO_HEADER + "31/05/2024;COD. LANC. 0;0;0,00; ;2.517,60\r\n").encode("cp1252")
    with pytest.raises(FileRejected, match="no data rows"):
        read_csv(data)


def test_end_markers_skip_patterns_and_repeated_headers_are_off_for_other_profiles() -> None:
    data = (
        GENERIC + "01/02/2024;COD. LANC. 0;0,00\r\n"
        "Últimos Lançamentos;;\r\n"
        "02/02/2024;PADARIA;-7,50\r\n" + GENERIC
    ).encode()
    statement = read_csv(data)
    assert statement.profile == "generic_pt_br"
    assert [(line.line, line.description) for line in statement.lines] == [
        (2, "COD. LANC. 0"),
        (4, "PADARIA"),
    ]
    assert [(e.line, e.reason, e.raw) for e in statement.errors] == [
        (3, "not a date", "Últimos Lançamentos"),
        (5, "not a date", "Data"),
    ]


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
    assert line.description == "TRANSFERENCIA PIX - REM: FULANO DE TAL 01/08"
    assert (line.line, line.booked_on, line.amount) == (2, date(2015, 8, 2), Decimal("-100.00"))


def test_bradesco_several_continuation_lines_and_the_rows_after_keep_their_numbers() -> None:
    data = (
        BRADESCO_HEADER + "02/08/15;TRANSFERENCIA PIX;1234567; ;100,00;1.134,56\r\n"
        ";REM: FULANO DE TAL;;;;\r\n"
        ";01/08;;;;\r\n"
        "03/08/15;TARIFA BANCARIA;0000001; ;10,00;1.124,56\r\n"
        ";CESTA FACIL;;;;\r\n"
        "04/08/15;PIX RECEBIDO;7654321;50,00; ;1.174,56\r\n"
    ).encode("cp1252")
    statement = read_csv(data)
    assert statement.errors == []
    assert [(line.line, line.description) for line in statement.lines] == [
        (2, "TRANSFERENCIA PIX - REM: FULANO DE TAL - 01/08"),
        (5, "TARIFA BANCARIA - CESTA FACIL"),
        (7, "PIX RECEBIDO"),
    ]


PIX_ROW = "02/08/15;TRANSFERENCIA PIX;1234567; ;100,00;1.134,56\r\n"
REM = ";REM: FULANO DE TAL;;;;\r\n"


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        ([REM, PIX_ROW], 2),  # the first row: nothing above to continue
        ([PIX_ROW, "03/08/15;SALDO DO DIA;;;;1.034,56\r\n", REM], 4),  # a balance line between
        ([PIX_ROW, "\r\n", REM], 4),  # a blank line between
        ([PIX_ROW, ";REM: FULANO DE TAL;999;;;\r\n"], 3),  # Docto. filled: not only description
    ],
    ids=["nothing-above", "balance-between", "blank-between", "other-column-filled"],
)
def test_a_dateless_row_that_continues_nothing_is_still_an_error(
    rows: list[str], line: int
) -> None:
    statement = read_csv((BRADESCO_HEADER + "".join(rows)).encode("cp1252"))
    assert [line.description for line in statement.lines] == ["TRANSFERENCIA PIX"]
    assert [(e.line, e.reason, e.raw) for e in statement.errors] == [(line, "not a date", "")]


def test_continuation_lines_are_off_for_other_profiles() -> None:
    # The rule from the brief: a generic file with an empty date cell still reports the row.
    data = (GENERIC + "02/08/2015;TRANSFERENCIA PIX;-100,00\r\n;REM: FULANO DE TAL;\r\n").encode()
    statement = read_csv(data)
    assert statement.profile == "generic_pt_br"
    assert [line.description for line in statement.lines] == ["TRANSFERENCIA PIX"]
    assert errors(statement) == [(3, "Data", "")]


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


def test_c6_card_parcela_is_the_instalment() -> None:
    # C6 repeats the purchase date in every instalment, so only n/m tells 2/6 from 3/6.
    lines = by_line(read_csv(fixture("c6_card.csv")))
    moveis = lines[4]
    assert (moveis.instalment_number, moveis.instalment_total) == (3, 6)
    # "Única": a purchase paid at once has no instalment.
    assert {
        (line.instalment_number, line.instalment_total) for n, line in lines.items() if n != 4
    } == {(None, None)}


C6_CARD_HEADER = (
    "Data de Compra;Nome no Cartão;Final do Cartão;Categoria;Descrição;Parcela;"
    "Valor (em US$);Cotação (em R$);Valor (em R$)\n"
)


def c6_card_with_parcela(parcela: str) -> bytes:
    row = f"28/02/2024;ANA S OLIVEIRA;4821;Departamento;MOVEIS CASA NOVA;{parcela};0;0;250.00\n"
    return (C6_CARD_HEADER + row).encode()


@pytest.mark.parametrize(
    ("parcela", "instalment"),
    [
        ("3/6", (3, 6)),
        ("03/12", (3, 12)),
        ("Parcela 3 de 10", (3, 10)),
        ("3 de 10", (3, 10)),
        ("PARCELA 10/10", (10, 10)),
        ("Única", (None, None)),
        ("unica", (None, None)),
        ("", (None, None)),
        ("7/6", (None, None)),  # incoherent: the import would reject the whole line for it
        ("0/3", (None, None)),
        ("1000/1200", (None, None)),
        ("à vista", (None, None)),
    ],
)
def test_c6_card_instalment_forms_and_what_is_no_instalment(
    parcela: str, instalment: tuple[int | None, int | None]
) -> None:
    statement = read_csv(c6_card_with_parcela(parcela))
    assert statement.errors == []
    [line] = statement.lines
    assert (line.instalment_number, line.instalment_total) == instalment
    assert line.amount == Decimal("-250.00")


_PARCELA_TOKENS = [*"0123456789", "/", " ", "de", "of", "Parcela", "parc.", "Única", "-", "x"]
_BALANCE_WORDS = re.compile(r"saldo|s a l d o|total|balance|summe|kontostand", re.IGNORECASE)
"""A row holding one of these may be a balance line, left out whatever its Parcela says."""
PARCELAS = st.one_of(
    st.lists(st.sampled_from(_PARCELA_TOKENS), max_size=8).map("".join),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=';"'),
        max_size=30,
    ).filter(lambda text: not _BALANCE_WORDS.search(text)),
)


@settings(max_examples=300, deadline=None)
@given(PARCELAS)
def test_no_parcela_cell_costs_the_line(parcela: str) -> None:
    statement = read_csv(c6_card_with_parcela(parcela))
    [line] = statement.lines
    assert statement.errors == []
    if line.instalment_number is None:
        assert line.instalment_total is None
    else:  # only what the import accepts as coherent
        assert line.instalment_total is not None
        assert 1 <= line.instalment_number <= line.instalment_total <= 999


def test_instalments_are_off_for_profiles_without_the_role() -> None:
    data = "Data;Descrição;Valor;Parcela\r\n28/02/2024;MOVEIS CASA NOVA;-250,00;3/6\r\n".encode()
    statement = read_csv(data)
    assert statement.profile == "generic_pt_br"
    [line] = statement.lines
    assert (line.instalment_number, line.instalment_total) == (None, None)


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


def test_c6_account_identical_title_and_description_appear_once() -> None:
    data = (
        "Data Lançamento,Data Contábil,Título,Descrição,Entrada(R$),Saída(R$),Saldo do Dia(R$)\r\n"
        "03/06/2024,03/06/2024,Pix recebido de MARCOS LIMA,Pix recebido de MARCOS LIMA,"
        "10.00,0.00,10.00\r\n"
    ).encode()
    [line] = read_csv(data).lines
    assert line.description == "Pix recebido de MARCOS LIMA"


# -- Caixa -----------------------------------------------------------------------------------------

CAIXA_HEADER = '"Conta";"Data_Mov";"Nr_Doc";"Historico";"Valor";"Deb_Cred"\r\n'
CAIXA = (
    b'"Conta";"Data_Mov";"Nr_Doc";"Historico";"Valor";"Deb_Cred"\r\n'
    b'"0123001000012345678";"20240531";"000000";"SALDO ANT";"1510.00";"C"\r\n'
    b'"0123001000012345678";"20240603";"030624";"CRED PIX";"250.00";"C"\r\n'
    b'"0123001000012345678";"20240604";"040624";"PAG BOLETO";"89.90";"D"\r\n'
    b'"0123001000012345678";"20240604";"000000";"SALDO DIA";"1670.10";"C"\r\n'
)


def caixa(*rows: tuple[str, str, str, str]) -> bytes:
    """A Caixa export of ``(data_mov, historico, valor, deb_cred)`` rows."""
    lines = [
        ";".join(f'"{cell}"' for cell in ("0123001000012345678", day, "000001", what, value, mark))
        for day, what, value, mark in rows
    ]
    return (CAIXA_HEADER + "".join(f"{line}\r\n" for line in lines)).encode()


def test_caixa_deb_cred_gives_the_sign() -> None:
    statement = read_csv(CAIXA)
    assert statement.profile == "caixa"
    assert statement.errors == []
    assert [(line.booked_on, line.amount) for line in statement.lines] == [
        (date(2024, 6, 3), Decimal("250.00")),
        (date(2024, 6, 4), Decimal("-89.90")),
    ]


def test_caixa_export_quoted_crlf_compact_dates_balances_left_out() -> None:
    data = fixture("caixa.txt")
    assert b"\r\n" in data
    assert data.count(b'"') == 2 * 6 * data.count(b"\r\n")  # every cell quoted
    statement = read_csv(data)
    assert statement.profile == "caixa"
    assert statement.account_hint is AccountHint.CHECKING
    assert statement.currency == "BRL"
    assert statement.errors == []
    # SALDO ANT (line 2) and every SALDO DIA (5, 8, 11, 14, 16) are balances, not movements.
    assert [line.line for line in statement.lines] == [3, 4, 6, 7, 9, 10, 12, 13, 15]
    lines = by_line(statement)
    assert (lines[3].booked_on, lines[3].amount, lines[3].description) == (
        date(2024, 6, 3),
        Decimal("250.00"),
        "CRED PIX",
    )
    assert (lines[4].booked_on, lines[4].amount) == (date(2024, 6, 3), Decimal("-89.90"))
    assert lines[9].amount == Decimal("3200.00")
    assert lines[13].amount == Decimal("-79.99")
    assert (lines[15].booked_on, lines[15].amount) == (date(2024, 6, 12), Decimal("18.90"))
    assert sum(line.amount for line in statement.lines if line.amount < 0) == Decimal("-847.76")
    # SALDO ANT 1510.00, last SALDO DIA 4131.14: the lines read account for the difference.
    assert total(statement) == Decimal("4131.14") - Decimal("1510.00")
    assert all(line.external_id is None for line in statement.lines)


def test_caixa_decimal_comma_is_decided_by_the_file() -> None:
    statement = read_csv(
        caixa(("20250401", "CRED PIX", "1.060,00", "C"), ("20250402", "PAG BOLETO", "5,50", "D"))
    )
    assert [line.amount for line in statement.lines] == [Decimal("1060.00"), Decimal("-5.50")]


@pytest.mark.parametrize(
    ("value", "mark", "amount"),
    [
        ("89.90", "D", "-89.90"),
        ("89.90", "d", "-89.90"),
        ("89.90", "Débito", "-89.90"),
        ("89.90", "-", "-89.90"),
        ("-89.90", "D", "-89.90"),  # the mark decides, whatever sign the cell has
        ("89.90", "C", "89.90"),
        ("89.90", "credito", "89.90"),
        ("89.90", "CRÉDITO", "89.90"),
        ("89.90", "+", "89.90"),
        ("-89.90", "C", "89.90"),
    ],
)
def test_caixa_marks_compare_without_case_or_accents(value: str, mark: str, amount: str) -> None:
    statement = read_csv(caixa(("20240604", "PAG BOLETO", value, mark)))
    assert statement.errors == []
    assert [line.amount for line in statement.lines] == [Decimal(amount)]


@pytest.mark.parametrize("mark", ["X", "", "DC", "débito estornado"])
def test_caixa_unknown_mark_is_a_located_error_naming_the_column(mark: str) -> None:
    statement = read_csv(
        caixa(("20240603", "CRED PIX", "250.00", "C"), ("20240604", "PAG BOLETO", "89.90", mark))
    )
    assert [line.line for line in statement.lines] == [2]
    assert errors(statement) == [(3, "Deb_Cred", mark)]
    assert "neither a debit (-, d, debito) nor a credit (+, c, credito) mark" in (
        statement.errors[0].reason
    )


def test_caixa_impossible_compact_date_is_a_located_error() -> None:
    statement = read_csv(
        caixa(("20240603", "CRED PIX", "250.00", "C"), ("20241340", "PAG BOLETO", "89.90", "D"))
    )
    assert errors(statement) == [(3, "Data_Mov", "20241340")]
    assert statement.errors[0].reason == "not a date"


def test_compact_dates_are_off_for_profiles_without_a_date_format() -> None:
    statement = read_csv((GENERIC + "20240603;CRED PIX;250,00\r\n02/07/2024;b;1,00\r\n").encode())
    assert statement.profile == "generic_pt_br"
    assert errors(statement) == [(2, "Data", "20240603")]


def test_a_mark_column_signs_nothing_for_profiles_without_a_direction_role() -> None:
    data = (
        "Data;Descrição;Valor;Deb_Cred\r\n04/06/2024;PAG BOLETO;89,90;D\r\n04/06/2024;X;1,00;C\r\n"
    ).encode()
    statement = read_csv(data)
    assert statement.profile == "generic_pt_br"
    assert [line.amount for line in statement.lines] == [Decimal("89.90"), Decimal("1.00")]


# -- across profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("bradesco.csv", "bradesco"),
        ("santander.csv", "santander"),
        ("c6_card.csv", "c6_card"),
        ("c6_account.csv", "c6_account"),
        ("caixa.txt", "caixa"),
    ],
)
def test_forced_profile_reads_its_own_file_and_refuses_the_others(name: str, profile: str) -> None:
    assert read_csv(fixture(name), profile=profile).profile == profile
    with pytest.raises(FileRejected):
        read_csv(fixture("nuconta.csv"), profile=profile)


# -- profiles are data -----------------------------------------------------------------------------

PROFILE = {
    "name": "test_bank",
    "header": ["data", "historico", "valor", "dc"],
    "date": ["data"],
    "description": ["historico"],
    "amount": ["valor"],
    "date_order": "dmy",
    "decimal_separator": ",",
}


def test_every_shipped_profile_loads_and_only_declared_features_are_on() -> None:
    profiles = {profile.name: profile for profile in load_profiles()}
    on = {
        name
        for name, profile in profiles.items()
        if profile.date_format
        or profile.direction_marks
        or "instalment" in profile.roles
        or profile.end_markers
        or profile.skip_description
        or profile.skip_repeated_header
        or profile.continuation_lines
    }
    assert on == {"bradesco", "c6_card", "caixa"}
    assert profiles["caixa"].direction_marks == {
        "d": -1,
        "debito": -1,
        "-": -1,
        "c": 1,
        "credito": 1,
        "+": 1,
    }
    assert profiles["bradesco"].end_markers == (
        "ultimos lancamentos",
        "os dados acima tem como base",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"continuation_line": True}, "unknown keys continuation_line"),
        ({"direction": ["dc"]}, "needs debit_marks and credit_marks"),
        ({"debit_marks": ["D"], "credit_marks": ["C"]}, "need a direction role"),
        (
            {"direction": ["dc"], "debit_marks": ["D"], "credit_marks": ["d"]},
            "both debit and credit",
        ),
        (
            {"direction": ["dc"], "debit_marks": ["D"], "credit_marks": ["C"], "sign": "inverted"},
            "sign must be as_is",
        ),
        (
            {
                "direction": ["dc"],
                "debit_marks": ["D"],
                "credit_marks": ["C"],
                "amount": [],
                "debit": ["d"],
                "credit": ["c"],
            },
            "signs an amount column",
        ),
        ({"skip_descriptions": ["cod. (lanc"]}, "skip_descriptions"),
        ({"date_format": "YYYYMMDD"}, "strptime"),
    ],
)
def test_a_profile_that_cannot_work_is_refused_when_loaded(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_profile({**PROFILE, **extra})
