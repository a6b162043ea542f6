"""IAM database authentication: every new PostgreSQL connection signs in with a fresh RDS token.

No database and no network: a listener placed after the engine's own records the parameters a
connection would open with, then stops the attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, event

from shared.bootstrap import bootstrap
from shared.clock import SystemClock
from shared.db.engine import Database, RdsIamTokens
from shared.settings import Settings

PROXY_URL = "postgresql://fluxo_app@fluxo.proxy-abc.sa-east-1.rds.amazonaws.com:5432/fluxo"


class Stopped(Exception):
    """Raised instead of opening a connection, once its parameters are recorded."""


class FakeRdsClient:
    """Stands in for ``boto3.client("rds")``: hands out numbered tokens and records requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def generate_db_auth_token(self, **request: Any) -> str:
        self.requests.append(request)
        return f"token-{len(self.requests)}"


def connection_attempts(engine: Engine) -> list[dict[str, Any]]:
    attempts: list[dict[str, Any]] = []

    def record(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        attempts.append(dict(cparams))
        raise Stopped

    event.listen(engine, "do_connect", record)
    return attempts


def open_connection(engine: Engine) -> None:
    with pytest.raises(Stopped), engine.connect():
        pass


def test_each_new_connection_gets_a_fresh_token_as_its_password() -> None:
    client = FakeRdsClient()
    db = Database(
        PROXY_URL,
        clock=SystemClock(),
        auth_tokens=RdsIamTokens(region="sa-east-1", client=client),
    )
    attempts = connection_attempts(db.engine)

    open_connection(db.engine)
    open_connection(db.engine)

    assert [attempt["password"] for attempt in attempts] == ["token-1", "token-2"]
    assert (
        client.requests
        == [
            {
                "DBHostname": "fluxo.proxy-abc.sa-east-1.rds.amazonaws.com",
                "Port": 5432,
                "DBUsername": "fluxo_app",
                "Region": "sa-east-1",
            }
        ]
        * 2
    )
    assert all(attempt["sslmode"] == "require" for attempt in attempts)
    assert all(attempt["user"] == "fluxo_app" for attempt in attempts)
    db.dispose()


def test_no_token_is_made_before_a_connection_opens() -> None:
    client = FakeRdsClient()
    db = Database(
        PROXY_URL, clock=SystemClock(), auth_tokens=RdsIamTokens(region="sa-east-1", client=client)
    )
    assert client.requests == []
    db.dispose()


def test_a_stricter_sslmode_in_the_url_is_kept() -> None:
    db = Database(
        f"{PROXY_URL}?sslmode=verify-full",
        clock=SystemClock(),
        auth_tokens=RdsIamTokens(client=FakeRdsClient()),
    )
    attempts = connection_attempts(db.engine)

    open_connection(db.engine)

    assert attempts[0]["sslmode"] == "verify-full"
    db.dispose()


def test_the_default_port_is_signed_when_the_url_has_none() -> None:
    client = FakeRdsClient()
    db = Database(
        "postgresql://fluxo_app@db.example/fluxo",
        clock=SystemClock(),
        auth_tokens=RdsIamTokens(client=client),
    )
    connection_attempts(db.engine)

    open_connection(db.engine)

    assert client.requests[0]["Port"] == 5432
    db.dispose()


def test_the_rds_signer_makes_tokens_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real boto3 client, with made-up credentials: presigning needs no network."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    token = RdsIamTokens(region="sa-east-1")("db.example", 5432, "fluxo_app")

    assert token.startswith("db.example:5432/?Action=connect&DBUser=fluxo_app")
    assert "sa-east-1%2Frds-db%2Faws4_request" in token
    assert "X-Amz-Signature=" in token


def test_token_authentication_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Database(
            f"sqlite:///{tmp_path / 'fluxo.db'}",
            clock=SystemClock(),
            auth_tokens=RdsIamTokens(client=FakeRdsClient()),
        )


def test_the_setting_refuses_a_database_that_is_not_postgresql() -> None:
    with pytest.raises(ValidationError, match="FLUXO_DATABASE_IAM_AUTH"):
        Settings(database_iam_auth=True)


def test_bootstrap_signs_in_with_tokens_when_the_setting_is_on(tmp_path: Path) -> None:
    client = FakeRdsClient()
    settings = Settings(
        home=tmp_path,
        database_url=PROXY_URL,
        database_iam_auth=True,
        database_iam_region="sa-east-1",
    )
    container = bootstrap(settings, database_tokens=RdsIamTokens(client=client))
    attempts = connection_attempts(container.db.engine)

    open_connection(container.db.engine)

    assert attempts[0]["password"] == "token-1"
    container.close()


def test_bootstrap_uses_no_tokens_when_the_setting_is_off(tmp_path: Path) -> None:
    client = FakeRdsClient()
    settings = Settings(home=tmp_path, database_url=PROXY_URL)
    container = bootstrap(settings, database_tokens=RdsIamTokens(client=client))
    attempts = connection_attempts(container.db.engine)

    open_connection(container.db.engine)

    assert "password" not in attempts[0]
    assert client.requests == []
    container.close()
