"""The real ``fluxo`` console script, run as a person runs it: a subprocess with FLUXO_HOME set."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from uuid import UUID, uuid4, uuid5

import pytest
from alembic.script import ScriptDirectory

from shared.clock import SystemClock
from shared.db.migrate import MIGRATIONS
from shared.domain.access import Role
from shared.identity.local import LocalDevIssuer
from shared.services.analytics import DEFAULT_DASHBOARD_NAMESPACE
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
COMMANDS = ("serve", "migrate", "demo", "token", "openapi")

Fluxo = Callable[..., subprocess.CompletedProcess[str]]


def fluxo_executable() -> str:
    found = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert found, f"the fluxo console script is not installed beside {sys.executable}"
    return found


def fluxo_environment(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without its FLUXO_* settings, plus a home of the test's own.

    A wide terminal keeps typer's boxed messages on one line each.
    """
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FLUXO_")
    }
    return environment | {"FLUXO_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1", **extra}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def fluxo(home: Path) -> Fluxo:
    """Runs ``fluxo <args>`` with FLUXO_HOME=home; returns the completed process."""
    executable = fluxo_executable()

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [executable, *args],
            capture_output=True,
            text=True,
            cwd=home.parent,
            env=fluxo_environment(home),
            timeout=timeout,
            check=False,
        )

    return run


