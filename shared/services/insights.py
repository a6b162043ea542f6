"""Insights: the rules of ``shared.analytics.insights`` over a workspace's rollups, with evidence.

Three questions to the rollups (``RollupSource``) give every figure the rules read: spending by
category and month for four months, totals by month for thirteen, charges by merchant and month
for six. Then each insight found gets its evidence from the transactions — at most
``EVIDENCE_LIMIT`` ids, one small indexed query per insight:

- a category's insight: its debits (children included) in the insight's period, largest first;
- a new recurring charge: the merchant's debits of the three months, oldest first;
- red months: the largest expenses of the worst month.

Texts are in the caller's language (``users.locale``: en for ``en…``, else pt-BR), amounts in the
workspace's base currency, and "this month" is the month in the workspace's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared.analytics.insight_texts import render
from shared.analytics.insights import (
    AVERAGE_MONTHS,
    NET_MONTHS,
    QUIET_MONTHS,
    RECURRING_MONTHS,
    Charge,
    Figures,
    Insight,
    InsightKind,
    insights,
    with_evidence,
    worst_month,
)
from shared.analytics.metrics import compute
from shared.analytics.query import (
    Dimension,
    Filters,
    MetricsQuery,
    TimeGrain,
    add_months,
    month_end,
)
from shared.analytics.sources import RollupSource, Source, merchant_of
from shared.clock import local_today
from shared.db.models import Category, Transaction
from shared.domain.analytics import EXPENSE
from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.notifications import Language
from shared.ports import Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize

EVIDENCE_LIMIT = 10
MAX_YEARS_BACK = 10
MONTH_FIELD = ("query", "month")


@dataclass(frozen=True)
class ExplainedInsight:
    insight: Insight
    title: str
    text: str


@dataclass(frozen=True)
class InsightAnswer:
    month: date
    """The first day of the month the insights are about."""
    currency: str
    language: Language
    insights: list[ExplainedInsight]


def language_of(locale: str | None) -> Language:
    """English for an ``en…`` profile; Portuguese (Brazil) for everyone else: Brazil first."""
    return Language.EN if locale and locale.lower().startswith("en") else Language.PT_BR


def check_month(month: date | None, today: date) -> date:
    """The first day of ``month`` (default: ``today``'s); 422 for a month after ``today``'s or
    more than ``MAX_YEARS_BACK`` years before it."""
    current = today.replace(day=1)
    if month is None:
        return current
    month = month.replace(day=1)
    if month > current:
        raise InvalidInput(
            f"{month:%Y-%m} has not begun yet",
            issues=[FieldIssue(MONTH_FIELD, f"at most {current:%Y-%m}", "in_the_future")],
        )
    earliest = add_months(current, -12 * MAX_YEARS_BACK)
    if month < earliest:
        raise InvalidInput(
            f"insights go back {MAX_YEARS_BACK} years at most: {earliest:%Y-%m}",
            issues=[FieldIssue(MONTH_FIELD, f"at least {earliest:%Y-%m}", "too_old")],
        )
    return month


class InsightService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, source: Source | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._source = source or RollupSource()

    def insights(self, caller: Caller, month: date | None = None) -> InsightAnswer:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            tenant = uow.tenants.get(caller.tenant_id)
            today = local_today(self._clock.now(), tenant.timezone)
            month = check_month(month, today)
            categories = {category.id: category for category in uow.categories.all()}
            reader = _Reader(uow.session, caller.tenant_id, tenant.base_currency, self._source)
            figures = Figures(
                month=month,
                complete=month_end(month) < today,
                currency=tenant.base_currency,
                spending=reader.spending(month, categories),
                net=reader.net(month),
                charges=reader.charges(month),
            )
            found = [
                with_evidence(insight, reader.evidence(insight, categories))
                for insight in insights(figures)
            ]
            user = uow.users.find(caller.user_id)
            language = language_of(user.locale if user else None)
            names = {category_id: category.name for category_id, category in categories.items()}
            explained = []
            for insight in found:
                text = render(insight, language, tenant.base_currency, names)
                explained.append(ExplainedInsight(insight, text.title, text.text))
            return InsightAnswer(month, tenant.base_currency, language, explained)


@dataclass(frozen=True)
class _Reader:
    """The figures and evidence of one workspace and currency, in one unit of work."""

    session: Session
    tenant_id: UUID
    currency: str
    source: Source

    def _groups(self, start: date, end: date, dimension: Dimension | None) -> list[Any]:
        filters = Filters(start, end, self.currency)
        query = MetricsQuery(filters, time=TimeGrain.MONTH, dimension=dimension)
        rows = self.source.rows(self.session, self.tenant_id, query)
        return compute(query, rows, self.source.answered_by(query)).groups

    def spending(
        self, month: date, categories: Mapping[UUID, Category]
    ) -> dict[date, dict[UUID, Decimal]]:
        """Per month, what each top-level expense category spent, its children's included."""
        spent: dict[date, dict[UUID, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        start = add_months(month, -AVERAGE_MONTHS)
        for group in self._groups(start, month_end(month), Dimension.CATEGORY):
            root = _root(group.key, categories) if isinstance(group.key, UUID) else None
            if root is not None and categories[root].kind == EXPENSE and group.bucket:
                spent[group.bucket][root] += group.totals.expenses
        return {bucket: dict(by_root) for bucket, by_root in spent.items()}

    def net(self, month: date) -> dict[date, Decimal]:
        """Per month with any movement, income − expenses."""
        start = add_months(month, -NET_MONTHS)
        return {
            group.bucket: group.totals.net
            for group in self._groups(start, month_end(month), None)
            if group.bucket
            and (
                group.totals.transactions or group.totals.transfers_in or group.totals.transfers_out
            )
        }

    def charges(self, month: date) -> dict[str, dict[date, Charge]]:
        """Per merchant and month, the money spent there and in how many debits."""
        start = add_months(month, -(RECURRING_MONTHS + QUIET_MONTHS - 1))
        found: dict[str, dict[date, Charge]] = defaultdict(dict)
        for group in self._groups(start, month_end(month), Dimension.MERCHANT):
            totals = group.totals
            if isinstance(group.key, str) and group.bucket and totals.expense_transactions:
                found[group.key][group.bucket] = Charge(
                    totals.expenses, totals.expense_transactions
                )
        return dict(found)

    def evidence(self, insight: Insight, categories: Mapping[UUID, Category]) -> list[UUID]:
        t = Transaction
        statement = select(t.id).where(
            t.tenant_id == self.tenant_id, t.currency == self.currency, t.amount < 0
        )
        start, end = insight.start, insight.end
        if insight.kind is InsightKind.NEW_RECURRING_CHARGE:
            statement = statement.where(merchant_of(t) == insight.merchant)
            order: tuple[Any, ...] = (t.booked_on, t.id)
        elif insight.kind is InsightKind.NEGATIVE_NET_MONTH:
            worst = worst_month(insight) or start
            start, end = worst, month_end(worst)
            statement = statement.outerjoin(
                Category, (Category.tenant_id == t.tenant_id) & (Category.id == t.category_id)
            ).where(or_(t.category_id.is_(None), Category.kind == EXPENSE))
            order = (t.amount, t.booked_on, t.id)
        else:
            family = _family(insight.category_id, categories)
            statement = statement.where(t.category_id.in_(sorted(family)))
            order = (t.amount, t.booked_on, t.id)
        statement = statement.where(t.booked_on >= start, t.booked_on <= end)
        return list(self.session.scalars(statement.order_by(*order).limit(EVIDENCE_LIMIT)))


def _root(category_id: UUID, categories: Mapping[UUID, Category]) -> UUID | None:
    """The top-level category above ``category_id`` (itself at the top); None for a category
    the workspace no longer has. A cycle stops where it closes."""
    seen: set[UUID] = set()
    current = category_id
    while current in categories and current not in seen:
        seen.add(current)
        parent = categories[current].parent_id
        if parent is None or parent not in categories:
            return current
        current = parent
    return current if current in categories else None


def _family(category_id: UUID | None, categories: Mapping[UUID, Category]) -> set[UUID]:
    """``category_id`` and every category below it."""
    if category_id is None:
        return set()
    return {known for known in categories if _descends(known, category_id, categories)}


def _descends(category_id: UUID, ancestor: UUID, categories: Mapping[UUID, Category]) -> bool:
    seen: set[UUID] = set()
    current: UUID | None = category_id
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        current = categories[current].parent_id if current in categories else None
    return False
