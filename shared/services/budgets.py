"""Budgets: kept, measured against the stored transactions, and watched by an event consumer.

A budget limits what a workspace spends per period on one category and its children, or on
everything (``category_id`` None: the overall budget). The period rules, rollover, thresholds
and projection are plain domain code in ``shared.domain.budgets``; this service keeps the
budgets (``/v1/budgets``), reports a period's progress, and decides the alerts.

What counts as spending, always recomputed from the stored transactions in the budget's
currency (one SQL sum per period):

- a category budget: minus the sum of the period's amounts in the category and its
  descendants, so a refund (a credit there) reduces it;
- the overall budget: the same over every category of kind ``expense``, plus money that went
  out without a category; transfers (between own accounts, card bill payments, investments)
  and income are not spending.

Alerts: the ``budgets`` consumer hears every change to transactions; for each budget and
period the change can affect (the old and the new day, category, amount and currency of an
edit, and, with rollover, every later period up to the current one) it recomputes the spending
and compares it with the thresholds. ``budget_alerts`` keeps, per budget, period and threshold,
whether the alert has fired: a threshold crossed that had not fired raises its event
(``BudgetThresholdReached`` or ``BudgetExceeded``) in the consumer's unit of work, so the
state and the event commit together; a threshold no longer crossed is re-armed. Recomputing
rather than adding increments makes the outcome independent of the order events arrive in and
of how often they are delivered. The budget's row is locked while its alerts are decided, so
two deliveries never fire the same alert. Creating or changing a budget recomputes its current
period the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import and_, delete, func, or_, select

from events.budgets import BudgetAlert as BudgetAlertPayload
from events.budgets import BudgetExceeded, BudgetThresholdReached
from events.envelope import DomainEvent
from events.imports import TransactionsImported
from events.registry import payload
from events.transactions import (
    TransactionCategorized,
    TransactionCreated,
    TransactionDeleted,
    TransactionSnapshot,
    TransactionUpdated,
)
from shared.consumers import Consumer
from shared.db.models import Budget, BudgetAlert, Category, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.budgets import (
    DEFAULT_THRESHOLDS,
    MAX_THRESHOLD,
    MAX_THRESHOLDS,
    Frequency,
    Period,
    PeriodRule,
    PeriodStart,
    Progress,
    alert_type,
    carried_over,
    crossed,
    plan_alerts,
)
from shared.domain.errors import (
    FieldIssue,
    InvalidInput,
    NotFound,
)
from shared.domain.money import Money, currency_exponent, is_currency
from shared.domain.transactions import MAX_AMOUNT
from shared.ports import Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from shared.services.raised_events import Origin, raised_event
from shared.services.versions import check_version

CONSUMER = "budgets"
EVENT_TYPES = frozenset(
    {
        "TransactionCreated",
        "TransactionUpdated",
        "TransactionDeleted",
        "TransactionCategorized",
        "TransactionsImported",
    }
)
AGGREGATE = "Budget"
SPENDING_FIELDS = frozenset({"amount", "bookedOn", "currency", "categoryId"})
"""Wire names of the fields a ``TransactionUpdated`` must change to move spending."""
EXPENSE = "expense"
"""The category kind the overall budget counts (``shared.domain.taxonomy``)."""


@dataclass(frozen=True)
class BudgetSpec:
    """A budget as a person writes it."""

    name: str
    amount: Decimal
    category_id: UUID | None = None
    """None: the overall budget."""
    currency: str | None = None
    """Defaults to the workspace's base currency."""
    period: PeriodRule = field(default_factory=PeriodRule)
    rollover: bool = False
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    starts_on: date | None = None
    """Defaults to the first day of the current period."""


@dataclass(frozen=True)
class ThresholdState:
    threshold: int
    crossed: bool
    """Spending crosses it now."""


@dataclass(frozen=True)
class BudgetProgress:
    budget: Budget
    progress: Progress
    currency: str
    thresholds: tuple[ThresholdState, ...]


