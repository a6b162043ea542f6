"""The Alembic migrations and the SQLAlchemy models describe the same schema, on both engines.

Each test gets a database of its own that nothing else touches: a new SQLite file, or a new, empty
PostgreSQL database on the test server (dropped afterwards), because going down to ``base``
would pull the schema from under other tests sharing the worker's database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from shared.db.migrate import MIGRATIONS, current_revision, downgrade, upgrade
from shared.db.models import TENANT_TABLES, Base
from tests.support.databases import postgres_server_url

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
MODEL_TABLES = set(Base.metadata.tables)


@contextmanager
def _empty_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (no schema, no alembic_version); dropped after."""
    server = make_url(postgres_server_url())
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{server.database or 'test'}_{worker}_migrations_{uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of each kind."""
    if request.param == "sqlite":
        with _engine(f"sqlite:///{tmp_path / 'fresh.db'}") as engine:
            yield engine
        return
    with _empty_postgres_database() as url, _engine(url) as engine:
        yield engine


@pytest.fixture
def fresh_postgres_engine() -> Iterator[Engine]:
    with _empty_postgres_database() as url, _engine(url) as engine:
        yield engine


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                # The options env.py migrates with, plus server defaults, which the models
                # leave to Python (`default=`) and the migrations must not add either.
                "compare_type": True,
                "compare_server_default": True,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        # Nothing is filtered out: alembic_version is not in the models' metadata and
        # compare_metadata never reports it; row-level security policies, grants and the app
        # role are not part of what autogenerate compares (they are checked below instead).
        return list(compare_metadata(context, Base.metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_there_is_a_single_head() -> None:
    assert len(ScriptDirectory(str(MIGRATIONS)).get_heads()) == 1


def test_given_a_fresh_database_when_upgraded_then_the_schema_is_the_models(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine)

    assert current_revision(fresh_engine) == HEAD
    assert _tables(fresh_engine) == MODEL_TABLES
    assert _schema_differences(fresh_engine) == []


def test_upgrade_then_downgrade_to_base_then_upgrade_again(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert _tables(fresh_engine) == MODEL_TABLES

    downgrade(fresh_engine, "base")
    assert current_revision(fresh_engine) is None
    assert _tables(fresh_engine) == set()

    upgrade(fresh_engine)
    assert current_revision(fresh_engine) == HEAD
    assert _schema_differences(fresh_engine) == []


def test_upgrading_twice_is_harmless(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    upgrade(fresh_engine)

    assert current_revision(fresh_engine) == HEAD
    assert _schema_differences(fresh_engine) == []


def test_row_level_security_survives_a_round_trip(fresh_postgres_engine: Engine) -> None:
    upgrade(fresh_postgres_engine)
    downgrade(fresh_postgres_engine, "base")
    upgrade(fresh_postgres_engine)

    with fresh_postgres_engine.connect() as connection:
        protected = set(
            connection.execute(
                text(
                    "SELECT c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relrowsecurity AND c.relforcerowsecurity"
                )
            ).scalars()
        )
        policies = set(
            connection.execute(
                text("SELECT tablename FROM pg_policies WHERE schemaname = 'public'")
            ).scalars()
        )

    expected = {*TENANT_TABLES, "tenants", "memberships", "idempotency_keys"}
    assert expected <= protected
    assert expected <= policies
