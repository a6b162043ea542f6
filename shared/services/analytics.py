"""Analytics: metrics, saved dashboards and their data, and rebuilding the rollups.

Dashboards read the rollups (``shared.analytics.sources``). A dashboard's data is cached under a
key that holds everything it depends on — the workspace's rollup generation (one more for each
change the ``activity`` consumer applies), the dashboard's version, its period and today, and
fingerprints of the categories, accounts and budgets it reads — so a change makes the cached
answer unreachable instead of stale, whichever process cached it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache, cached_property
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from shared.analytics.board import Board, load_accounts, load_categories
from shared.analytics.metrics import Metrics, compute, moves_money
from shared.analytics.query import (
    Filters,
    MetricsQuery,
    check_day,
    check_range,
    month_end,
    parse_grouping,
)
from shared.analytics.rollups import claim_reflected_events, fill_statements
from shared.analytics.snapshots import (
    DashboardViews,
    Snapshot,
    forget,
    kept,
    shape_of,
    store,
)
from shared.analytics.sources import RollupSource, Source
from shared.analytics.widgets import DEFAULT_NAME, DEFAULT_WIDGETS, Widget, check_widgets
from shared.clock import local_today
from shared.db.models import (
    AnalyticsGeneration,
    Dashboard,
    DashboardSnapshot,
    MerchantRollup,
    Rollup,
)
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import (
    Conflict,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from shared.domain.money import is_currency
from shared.ports import Cache, Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, allowed_role, authorize
from shared.services.activity import bump_generation
from shared.services.budgets import BudgetProgress, Spending, progress_of_all
from shared.services.versions import check_version

_log = logging.getLogger(__name__)
DEFAULT_DASHBOARD_NAMESPACE = UUID("6f1d0c0e-3c55-4d0b-9a59-2f6a4f0c8e11")
REBUILD_ATTEMPTS = 5
REFRESH_MARGIN_SECONDS = 60.0
"""A workspace's refresh is not started with less time than this left (a Lambda's timeout)."""
SERIALIZATION_FAILURE = "40001"


@dataclass(frozen=True)
class MetricsRequest:
    start: date
    end: date
    group_by: tuple[str, ...] = ()
    currency: str | None = None
    accounts: frozenset[UUID] = frozenset()
    categories: frozenset[UUID] = frozenset()
    tags: frozenset[str] = frozenset()
    """Tag names, as the transactions' list takes them."""
    merchants: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MetricsAnswer:
    metrics: Metrics
    labels: dict[str, str]
    """A group key (id as text, or merchant) → what people call it."""


@dataclass(frozen=True)
class DashboardData:
    dashboard: Dashboard
    start: date
    end: date
    currency: str
    generation: int
    document: str
    """The widgets' data as JSON text: what is stored and sent, never parsed on the way."""
    cached: bool

    @cached_property
    def widgets(self) -> dict[str, Any]:
        """Widget id → its data, in JSON form (amounts as decimal strings)."""
        widgets: dict[str, Any] = json.loads(self.document)
        return widgets


Period = tuple[date, date, str, date]
"""(start, end, currency, today) of a dashboard's data."""
Stamp = tuple[Period, int, str]
"""A snapshot's period, the generation it was computed at, and the workspace's time zone."""


@dataclass
class DayRefresh:
    """What a run of ``AnalyticsService.refresh_day`` did."""

    refreshed: list[UUID]
    failed: list[tuple[UUID, str]]
    """Workspaces that failed, with why."""
    left: int
    """Workspaces due that were not started, for lack of time: the next run takes them."""


