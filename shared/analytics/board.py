"""Every widget's data for one dashboard and period, computed in one unit of work.

Aggregates come from a ``Source`` (the rollups in the product; the transactions in the
benchmark's baseline), memoised per question: the category breakdown and the cash-flow Sankey
ask the same one. Only the lists of transactions (recent, largest) read transactions, a few rows
through the (tenant, booked_on) index. Amounts stay ``Decimal``; the API turns them into strings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared.analytics.metrics import Metrics, compute
from shared.analytics.query import (
    Dimension,
    Filters,
    MetricsQuery,
    TimeGrain,
    add_months,
    month_end,
)
from shared.analytics.sources import Source, batch_rows
from shared.analytics.widgets import Widget
from shared.db.models import Account, Budget, Category, Transaction
from shared.domain.analytics import Flow, Totals, flow_of
from shared.services.budgets import BudgetProgress, Spending

EARLIEST = date(1900, 1, 1)
WINDOW_MONTHS = 12
"""The income-vs-expenses widget's default months: the other figures reuse its answer."""
"""Balances sum every movement since the first; no statement is older than this."""


@dataclass(frozen=True)
class CategoryInfo:
    id: UUID
    parent_id: UUID | None
    kind: str
    name: str


@dataclass(frozen=True)
class AccountInfo:
    id: UUID
    name: str
    currency: str
    opening_balance: Decimal


def load_categories(session: Session, tenant_id: UUID) -> dict[UUID, CategoryInfo]:
    """The workspace's categories, as the widgets need them (plain rows, no ORM objects: this
    runs on every dashboard computed)."""
    c = Category
    rows = session.execute(
        select(c.id, c.parent_id, c.kind, c.name).where(c.tenant_id == tenant_id)
    )
    return {row.id: CategoryInfo(row.id, row.parent_id, row.kind, row.name) for row in rows}


def load_accounts(session: Session, tenant_id: UUID) -> list[AccountInfo]:
    """The workspace's open accounts, by name."""
    a = Account
    rows = session.execute(
        select(a.id, a.name, a.currency, a.opening_balance)
        .where(a.tenant_id == tenant_id, a.archived.is_(False))
        .order_by(a.name, a.id)
    )
    return [AccountInfo(row.id, row.name, row.currency, row.opening_balance) for row in rows]


