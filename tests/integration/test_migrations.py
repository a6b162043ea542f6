"""The Alembic migrations and the SQLAlchemy models describe the same schema, on both engines.

Each test gets a database of its own that nothing else touches: a new SQLite file, or a new, empty
PostgreSQL database on the test server (dropped afterwards), because going down to ``base``
would pull the schema from under other tests sharing the worker's database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Uuid,
    column,
    create_engine,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.engine import make_url

from shared.db.migrate import MIGRATIONS, current_revision, downgrade, modelled, upgrade
from shared.db.models import SQLITE_FTS_TABLES, TENANT_TABLES, Base
from shared.db.types import Money
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
                # As env.py: SQLite's FTS5 tables (search) are beyond what models describe.
                "include_name": modelled,
            },
        )
        # Nothing else is filtered out: alembic_version is not in the models' metadata and
        # compare_metadata never reports it; row-level security policies, grants and the app
        # role are not part of what autogenerate compares (they are checked below instead).
        return list(compare_metadata(context, Base.metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version", *SQLITE_FTS_TABLES}


def test_given_sqlite_when_upgraded_then_the_fts5_tables_exist_and_go_with_a_downgrade(
    tmp_path: Path,
) -> None:
    """The one thing _tables leaves out is there on SQLite, and a downgrade takes it away."""
    with _engine(f"sqlite:///{tmp_path / 'fts.db'}") as engine:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= SQLITE_FTS_TABLES
        downgrade(engine, "0009")
        assert not SQLITE_FTS_TABLES & set(inspect(engine).get_table_names())


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


_TYPES: dict[str, Any] = {
    "id": Uuid(),
    "tenant_id": Uuid(),
    "account_id": Uuid(),
    "is_demo": Boolean(),
    "archived": Boolean(),
    "opening_balance": Integer(),
    "rows_read": Integer(),
    "imported": Integer(),
    "duplicates": Integer(),
    "rejected": JSON(),
    "duplicate_decisions": JSON(),
    "created_at": DateTime(timezone=True),
    "updated_at": DateTime(timezone=True),
    "started_at": DateTime(timezone=True),
}
"""The columns the rows of an 0002 database below need, typed as that schema has them."""


def test_0003_moves_the_reports_of_earlier_imports_into_issue_rows(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0002")
    tenant, account, record, matched = uuid4(), uuid4(), uuid4(), uuid4()
    now = datetime(2026, 11, 1, 10, tzinfo=UTC)
    rejected = [{"line": 4, "column": "amount", "raw": "x", "reason": "not an amount"}]
    decisions = [{"line": 2, "reason": "already there", "matched_transaction_id": str(matched)}]
    rows = {
        "tenants": {
            "id": tenant,
            "name": "Casa",
            "base_currency": "BRL",
            "locale": "pt-BR",
            "timezone": "America/Sao_Paulo",
            "is_demo": False,
            "created_at": now,
            "updated_at": now,
        },
        "accounts": {
            "id": account,
            "tenant_id": tenant,
            "name": "Conta",
            "kind": "checking",
            "currency": "BRL",
            "opening_balance": 0,
            "archived": False,
            "created_at": now,
            "updated_at": now,
        },
        "imports": {
            "id": record,
            "tenant_id": tenant,
            "account_id": account,
            "filename": "x.csv",
            "lake_key": "raw/x.csv",
            "status": "completed",
            "rows_read": 3,
            "imported": 1,
            "duplicates": 1,
            "rejected": rejected,
            "duplicate_decisions": decisions,
            "started_at": now,
        },
    }
    with fresh_engine.begin() as connection:
        for name, values in rows.items():
            columns = [column(key, _TYPES.get(key, String())) for key in values]
            connection.execute(table(name, *columns).insert().values(**values))

    upgrade(fresh_engine)

    with fresh_engine.connect() as connection:
        count = connection.execute(text("SELECT rejected FROM imports")).scalar_one()
        issues = connection.execute(
            text(
                'SELECT position, kind, line, reason, "column", raw, matched_transaction_id '
                "FROM import_issues ORDER BY position"
            )
        ).all()
    assert count == 1
    assert [tuple(row)[:6] for row in issues] == [
        (0, "rejected", 4, "not an amount", "amount", "x"),
        (1, "duplicate", 2, "already there", None, None),
    ]
    assert UUID(str(issues[1][6]).replace("-", "")) == matched


def test_0006_gives_stored_transactions_no_review_and_going_back_keeps_them(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine, "0005")
    tenant, account, transaction = uuid4(), uuid4(), uuid4()
    now = datetime(2026, 11, 1, 10, tzinfo=UTC)
    rows = {
        "tenants": {
            "id": tenant,
            "name": "Casa",
            "base_currency": "BRL",
            "locale": "pt-BR",
            "timezone": "America/Sao_Paulo",
            "is_demo": False,
            "created_at": now,
            "updated_at": now,
        },
        "accounts": {
            "id": account,
            "tenant_id": tenant,
            "name": "Conta",
            "kind": "checking",
            "currency": "BRL",
            "opening_balance": 0,
            "archived": False,
            "created_at": now,
            "updated_at": now,
        },
        "transactions": {
            "id": transaction,
            "tenant_id": tenant,
            "account_id": account,
            "amount": -100_000,
            "currency": "BRL",
            "booked_on": now.date(),
            "description": "PADARIA",
            "status": "booked",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    }
    types = {**_TYPES, "amount": Integer(), "version": Integer(), "booked_on": Date()}
    with fresh_engine.begin() as connection:
        for name, values in rows.items():
            columns = [column(key, types.get(key, String())) for key in values]
            connection.execute(table(name, *columns).insert().values(**values))

    upgrade(fresh_engine, "0006")

    with fresh_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT needs_review, category_evidence, category_rule_id FROM transactions")
        ).one()
    assert (bool(stored[0]), stored[1], stored[2]) == (False, None, None)
    assert "learned_merchants" in _tables(fresh_engine)

    downgrade(fresh_engine, "0005")

    assert "learned_merchants" not in _tables(fresh_engine)
    columns = {item["name"] for item in inspect(fresh_engine).get_columns("transactions")}
    assert not columns & {"needs_review", "category_evidence", "category_rule_id"}
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT description FROM transactions")).scalar_one() == (
            "PADARIA"
        )


def test_0011_fills_the_rollups_and_marks_what_they_hold_applied(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0010")
    tenant, account, event, other = uuid4(), uuid4(), uuid4(), uuid4()
    now = datetime(2026, 11, 1, 10, tzinfo=UTC)
    stamps = {"created_at": now, "updated_at": now}
    lines = [
        (date(2026, 11, 3), "-100.00", "Padaria"),
        (date(2026, 11, 3), "-20.50", None),
        (date(2026, 10, 30), "3000.00", None),
    ]
    rows: list[tuple[str, dict[str, Any]]] = [
        ("tenants", {"id": tenant, "name": "Casa", "base_currency": "BRL", "locale": "pt-BR",
                     "timezone": "America/Sao_Paulo", "is_demo": False, **stamps}),
        ("accounts", {"id": account, "tenant_id": tenant, "name": "Conta", "kind": "checking",
                      "currency": "BRL", "opening_balance": Decimal(0), "archived": False,
                      **stamps}),
        *[
            ("transactions", {"id": uuid4(), "tenant_id": tenant, "account_id": account,
                              "amount": Decimal(amount), "currency": "BRL", "booked_on": day,
                              "description": "COMPRA", "merchant": merchant, "status": "booked",
                              "needs_review": False, "version": 1, **stamps})
            for day, amount, merchant in lines
        ],
        *[
            ("outbox", {"id": event_id, "tenant_id": tenant, "aggregate_type": "Transaction",
                        "aggregate_id": uuid4(), "version": 1, "type": kind, "occurred_at": now,
                        "envelope": {}})
            for event_id, kind in ((event, "TransactionCreated"), (other, "BudgetExceeded"))
        ],
    ]  # fmt: skip
    types = {
        **_TYPES,
        "amount": Money(),
        "opening_balance": Money(),
        "version": Integer(),
        "booked_on": Date(),
        "needs_review": Boolean(),
        "envelope": JSON(),
        "aggregate_id": Uuid(),
        "occurred_at": DateTime(timezone=True),
    }
    with fresh_engine.begin() as connection:
        for name, values in rows:
            columns = [column(key, types.get(key, String())) for key in values]
            connection.execute(table(name, *columns).insert().values(**values))

    upgrade(fresh_engine, "0011")

    sums = [column(name, Money()) for name in ("inflow", "outflow")]
    with fresh_engine.connect() as connection:
        rollups = connection.execute(
            select(column("grain"), column("period_start", Date()), column("credits"),
                   column("debits"), *sums)
            .select_from(table("rollups"))
            .order_by(text("grain, period_start"))
        ).all()  # fmt: skip
        merchants = connection.execute(
            text("SELECT month, merchant, debits FROM merchant_rollups ORDER BY month, merchant")
        ).all()
        claimed = connection.execute(
            select(column("consumer"), column("event_id", Uuid())).select_from(
                table("processed_events")
            )
        ).all()
    assert [tuple(row) for row in rollups] == [
        ("d", date(2026, 10, 30), 1, 0, Decimal("3000"), Decimal("0")),
        ("d", date(2026, 11, 3), 0, 2, Decimal("0"), Decimal("-120.5")),
        ("m", date(2026, 10, 1), 1, 0, Decimal("3000"), Decimal("0")),
        ("m", date(2026, 11, 1), 0, 2, Decimal("0"), Decimal("-120.5")),
    ]
    assert [(str(month)[:10], name, debits) for month, name, debits in merchants] == [
        ("2026-10-01", "COMPRA", 0),
        ("2026-11-01", "COMPRA", 1),
        ("2026-11-01", "Padaria", 1),
    ]
    # The transaction event is held by the rollups; the budget event is not the consumer's.
    assert [tuple(row) for row in claimed] == [("activity", event)]

    downgrade(fresh_engine, "0010")

    with fresh_engine.connect() as connection:
        days = connection.execute(
            text("SELECT day, transactions FROM account_daily_activity ORDER BY day")
        ).all()
    assert [(str(day)[:10], count) for day, count in days] == [
        ("2026-10-30", 1),
        ("2026-11-03", 2),
    ]
