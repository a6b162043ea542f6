"""Reports: custom reports on demand, and the scheduled monthly and weekly reports.

A custom report (``POST /v1/reports``) is a metrics question with chosen measures, answered as a
table (``shared.reports.definition``) and written as JSON, CSV or XLSX (``shared.reports.render``).

A scheduled report is one person's report of one workspace for one period: an HTML page with
charts and a CSV of the period's figures by category, stored in the lake under
``reports/{tenant}/{user}/{period}/`` and announced by a ``ReportGenerated`` event recorded in
the outbox with the commit that follows the upload. The notifications consumer e-mails the person
a link, once per person and period (its de-duplication key), so running a period again replaces
the files and raises the event again without a second e-mail.

Who gets one: every member of every workspace gets the monthly report; the weekly one only those
whose notification preferences list ``WeeklyReport`` (``shared.domain.notifications``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from sqlalchemy import func, select

from events.envelope import DomainEvent, EventMetadata
from events.reports import ReportGenerated
from shared.analytics.board import BUILDERS, Board, load_accounts, load_categories
from shared.analytics.sources import RollupSource
from shared.analytics.widgets import Widget
from shared.db.engine import Database
from shared.db.models import NotificationPreference, OutboxEvent
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal
from shared.domain.errors import DomainError
from shared.domain.notifications import WEEKLY_REPORT, Language, language_for
from shared.ports import Clock, ObjectStore
from shared.reports import html
from shared.reports.definition import (
    ReportDefinition,
    ReportFilters,
    ReportTable,
    in_body,
    table,
)
from shared.reports.periods import Frequency, ReportPeriod
from shared.reports.render import CSV_MEDIA_TYPE, to_csv
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize, every_workspace
from shared.services.analytics import AnalyticsService
from shared.services.budgets import BudgetProgress

log = logging.getLogger(__name__)

AGGREGATE = "Report"
REPORT_NAMESPACE = UUID("3b0e7f6a-9c1d-4e2b-8f5a-6d7c8e9f0a1b")
LINK_SECONDS = 7 * 24 * 3600
"""How long an e-mailed link lasts (S3's longest presigned URL)."""
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
MONTHS_CHARTED = 6
CATEGORIES_SHOWN = 8
MERCHANTS_SHOWN = 5
LARGEST_SHOWN = 5


@dataclass(frozen=True)
class Recipient:
    user_id: UUID
    language: Language


@dataclass(frozen=True)
class WrittenReport:
    tenant_id: UUID
    user_id: UUID
    period: ReportPeriod
    html_key: str
    csv_key: str
    url: str
    event_id: UUID


@dataclass
class ScheduleRun:
    written: list[WrittenReport] = field(default_factory=list)
    failed: list[tuple[UUID, UUID, str]] = field(default_factory=list)
    """(tenant, user, error) of each report that could not be made; the others still are."""


def report_keys(tenant_id: UUID, user_id: UUID, period: ReportPeriod) -> tuple[str, str]:
    folder = f"reports/{tenant_id}/{user_id}/{period.key}"
    return f"{folder}/report.html", f"{folder}/report.csv"


class ReportService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        db: Database,
        object_store: ObjectStore,
        analytics: Callable[[], AnalyticsService],
        *,
        link_seconds: int = LINK_SECONDS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._db = db
        self._store = object_store
        self._analytics = analytics
        self._link_seconds = link_seconds

    # Custom reports

    def run(self, caller: Caller, report: ReportDefinition) -> ReportTable:
        """The report's table; the viewer role may run one (it reads only). Problems with the
        filters (another workspace's ids, an unknown currency) point into the body."""
        try:
            answer = self._analytics().metrics(caller, report.request())
        except DomainError as error:
            raise in_body(error) from None
        return table(report, answer)

    # Scheduled reports

    def run_scheduled(self, period: ReportPeriod, tenant_id: UUID | None = None) -> ScheduleRun:
        """Every member's report of ``period`` in every workspace (or one): monthly for all,
        weekly for those who asked. One report failing is logged and counted; the rest go on."""
        run = ScheduleRun()
        for tenant in self._tenants(tenant_id):
            for recipient in self._recipients(tenant, period.frequency):
                try:
                    run.written.append(self.generate(tenant, recipient, period))
                except Exception as error:
                    log.exception("report %s of %s in %s failed", period.key, recipient, tenant)
                    run.failed.append(
                        (tenant, recipient.user_id, f"{type(error).__name__}: {error}")
                    )
        return run

    def _tenants(self, only: UUID | None) -> list[UUID]:
        if only is not None:
            return [only]
        return every_workspace(self._db)

    def _recipients(self, tenant_id: UUID, frequency: Frequency) -> list[Recipient]:
        with self._uow(tenant_id, None) as uow:
            members = uow.memberships.of_tenant(tenant_id)
            preferences = {
                row.user_id: row
                for row in uow.session.scalars(
                    select(NotificationPreference).where(
                        NotificationPreference.user_id.in_([m.user_id for m in members])
                    )
                )
            }
            found = []
            for member in members:
                row = preferences.get(member.user_id)
                if frequency is Frequency.WEEKLY and (
                    row is None or WEEKLY_REPORT not in row.events
                ):
                    continue
                language = Language(row.language) if row and row.language else None
                found.append(
                    Recipient(member.user_id, language or language_for(member.user.locale))
                )
            return found

    def generate(
        self, tenant_id: UUID, recipient: Recipient, period: ReportPeriod
    ) -> WrittenReport:
        """Writes one person's report and records ``ReportGenerated``; again, it replaces both."""
        user_id = recipient.user_id
        caller = Caller(
            Principal(user_id, tenant_id),
            tenant_id,
            correlation_id=f"report-{period.key}-{tenant_id}-{user_id}",
        )
        figures = self.run(caller, _by_category(period))
        html_key, csv_key = report_keys(tenant_id, user_id, period)
        with self._uow(tenant_id, user_id) as uow:
            authorize(uow, caller, Need.READ)
            content = _content(uow, tenant_id, period, recipient.language, figures.currency)
            self._store.put(csv_key, to_csv(figures), content_type=CSV_MEDIA_TYPE)
            page = html.render(content).encode("utf-8")
            self._store.put(html_key, page, content_type=HTML_MEDIA_TYPE)
            url = self._store.url(html_key, self._link_seconds)
            event = _generated(
                uow,
                caller,
                period,
                recipient,
                (html_key, csv_key, url),
                self._expiry(),
            )
            uow.record(event)
            uow.commit()
        return WrittenReport(tenant_id, user_id, period, html_key, csv_key, url, event.id)

    def _expiry(self) -> datetime | None:
        return self._clock.now() + timedelta(seconds=self._link_seconds)


def _by_category(period: ReportPeriod) -> ReportDefinition:
    return ReportDefinition(period.start, period.end, ("category",), filters=ReportFilters())


def _content(
    uow: UnitOfWork, tenant_id: UUID, period: ReportPeriod, language: Language, currency: str
) -> html.ReportContent:
    """The dashboard widgets' data for the period, as the page shows it."""
    board = Board(
        uow.session,
        tenant_id,
        RollupSource(),
        period.start,
        period.end,
        currency,
        load_categories(uow.session, tenant_id),
        load_accounts(uow.session, tenant_id),
        _no_budgets,
    )

    def data(kind: str, **settings: int) -> dict[str, object]:
        return BUILDERS[kind](board, Widget(kind, kind, settings))

    months = data("income_vs_expenses", months=MONTHS_CHARTED)["months"]
    merchants = data("top_merchants", limit=MERCHANTS_SHOWN)["merchants"]
    largest = data("largest_transactions", limit=LARGEST_SHOWN)["transactions"]
    return html.ReportContent(
        period=period,
        language=language,
        currency=currency,
        workspace=uow.tenants.get(tenant_id).name,
        kpis=data("kpis"),
        months=list(_listed(months)),
        categories=data("category_breakdown", limit=CATEGORIES_SHOWN),
        merchants=list(_listed(merchants)),
        largest=list(_listed(largest)),
    )


def _no_budgets(*_: object) -> list[BudgetProgress]:
    """The report shows no budgets: the board never asks."""
    return []


def _listed(value: object) -> Iterable[dict[str, object]]:
    assert isinstance(value, list)
    return value


def report_id(tenant_id: UUID, user_id: UUID, period: ReportPeriod) -> UUID:
    return uuid5(REPORT_NAMESPACE, f"{tenant_id}:{user_id}:{period.key}")


def _generated(
    uow: UnitOfWork,
    caller: Caller,
    period: ReportPeriod,
    recipient: Recipient,
    where: tuple[str, str, str],
    expires_at: datetime | None,
) -> DomainEvent:
    aggregate_id = report_id(caller.tenant_id, recipient.user_id, period)
    html_key, csv_key, url = where
    data = ReportGenerated(
        report_id=aggregate_id,
        tenant_id=caller.tenant_id,
        user_id=recipient.user_id,
        frequency=period.frequency.value,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        language=recipient.language.value,
        html_key=html_key,
        csv_key=csv_key,
        url=url,
        expires_at=expires_at,
    )
    return DomainEvent(
        type="ReportGenerated",
        aggregate_id=aggregate_id,
        aggregate_type=AGGREGATE,
        version=_next_version(uow, aggregate_id),
        timestamp=uow.now(),
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=None, tenant_id=caller.tenant_id, correlation_id=caller.correlation_id
        ),
    )


def _next_version(uow: UnitOfWork, aggregate_id: UUID) -> int:
    """A report made again is the same aggregate's next event."""
    latest = uow.session.scalar(
        select(func.max(OutboxEvent.version)).where(
            OutboxEvent.aggregate_type == AGGREGATE, OutboxEvent.aggregate_id == aggregate_id
        )
    )
    return int(latest or 0) + 1
