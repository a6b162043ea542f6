"""The CSV reader as a stream: quoted cells over several lines, stray quotes, columns that change
mid-file, whole-file decisions that stop early only when the rest cannot change them, and memory
that does not grow with the file."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shared.imports.csv_reader import open_csv, read_csv
from shared.imports.detect import open_statement, read_statement
from shared.imports.model import FileRejected, RowError, StatementLine

HEADER = "Data;Descrição;Valor\r\n"


def test_a_quoted_description_over_two_lines_is_one_row_and_later_lines_keep_their_numbers():
    data = (
        HEADER + '05/01/2024;"PIX ENVIADO\r\nMaria Silva";-50,00\r\n06/01/2024;PADARIA;-7,50\r\n'
    ).encode()

    statement = read_csv(data)

    assert [line.description for line in statement.lines] == [
        "PIX ENVIADO\r\nMaria Silva",
        "PADARIA",
    ]
    assert [line.line for line in statement.lines] == [2, 4]
    assert statement.errors == []


def test_a_stray_quote_is_a_located_error_not_a_lost_file():
    body = '05/01/2024;"PADARIA;-7,50\n' + "".join(
        f"{day:02d}/01/2024;LOJA {day};-{day},00\n" for day in range(6, 20)
    )
    statement = read_csv((HEADER + body).encode())

    assert statement.rows_read == len(statement.lines) + len(statement.errors)
    # What the quote swallowed is reported from the line it opened on, with the lines it took.
    [error] = statement.errors
    assert isinstance(error, RowError)
    assert error.line == 2
    assert "runs from line 2 to 16" in error.reason
    assert statement.lines == []


def test_a_file_whose_columns_change_mid_file_reports_the_rows_that_no_longer_fit():
    data = (
        "date,title,amount\n"
        "2024-01-05,Padaria,7.50\n"
        "2024-01-06,Mercado,100.00\n"
        "2024-01-07,Mercado,100.00,extra,columns\n"
        "2024-01-08,Farmácia\n"
    ).encode()

    statement = read_csv(data)

    assert [line.line for line in statement.lines] == [2, 3]
    assert [(error.line, error.reason) for error in statement.errors] == [
        (4, "the row has 5 columns where 3 are expected"),
        (5, "the row has only 2 column(s)"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00" + bytes(200), "ZIP"),  # an .xlsx renamed to .csv
        (HEADER.encode(), "no data rows"),
        (b"", "empty"),
        (b"\r\n\r\n   \r\n", "empty"),
    ],
    ids=["zip-renamed-csv", "header-only", "empty", "blank-lines"],
)
def test_files_that_are_not_statements_are_rejected_whole(data: bytes, reason: str):
    with pytest.raises(FileRejected, match=reason):
        read_statement(data, filename="extrato.csv")


def test_month_first_proven_on_the_last_row_still_decides_the_whole_file():
    # Generic pt-BR defaults to day first; only the last of 3,000 rows proves month first.
    rows = [f"01/{1 + n % 12:02d}/2024;LOJA {n};-1,00" for n in range(3000)]
    rows.append("01/25/2024;LOJA FINAL;-1,00")
    statement = read_csv((HEADER + "\n".join(rows) + "\n").encode())

    assert statement.lines[0].booked_on == date(2024, 1, 1)
    # "01/02/2024" read month first: January 2nd, not February 1st.
    assert statement.lines[13].booked_on == date(2024, 1, 2)
    assert statement.lines[-1].booked_on == date(2024, 1, 25)


def test_the_decimal_point_is_read_when_every_cell_proves_it():
    rows = [f"0{1 + n % 9}/01/2024;LOJA {n};-1234.5{n % 10}" for n in range(1500)]
    statement = read_csv((HEADER + "\n".join(rows) + "\n").encode())

    assert statement.lines[0].amount == Decimal("-1234.50")
    assert statement.errors == []


def test_rows_stream_in_file_order_and_are_read_only_when_consumed(tmp_path: Path):
    path = tmp_path / "extrato.csv"
    path.write_text(HEADER + "05/01/2024;PADARIA;-7,50\n06/01/2024;MERCADO;-1.234,56\n")
    with path.open("rb") as source:
        stream = open_statement(source, filename=path.name)
        first = next(stream.rows)
        rest = list(stream.rows)

    assert isinstance(first, StatementLine)
    assert (first.line, first.amount) == (2, Decimal("-7.50"))
    assert [row.line for row in rest] == [3]


def test_reading_a_large_file_does_not_hold_it_in_memory(tmp_path: Path):
    path = tmp_path / "grande.csv"
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(HEADER)
        for n in range(100_000):
            out.write(
                f"{1 + n % 28:02d}/03/2024;COMPRA CARTÃO LOJA NÚMERO {n:06d};-{n % 997},99\r\n"
            )
    size = path.stat().st_size

    tracemalloc.start()
    try:
        with path.open("rb") as source:
            stream = open_csv(source)
            count = sum(1 for row in stream.rows if isinstance(row, StatementLine))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 100_000
    assert size > 5 * 2**20
    assert peak < size / 3, f"peak {peak} bytes for a file of {size}"


def test_a_stream_over_a_file_leaves_the_file_open_for_the_caller():
    source = io.BytesIO((HEADER + "05/01/2024;PADARIA;-7,50\n").encode())
    list(open_csv(source).rows)

    assert not source.closed
    source.seek(0)
    assert source.read(4) == b"Data"


BRADESCO_HEADER = "Data;Histórico;Docto.;Crédito (R$);Débito (R$);Saldo (R$)\r\n"


def _bradesco_with_continuations(path: Path, transactions: int) -> None:
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(BRADESCO_HEADER)
        for n in range(transactions):
            out.write(f"{1 + n % 28:02d}/03/15;TRANSFERENCIA PIX;{n:07d}; ;{n % 997},50;\r\n")
            out.write(f";REM: CLIENTE {n:06d};;;;\r\n")


def test_continuation_lines_merge_while_the_file_streams(tmp_path: Path) -> None:
    path = tmp_path / "bradesco.csv"
    _bradesco_with_continuations(path, 50_000)
    size = path.stat().st_size

    with path.open("rb") as source:
        stream = open_csv(source)
        first = next(stream.rows)
        # One row of lookahead, not the file: the second pass has read a buffer or two.
        assert source.tell() < size / 20
        second = next(stream.rows)
        rest = sum(1 for _ in stream.rows)

    assert stream.profile == "bradesco"
    assert isinstance(first, StatementLine)
    assert isinstance(second, StatementLine)
    assert (first.line, first.description) == (2, "TRANSFERENCIA PIX - REM: CLIENTE 000000")
    assert (second.line, second.description) == (4, "TRANSFERENCIA PIX - REM: CLIENTE 000001")
    assert rest == 50_000 - 2


def test_an_end_marker_early_in_a_large_file_is_one_error_counting_what_follows() -> None:
    rows = [f"{1 + n % 28:02d}/03/2015;LOJA {n};0000001; ;1,00;\r\n" for n in range(20_000)]
    data = BRADESCO_HEADER + rows[0] + "Últimos Lançamentos;;;;;\r\n" + "".join(rows[1:])

    statement = read_csv(data.encode("cp1252"))

    assert [line.line for line in statement.lines] == [2]
    assert [(error.line, error.reason) for error in statement.errors] == [
        (
            3,
            "the statement ends on this line: the 19999 rows after it (lines 4 to 20002) are "
            "not imported",
        )
    ]
