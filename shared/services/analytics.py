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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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
from shared.analytics.sources import RollupSource, Source
from shared.analytics.widgets import DEFAULT_NAME, DEFAULT_WIDGETS, Widget, check_widgets
from shared.clock import local_today
from shared.db.models import (
    AnalyticsGeneration,
    Dashboard,
    Membership,
    MerchantRollup,
    Rollup,
    Tenant,
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
    widgets: dict[str, Any]
    """Widget id → its data, in JSON form (amounts as decimal strings)."""
    cached: bool


class AnalyticsService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        cache: Cache | None = None,
        *,
        cache_seconds: int = 600,
        source: Source | None = None,
    ) -> None:
        self._uow = uow
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
        if not is_currency(wanted):
            raise InvalidInput(
                f"{wanted!r} is not an ISO 4217 currency",
                issues=[FieldIssue(("query", "currency"), "unknown currency", "currency")],
            )
        return wanted

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
        zone), from the cache when nothing it depends on changed."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            # One statement for everything a cached answer needs: opening a dashboard whose
            # data did not change is this query and a cache read.
            context = _dashboard_context(uow.session, caller, dashboard_id)
            allowed_role(caller, context.role, Need.READ)
            dashboard = context.dashboard or self._default_named(caller, dashboard_id)
            today = local_today(self._clock.now(), context.timezone)
            start = start or today.replace(day=1)
            check_day(start)
            end = end or month_end(start if start > today else today)
            check_range(start, end, None)
            currency = self._currency(uow, caller, currency or context.base_currency)
            generation = context.generation
            key = _cache_key(caller, dashboard, (start, end, currency, today, generation))
            hit = self._cache.get(key) if self._cache else None
            if hit is not None:
                widgets = json.loads(hit)
            else:
                board = self._board(uow, caller, (start, end, currency, today))
                widgets = to_json(board.data([Widget(**w) for w in dashboard.widgets]))
                if self._cache:
                    self._cache.set(key, json.dumps(widgets).encode(), self._cache_seconds)
            return DashboardData(
                dashboard, start, end, currency, generation, widgets, cached=hit is not None
            )

    def _board(
        self, uow: UnitOfWork, caller: Caller, period: tuple[date, date, str, date]
    ) -> Board:
        start, end, currency, today = period
        categories = load_categories(uow.session, caller.tenant_id)
        children: dict[UUID | None, list[UUID]] = {}
        for category in categories.values():
            children.setdefault(category.parent_id, []).append(category.id)

        # Read only for a dashboard that shows budgets, and once: the planning pass asks too.
        budgets = cache(uow.budgets.list)

        def progress(spent: Spending) -> list[BudgetProgress]:
            return progress_of_all(uow, budgets(), today, children, spent)

        return Board(
            uow.session,
            caller.tenant_id,
            self._source,
            start,
            end,
            currency,
            categories,
            load_accounts(uow.session, caller.tenant_id),
            progress,
        )

    def _default(self, caller: Caller) -> Dashboard:
        now = self._clock.now()
        return Dashboard(
            id=uuid5(DEFAULT_DASHBOARD_NAMESPACE, f"{caller.tenant_id}:{caller.user_id}"),
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            name=DEFAULT_NAME,
            widgets=[widget.to_json() for widget in DEFAULT_WIDGETS],
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


@dataclass(frozen=True)
class _DashboardContext:
    role: str | None
    """The caller's membership role; None when not a member."""
    timezone: str
    base_currency: str
    generation: int
    dashboard: Dashboard | None
    """The saved dashboard asked for, when it is the caller's."""


def _dashboard_context(session: Session, caller: Caller, dashboard_id: UUID) -> _DashboardContext:
    """The workspace, the caller's membership, the rollup generation and the saved dashboard,
    in one round trip. A workspace that does not exist reads like one the caller is not in."""
    row = session.execute(
        select(
            Tenant.timezone,
            Tenant.base_currency,
            Membership.role,
            AnalyticsGeneration.generation,
            Dashboard,
        )
        .select_from(Tenant)
        .outerjoin(
            Membership,
            (Membership.tenant_id == Tenant.id) & (Membership.user_id == caller.user_id),
        )
        .outerjoin(AnalyticsGeneration, AnalyticsGeneration.tenant_id == Tenant.id)
        .outerjoin(
            Dashboard,
            (Dashboard.tenant_id == Tenant.id)
            & (Dashboard.id == dashboard_id)
            & (Dashboard.user_id == caller.user_id),
        )
        .where(Tenant.id == caller.tenant_id)
    ).one_or_none()
    if row is None:
        return _DashboardContext(None, "UTC", "BRL", 0, None)
    timezone, base_currency, role, generation, dashboard = row
    return _DashboardContext(role, timezone, base_currency, int(generation or 0), dashboard)


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
