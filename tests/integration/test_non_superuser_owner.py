"""On Aurora the database owner is no superuser: row-level security binds it too (FORCE), so
requests and the outbox relay must work through their own roles. Proven here on a database
owned by a plain role with CREATEROLE, as Aurora's master user is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from shared.analytics.snapshots import DashboardViews
from shared.bootstrap import Container, bootstrap
from shared.db.migrate import upgrade
from shared.db.models import OutboxEvent
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.services.access import Caller, every_workspace
from shared.services.accounts import NewAccount
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings
from tests.support.databases import postgres_server_url

OWNER = "fluxo_owner_test"


@pytest.fixture
def owned_url() -> Iterator[str]:
    server = make_url(postgres_server_url()).set(drivername="postgresql+psycopg")
    name = f"fluxo_owned_{uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": OWNER})
        if not exists:
            connection.execute(text(f"CREATE ROLE {OWNER} LOGIN CREATEROLE NOSUPERUSER"))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER}'))
    url = server.set(database=name, username=OWNER).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def container(owned_url: str, tmp_path: Path) -> Iterator[Container]:
    engine = create_engine(owned_url)
    upgrade(engine)
    engine.dispose()
    built = bootstrap(Settings(home=tmp_path, database_url=owned_url))
    yield built
    built.close()


def _one_transaction(container: Container) -> None:
    principal = Principal(uuid4(), None, frozenset({Role.OWNER}), email="dona@example.com")
    view, _ = container.workspaces.create(principal, NewWorkspace(name="Casa"))
    caller = Caller(principal, view.tenant.id)
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    container.transactions.create(
        caller, NewTransaction(account.id, Decimal("-10.00"), date(2026, 11, 1), "PADARIA")
    )


def _unpublished(container: Container) -> int:
    with container.db.relay_session() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )
        return int(count or 0)


def test_requests_work_when_the_owner_is_no_superuser(container: Container) -> None:
    _one_transaction(container)
    assert _unpublished(container) == 0, "the relay marked the event published"


def test_the_owner_itself_sees_no_tenant_rows(container: Container) -> None:
    _one_transaction(container)
    with container.db.admin_session() as session:
        assert session.scalar(text("SELECT count(*) FROM transactions")) == 0


def test_the_sweep_publishes_what_a_failed_delivery_left(container: Container) -> None:
    def refuse(_event: object) -> None:
        raise RuntimeError("consumer down")

    container.bus.subscribe("TransactionCreated", refuse)
    _one_transaction(container)
    assert _unpublished(container) == 1
    container.bus = type(container.bus)()  # the consumer is back
    container.__dict__.pop("relay", None)
    assert container.relay.sweep(older_than=timedelta(0)) == 1
    assert _unpublished(container) == 0


def test_jobs_find_every_workspace_and_dashboards_are_served(container: Container) -> None:
    """The jobs over every workspace list them as the relay role, and a dashboard opening
    reads as the app role: both under the forced policies here."""
    principal = Principal(uuid4(), None, frozenset({Role.OWNER}), email="dona@example.com")
    view, _ = container.workspaces.create(principal, NewWorkspace(name="Casa"))
    caller = Caller(principal, view.tenant.id)
    dashboard_id = container.analytics.dashboards(caller)[0].id

    first = container.analytics.dashboard_data(caller, dashboard_id)
    second = container.analytics.dashboard_data(caller, dashboard_id)

    assert (first.cached, second.cached) == (False, True)
    assert every_workspace(container.db) == [view.tenant.id]
    later = container.clock.now() + timedelta(days=2)
    assert DashboardViews(container.db).workspaces_due(later) == [view.tenant.id]