@dataclass
class Board:
    """What the widgets of one request share."""

    session: Session
    tenant_id: UUID
    source: Source
    start: date
    end: date
    currency: str
    categories: dict[UUID, CategoryInfo]
    accounts: list[AccountInfo]
    progress: Callable[[Spending], list[BudgetProgress]]
    """The workspace's budgets measured with the given spending (``spending``)."""
    _memo: dict[MetricsQuery, Metrics] = field(default_factory=dict)
    _planning: list[MetricsQuery] | None = None

    @property
    def kinds(self) -> dict[UUID, str]:
        return {category_id: category.kind for category_id, category in self.categories.items()}

    def metrics(self, query: MetricsQuery) -> Metrics:
        if query not in self._memo:
            if self._planning is not None:
                self._planning.append(query)
                return compute(query, [], "")
            rows = self.source.rows(self.session, self.tenant_id, query)
            self._memo[query] = compute(query, rows, self.source.answered_by(query))
        return self._memo[query]

    def ask(self, queries: list[MetricsQuery]) -> None:
        """Answers ``queries`` at once, in one round trip, for ``metrics`` to find."""
        unique = list(dict.fromkeys(q for q in queries if q not in self._memo))
        answers = batch_rows(self.source, self.session, self.tenant_id, unique)
        for query, rows in zip(unique, answers, strict=True):
            self._memo[query] = compute(query, rows, self.source.answered_by(query))

    def spending(
        self, budget: Budget, start: date, end: date, scope: frozenset[UUID] | None
    ) -> Decimal:
        """What ``shared.services.budgets.spending`` sums, from this board's source: the
        period's category figures, which the category breakdown asks for too."""
        filters = Filters(start, end, budget.currency)
        metrics = self.metrics(MetricsQuery(filters, dimension=Dimension.CATEGORY))
        if scope is None:
            return metrics.totals.expenses
        return -sum(
            (group.totals.movement for group in metrics.groups if group.key in scope), Decimal(0)
        )

    def totals(self, start: date, end: date) -> Totals:
        """A period's totals; whole months inside the income-vs-expenses window are summed
        from its monthly figures instead of asked again."""
        window = self.window(WINDOW_MONTHS)
        inside = window.filters.start <= start and end <= window.filters.end
        if inside and start.day == 1 and end == month_end(end):
            return sum(
                (
                    g.totals
                    for g in self.metrics(window).groups
                    if start <= (g.bucket or start) <= end
                ),
                Totals(),
            )
        return self.metrics(MetricsQuery(self.period(start, end))).totals

    def window(self, months: int) -> MetricsQuery:
        """The ``months`` months up to the period's last, by month."""
        first = add_months(self.end, -(months - 1))
        return MetricsQuery(self.period(first, month_end(self.end)), time=TimeGrain.MONTH)

    def period(self, start: date | None = None, end: date | None = None) -> Filters:
        return Filters(start or self.start, end or self.end, self.currency)

    def previous(self) -> tuple[date, date]:
        """The period before: the same number of whole months, or of days."""
        if self.start.day == 1 and self.end == month_end(self.end):
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            start = add_months(self.start, -months)
            return start, self.start - timedelta(days=1)
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return end - length, end

    def root(self, category_id: UUID | None) -> UUID | None:
        """The top-level category above ``category_id``."""
        seen: set[UUID] = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            parent = (
                self.categories[category_id].parent_id if category_id in self.categories else None
            )
            if parent is None:
                return category_id
            category_id = parent
        return category_id

    def label(self, category_id: UUID | None) -> str | None:
        category = self.categories.get(category_id) if category_id else None
        return category.name if category else None

    def data(self, widgets: list[Widget]) -> dict[str, Any]:
        """Every widget's data. The widgets are first built on empty figures only to learn
        which questions they ask; those are answered together, then the widgets built for
        real (lists of transactions are read apart: they are rows, not figures)."""
        self._planning = []
        try:
            for widget in widgets:
                if widget.type not in LISTS:
                    BUILDERS[widget.type](self, widget)
            planned = self._planning
        finally:
            self._planning = None
        self.ask(planned)
        return {
            widget.id: {"type": widget.type, **BUILDERS[widget.type](self, widget)}
            for widget in widgets
        }


def kpis(board: Board, _widget: Widget) -> dict[str, Any]:
    now = board.totals(board.start, board.end)
    start, end = board.previous()
    before = board.totals(start, end)
    figures = {
        "income": (now.income, before.income),
        "expenses": (now.expenses, before.expenses),
        "net": (now.net, before.net),
        "savings_rate": (now.savings_rate, before.savings_rate),
        "transactions": (Decimal(now.transactions), Decimal(before.transactions)),
        "average_ticket": (now.average_ticket, before.average_ticket),
    }
    return {
        "previous_period": {"from": start, "to": end},
        "figures": {name: _change(*pair) for name, pair in figures.items()},
    }


def _change(value: Decimal | None, previous: Decimal | None) -> dict[str, Any]:
    change = None
    if value is not None and previous:
        change = (value - previous) / abs(previous)
    return {"value": value, "previous": previous, "change": change}


def income_vs_expenses(board: Board, widget: Widget) -> dict[str, Any]:
    query = board.window(widget.setting("months"))
    return {
        "months": [
            {
                "month": group.bucket,
                "income": group.totals.income,
                "expenses": group.totals.expenses,
                "net": group.totals.net,
            }
            for group in board.metrics(query).groups
        ]
    }


def _by_root(board: Board, flow: Flow) -> dict[UUID | None, dict[UUID | None, Decimal]]:
    """Root → category → amount of ``flow`` (expenses or income) in the period."""
    metrics = board.metrics(MetricsQuery(board.period(), dimension=Dimension.CATEGORY))
    tree: dict[UUID | None, dict[UUID | None, Decimal]] = defaultdict(dict)
    kinds = board.kinds
    for group in metrics.groups:
        category_id = group.key if isinstance(group.key, UUID) else None
        own = flow_of(category_id, kinds)
        amount = group.totals.expenses if flow is Flow.EXPENSE else group.totals.income
        if own in (flow, Flow.UNCATEGORISED) and amount:
            tree[board.root(category_id)][category_id] = amount
    return tree


