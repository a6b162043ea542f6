"""Deploy-time schema migrations. A CDK trigger invokes this once the cluster, the proxy and the
network are up, and again whenever this function's code (which carries the migrations) changes;
an exception fails the deployment.

It connects to the cluster, not the proxy, as the master user from Secrets Manager, makes the
application role a login role that authenticates with IAM (``rds_iam``), upgrades the schema to
head, and lets the application login switch to the outbox relay role. Every step is idempotent:
a rerun changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, NullPool, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from shared.db.migrate import current_revision, upgrade
from shared.settings import Settings, get_settings

logger = logging.getLogger(__name__)

CONNECT_ATTEMPTS = 4
CONNECT_WAIT_SECONDS = 15.0
"""The writer may still be warming up, or a rotation may be between setting the new password
and publishing it: the secret is read again before every attempt."""


def handler(_event: Mapping[str, Any], _context: Any) -> dict[str, Any]:
    settings = get_settings()
    secret_arn = settings.database_admin_secret_arn
    if not secret_arn:
        raise RuntimeError("FLUXO_DATABASE_ADMIN_SECRET_ARN is not set")
    import boto3

    secrets = boto3.client("secretsmanager")

    def admin_url() -> URL:
        response = secrets.get_secret_value(SecretId=secret_arn)
        return admin_url_from(json.loads(response["SecretString"]), settings)

    result = migrate(
        admin_url,
        app_role=settings.database_app_role,
        relay_role=settings.database_relay_role,
    )
    logger.info("migrated", extra=result)
    return result


def admin_url_from(secret: Mapping[str, Any], settings: Settings) -> URL:
    """The master user's URL, from an RDS secret (``username``, ``password``, ``host``,
    ``port``, maybe ``dbname``); the host in settings wins, and the database defaults to the
    application's. TLS is required (the cluster forces it too)."""
    database = secret.get("dbname")
    if not database and settings.database_url:
        database = make_url(settings.database_url).database
    return URL.create(
        "postgresql+psycopg",
        username=str(secret["username"]),
        password=str(secret["password"]),
        host=settings.database_admin_host or str(secret["host"]),
        port=int(secret.get("port") or 5432),
        database=str(database or "postgres"),
        query={"sslmode": "require", "connect_timeout": "10"},
    )


def migrate(
    admin_url: Callable[[], URL],
    *,
    app_role: str,
    relay_role: str | None = None,
    attempts: int = CONNECT_ATTEMPTS,
    wait_seconds: float = CONNECT_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    app_role = _identifier(app_role)
    relay_role = _identifier(relay_role) if relay_role else None
    engine = _connect(admin_url, attempts=attempts, wait_seconds=wait_seconds, sleep=sleep)
    try:
        before = current_revision(engine)
        with engine.begin() as connection:
            iam = ensure_login_role(connection, app_role)
        upgrade(engine, app_role=app_role, relay_role=relay_role)
        with engine.begin() as connection:
            relay = allow_switch_to(connection, app_role, relay_role) if relay_role else False
        after = current_revision(engine)
    finally:
        engine.dispose()
    return {
        "status": "migrated" if before != after else "up to date",
        "from_revision": before,
        "to_revision": after,
        "login_role": app_role,
        "iam_authentication": iam,
        "relay_role_switch": relay,
    }


def ensure_login_role(connection: Connection, role: str) -> bool:
    """Makes ``role`` a login role (creating it if absent; the first migration would create it
    NOLOGIN) and, on RDS/Aurora, a member of ``rds_iam`` so it signs in with IAM tokens only.
    Returns whether ``rds_iam`` exists here."""
    role = _identifier(role)  # DDL takes no parameters: only a checked plain identifier
    connection.execute(
        text(
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE "{role}" LOGIN;
                ELSE
                    ALTER ROLE "{role}" LOGIN;
                END IF;
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
                    GRANT rds_iam TO "{role}";
                END IF;
            END $$"""  # noqa: S608
        )
    )
    return bool(connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")))


def allow_switch_to(connection: Connection, login: str, role: str | None) -> bool:
    """Lets ``login`` ``SET ROLE`` to ``role`` without inheriting its privileges or policies
    (the outbox relay runs in the same process and pool as requests). Needs PostgreSQL 16+;
    returns False where the role is absent or the server older."""
    if role is None:
        return False
    login, role = _identifier(login), _identifier(role)
    version = int(connection.scalar(text("SHOW server_version_num")) or 0)
    exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    if version < 160000 or not exists:
        return False
    connection.execute(text(f'GRANT "{role}" TO "{login}" WITH INHERIT FALSE, SET TRUE'))
    return True


def _connect(
    admin_url: Callable[[], URL],
    *,
    attempts: int,
    wait_seconds: float,
    sleep: Callable[[float], None],
) -> Engine:
    for attempt in range(1, attempts + 1):
        engine = create_engine(admin_url(), poolclass=NullPool)
        try:
            with engine.connect():
                return engine
        except OperationalError as error:
            engine.dispose()
            if attempt == attempts:
                raise
            logger.warning(
                "database not reachable yet (attempt %d of %d): %s",
                attempt,
                attempts,
                error.orig,
            )
            sleep(wait_seconds)
    raise AssertionError("unreachable")


def _identifier(name: str) -> str:
    """Role names go into DDL, which takes no parameters: only plain identifiers pass."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain PostgreSQL identifier: {name!r}")
    return name