def _succeeded(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 0, (
        f"exit {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    )
    return completed.stdout


def _plain(text: str) -> str:
    """The words of a rich-formatted message, without its box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _dev_issuer(home: Path) -> LocalDevIssuer:
    defaults = Settings.model_fields
    return LocalDevIssuer(
        home,
        str(defaults["local_issuer"].default),
        str(defaults["local_audience"].default),
        SystemClock(),
    )


# Help


def test_fluxo_help_lists_every_command(fluxo: Fluxo) -> None:
    output = _succeeded(fluxo("--help"))

    assert "Usage: fluxo" in output
    for command in COMMANDS:
        assert re.search(rf"^\W*{command}\s+\S", output, re.MULTILINE), command


def test_fluxo_without_arguments_shows_the_help(fluxo: Fluxo) -> None:
    completed = fluxo()

    assert "Usage: fluxo" in completed.stdout + completed.stderr


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("serve", ["--host", "--port", "--reload"]),
        ("migrate", ["--revision"]),
        ("demo", ["--households", "--months", "--seed", "--if-missing", "--end"]),
        ("token", ["--user", "--tenant", "--role", "--email", "--hours"]),
        ("openapi", []),
    ],
)
def test_every_command_has_help(fluxo: Fluxo, home: Path, command: str, options: list[str]) -> None:
    output = _succeeded(fluxo(command, "--help"))

    assert f"Usage: fluxo {command}" in output
    for option in options:
        assert option in output, option
    assert not home.exists(), "--help must not create FLUXO_HOME"


# migrate


def test_migrate_brings_a_new_home_to_the_head_and_is_idempotent(fluxo: Fluxo, home: Path) -> None:
    first = _succeeded(fluxo("migrate"))
    second = _succeeded(fluxo("migrate"))

    for output in (first, second):
        assert f"database at revision {HEAD}" in output
        assert str((home / "fluxo.db").resolve()) in output
    assert (home / "fluxo.db").is_file()


# token


def test_token_prints_a_jwt_the_local_issuer_accepts(fluxo: Fluxo, home: Path) -> None:
    user, tenant = uuid4(), uuid4()

    output = _succeeded(
        fluxo("token", "--user", str(user), "--tenant", str(tenant), "--role", "viewer")
    )

    token = output.strip()
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token), output
    principal = _dev_issuer(home).verify(token)
    assert principal.user_id == user
    assert principal.tenant_id == tenant
    assert principal.roles == frozenset({Role.VIEWER})


def test_token_takes_repeated_roles_and_no_tenant(fluxo: Fluxo, home: Path) -> None:
    user = uuid4()

    output = _succeeded(fluxo("token", "--user", str(user), "--role", "member", "--role", "admin"))

    principal = _dev_issuer(home).verify(output.strip())
    assert principal.tenant_id is None
    assert principal.roles == frozenset({Role.MEMBER, Role.ADMIN})


def test_token_with_an_unknown_role_fails_and_says_why(fluxo: Fluxo) -> None:
    completed = fluxo("token", "--user", str(uuid4()), "--role", "superuser")

    assert completed.returncode != 0
    assert completed.stdout.strip() == "", "no token may be printed"
    message = _plain(completed.stderr)
    assert "Invalid value for '--role'" in message, completed.stderr
    assert "'superuser' is not one of" in message, completed.stderr
    for role in Role:
        assert f"'{role.value}'" in message


def test_token_with_a_malformed_user_fails_and_says_why(fluxo: Fluxo) -> None:
    completed = fluxo("token", "--user", "ana")

    assert completed.returncode != 0
    assert completed.stdout.strip() == ""
    assert "Invalid value for '--user'" in _plain(completed.stderr), completed.stderr


# openapi


def test_openapi_prints_the_committed_document(fluxo: Fluxo) -> None:
    output = _succeeded(fluxo("openapi"))

    document = json.loads(output)
    assert document["info"]["title"] == "Fluxo API"
    assert document == json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


# demo


def test_demo_loads_once_and_then_reports_it_is_already_there(fluxo: Fluxo, home: Path) -> None:
    _succeeded(fluxo("migrate"))

    first = _succeeded(fluxo("demo", "--months", "2"))
    again = _succeeded(fluxo("demo", "--months", "2", "--if-missing"))

    loaded = re.search(r"demo workspace (\S+) for \S+: (\d+) transactions loaded", first)
    assert loaded, first
    assert int(loaded.group(2)) > 0
    assert f"demo workspace {loaded.group(1)} for" in again
    assert "already there" in again, again
    for output in (first, again):
        token = re.search(r"^export TOKEN=(\S+)$", output, re.MULTILINE)
        assert token, output
        principal = _dev_issuer(home).verify(token.group(1))
        assert principal.tenant_id == UUID(loaded.group(1))
        assert principal.roles == frozenset({Role.OWNER})


def test_ml_categorise_adds_the_columns_to_every_row_in_order(fluxo: Fluxo, tmp_path: Path):
    source = tmp_path / "lines.csv"
    source.write_text(
        "id,description,amount\n"
        "1,IFD*PIZZARIA DOM PEPE,-59.90\n"
        '2,"SALARIO EMPRESA, LTDA",5000.00\n'
        "3,XPTO 4471,-1.00\n"
        "4,NETFLIX.COM,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"

    _succeeded(fluxo("ml", "categorise", "--csv", str(source), "--out", str(out)))
    to_stdout = _succeeded(fluxo("ml", "categorise", "--csv", str(source)))

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["1", "2", "3", "4"]
    # The shipped chain: the trained model where it is sure, the built-in base otherwise.
    assert [(row["category"], row["subcategory"]) for row in rows] == [
        ("restaurants", "food_delivery"),
        ("income", "salary"),
        ("", ""),
        ("subscriptions", "streaming"),
    ]
    assert [row["source"] in {"model", "base"} for row in rows] == [True, True, False, True]
    assert rows[2]["source"] == ""  # no word the model knows, none the base knows: review
    assert rows[0]["merchant"] == "Pizzaria Dom Pepe"
    assert float(rows[0]["confidence"]) >= 0.6
    assert to_stdout == out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("desc,amount\nx,1\n", "needs a 'description' column"),
        ("description,amount\nPADARIA,1.234\n", "line 2"),
    ],
)
def test_ml_categorise_refuses_a_csv_it_cannot_read_with_the_reason(
    fluxo: Fluxo, tmp_path: Path, content: str, message: str
):
    source = tmp_path / "lines.csv"
    source.write_text(content, encoding="utf-8")

    completed = fluxo("ml", "categorise", "--csv", str(source))

    assert completed.returncode == 2
    assert message in completed.stderr


def test_analytics_rebuild_recomputes_what_the_demo_events_kept(fluxo: Fluxo, home: Path) -> None:
    _succeeded(fluxo("migrate"))
    loaded = re.search(r"demo workspace (\S+) for", _succeeded(fluxo("demo", "--months", "2")))
    assert loaded
    database = home / "fluxo.db"
    before = _rollup_rows(database)

    output = _succeeded(fluxo("analytics", "rebuild", "--tenant", loaded.group(1)))

    assert re.fullmatch(rf"{loaded.group(1)}: (\d+) rollup row\(s\)\n", output), output
    assert int(output.split(": ")[1].split()[0]) == len(before) > 0
    assert _rollup_rows(database) == before


def _rollup_rows(database: Path) -> set[tuple[object, ...]]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        return set(
            connection.execute(
                "SELECT grain, period_start, account_id, category_id, currency, credits, debits, "
                "inflow, outflow FROM rollups WHERE credits + debits != 0"
            )
        )


def test_analytics_refresh_snapshots_computes_the_ones_of_a_past_day(
    fluxo: Fluxo, home: Path
) -> None:
    import sqlite3

    _succeeded(fluxo("migrate"))
    _succeeded(fluxo("demo", "--months", "2"))
    database = home / "fluxo.db"
    with sqlite3.connect(database) as connection:
        tenant, user = connection.execute("SELECT tenant_id, user_id FROM memberships").fetchone()
        dashboard = uuid5(DEFAULT_DASHBOARD_NAMESPACE, f"{UUID(tenant)}:{UUID(user)}").hex
        connection.execute(
            "INSERT INTO dashboard_snapshots (tenant_id, user_id, dashboard_id, shape, today, "
            'generation, start, "end", currency, widgets, expires_at, opened_on, computed_at) '
            "VALUES (?, ?, ?, 'x', '2000-01-01', 0, '2000-01-01', '2000-01-31', 'BRL', '{}', "
            "'2000-01-02 03:00:00.000000', ?, '2000-01-01 00:00:00.000000')",
            (tenant, user, dashboard, SystemClock().today().isoformat()),
        )

    output = _succeeded(fluxo("analytics", "refresh-snapshots"))
    again = _succeeded(fluxo("analytics", "refresh-snapshots"))

    assert output == f"1 workspace(s) refreshed\n  {UUID(tenant)}\n"
    assert again == "0 workspace(s) refreshed\n"
    with sqlite3.connect(database) as connection:
        today, widgets = connection.execute(
            "SELECT today, widgets FROM dashboard_snapshots"
        ).fetchone()
    assert today > "2000-01-01"
    assert '"kpis"' in widgets