def category_breakdown(board: Board, widget: Widget) -> dict[str, Any]:
    tree = _by_root(board, Flow.EXPENSE)
    total = sum((sum(children.values(), Decimal(0)) for children in tree.values()), Decimal(0))
    roots = sorted(tree.items(), key=lambda item: -sum(item[1].values(), Decimal(0)))
    shown, rest = roots[: widget.setting("limit")], roots[widget.setting("limit") :]
    return {
        "total": total,
        "categories": [_root_entry(board, root, children, total) for root, children in shown],
        "other": sum((sum(children.values(), Decimal(0)) for _, children in rest), Decimal(0)),
    }


def _root_entry(
    board: Board, root: UUID | None, children: dict[UUID | None, Decimal], total: Decimal
) -> dict[str, Any]:
    amount = sum(children.values(), Decimal(0))
    return {
        "category_id": root,
        "name": board.label(root),
        "amount": amount,
        "share": amount / total if total else None,
        "children": [
            {"category_id": child, "name": board.label(child), "amount": value}
            for child, value in sorted(children.items(), key=lambda item: -item[1])
            if child != root
        ],
    }


def top_merchants(board: Board, widget: Widget) -> dict[str, Any]:
    metrics = board.metrics(MetricsQuery(board.period(), dimension=Dimension.MERCHANT))
    spent: dict[str, Totals] = defaultdict(Totals)
    for group in metrics.groups:
        spent[str(group.key)] += group.totals
    ranked = sorted(
        (item for item in spent.items() if item[1].expenses > 0), key=lambda i: -i[1].expenses
    )
    return {
        "merchants": [
            {
                "merchant": name,
                "amount": totals.expenses,
                "transactions": totals.expense_transactions,
            }
            for name, totals in ranked[: widget.setting("limit")]
        ]
    }


def cash_flow_sankey(board: Board, _widget: Widget) -> dict[str, Any]:
    """Income sources → income → spending categories and savings (or a deficit covering the
    spending income did not)."""
    income = {
        root: sum(children.values(), Decimal(0))
        for root, children in _by_root(board, Flow.INCOME).items()
    }
    spending = {
        root: sum(children.values(), Decimal(0))
        for root, children in _by_root(board, Flow.EXPENSE).items()
    }
    total_in = sum(income.values(), Decimal(0))
    total_out = sum(spending.values(), Decimal(0))
    nodes: list[dict[str, Any]] = [{"id": "income", "name": "income", "kind": "total"}]
    links: list[dict[str, Any]] = []
    for root, amount in sorted(income.items(), key=lambda item: -item[1]):
        node = f"in:{root or 'uncategorised'}"
        nodes.append({"id": node, "name": board.label(root), "kind": "source", "category_id": root})
        links.append({"source": node, "target": "income", "amount": amount})
    if total_out > total_in:
        nodes.append({"id": "deficit", "name": "deficit", "kind": "source"})
        links.append({"source": "deficit", "target": "income", "amount": total_out - total_in})
    for root, amount in sorted(spending.items(), key=lambda item: -item[1]):
        node = f"out:{root or 'uncategorised'}"
        nodes.append(
            {"id": node, "name": board.label(root), "kind": "spending", "category_id": root}
        )
        links.append({"source": "income", "target": node, "amount": amount})
    if total_in > total_out:
        nodes.append({"id": "savings", "name": "savings", "kind": "savings"})
        links.append({"source": "income", "target": "savings", "amount": total_in - total_out})
    return {"nodes": nodes, "links": links}