class AnalyticsService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        cache: Cache | None = None,
        *,
        cache_seconds: int = 600,
        source: Source | None = None,
        views: DashboardViews,
        snapshots: bool = True,
    ) -> None:
        self._uow = uow
        self._views = views
        self._snapshots = snapshots
        self._clock = clock
        self._cache = cache if cache_seconds > 0 else None
        self._cache_seconds = cache_seconds
        self._source = source or RollupSource()

    # Metrics

    def metrics(self, caller: Caller, request: MetricsRequest) -> MetricsAnswer:
        time, dimension = parse_grouping(list(request.group_by), ("query", "group_by"))
        check_range(request.start, request.end, time)
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            categories = {category.id: category for category in uow.categories.all()}
            accounts = {
                account.id: account.name for account in uow.accounts.list(include_archived=True)
            }
            tags = {tag.id: tag.name for tag in uow.tags.list()}
            tag_ids = {name: tag_id for tag_id, name in tags.items()}
            _known(request.accounts, accounts, "account_id")
            _known(request.categories, categories, "category_id")
            _known(request.tags, tag_ids, "tag")
            currency = self._currency(uow, caller, request.currency)
            filters = Filters(
                request.start,
                request.end,
                currency,
                accounts=request.accounts,
                categories=frozenset(uow.categories.with_descendants(request.categories)),
                tags=frozenset(tag_ids[name] for name in request.tags),
                merchants=request.merchants,
                types=request.types,
            )
            query = MetricsQuery(filters, time=time, dimension=dimension)
            rows = self._source.rows(uow.session, caller.tenant_id, query)
            metrics = compute(query, rows, self._source.answered_by(query))
            if dimension is not None:  # a category of transfers only is no group of spending
                metrics = replace(metrics, groups=[g for g in metrics.groups if moves_money(g)])
            names: dict[UUID, str] = {
                **accounts,
                **tags,
                **{category_id: category.name for category_id, category in categories.items()},
            }
            labels = {
                str(group.key): names[group.key]
                for group in metrics.groups
                if isinstance(group.key, UUID) and group.key in names
            }
            return MetricsAnswer(metrics, labels)

    @staticmethod
    def _currency(uow: UnitOfWork, caller: Caller, wanted: str | None) -> str:
        if wanted is None:
            return uow.tenants.get(caller.tenant_id).base_currency
        return _checked_currency(wanted)

    # Dashboards

    def dashboards(self, caller: Caller) -> list[Dashboard]:
        """The caller's dashboards by name; the default one when they saved none."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            saved = list(
                uow.session.scalars(
                    select(Dashboard)
                    .where(
                        Dashboard.tenant_id == caller.tenant_id, Dashboard.user_id == caller.user_id
                    )
                    .order_by(Dashboard.name, Dashboard.id)
                )
            )
            return saved or [self._default(caller)]

    def dashboard(self, caller: Caller, dashboard_id: UUID) -> Dashboard:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return self._find(uow, caller, dashboard_id)

    def save_dashboard(
        self,
        caller: Caller,
        dashboard_id: UUID,
        name: str,
        widgets: list[dict[str, Any]],
        expected_version: int | None,
    ) -> tuple[Dashboard, bool]:
        """Creates or replaces the caller's dashboard ``dashboard_id``; replacing one needs the
        version read. Returns it and whether it was created."""
        checked = [widget.to_json() for widget in check_widgets(widgets, ("body", "widgets"))]
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            stored = uow.session.get(Dashboard, dashboard_id)
            if stored is not None and (
                stored.tenant_id != caller.tenant_id or stored.user_id != caller.user_id
            ):
                # As the primary key says where row-level security hides the other row.
                raise Conflict(f"the id {dashboard_id} is taken: choose another")
            now = uow.now()
            if stored is None:
                stored = Dashboard(
                    id=dashboard_id,
                    tenant_id=caller.tenant_id,
                    user_id=caller.user_id,
                    name=name,
                    widgets=checked,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                uow.session.add(stored)
                created = True
            else:
                check_version("dashboard", stored.version, expected_version, required=True)
                stored.name, stored.widgets, stored.updated_at = name, checked, now
                stored.version += 1
                created = False
            uow.session.flush()
            uow.commit()
            return stored, created

    def delete_dashboard(
        self, caller: Caller, dashboard_id: UUID, expected_version: int | None
    ) -> None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            stored = self._find(uow, caller, dashboard_id, saved_only=True)
            check_version("dashboard", stored.version, expected_version, required=True)
            uow.session.delete(stored)
            uow.session.execute(
                delete(DashboardSnapshot).where(
                    DashboardSnapshot.tenant_id == caller.tenant_id,
                    DashboardSnapshot.dashboard_id == dashboard_id,
                )
            )
            uow.commit()

    def dashboard_data(
        self,
        caller: Caller,
        dashboard_id: UUID,
        start: date | None = None,
        end: date | None = None,
        currency: str | None = None,
    ) -> DashboardData:
        """Every widget's data for the period (default: this month in the workspace's time
        zone). The default period is served from the dashboard's snapshot while it holds
        (``shared.analytics.snapshots``), other periods from the cache while nothing they depend
        on changed; else the data is computed, and kept for the next time."""
        view = self._views.read(caller.tenant_id, caller.user_id, dashboard_id)
        allowed_role(caller, view.role, Need.READ)
        dashboard = view.dashboard or self._default_named(caller, dashboard_id)
        today = local_today(self._clock.now(), view.timezone)
        snapshots = self._snapshots and start is None and end is None and currency is None
        start = start or today.replace(day=1)
        check_day(start)
        end = end or month_end(start if start > today else today)
        check_range(start, end, None)
        currency = _checked_currency(currency or view.base_currency)
        period = (start, end, currency, today)
        generation = view.generation
        if snapshots:
            snapshot = view.snapshot
            if snapshot is not None and snapshot.serves(
                _shape(dashboard), today, generation, currency
            ):
                document, cached = snapshot.widgets, True
            else:
                document = self._kept(caller, dashboard, period, generation, view.timezone)
                cached = False
            return DashboardData(dashboard, start, end, currency, generation, document, cached)
        key = _cache_key(caller, dashboard, (*period, generation))
        hit = self._cache.get(key) if self._cache else None
        if hit is not None:
            document = hit.decode()
        else:
            with self._uow(caller.tenant_id, caller.user_id) as uow:
                document = self._widgets(uow, caller.tenant_id, dashboard, period)
            if self._cache:
                self._cache.set(key, document.encode(), self._cache_seconds)
        return DashboardData(
            dashboard, start, end, currency, generation, document, cached=hit is not None
        )

    def _kept(
        self,
        caller: Caller,
        dashboard: Dashboard,
        period: Period,
        generation: int,
        timezone: str,
    ) -> str:
        """The default period's data, computed and stored as the dashboard's snapshot. The
        generation was read before the rollups: a snapshot may hold newer data than its label
        says (then it is computed again once), never older."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            document = self._widgets(uow, caller.tenant_id, dashboard, period)
            self._store(uow, dashboard, (period, generation, timezone), document, opened=True)
            uow.commit()
        return document

    def refresh_snapshots(self, uow: UnitOfWork, tenant_id: UUID) -> int:
        """Computes again, in ``uow``'s transaction, every snapshot the workspace keeps for a
        member: the ``activity`` consumer calls it after it changed the rollups, so the next
        opening of a dashboard someone has opened before is served, not computed. Returns how
        many it refreshed."""
        if not self._snapshots:
            return 0
        tenant = uow.tenants.get(tenant_id)
        today = local_today(self._clock.now(), tenant.timezone)
        people = kept(uow.session, tenant_id, today)
        if not people:
            return 0
        generation = uow.session.scalar(
            select(AnalyticsGeneration.generation).where(AnalyticsGeneration.tenant_id == tenant_id)
        )
        period = (today.replace(day=1), month_end(today), tenant.base_currency, today)
        saved = {
            row.id: row
            for row in uow.session.scalars(
                select(Dashboard).where(
                    Dashboard.tenant_id == tenant_id,
                    Dashboard.id.in_({dashboard_id for _, dashboard_id in people}),
                )
            )
        }
        stamp = (period, int(generation or 0), tenant.timezone)
        refreshed = 0
        for user_id, dashboard_id in people:
            dashboard = saved.get(dashboard_id)
            if dashboard is None or dashboard.user_id != user_id:
                dashboard = self._default_for(tenant_id, user_id)
            if dashboard.id != dashboard_id:  # deleted since
                forget(uow.session, tenant_id, user_id, dashboard_id)
                continue
            refreshed += self._refresh_one(uow, dashboard, stamp)
        return refreshed

    def _refresh_one(
        self,
        uow: UnitOfWork,
        dashboard: Dashboard,
        stamp: Stamp,
    ) -> int:
        """One snapshot computed again, in a savepoint: a dashboard that cannot be computed
        loses its snapshot (its next opening computes, and fails, on its own) instead of
        failing the change the consumer applies. The database's own failures (a lost
        connection, a serialization failure, a deadlock) fail it, to be tried again. Every
        caller has written before (a savepoint as SQLite's first statement would not open the
        transaction around it)."""
        try:
            with uow.session.begin_nested():
                document = self._widgets(uow, dashboard.tenant_id, dashboard, stamp[0])
                self._store(uow, dashboard, stamp, document, opened=False)
        except OperationalError:
            raise
        except Exception:
            _log.exception("the snapshot of dashboard %s could not be computed", dashboard.id)
            forget(uow.session, dashboard.tenant_id, dashboard.user_id, dashboard.id)
            return 0
        return 1

    def refresh_day(self, time_left: Callable[[], float] | None = None) -> DayRefresh:
        """Computes again the snapshots of every workspace where their day has ended, so the
        day's first opening is served too. Run every quarter of an hour: workspaces' midnights
        fall on different hours (and half hours). A workspace that fails is logged and the
        others go on. ``time_left`` (seconds): no workspace is started with less than a minute
        left; the next run takes the rest, which are still due."""
        run = DayRefresh([], [], 0)
        due = self._views.workspaces_due(self._clock.now())
        for number, tenant_id in enumerate(due):
            if time_left is not None and time_left() < REFRESH_MARGIN_SECONDS:
                run.left = len(due) - number
                break
            try:
                with self._uow(tenant_id, None) as uow:
                    if self.refresh_snapshots(uow, tenant_id):
                        run.refreshed.append(tenant_id)
                    uow.commit()
            except Exception as error:
                _log.exception("the snapshots of workspace %s could not be refreshed", tenant_id)
                run.failed.append((tenant_id, f"{type(error).__name__}: {error}"))
        return run

    def _store(
        self,
        uow: UnitOfWork,
        dashboard: Dashboard,
        stamp: Stamp,
        document: str,
        *,
        opened: bool,
    ) -> None:
        """Stores ``document`` as the dashboard's snapshot; ``stamp``: the period it is of, the
        generation it was computed at and the workspace's time zone; ``opened``: computed for an
        opening."""
        (start, end, currency, today), generation, timezone = stamp
        snapshot = Snapshot(_shape(dashboard), today, generation, start, end, currency, document)
        store(
            uow.session,
            dashboard.tenant_id,
            dashboard.user_id,
            dashboard.id,
            snapshot,
            timezone=timezone,
            now=uow.now(),
            opened=opened,
        )

    def _widgets(
        self,
        uow: UnitOfWork,
        tenant_id: UUID,
        dashboard: Dashboard,
        period: Period,
    ) -> str:
        """The dashboard's data for the period, as JSON text."""
        board = self._board(uow, tenant_id, period)
        return json.dumps(to_json(board.data([Widget(**w) for w in dashboard.widgets])))

    def _board(self, uow: UnitOfWork, tenant_id: UUID, period: Period) -> Board:
        start, end, currency, today = period
        categories = load_categories(uow.session, tenant_id)
        children: dict[UUID | None, list[UUID]] = {}
        for category in categories.values():
            children.setdefault(category.parent_id, []).append(category.id)

        # Read only for a dashboard that shows budgets, and once: the planning pass asks too.
        budgets = cache(uow.budgets.list)

        def progress(spent: Spending) -> list[BudgetProgress]:
            return progress_of_all(uow, budgets(), today, children, spent)

        return Board(
            uow.session,
            tenant_id,
            self._source,
            start,
            end,
            currency,
            categories,
            load_accounts(uow.session, tenant_id),
            progress,
        )

    def _default(self, caller: Caller) -> Dashboard:
        return self._default_for(caller.tenant_id, caller.user_id)

    def _default_for(self, tenant_id: UUID, user_id: UUID) -> Dashboard:
        now = self._clock.now()
        return Dashboard(
            id=uuid5(DEFAULT_DASHBOARD_NAMESPACE, f"{tenant_id}:{user_id}"),
            tenant_id=tenant_id,
            user_id=user_id,
            name=DEFAULT_NAME,
            widgets=list(_default_widgets()),
            version=0,
            created_at=now,
            updated_at=now,
        )

    def _find(
        self, uow: UnitOfWork, caller: Caller, dashboard_id: UUID, *, saved_only: bool = False
    ) -> Dashboard:
        stored = uow.session.get(Dashboard, dashboard_id)
        if (
            stored is not None
            and stored.tenant_id == caller.tenant_id
            and stored.user_id == caller.user_id
        ):
            return stored
        if stored is None and not saved_only:
            return self._default_named(caller, dashboard_id)
        raise NotFound(f"dashboard {dashboard_id} not found", resource="dashboard")

    def _default_named(self, caller: Caller, dashboard_id: UUID) -> Dashboard:
        """The caller's default dashboard when ``dashboard_id`` is its id (it is saved by no
        one until it is changed), else NotFound."""
        default = self._default(caller)
        if dashboard_id != default.id:
            raise NotFound(f"dashboard {dashboard_id} not found", resource="dashboard")
        return default

    # Rebuilding

    def rebuild(self, tenant_id: UUID) -> int:
        """Recomputes the workspace's rollups from its transactions and returns how many rows
        they have. Events the transactions already reflect are marked applied, in the same
        snapshot, so the consumer does not count them again; on PostgreSQL the snapshot is
        REPEATABLE READ and a concurrent consumer's commit makes it start over."""
        for attempt in range(1, REBUILD_ATTEMPTS + 1):
            try:
                return self._rebuild_once(tenant_id)
            except OperationalError as error:
                code = getattr(error.orig, "sqlstate", None)
                if code != SERIALIZATION_FAILURE or attempt == REBUILD_ATTEMPTS:
                    raise
                _log.info("rebuild of %s met a concurrent change; again (%d)", tenant_id, attempt)
        raise AssertionError("unreachable")

    def _rebuild_once(self, tenant_id: UUID) -> int:
        with self._uow(tenant_id, None) as uow:
            if uow.session.get_bind().dialect.name == "postgresql":
                uow.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            session = uow.session
            session.execute(delete(Rollup).where(Rollup.tenant_id == tenant_id))
            session.execute(delete(MerchantRollup).where(MerchantRollup.tenant_id == tenant_id))
            claim_reflected_events(uow, tenant_id)
            dialect = session.get_bind().dialect.name
            for statement in fill_statements(tenant_id, dialect, uow.now()):
                session.execute(statement)
            bump_generation(uow.session, tenant_id, uow.now())
            self.refresh_snapshots(uow, tenant_id)
            count = session.scalar(
                select(func.count()).select_from(Rollup).where(Rollup.tenant_id == tenant_id)
            )
            uow.commit()
            return int(count or 0)


