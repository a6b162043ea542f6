"""Engines and sessions, built lazily by the composition root and reused across invocations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.ports import Clock


class Database:
    """One engine and session factory for a database URL.

    On PostgreSQL every tenant session runs ``SET LOCAL ROLE <app role>`` and sets
    ``app.tenant_id``/``app.user_id`` for its transaction, so row-level security applies even to a
    query that forgets its tenant filter. ``admin_session`` skips both, for migrations and
    operator commands.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        app_role: str | None = None,
        echo: bool = False,
        pool_size: int = 5,
    ) -> None:
        self.url = make_url(url)
        self.clock = clock
        self.app_role = app_role or None
        self.engine: Engine = _create_engine(url, echo=echo, pool_size=pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        _stamp_times_on_flush(self._sessions, clock)
        if self.is_postgres:
            event.listen(self._sessions, "after_begin", self._apply_scope)

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def tenant_session(self, tenant_id: UUID | None, user_id: UUID | None) -> Session:
        return self._sessions(info={"scope": (tenant_id, user_id)})

    def rescope(self, session: Session, tenant_id: UUID | None, user_id: UUID | None) -> None:
        """Changes the tenant of a session mid-transaction (a workspace it has just created)."""
        session.info["scope"] = (tenant_id, user_id)
        if self.is_postgres and session.in_transaction():
            self._set_scope(session.connection(), tenant_id, user_id)

    @contextmanager
    def admin_session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    def _apply_scope(self, session: Session, _transaction: Any, connection: Connection) -> None:
        """Runs at the start of every transaction of a tenant session (``after_begin``)."""
        if "scope" not in session.info:
            return
        tenant_id, user_id = session.info["scope"]
        self._set_scope(connection, tenant_id, user_id, role=self.app_role)

    @staticmethod
    def _set_scope(
        connection: Connection,
        tenant_id: UUID | None,
        user_id: UUID | None,
        *,
        role: str | None = None,
    ) -> None:
        # One round trip: set_config('role', …, true) is SET LOCAL ROLE.
        connection.execute(
            text(
                "SELECT set_config('role', :role, true), "
                "set_config('app.tenant_id', :tenant, true), "
                "set_config('app.user_id', :user, true)"
            )
            if role
            else text(
                "SELECT set_config('app.tenant_id', :tenant, true), "
                "set_config('app.user_id', :user, true)"
            ),
            {"role": role, "tenant": str(tenant_id or ""), "user": str(user_id or "")},
        )

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(url: str, *, echo: bool, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() folds ASCII only, so "AÇAÍ" would not match a search for "açaí";
    # PostgreSQL's (UTF-8 database) is Unicode-aware, and this makes SQLite's the same.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _stamp_times_on_flush(factory: sessionmaker[Session], clock: Clock) -> None:
    """created_at/updated_at come from the injected clock, so tests and demos are deterministic."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        now: datetime = clock.now()
        for obj in session.new:
            if hasattr(obj, "created_at") and getattr(obj, "created_at", None) is None:
                obj.created_at = now
            if hasattr(obj, "updated_at"):
                obj.updated_at = now
        for obj in session.dirty:
            if hasattr(obj, "updated_at") and session.is_modified(obj, include_collections=False):
                obj.updated_at = now

    event.listen(factory, "before_flush", before_flush)