def balance_over_time(board: Board, widget: Widget) -> dict[str, Any]:
    """Each account's balance at the end of each month: its opening balance plus every movement
    up to then, transfers included."""
    first = add_months(board.end, -(widget.setting("months") - 1))
    months = [add_months(first, offset) for offset in range(widget.setting("months"))]
    series = []
    for currency in sorted({account.currency for account in board.accounts}):
        filters = Filters(EARLIEST, month_end(board.end), currency)
        query = MetricsQuery(
            filters, time=TimeGrain.MONTH, dimension=Dimension.ACCOUNT, all_flows=True
        )
        moved: dict[UUID, dict[date, Decimal]] = defaultdict(dict)
        for group in board.metrics(query).groups:
            if isinstance(group.key, UUID) and group.bucket is not None:
                moved[group.key][group.bucket] = group.totals.movement
        for account in board.accounts:
            if account.currency == currency:
                series.append(_balances(account, moved[account.id], months))
    return {"accounts": series}


def _balances(
    account: AccountInfo, moved: dict[date, Decimal], months: list[date]
) -> dict[str, Any]:
    balance = account.opening_balance + sum(
        (amount for month, amount in moved.items() if month < months[0]), Decimal(0)
    )
    points = []
    for month in months:
        balance += moved.get(month, Decimal(0))
        points.append({"month": month, "balance": balance})
    return {
        "account_id": account.id,
        "name": account.name,
        "currency": account.currency,
        "points": points,
    }


def budget_progress(board: Board, _widget: Widget) -> dict[str, Any]:
    return {
        "budgets": [
            {
                "budget_id": item.budget.id,
                "name": item.budget.name,
                "category_id": item.budget.category_id,
                "currency": item.currency,
                "period_start": item.progress.period.start,
                "period_end": item.progress.period.end,
                "spent": item.progress.spent,
                "limit": item.progress.limit,
                "remaining": item.progress.remaining,
                "percentage": item.progress.percentage,
                "projected": item.progress.projected,
                "days_left": item.progress.days_left,
            }
            for item in board.progress(board.spending)
        ]
    }


def recent_transactions(board: Board, widget: Widget) -> dict[str, Any]:
    t = Transaction
    statement = (
        select(*LISTED)
        .where(t.tenant_id == board.tenant_id, t.booked_on <= board.end)
        .order_by(t.booked_on.desc(), t.created_at.desc(), t.id)
        .limit(widget.setting("limit"))
    )
    return {"transactions": [_listed(row) for row in board.session.execute(statement)]}


def largest_transactions(board: Board, widget: Widget) -> dict[str, Any]:
    t = Transaction
    statement = (
        select(*LISTED)
        .where(
            t.tenant_id == board.tenant_id,
            t.currency == board.currency,
            t.booked_on >= board.start,
            t.booked_on <= board.end,
            t.amount < 0,
        )
        .order_by(t.amount, t.id)
        .limit(widget.setting("limit"))
    )
    transfers = sorted(key for key, kind in board.kinds.items() if kind == Flow.TRANSFER)
    if transfers:  # a card bill paid is not a large expense: its purchases were
        statement = statement.where(or_(t.category_id.is_(None), t.category_id.not_in(transfers)))
    return {"transactions": [_listed(row) for row in board.session.execute(statement)]}


LISTED = (
    Transaction.id,
    Transaction.account_id,
    Transaction.booked_on,
    Transaction.description,
    Transaction.merchant,
    Transaction.amount,
    Transaction.currency,
    Transaction.category_id,
)
"""The columns a widget lists (not whole ORM objects, which would load their tags too)."""


def _listed(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "booked_on": row.booked_on,
        "description": row.description,
        "merchant": row.merchant,
        "amount": row.amount,
        "currency": row.currency,
        "category_id": row.category_id,
    }


LISTS = frozenset({"recent_transactions", "largest_transactions"})

BUILDERS: dict[str, Callable[[Board, Widget], dict[str, Any]]] = {
    "kpis": kpis,
    "income_vs_expenses": income_vs_expenses,
    "category_breakdown": category_breakdown,
    "top_merchants": top_merchants,
    "cash_flow_sankey": cash_flow_sankey,
    "balance_over_time": balance_over_time,
    "budget_progress": budget_progress,
    "recent_transactions": recent_transactions,
    "largest_transactions": largest_transactions,
}
