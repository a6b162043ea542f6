"""What opening a dashboard reads first, and the snapshots of dashboards kept ahead.

Opening a dashboard needs the workspace's time zone and currency, the caller's membership, the
rollup generation, the saved dashboard and its snapshot: ``DashboardViews.read`` gets them in
one statement. On PostgreSQL that statement is the ``dashboard_view`` function (migration 0014)
run outside a transaction, which sets the request's role and tenant scope itself, so the whole
read is one round trip; elsewhere it is the same join in a short transaction.

A snapshot is a dashboard's data for its default period, stored with what it was computed for;
it is served only while the generation, the local day, the widgets and the currency are all
still the ones it was computed for (``Snapshot.serves``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db.engine import Database
from shared.db.models import (
    AnalyticsGeneration,
    Dashboard,
    DashboardSnapshot,
    Membership,
    Tenant,
)

_VIEW = "SELECT * FROM dashboard_view(%(tenant)s, %(user)s, %(dashboard)s, %(role)s)"


@dataclass(frozen=True)
class Snapshot:
    shape: str
    today: date
    generation: int
    start: date
    end: date
    currency: str
    widgets: str
    """The widgets' data as JSON text."""

    def serves(self, shape: str, today: date, generation: int, currency: str) -> bool:
        return (self.shape, self.today, self.generation, self.currency) == (
            shape,
            today,
            generation,
            currency,
        )


@dataclass(frozen=True)
class DashboardView:
    role: str | None
    """The caller's membership role; None when not a member (or no such workspace)."""
    timezone: str
    base_currency: str
    generation: int
    dashboard: Dashboard | None
    """The saved dashboard asked for, when it is the caller's."""
    snapshot: Snapshot | None


NOT_A_MEMBER = DashboardView(None, "UTC", "BRL", 0, None, None)


DATA_FORMAT = 1
"""What the widgets' data looks like (``shared.analytics.board``): one more whenever a widget's
output changes, so that snapshots stored by the code before are computed again, not served."""


KEPT_DAYS = 30
"""A snapshot no opening has computed for this many days is dropped rather than kept ahead: a
person who stopped looking costs nothing. (One who looks every day, always served, has it
dropped too and pays one computed opening a month.)"""


def shape_of(version: int, widgets: list[dict[str, Any]]) -> str:
    """What a snapshot must have been computed for besides the data: the dashboard's version
    and widgets (the default dashboard's widgets change with the code, not its version) and
    the data's format."""
    described = json.dumps([DATA_FORMAT, version, widgets], sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()


def day_end(today: date, timezone: str) -> datetime:
    """When ``today`` ends in ``timezone``: the next midnight there, as an instant."""
    return datetime.combine(today + timedelta(days=1), time(0), ZoneInfo(timezone))


class DashboardViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self, tenant_id: UUID, user_id: UUID, dashboard_id: UUID) -> DashboardView:
        if self._db.is_postgres:
            return self._read_in_one_statement(tenant_id, user_id, dashboard_id)
        with self._db.tenant_session(tenant_id, user_id) as session:
            return _read_joined(session, tenant_id, user_id, dashboard_id)

    def _read_in_one_statement(
        self, tenant_id: UUID, user_id: UUID, dashboard_id: UUID
    ) -> DashboardView:
        parameters = {
            "tenant": tenant_id,
            "user": user_id,
            "dashboard": dashboard_id,
            "role": self._db.app_role or "",
        }
        row = self._db.one_statement(_VIEW, parameters)
        if row is None:
            return NOT_A_MEMBER
        (timezone, currency, role, generation, *saved), stored = row[:9], row[9:]
        dashboard = None
        if saved[0] is not None:
            name, widgets, version, created_at, updated_at = saved
            dashboard = Dashboard(
                id=dashboard_id,
                tenant_id=tenant_id,
                user_id=user_id,
                name=name,
                widgets=widgets,
                version=version,
                created_at=created_at,
                updated_at=updated_at,
            )
        snapshot = Snapshot(*stored) if stored[0] is not None else None
        return DashboardView(role, timezone, currency, int(generation or 0), dashboard, snapshot)

    def workspaces_due(self, now: datetime) -> list[UUID]:
        """The workspaces with a snapshot whose day has ended by ``now``: read as the relay
        role, which may see these two columns of every workspace's snapshots and nothing else."""
        with self._db.relay_session() as session:
            return list(
                session.scalars(
                    select(DashboardSnapshot.tenant_id)
                    .where(DashboardSnapshot.expires_at <= now)
                    .distinct()
                    .order_by(DashboardSnapshot.tenant_id)
                )
            )


