"""The conformance run over the project's own statement fixtures: every file is read by the
right reader and imported with its rows, signs and dates; broken rows are reported by line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.imports.detect import detect_format, read_statement
from shared.imports.model import FileRejected, StatementFormat

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "statements"


@pytest.fixture(scope="module")
def report() -> dict[str, dict]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "conformance.py"), str(FIXTURES), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert all(
        set(row) == {"file", "format", "profile", "rows", "sum", "min_date", "max_date", "errors"}
        for row in rows
    )
    return {row["file"]: row for row in rows}


def test_every_fixture_is_read_and_imported(report):
    expected_files = {path.name for path in FIXTURES.rglob("*") if path.is_file()}
    assert set(report) == expected_files
    mapped_only = {"custom_mapping.csv"}  # needs a user's column mapping: no profile guesses it
    for name, row in report.items():
        if name in mapped_only:
            assert row["errors"][0].startswith("file rejected"), row
            continue
        assert row["rows"] > 0, row
        assert not any(error.startswith("not imported") for error in row["errors"]), row


@pytest.mark.parametrize(
    ("name", "rows", "total", "first", "last"),
    [
        ("nubank_card.csv", 4, "-778.91", "2024-01-05", "2024-01-12"),
        ("itau.csv", 3, "-150.00", "2024-01-03", "2024-01-08"),
        ("itau_est_padded.ofx", 3, "959.56", "2024-03-02", "2024-03-06"),
        ("accounts_transactions_v2.json", 5, "4972.17", "2024-03-01", "2024-03-10"),
    ],
)
def test_counts_signs_and_dates(report, name, rows, total, first, last):
    row = report[name]
    assert (row["rows"], row["sum"], row["min_date"], row["max_date"]) == (rows, total, first, last)


def test_broken_rows_are_reported_with_their_line(report):
    errors = report["broken_rows.csv"]["errors"]
    assert errors
    assert all(error.startswith("line ") for error in errors)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"OFXHEADER:100\nDATA:OFXSGML\n<OFX>", StatementFormat.OFX),
        (b"\n\n<?xml version='1.0'?><?OFX OFXHEADER='200'?><OFX>", StatementFormat.OFX),
        (b'\xef\xbb\xbf{"data": []}', StatementFormat.OPEN_FINANCE),
        (b"[]", StatementFormat.OPEN_FINANCE),
        (b"date,title,amount\n", StatementFormat.CSV),
    ],
)
def test_the_format_is_decided_from_the_bytes(head, kind):
    assert detect_format(head) is kind


def test_an_empty_file_is_rejected_with_a_reason():
    with pytest.raises(FileRejected, match="empty"):
        read_statement(b"  \r\n")