@dataclass(frozen=True)
class _Touch:
    """A day, currency and category whose spending an event changed."""

    day: date
    currency: str
    category_id: UUID | None
    any_category: bool = False
    """Recompute every budget of the currency at this day (an edit: see ``_touches``)."""


class BudgetService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=apply_event)

    def list(self, caller: Caller) -> list[Budget]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.budgets.list()

    def get(self, caller: Caller, budget_id: UUID) -> Budget:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.budgets.get(budget_id)

    def create(
        self, caller: Caller, spec: BudgetSpec, idempotency: IdempotencyRequest | None = None
    ) -> tuple[Budget, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                currency = spec.currency or uow.tenants.get(caller.tenant_id).base_currency
                thresholds = _check(
                    uow,
                    amount=spec.amount,
                    currency=currency,
                    category_id=spec.category_id,
                    rule=spec.period,
                    thresholds=spec.thresholds,
                    check_category=True,
                )
                today = uow.today()
                budget = Budget(
                    id=uuid4(),
                    tenant_id=caller.tenant_id,
                    name=spec.name,
                    category_id=spec.category_id,
                    amount=spec.amount,
                    currency=currency,
                    frequency=spec.period.frequency.value,
                    period_starts=spec.period.starts.value,
                    period_day=spec.period.day,
                    rollover=spec.rollover,
                    thresholds=list(thresholds),
                    starts_on=spec.starts_on or spec.period.period_of(today).start,
                    event_version=0,
                    created_by=caller.user_id,
                )
                uow.budgets.add(budget)
                uow.flush()
                recompute(uow, budget, [spec.period.period_of(today)], Origin.of_caller(caller))
                return budget.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.budgets.get(created.id), created

    def update(
        self,
        caller: Caller,
        budget_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> Budget:
        """``changes`` by field name; ``period`` (a ``PeriodRule``) replaces the whole rule."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            budget = uow.budgets.get(budget_id, lock=True)
            check_version("budget", budget.version, expected_version, required=True)
            rule: PeriodRule = changes.get("period", rule_of(budget))
            thresholds = _check(
                uow,
                amount=changes.get("amount", budget.amount),
                currency=changes.get("currency", budget.currency),
                category_id=changes.get("category_id", budget.category_id),
                rule=rule,
                thresholds=tuple(changes.get("thresholds", budget.thresholds)),
                check_category="category_id" in changes,
            )
            for name in ("name", "category_id", "amount", "currency", "rollover", "starts_on"):
                if name in changes:
                    setattr(budget, name, changes[name])
            if "thresholds" in changes:
                budget.thresholds = list(thresholds)
            if "period" in changes:
                budget.frequency = rule.frequency.value
                budget.period_starts = rule.starts.value
                budget.period_day = rule.day
            uow.flush()
            recompute(uow, budget, [rule.period_of(uow.today())], Origin.of_caller(caller))
            uow.commit()
            return budget

    def delete(self, caller: Caller, budget_id: UUID, expected_version: int | None) -> None:
        """Its alert states go with it; the events it raised stay in the outbox."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            budget = uow.budgets.get(budget_id, lock=True)
            check_version("budget", budget.version, expected_version, required=False)
            uow.session.execute(
                delete(BudgetAlert).where(
                    BudgetAlert.tenant_id == caller.tenant_id, BudgetAlert.budget_id == budget.id
                )
            )
            uow.budgets.delete(budget)
            uow.commit()

    def progress(self, caller: Caller, budget_id: UUID, on: date | None = None) -> BudgetProgress:
        """The period holding ``on`` (default: today in the workspace's time zone), measured
        on that day: its whole spending as stored, the projection at the pace up to ``on``."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            budget = uow.budgets.get(budget_id)
            return progress_of(uow, budget, on or uow.today(), _children(uow))


Spending = Callable[[Budget, date, date, frozenset[UUID] | None], Decimal]
"""Money out of a budget's scope from one day to another (inclusive), as ``spending``
measures it."""


def progress_of(
    uow: UnitOfWork,
    budget: Budget,
    as_of: date,
    children: dict[UUID | None, list[UUID]],
    spent: Spending | None = None,
) -> BudgetProgress:
    """The budget's period holding ``as_of``, measured on that day (with ``spent``, from
    another source of the same sums: a dashboard's rollups)."""
    scope = _scope(budget, children)
    period = rule_of(budget).period_of(as_of)
    progress = measure(uow, budget, period, as_of, scope, spent)
    states = tuple(
        ThresholdState(threshold, crossed(threshold, progress.spent, progress.limit))
        for threshold in budget.thresholds
    )
    return BudgetProgress(budget, progress, budget.currency, states)


def progress_of_all(
    uow: UnitOfWork,
    budgets: list[Budget],
    as_of: date,
    children: dict[UUID | None, list[UUID]],
    spent: Spending | None = None,
) -> list[BudgetProgress]:
    """``budgets`` measured on ``as_of``: what a dashboard shows."""
    return [progress_of(uow, budget, as_of, children, spent) for budget in budgets]


def rule_of(budget: Budget) -> PeriodRule:
    return PeriodRule(
        Frequency(budget.frequency), PeriodStart(budget.period_starts), budget.period_day
    )


# The consumer


def apply_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """The consumer's ``handle``: recomputes the budgets and periods the event can affect."""
    touches = _touches(uow, event)
    if not touches:
        return
    budgets = uow.budgets.list(currencies={touch.currency for touch in touches})
    if not budgets:
        return
    children = _children(uow)
    today = uow.today()
    origin = Origin.of_event(event)
    # Locked in id order, one at a time: no deadlock with another delivery doing the same.
    for candidate in sorted(budgets, key=lambda budget: budget.id):
        scope = _scope(candidate, children)
        days = [touch.day for touch in touches if _affects(candidate, scope, touch)]
        if not days:
            continue
        budget = uow.budgets.get(candidate.id, lock=True)
        rule = rule_of(budget)
        periods: set[Period] = set()
        for day in days:
            period = rule.period_of(day)
            periods.add(period)
            if budget.rollover:
                # What a period leaves over changes the limit of every later one.
                periods.update(rule.periods(period.start, max(today, period.start)))
        recompute(uow, budget, periods, origin, scope=scope, children=children)


def _touches(uow: UnitOfWork, event: DomainEvent) -> list[_Touch]:
    data = payload(event)
    if isinstance(data, TransactionCreated | TransactionDeleted):
        return [_touch(data.transaction)]
    if isinstance(data, TransactionsImported):
        return [_touch(item) for item in data.transactions]
    if isinstance(data, TransactionUpdated):
        if not SPENDING_FIELDS & data.changes.keys():
            return []
        after = data.transaction
        before = data.before()
        # Every budget at the old and the new day, not only those of the categories: a
        # recategorisation delivered after this edit reads the transaction's new day, so the
        # old day's budgets of its previous category are recomputed here.
        return [_touch(before, any_category=True), _touch(after, any_category=True)]
    if isinstance(data, TransactionCategorized):
        try:
            transaction = uow.transactions.get(data.transaction_id)
        except NotFound:
            return []  # deleted since: its TransactionDeleted recomputes what it leaves
        return [
            _Touch(transaction.booked_on, transaction.currency, category_id)
            for category_id in {data.previous_category_id, data.category_id}
        ]
    return []


def _touch(snapshot: TransactionSnapshot, *, any_category: bool = False) -> _Touch:
    return _Touch(snapshot.booked_on, snapshot.currency, snapshot.category_id, any_category)


def _affects(budget: Budget, scope: frozenset[UUID] | None, touch: _Touch) -> bool:
    if touch.currency != budget.currency:
        return False
    if touch.any_category or scope is None:
        return True
    return touch.category_id in scope


# Recomputation


def recompute(
    uow: UnitOfWork,
    budget: Budget,
    periods: Iterable[Period],
    origin: Origin,
    *,
    scope: frozenset[UUID] | None = None,
    children: dict[UUID | None, list[UUID]] | None = None,
) -> None:
    """Measures ``budget`` in each of ``periods`` from the stored transactions and fires or
    re-arms its thresholds there. Periods before the budget starts are left alone. The caller
    holds the budget's lock (``uow.budgets.get(…, lock=True)``) or has just created it."""
    if budget.category_id is not None and scope is None:
        scope = _scope(budget, children or _children(uow))
    rule = rule_of(budget)
    first = rule.period_of(budget.starts_on)
    thresholds = tuple(budget.thresholds)
    today = uow.today()
    for period in sorted(set(periods)):
        if period.start < first.start:
            continue
        progress = measure(uow, budget, period, today, scope)
        rows = {
            row.threshold: row
            for row in uow.session.scalars(
                select(BudgetAlert).where(
                    BudgetAlert.tenant_id == budget.tenant_id,
                    BudgetAlert.budget_id == budget.id,
                    BudgetAlert.period_start == period.start,
                )
            )
        }
        fired = frozenset(threshold for threshold, row in rows.items() if row.fired)
        plan = plan_alerts(thresholds, fired, progress.spent, progress.limit)
        now = uow.now()
        for threshold in plan.rearm:
            row = rows[threshold]
            row.fired = False
            row.spent, row.period_limit = progress.spent, progress.limit
        for threshold in plan.fire:
            row = rows.get(threshold) or BudgetAlert(
                tenant_id=budget.tenant_id,
                budget_id=budget.id,
                period_start=period.start,
                threshold=threshold,
                times_fired=0,
            )
            if threshold not in rows:
                uow.session.add(row)
            row.fired = True
            row.times_fired += 1
            row.fired_at = now
            row.spent, row.period_limit = progress.spent, progress.limit
            uow.record(_alert_event(uow, budget, progress, threshold, origin))


def measure(
    uow: UnitOfWork,
    budget: Budget,
    period: Period,
    as_of: date,
    scope: frozenset[UUID] | None,
    spent: Spending | None = None,
) -> Progress:
    """The budget in ``period`` on ``as_of``: spending, and with rollover what earlier periods
    since the budget started leave to it."""
    rule = rule_of(budget)
    measured = spent or (lambda *args: spending(uow, *args))
    carried = Decimal(0)
    first = rule.period_of(budget.starts_on)
    if budget.rollover and period.start > first.start:
        before = period.start - timedelta(days=1)
        count = sum(1 for _ in rule.periods(first.start, before))
        carried = carried_over(budget.amount, count, measured(budget, first.start, before, scope))
    spent_now = measured(budget, period.start, period.end, scope)
    return Progress(
        period=period,
        amount=budget.amount,
        carried=carried,
        spent=spent_now,
        as_of=as_of,
        exponent=currency_exponent(budget.currency),
    )


def spending(
    uow: UnitOfWork, budget: Budget, first: date, last: date, scope: frozenset[UUID] | None
) -> Decimal:
    """Money out from ``first`` to ``last`` (inclusive) in the budget's currency and scope
    (``None``: the overall budget), as a positive number; refunds reduce it."""
    statement = select(func.sum(Transaction.amount)).where(
        Transaction.tenant_id == budget.tenant_id,
        Transaction.currency == budget.currency,
        Transaction.booked_on >= first,
        Transaction.booked_on <= last,
    )
    if scope is not None:
        statement = statement.where(Transaction.category_id.in_(sorted(scope)))
    else:
        statement = statement.outerjoin(
            Category,
            and_(
                Category.tenant_id == Transaction.tenant_id,
                Category.id == Transaction.category_id,
            ),
        ).where(
            or_(
                Category.kind == EXPENSE,
                and_(Transaction.category_id.is_(None), Transaction.amount < 0),
            )
        )
    total = uow.session.scalar(statement)
    return -Money(Decimal(total or 0), budget.currency).quantized().amount + Decimal(0)


def _alert_event(
    uow: UnitOfWork, budget: Budget, progress: Progress, threshold: int, origin: Origin
) -> DomainEvent:
    kind = alert_type(threshold)
    model: type[BudgetAlertPayload] = (
        BudgetExceeded if kind == "BudgetExceeded" else BudgetThresholdReached
    )
    data = model(
        budget_id=budget.id,
        name=budget.name,
        category_id=budget.category_id,
        currency=budget.currency,
        period_start=progress.period.start,
        period_end=progress.period.end,
        threshold=threshold,
        limit=Money(progress.limit, budget.currency).quantized().amount,
        spent=progress.spent,
        percentage=progress.percentage,
    )
    return raised_event(uow, budget, kind=kind, aggregate_type=AGGREGATE, data=data, origin=origin)


def _children(uow: UnitOfWork) -> dict[UUID | None, list[UUID]]:
    assert uow.tenant_id is not None
    children: dict[UUID | None, list[UUID]] = {}
    for category_id, parent_id in uow.session.execute(
        select(Category.id, Category.parent_id).where(Category.tenant_id == uow.tenant_id)
    ):
        children.setdefault(parent_id, []).append(category_id)
    return children


def _scope(budget: Budget, children: dict[UUID | None, list[UUID]]) -> frozenset[UUID] | None:
    """The budget's category and its descendants; None for the overall budget."""
    if budget.category_id is None:
        return None
    found: set[UUID] = set()
    frontier = [budget.category_id]
    while frontier:
        current = frontier.pop()
        if current not in found:
            found.add(current)
            frontier.extend(children.get(current, []))
    return frozenset(found)


# Validation


def _check(
    uow: UnitOfWork,
    *,
    amount: Decimal,
    currency: str,
    category_id: UUID | None,
    rule: PeriodRule,
    thresholds: tuple[int, ...],
    check_category: bool,
) -> tuple[int, ...]:
    """Every problem of a budget's definition at once, located; returns the thresholds in
    order."""
    issues: list[FieldIssue] = []
    if not is_currency(currency):
        issues.append(FieldIssue(("body", "currency"), "not an ISO 4217 code"))
    elif amount <= 0:
        issues.append(FieldIssue(("body", "amount"), "must be more than zero", "too_small"))
    elif amount > MAX_AMOUNT:
        issues.append(FieldIssue(("body", "amount"), f"must be at most {MAX_AMOUNT}", "too_large"))
    else:
        try:
            Money(amount, currency).check_precision()
        except InvalidInput as error:
            issues.append(FieldIssue(("body", "amount"), error.detail, "too_many_decimals"))
    issues.extend(FieldIssue(("body", "period", name), message) for name, message in rule.issues())
    ordered = tuple(sorted(set(thresholds)))
    if len(ordered) != len(thresholds):
        issues.append(FieldIssue(("body", "thresholds"), "each threshold once"))
    if not 1 <= len(ordered) <= MAX_THRESHOLDS or not all(
        1 <= threshold <= MAX_THRESHOLD for threshold in ordered
    ):
        issues.append(
            FieldIssue(
                ("body", "thresholds"),
                f"1 to {MAX_THRESHOLDS} percentages, each from 1 to {MAX_THRESHOLD}",
            )
        )
    if check_category and category_id is not None:
        try:
            category = uow.categories.get(category_id)
        except NotFound:
            issues.append(FieldIssue(("body", "category_id"), "no such category", "not_found"))
        else:
            if category.archived:
                issues.append(FieldIssue(("body", "category_id"), "the category is archived"))
    if issues:
        raise InvalidInput(
            "the budget is not valid: " + "; ".join(issue.message for issue in issues),
            issues=issues,
        )
    return ordered
