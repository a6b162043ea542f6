"""``fluxo import FILE --account ACCOUNT``: the operator's way in, with a printed report."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "statements"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-import")
    _fluxo(path, "migrate")
    _fluxo(path, "demo", "--months", "1")
    return path


def _fluxo(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert executable
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLUXO_")}
    environment |= {"FLUXO_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, check=check, env=environment, cwd=home
    )


def _checking_account(home: Path) -> str:
    with sqlite3.connect(home / "fluxo.db") as connection:
        (account_id,) = connection.execute(
            "SELECT id FROM accounts WHERE kind = 'checking' LIMIT 1"
        ).fetchone()
    text = str(account_id).replace("-", "")
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def test_a_statement_is_imported_once_and_reported(home):
    account = _checking_account(home)
    first = _fluxo(home, "import", str(FIXTURES / "csv" / "itau.csv"), "--account", account)
    assert "completed (csv/itau)" in first.stdout
    assert "imported 3, duplicates 0" in first.stdout
    again = _fluxo(home, "import", str(FIXTURES / "csv" / "itau.csv"), "--account", account)
    assert "imported 0, duplicates 3" in again.stdout


def test_an_unreadable_file_fails_with_its_reason(home, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"PK\x03\x04" + bytes(200))
    result = _fluxo(home, "import", str(junk), "--account", _checking_account(home), check=False)
    assert result.returncode == 1
    assert "file rejected" in result.stdout


def test_an_unknown_account_is_refused(home):
    result = _fluxo(
        home,
        "import",
        str(FIXTURES / "csv" / "itau.csv"),
        "--account",
        "00000000-0000-4000-8000-000000000000",
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: account 00000000-0000-4000-8000-000000000000 not found"
    )
