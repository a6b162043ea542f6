"""The README walkthrough over real HTTP, against ``fluxo serve`` in a subprocess.

The way a newcomer meets Fluxo: ``fluxo migrate``, ``fluxo demo``, ``fluxo serve``, then the API
with the token the demo printed. It runs on the embedded default (SQLite in FLUXO_HOME, no
FLUXO_DATABASE_URL at all) and on PostgreSQL: the server must work on both.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.databases import truncate_postgres
from tests.support.processes import ServerProcess

STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0


def _fluxo_executable() -> str:
    found = shutil.which("fluxo", path=os.path.dirname(sys.executable))
    assert found, f"the fluxo console script is not installed beside {sys.executable}"
    return found


def _environment(home: Path, database_url: str | None) -> dict[str, str]:
    """The caller's environment without its FLUXO_* settings; only the test's own."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FLUXO_")
    }
    environment |= {"FLUXO_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    if database_url is not None:
        environment["FLUXO_DATABASE_URL"] = database_url
    return environment


class LocalServer(ServerProcess):
    """``fluxo serve --port <free port>`` until ``stop()``; output kept in a file for failures.

    ``stop()`` is Ctrl+C, as a person stops it, and returns the exit code.
    """

    def __init__(self, environment: dict[str, str], cwd: Path) -> None:
        super().__init__(
            lambda host, port: [_fluxo_executable(), "serve", "--host", host, "--port", str(port)],
            health_path="/health",
            env=environment,
            cwd=cwd,
            startup_timeout=STARTUP_SECONDS,
            stop_signal=signal.SIGINT,
            stop_timeout=STOP_SECONDS,
        )
        self.environment = environment

    @property
    def base_url(self) -> str:
        return self.url


@dataclass
class Walkthrough:
    """What the README's first steps give a newcomer: a running server and a token."""

    server: LocalServer
    token: str
    demo_output: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )


def _run(environment: dict[str, str], cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        [_fluxo_executable(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, (
        f"fluxo {' '.join(args)} exited {completed.returncode}\n"
        f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    )
    return completed.stdout


@pytest.fixture
def walkthrough(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Walkthrough]:
    database_url: str | None = None
    if backend == "postgres":
        database_url = request.getfixturevalue("postgres_url")
        truncate_postgres(database_url)
    environment = _environment(tmp_path / "home", database_url)

    _run(environment, tmp_path, "migrate")
    demo_output = _run(environment, tmp_path, "demo", "--months", "3")
    token = re.search(r"^export TOKEN=(\S+)$", demo_output, re.MULTILINE)
    assert token, f"fluxo demo printed no `export TOKEN=` line:\n{demo_output}"

    with LocalServer(environment, tmp_path) as server:
        yield Walkthrough(server, token.group(1), demo_output)
        if server.process is not None:
            code = server.stop()
            log = server.output()
            assert code == 0, f"fluxo serve exited {code} on Ctrl+C:\n{log}"
            assert "Application shutdown complete" in log, log


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} → {response.status_code}: "
        f"{response.text}"
    )
    return response.json() if response.content else None


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


def test_the_readme_walkthrough_over_http(walkthrough: Walkthrough, backend: str) -> None:
    base_url = walkthrough.server.base_url
    anonymous = httpx.get(f"{base_url}/v1/accounts", timeout=30)
    _problem(anonymous, 401)
    assert anonymous.headers["x-correlation-id"]

    with walkthrough.client() as api:
        health = _ok(api.get("/health"))
        assert health["backend"] == ("postgresql" if backend == "postgres" else "sqlite")

        accounts = _ok(api.get("/v1/accounts"))
        assert accounts, "the demo workspace has no accounts"

        page = _ok(api.get("/v1/transactions", params={"limit": 5}))
        assert 0 < len(page["items"]) <= 5
        searched = _ok(api.get("/v1/transactions", params={"sort": "-amount", "limit": 3}))
        amounts = [Decimal(item["amount"]) for item in searched["items"]]
        assert amounts == sorted(amounts, reverse=True)

        account = accounts[0]
        created = _ok(
            api.post(
                "/v1/transactions",
                json={
                    "account_id": account["id"],
                    "amount": "-42.50",
                    "booked_on": date.today().isoformat(),
                    "description": "PADARIA PAO QUENTE",
                    "tags": ["e2e"],
                },
            ),
            201,
        )
        assert created["amount"] == "-42.50"
        assert created["currency"] == account["currency"]
        assert created["version"] == 1
        path = f"/v1/transactions/{created['id']}"

        # Two apps read version 1; the first one to write wins.
        read = api.get(path)
        assert _ok(read)["version"] == 1
        first = _ok(api.patch(path, json={"notes": "pão e café"}, headers={"If-Match": '"1"'}))
        assert first["version"] == 2

        stale = _problem(api.patch(path, json={"notes": "só pão", "version": 1}), 409)
        assert stale["type"].endswith("/version-conflict")
        assert _ok(api.get(path))["notes"] == "pão e café", "a rejected update changed nothing"

        again = api.get(path)
        version = _ok(again)["version"]
        updated = _ok(api.patch(path, json={"notes": "só pão", "version": version}))
        assert updated["version"] == version + 1
        assert updated["notes"] == "só pão"

        listed = _ok(api.get("/v1/transactions", params={"tag": "e2e"}))
        assert [item["id"] for item in listed["items"]] == [created["id"]]
