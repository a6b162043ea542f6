"""Engines and sessions, built lazily by the composition root and reused across invocations."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.ports import Clock

TokenSource = Callable[[str, int, str], str]
"""``(host, port, user)`` → the password for one new connection (an IAM database token)."""

POSTGRES_PORT = 5432


class RdsIamTokens:
    """IAM database authentication tokens for RDS Proxy and Aurora.

    A token is a SigV4-presigned request made locally by the RDS client (no network call),
    valid for 15 minutes; it only has to be valid while a connection opens, so each new
    connection gets a fresh one. The boto3 client is created on first use, never at import;
    pass ``client`` to use another (tests pass a fake with ``generate_db_auth_token``).
    """

    def __init__(self, *, region: str | None = None, client: Any | None = None) -> None:
        self.region = region
        self._client = client
        self._lock = threading.Lock()

    def _rds(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3

                    self._client = boto3.client("rds", region_name=self.region)
        return self._client

    def __call__(self, host: str, port: int, user: str) -> str:
        token: str = self._rds().generate_db_auth_token(
            DBHostname=host, Port=port, DBUsername=user, Region=self.region
        )
        return token


class Database:
    """One engine and session factory for a database URL.

    On PostgreSQL every tenant session switches to the app role and sets
    ``app.tenant_id``/``app.user_id`` for its transaction, so row-level security applies even to a
    query that forgets its tenant filter. ``relay_session`` switches to the relay role, which may
    read and mark every tenant's outbox and nothing else. ``admin_session`` stays the connecting
    user: it bypasses the policies only if that user is a superuser (tests, local tools).

    With ``auth_tokens`` (PostgreSQL only), every new connection authenticates with a password
    from that source — an IAM token in AWS — and requires TLS (``sslmode=require`` unless the
    URL asks for more, e.g. ``verify-full``).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        app_role: str | None = None,
        relay_role: str | None = None,
        echo: bool = False,
        pool_size: int = 5,
        auth_tokens: TokenSource | None = None,
    ) -> None:
        self.url = make_url(url)
        self.clock = clock
        self.app_role = app_role or None
        self.relay_role = relay_role or None
        self.engine: Engine = _create_engine(url, echo=echo, pool_size=pool_size)
        self._auth_tokens = auth_tokens
        self._statement_engine: Engine | None = None
        self._statement_lock = threading.Lock()
        if auth_tokens is not None:
            if not self.is_postgres:
                raise ValueError("token authentication needs a PostgreSQL database URL")
            event.listen(self.engine, "do_connect", _authenticate_with(auth_tokens))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        _stamp_times_on_flush(self._sessions, clock)
        if self.is_postgres:
            event.listen(self._sessions, "after_begin", self._apply_scope)

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def before_flush(self, listener: Callable[[Session, Any, Any], None]) -> None:
        """Runs ``listener`` before every flush of every session of this database."""
        event.listen(self._sessions, "before_flush", listener)

    def tenant_session(self, tenant_id: UUID | None, user_id: UUID | None) -> Session:
        return self._sessions(info={"scope": (tenant_id, user_id)})

    def rescope(self, session: Session, tenant_id: UUID | None, user_id: UUID | None) -> None:
        """Changes the tenant of a session mid-transaction (a workspace it has just created)."""
        session.info["scope"] = (tenant_id, user_id)
        if self.is_postgres and session.in_transaction():
            self._set_scope(session.connection(), tenant_id, user_id)

    @contextmanager
    def relay_session(self) -> Iterator[Session]:
        session = self._sessions(info={"relay": True})
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def admin_session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    def _apply_scope(self, session: Session, _transaction: Any, connection: Connection) -> None:
        """Runs at the start of every transaction of a tenant session (``after_begin``)."""
        if session.info.get("relay") and self.relay_role:
            connection.execute(
                text("SELECT set_config('role', :role, true)"), {"role": self.relay_role}
            )
            return
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

    def one_statement(self, sql: str, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of one read-only statement (PostgreSQL, psycopg placeholders) run
        outside any transaction, straight on the driver: one round trip, the shortest read
        there is. Its connections come from a pool of their own that does not ping them before
        use; a connection found dead is dropped and the statement runs once more on a new one
        (safe: it only reads)."""
        import psycopg  # the PostgreSQL driver: not loaded where the database is SQLite

        for attempt in (1, 2):
            connection = self._statements().raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(sql, parameters)
                row: tuple[Any, ...] | None = cursor.fetchone()
                cursor.close()
                return row
            except psycopg.OperationalError:
                connection.invalidate()
                if attempt == 2:
                    raise
            finally:
                connection.close()
        raise AssertionError("unreachable")

    def _statements(self) -> Engine:
        if self._statement_engine is None:
            with self._statement_lock:
                if self._statement_engine is None:
                    engine = _create_engine(
                        self.url.render_as_string(hide_password=False),
                        echo=False,
                        pool_size=1,
                        pre_ping=False,
                        isolation_level="AUTOCOMMIT",
                    )
                    if self._auth_tokens is not None:
                        event.listen(engine, "do_connect", _authenticate_with(self._auth_tokens))
                    self._statement_engine = engine
        return self._statement_engine

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._statement_engine is not None:
            self._statement_engine.dispose()


def _create_engine(
    url: str,
    *,
    echo: bool,
    pool_size: int,
    pre_ping: bool = True,
    isolation_level: str | None = None,
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    options: dict[str, Any] = {"isolation_level": isolation_level} if isolation_level else {}
    return create_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=pre_ping, **options)


def _authenticate_with(tokens: TokenSource) -> Callable[[Any, Any, Any, dict[str, Any]], None]:
    """A ``do_connect`` listener: puts a fresh token in the parameters of each new connection
    (the pool calls it only when it opens one) and requires TLS."""

    def do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        host, user = cparams.get("host"), cparams.get("user")
        if not host or not user:
            raise ValueError("IAM database authentication needs a host and a user in the URL")
        port = int(cparams.get("port") or POSTGRES_PORT)
        cparams["password"] = tokens(str(host), port, str(user))
        cparams.setdefault("sslmode", "require")

    return do_connect


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
