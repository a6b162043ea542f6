"""Runs the Alembic migrations against a database (``fluxo migrate``, deploy-time function)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from shared.db.models import SQLITE_FTS_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def modelled(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic's ``include_name``: leaves SQLite's FTS5 tables out of model comparisons, as
    the models cannot describe them (``shared.db.models.SQLITE_FTS_TABLES``)."""
    return not (type_ == "table" and name in SQLITE_FTS_TABLES)


def alembic_config(
    engine: Engine, *, app_role: str | None = None, relay_role: str | None = None
) -> Config:
    config = Config()
    if app_role:
        config.attributes["app_role"] = app_role
    if relay_role:
        config.attributes["relay_role"] = relay_role
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    app_role: str | None = None,
    relay_role: str | None = None,
) -> None:
    config = alembic_config(engine, app_role=app_role, relay_role=relay_role)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