def _known(wanted: frozenset[Any], known: Iterable[Any], parameter: str) -> None:
    """Ids of another workspace are unknown here: the answer says which, and where."""
    missing = sorted(str(item) for item in wanted - set(known))
    if missing:
        raise InvalidInput(
            f"{parameter}: not in this workspace: {', '.join(missing)}",
            issues=[FieldIssue(("query", parameter), f"unknown: {', '.join(missing)}", "unknown")],
        )


@cache
def _default_widgets() -> tuple[dict[str, Any], ...]:
    return tuple(widget.to_json() for widget in DEFAULT_WIDGETS)


@cache
def _default_shape() -> str:
    return shape_of(0, list(_default_widgets()))


def _shape(dashboard: Dashboard) -> str:
    """``shape_of`` the dashboard; the default one's (never saved: version 0) once."""
    if dashboard.version == 0:
        return _default_shape()
    return shape_of(dashboard.version, dashboard.widgets)


def _checked_currency(wanted: str) -> str:
    if not is_currency(wanted):
        raise InvalidInput(
            f"{wanted!r} is not an ISO 4217 currency",
            issues=[FieldIssue(("query", "currency"), "unknown currency", "currency")],
        )
    return wanted


def _cache_key(caller: Caller, dashboard: Dashboard, *parts: Any) -> str:
    """Everything a dashboard's data depends on: the generation counts every change to the
    rollups, categories, accounts and budgets (``bump_generation``)."""
    fingerprint = hashlib.sha256(
        json.dumps([dashboard.widgets, parts], default=str, sort_keys=True).encode()
    ).hexdigest()
    return f"dashboard:{caller.tenant_id}:{dashboard.id}:{dashboard.version}:{fingerprint}"


def to_json(value: Any) -> Any:
    """Widget data in JSON form: decimals as plain decimal strings, dates and ids as text."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.0001")).normalize(), "f")
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
