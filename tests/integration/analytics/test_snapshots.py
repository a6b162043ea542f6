"""Dashboard snapshots: the default period is served as stored only while everything it was
computed for still holds, and is read in one statement (on PostgreSQL outside a transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, text

from shared.analytics.snapshots import KEPT_DAYS, DashboardViews, _read_joined
from shared.bootstrap import Container
from shared.clock import FixedClock
from shared.db.models import Dashboard, DashboardSnapshot, Tenant
from shared.domain.access import Principal, Role
from shared.domain.errors import NotFound
from shared.services.access import Caller
from tests.integration.analytics.conftest import Books
from tests.support.api import Actor, ok


def _default_id(actor: Actor) -> str:
    return str(ok(actor.get("/v1/analytics/dashboards"))[0]["id"])


def _data(actor: Actor, dashboard_id: str) -> Any:
    return ok(actor.get(f"/v1/analytics/dashboards/{dashboard_id}/data"))


def _snapshots(container: Container, tenant_id: UUID) -> list[DashboardSnapshot]:
    with container.unit_of_work(tenant_id, None) as uow:
        return list(
            uow.session.scalars(
                select(DashboardSnapshot).where(DashboardSnapshot.tenant_id == tenant_id)
            )
        )


def test_a_new_day_computes_the_snapshot_again(november: Books, clock: FixedClock):
    dashboard_id = _default_id(november.actor)
    _data(november.actor, dashboard_id)

    clock.set(clock.now() + timedelta(days=1))
    next_day = _data(november.actor, dashboard_id)
    again = _data(november.actor, dashboard_id)

    assert (next_day["cached"], again["cached"]) == (False, True)
    # Today moved: the previous period's comparison runs one day further.
    assert next_day["date_from"] == "2026-11-01"


def test_the_day_is_the_workspaces_own(november: Books, clock: FixedClock):
    """São Paulo is three hours behind UTC: 01:00 UTC on the 21st is still the 20th there."""
    dashboard_id = _default_id(november.actor)
    clock.set(clock.now().replace(hour=20))  # 17:00 on the 20th in São Paulo
    _data(november.actor, dashboard_id)

    clock.set(clock.now().replace(hour=1) + timedelta(days=1))  # 22:00 on the 20th there
    assert _data(november.actor, dashboard_id)["cached"] is True
    clock.set(clock.now().replace(hour=3))  # 00:00 on the 21st there
    assert _data(november.actor, dashboard_id)["cached"] is False


def test_changing_a_saved_dashboards_widgets_computes_it_again(books: Books):
    dashboard_id = str(uuid4())
    body: dict[str, Any] = {"name": "Meu", "widgets": [{"type": "kpis"}]}
    saved = ok(books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body), 201)
    assert _data(books.actor, dashboard_id)["cached"] is False
    assert _data(books.actor, dashboard_id)["cached"] is True

    body["widgets"].append({"type": "top_merchants", "settings": {"limit": 3}})
    headers = {"If-Match": f'"{saved["version"]}"'}
    ok(books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body, headers=headers))
    changed = _data(books.actor, dashboard_id)

    assert changed["cached"] is False
    assert set(changed["widgets"]) == {"kpis", "top_merchants"}


def test_deleting_a_dashboard_deletes_its_snapshot(books: Books, container: Container):
    dashboard_id = str(uuid4())
    body = {"name": "Meu", "widgets": [{"type": "kpis"}]}
    ok(books.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body), 201)
    _data(books.actor, dashboard_id)
    tenant_id = UUID(str(books.actor.tenant_id))
    assert [row.dashboard_id for row in _snapshots(container, tenant_id)] == [UUID(dashboard_id)]

    ok(
        books.actor.delete(f"/v1/analytics/dashboards/{dashboard_id}", headers={"If-Match": '"1"'}),
        204,
    )

    assert _snapshots(container, tenant_id) == []


def test_the_consumer_refreshes_every_members_snapshot(november: Books, container: Container):
    viewer = november.invite_viewer(container)
    hers, mine = _default_id(viewer), _default_id(november.actor)
    _data(viewer, hers)
    _data(november.actor, mine)

    november.add("-40.00", "2026-11-19", "supermarket", "PADARIA")

    for actor, dashboard_id in ((viewer, hers), (november.actor, mine)):
        served = _data(actor, dashboard_id)
        assert served["cached"] is True
        assert served["widgets"]["kpis"]["figures"]["expenses"]["value"] == "1590"


def test_someone_who_left_the_workspace_is_served_nothing(november: Books, container: Container):
    workspace = UUID(str(november.actor.tenant_id))
    vera_id = november.invite_viewer(container).user_id
    vera = Caller(Principal(vera_id, workspace, frozenset({Role.VIEWER})), workspace)
    dashboard_id = container.analytics.dashboards(vera)[0].id
    container.analytics.dashboard_data(vera, dashboard_id)  # her snapshot is stored

    ok(november.actor.delete(f"/v1/workspaces/{workspace}/members/{vera_id}"), 204)

    with pytest.raises(NotFound):
        container.analytics.dashboard_data(vera, dashboard_id)
    stranger = Caller(Principal(uuid4(), workspace, frozenset()), workspace)
    with pytest.raises(NotFound):
        container.analytics.dashboard_data(stranger, dashboard_id)


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_one_statement_read_is_the_join_it_stands_for(november: Books, container: Container):
    """On PostgreSQL ``dashboard_view`` (migration 0014) must answer what the ORM join does."""
    dashboard_id = str(uuid4())
    body = {"name": "Meu", "widgets": [{"type": "kpis"}]}
    ok(november.actor.put(f"/v1/analytics/dashboards/{dashboard_id}", body), 201)
    _data(november.actor, dashboard_id)
    tenant_id, user_id = UUID(str(november.actor.tenant_id)), november.actor.user_id
    views = DashboardViews(container.db)

    for asked in (UUID(dashboard_id), uuid4()):
        read = views.read(tenant_id, user_id, asked)
        with container.db.tenant_session(tenant_id, user_id) as session:
            joined = _read_joined(session, tenant_id, user_id, asked)
        assert (read.role, read.timezone, read.base_currency, read.generation) == (
            joined.role,
            joined.timezone,
            joined.base_currency,
            joined.generation,
        )
        assert read.snapshot == joined.snapshot
        assert (read.dashboard is None) == (joined.dashboard is None)
        if read.dashboard is not None and joined.dashboard is not None:
            assert (read.dashboard.widgets, read.dashboard.version) == (
                joined.dashboard.widgets,
                joined.dashboard.version,
            )
    assert views.read(uuid4(), user_id, uuid4()).role is None  # no such workspace


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_connection_the_server_dropped_is_replaced(november: Books, container: Container):
    dashboard_id = _default_id(november.actor)
    _data(november.actor, dashboard_id)
    tenant_id = UUID(str(november.actor.tenant_id))
    views = DashboardViews(container.db)
    views.read(tenant_id, november.actor.user_id, UUID(dashboard_id))
    (pid,) = container.db.one_statement("SELECT pg_backend_pid()", {}) or (None,)
    with container.db.admin_session() as session:
        session.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        assert (
            session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            == 0
        )

    read = views.read(tenant_id, november.actor.user_id, UUID(dashboard_id))

    assert read.role == "owner"
    assert read.snapshot is not None


def test_the_scheduled_refresh_computes_a_new_days_snapshots_before_anyone_looks(
    november: Books, container: Container, clock: FixedClock
):
    dashboard_id = _default_id(november.actor)
    _data(november.actor, dashboard_id)
    tenant_id = UUID(str(november.actor.tenant_id))
    assert container.analytics.refresh_day().refreshed == []  # still the same day there

    clock.set(clock.now() + timedelta(days=1))
    run = container.analytics.refresh_day()
    served = _data(november.actor, dashboard_id)

    assert (run.refreshed, run.failed, run.left) == ([tenant_id], [], 0)
    assert served["cached"] is True
    (row,) = _snapshots(container, tenant_id)
    assert (row.today.isoformat(), row.opened_on.isoformat()) == ("2026-11-21", "2026-11-20")
    assert row.expires_at == datetime(2026, 11, 22, 3, tzinfo=UTC)  # midnight in São Paulo
    assert container.analytics.refresh_day().refreshed == []


def test_a_snapshot_nobody_opened_for_a_month_is_dropped_not_kept(
    november: Books, container: Container, clock: FixedClock
):
    dashboard_id = _default_id(november.actor)
    _data(november.actor, dashboard_id)
    tenant_id = UUID(str(november.actor.tenant_id))

    clock.set(clock.now() + timedelta(days=KEPT_DAYS))
    assert container.analytics.refresh_day().refreshed == [tenant_id]
    clock.set(clock.now() + timedelta(days=1))
    assert container.analytics.refresh_day().refreshed == []

    assert _snapshots(container, tenant_id) == []
    assert _data(november.actor, dashboard_id)["cached"] is False  # and it is kept again
    assert len(_snapshots(container, tenant_id)) == 1


def test_a_workspace_that_fails_is_reported_and_the_others_go_on(
    november: Books, container: Container, clock: FixedClock, new_actor
):
    other: Actor = new_actor("Bia")
    for actor in (november.actor, other):
        _data(actor, _default_id(actor))
    broken = UUID(str(november.actor.tenant_id))
    with container.db.admin_session() as session:  # a time zone the code does not know
        session.execute(
            Tenant.__table__.update().where(Tenant.id == broken).values(timezone="Marte/Olimpo")
        )
        session.commit()

    clock.set(clock.now() + timedelta(days=1))
    run = container.analytics.refresh_day()

    assert run.refreshed == [UUID(str(other.tenant_id))]
    assert [tenant_id for tenant_id, _ in run.failed] == [broken]
    assert "Marte/Olimpo" in run.failed[0][1]


def test_a_run_short_of_time_leaves_the_rest_to_the_next(
    november: Books, container: Container, clock: FixedClock
):
    _data(november.actor, _default_id(november.actor))
    clock.set(clock.now() + timedelta(days=1))

    run = container.analytics.refresh_day(time_left=lambda: 59.0)

    assert (run.refreshed, run.left) == ([], 1)
    assert container.analytics.refresh_day(time_left=lambda: 600.0).refreshed != []


def test_rebuilding_the_rollups_computes_the_snapshots_again(november: Books, container: Container):
    dashboard_id = _default_id(november.actor)
    before = _data(november.actor, dashboard_id)

    container.analytics.rebuild(UUID(str(november.actor.tenant_id)))
    after = _data(november.actor, dashboard_id)

    assert after["cached"] is True
    assert after["generation"] > before["generation"]
    assert after["widgets"] == before["widgets"]


def test_a_dashboard_that_cannot_be_computed_loses_its_snapshot_not_the_change(
    november: Books, container: Container
):
    default = _default_id(november.actor)  # before another is saved: then it lists that one
    _data(november.actor, default)
    broken = str(uuid4())
    ok(
        november.actor.put(f"/v1/analytics/dashboards/{broken}", {"name": "Meu", "widgets": []}),
        201,
    )
    _data(november.actor, broken)
    tenant_id = UUID(str(november.actor.tenant_id))
    with container.unit_of_work(tenant_id, None) as uow:  # as code that no longer knows it
        table = Dashboard.__table__
        uow.session.execute(
            table.update()
            .where(table.c.id == UUID(broken))
            .values(widgets=[{"id": "x", "type": "gone", "settings": {}}])
        )
        uow.commit()

    november.add("-40.00", "2026-11-19", "supermarket", "PADARIA")

    served = _data(november.actor, default)
    assert served["cached"] is True
    assert served["widgets"]["kpis"]["figures"]["expenses"]["value"] == "1590"
    assert [row.dashboard_id for row in _snapshots(container, tenant_id)] == [UUID(default)]


def test_a_new_description_reaches_the_snapshots_lists(november: Books):
    dashboard_id = _default_id(november.actor)
    bought = november.add("-30.00", "2026-11-19", "supermarket", "PADARIA", merchant="Padaria")
    _data(november.actor, dashboard_id)

    # Same merchant, same amount: the rollups' sums do not move, the listed text does.
    november.edit(bought, description="PADARIA DO BAIRRO")
    served = _data(november.actor, dashboard_id)

    assert served["cached"] is True
    recent = served["widgets"]["recent_transactions"]["transactions"]
    assert "PADARIA DO BAIRRO" in [item["description"] for item in recent]