def _read_joined(
    session: Session, tenant_id: UUID, user_id: UUID, dashboard_id: UUID
) -> DashboardView:
    """The same join as ``dashboard_view``, in the session's transaction."""
    row = session.execute(
        select(
            Tenant.timezone,
            Tenant.base_currency,
            Membership.role,
            AnalyticsGeneration.generation,
            Dashboard,
            DashboardSnapshot,
        )
        .select_from(Tenant)
        .outerjoin(
            Membership, (Membership.tenant_id == Tenant.id) & (Membership.user_id == user_id)
        )
        .outerjoin(AnalyticsGeneration, AnalyticsGeneration.tenant_id == Tenant.id)
        .outerjoin(
            Dashboard,
            (Dashboard.tenant_id == Tenant.id)
            & (Dashboard.id == dashboard_id)
            & (Dashboard.user_id == user_id),
        )
        .outerjoin(
            DashboardSnapshot,
            (DashboardSnapshot.tenant_id == Tenant.id)
            & (DashboardSnapshot.user_id == user_id)
            & (DashboardSnapshot.dashboard_id == dashboard_id),
        )
        .where(Tenant.id == tenant_id)
    ).one_or_none()
    if row is None:
        return NOT_A_MEMBER
    timezone, currency, role, generation, dashboard, stored = row
    if dashboard is not None:
        session.expunge(dashboard)
    snapshot = (
        Snapshot(
            stored.shape,
            stored.today,
            stored.generation,
            stored.start,
            stored.end,
            stored.currency,
            stored.widgets,
        )
        if stored is not None
        else None
    )
    return DashboardView(role, timezone, currency, int(generation or 0), dashboard, snapshot)


def store(
    session: Session,
    tenant_id: UUID,
    user_id: UUID,
    dashboard_id: UUID,
    snapshot: Snapshot,
    *,
    timezone: str,
    now: datetime,
    opened: bool,
) -> None:
    """Keeps ``snapshot`` as the dashboard's, in place of the one before; it expires when its
    day ends in ``timezone``. ``opened``: computed for an opening (not ahead of one)."""
    table: Any = DashboardSnapshot.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "shape": snapshot.shape,
        "today": snapshot.today,
        "generation": snapshot.generation,
        "start": snapshot.start,
        "end": snapshot.end,
        "currency": snapshot.currency,
        "widgets": snapshot.widgets,
        "expires_at": day_end(snapshot.today, timezone),
        "computed_at": now,
    }
    statement = insert(table).values(
        tenant_id=tenant_id,
        user_id=user_id,
        dashboard_id=dashboard_id,
        opened_on=snapshot.today,
        **values,
    )
    if opened:
        values["opened_on"] = snapshot.today
    # A request that computed at an older generation and stores after the consumer stored a
    # newer one leaves the newer in place.
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "user_id", "dashboard_id"],
            set_=values,
            where=table.c.generation <= statement.excluded.generation,
        )
    )


def forget(session: Session, tenant_id: UUID, user_id: UUID, dashboard_id: UUID) -> None:
    session.execute(
        delete(DashboardSnapshot).where(
            DashboardSnapshot.tenant_id == tenant_id,
            DashboardSnapshot.user_id == user_id,
            DashboardSnapshot.dashboard_id == dashboard_id,
        )
    )


def kept(session: Session, tenant_id: UUID, today: date) -> list[tuple[UUID, UUID]]:
    """(person, dashboard) of every snapshot the workspace keeps; those of people who have left
    it, and those not opened for ``KEPT_DAYS``, are deleted."""
    members = select(Membership.user_id).where(Membership.tenant_id == tenant_id)
    session.execute(
        delete(DashboardSnapshot).where(
            DashboardSnapshot.tenant_id == tenant_id,
            DashboardSnapshot.user_id.not_in(members)
            | (DashboardSnapshot.opened_on < today - timedelta(days=KEPT_DAYS)),
        )
    )
    rows = session.execute(
        select(DashboardSnapshot.user_id, DashboardSnapshot.dashboard_id)
        .where(DashboardSnapshot.tenant_id == tenant_id)
        .order_by(DashboardSnapshot.user_id, DashboardSnapshot.dashboard_id)
    )
    return [(user_id, dashboard_id) for user_id, dashboard_id in rows]
