"""Test databases: a migrated SQLite template per session, a PostgreSQL database per worker."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from shared.db.migrate import upgrade
from shared.db.models import Base

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    return os.environ.get("FLUXO_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _psycopg(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@contextmanager
def postgres_database(worker: str) -> Iterator[str]:
    """A fresh, migrated database on the test server; dropped afterwards."""
    server = make_url(_psycopg(postgres_server_url()))
    name = f"{server.database or 'test'}_{worker}_{uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@cache
def _engine(url: str) -> Engine:
    return create_engine(url, pool_size=1)


def truncate_postgres(url: str) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with _engine(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))


def sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def sqlite_copy(template: Path, folder: Path) -> str:
    path = folder / "fluxo.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
