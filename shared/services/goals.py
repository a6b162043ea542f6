"""Savings goals: kept, measured against the stored transactions, and watched by an event consumer.

A goal is a target amount in one currency, with an optional target date, measured one of two
ways (``docs/decisions.md``, 2026-12-05):

- by an **account**: its balance is the saved amount, the opening balance plus every
  transaction of the account in its currency (a savings or investment account);
- by a **category**: the contributions, the net money put into the category and its children
  since the goal's start date, in the goal's currency: minus the sum of the signed amounts
  (a deposit leaving a checking account is a debit there), so a withdrawal reduces it.

The rules (milestones, months left, pace, projection) are plain domain code in
``shared.domain.goals``; this service keeps the goals (``/v1/goals``), reports their progress,
and decides the milestones.

Milestones: the ``goals`` consumer hears every change to transactions; for each goal the change
can affect (its account, or its category's scope, before and after an edit) it recomputes the
saved amount from the stored transactions and compares it with the milestones.
``goal_milestones`` keeps, per goal and milestone, whether it has fired: a milestone reached that
had not fired raises ``GoalMilestoneReached`` (or ``GoalReached`` at 100 %) in the consumer's unit
of work, so the state and the event commit together; a milestone no longer reached is re-armed.
Recomputing rather than adding increments makes the outcome independent of the order events
arrive in and of how often they are delivered; the goal's row is locked while its milestones
are decided, so two deliveries never fire the same one. Creating or changing a goal recomputes
it the same way.

Not heard: a change of an account's opening balance (accounts raise no event). The progress
reads it at once; the milestones follow with the account's next transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select

from events.envelope import DomainEvent
from events.goals import GoalMilestone as GoalMilestonePayload
from events.goals import GoalMilestoneReached, GoalReached
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
from shared.db.models import Goal, GoalMilestone, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import (
    FieldIssue,
    InvalidInput,
    NotFound,
)
from shared.domain.goals import (
    DEFAULT_MILESTONES,
    MAX_MILESTONES,
    REACHED,
    GoalProgress,
    milestone_event,
    normalised,
    pace_window,
    plan_milestones,
    reached,
)
from shared.domain.money import Money, currency_exponent, is_currency
from shared.domain.transactions import MAX_AMOUNT
from shared.ports import Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from shared.services.raised_events import Origin, raised_event
from shared.services.versions import check_version

CONSUMER = "goals"
EVENT_TYPES = frozenset(
    {
        "TransactionCreated",
        "TransactionUpdated",
        "TransactionDeleted",
        "TransactionCategorized",
        "TransactionsImported",
    }
)
AGGREGATE = "Goal"
SAVING_FIELDS = frozenset({"amount", "bookedOn", "currency", "categoryId", "accountId"})
"""Wire names of the fields a ``TransactionUpdated`` must change to move a saved amount."""
DEFINITION = ("name", "target_amount", "currency", "target_date", "starts_on")
"""Fields a change sets as given (the measure and milestones are checked and set apart)."""


@dataclass(frozen=True)
class GoalSpec:
    """A goal as a person writes it: exactly one of ``account_id`` and ``category_id``."""

    name: str
    target_amount: Decimal
    account_id: UUID | None = None
    category_id: UUID | None = None
    currency: str | None = None
    """Defaults to the account's, or for a category to the workspace's base currency."""
    target_date: date | None = None
    starts_on: date | None = None
    """Defaults to today in the workspace's time zone."""
    milestones: tuple[int, ...] = DEFAULT_MILESTONES


@dataclass(frozen=True)
class MilestoneState:
    milestone: int
    reached: bool
    """The saved amount reaches it now."""


@dataclass(frozen=True)
class GoalView:
    """A goal measured on a day: what ``/v1/goals/{id}/progress`` shows."""

    goal: Goal
    progress: GoalProgress
    pace_from: date
    pace_to: date
    milestones: tuple[MilestoneState, ...]


@dataclass(frozen=True)
class _Touch:
    """An account, category and currency whose money an event changed; ``currency`` None
    when the event does not say (a recategorisation of a transaction deleted since)."""

    account_id: UUID | None
    category_id: UUID | None
    currency: str | None


@dataclass(frozen=True)
class _Definition:
    """A goal's definition once checked."""

    account_id: UUID | None
    category_id: UUID | None
    currency: str
    milestones: tuple[int, ...]


class GoalService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=apply_event)

    def list(self, caller: Caller) -> list[Goal]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.goals.list()

    def get(self, caller: Caller, goal_id: UUID) -> Goal:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.goals.get(goal_id)

    def create(
        self, caller: Caller, spec: GoalSpec, idempotency: IdempotencyRequest | None = None
    ) -> tuple[Goal, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                starts_on = spec.starts_on or uow.today()
                checked = _check(
                    uow,
                    target_amount=spec.target_amount,
                    account_id=spec.account_id,
                    category_id=spec.category_id,
                    currency=spec.currency,
                    target_date=spec.target_date,
                    starts_on=starts_on,
                    milestones=spec.milestones,
                )
                goal = Goal(
                    id=uuid4(),
                    tenant_id=caller.tenant_id,
                    name=spec.name,
                    account_id=checked.account_id,
                    category_id=checked.category_id,
                    target_amount=spec.target_amount,
                    currency=checked.currency,
                    target_date=spec.target_date,
                    starts_on=starts_on,
                    milestones=list(checked.milestones),
                    event_version=0,
                    created_by=caller.user_id,
                )
                uow.goals.add(goal)
                uow.flush()
                recompute(uow, goal, Origin.of_caller(caller))
                return goal.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.goals.get(created.id), created

    def update(
        self,
        caller: Caller,
        goal_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> Goal:
        """``changes`` by field name. Naming an account or a category switches the measure to
        it (the other is cleared); the currency follows a new account unless given."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            goal = uow.goals.get(goal_id, lock=True)
            check_version("goal", goal.version, expected_version, required=True)
            account_id, category_id = _measure_after(goal, changes)
            currency = changes.get("currency")
            if currency is None and "account_id" not in changes:
                currency = goal.currency
            checked = _check(
                uow,
                target_amount=changes.get("target_amount", goal.target_amount),
                account_id=account_id,
                category_id=category_id,
                currency=currency,
                target_date=changes.get("target_date", goal.target_date),
                starts_on=changes.get("starts_on", goal.starts_on),
                milestones=tuple(changes.get("milestones", goal.milestones)),
                check_references="account_id" in changes or "category_id" in changes,
            )
            for name in DEFINITION:
                if name in changes:
                    setattr(goal, name, changes[name])
            goal.account_id, goal.category_id = checked.account_id, checked.category_id
            goal.currency = checked.currency
            goal.milestones = list(checked.milestones)
            uow.flush()
            recompute(uow, goal, Origin.of_caller(caller))
            uow.commit()
            return goal

    def delete(self, caller: Caller, goal_id: UUID, expected_version: int | None) -> None:
        """Its milestone states go with it; the events it raised stay in the outbox."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            goal = uow.goals.get(goal_id, lock=True)
            check_version("goal", goal.version, expected_version, required=False)
            uow.session.execute(
                delete(GoalMilestone).where(
                    GoalMilestone.tenant_id == caller.tenant_id, GoalMilestone.goal_id == goal.id
                )
            )
            uow.goals.delete(goal)
            uow.commit()

    def progress(self, caller: Caller, goal_id: UUID) -> GoalView:
        """The goal measured today, in the workspace's time zone."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            goal = uow.goals.get(goal_id)
            return view_of(uow, goal, uow.today())


def view_of(uow: UnitOfWork, goal: Goal, as_of: date) -> GoalView:
    first, last = pace_window(as_of)
    scope = _scope(uow, goal)
    progress = GoalProgress(
        target=goal.target_amount,
        saved=saved(uow, goal, scope),
        as_of=as_of,
        target_date=goal.target_date,
        contributed_recently=contributed(uow, goal, scope, first, last),
        exponent=currency_exponent(goal.currency),
    )
    states = tuple(
        MilestoneState(milestone, reached(milestone, progress.saved, progress.target))
        for milestone in goal.milestones
    )
    return GoalView(goal, progress, first, last, states)


# Measuring


def saved(uow: UnitOfWork, goal: Goal, scope: frozenset[UUID]) -> Decimal:
    """The goal's saved amount from the stored transactions (see the module's documentation)."""
    if goal.account_id is not None:
        account = uow.accounts.get(goal.account_id)
        balance = account.opening_balance + _movement(uow, goal, None, None)
        return Money(balance, goal.currency).quantized().amount
    return _contributions(uow, goal, scope, goal.starts_on, None)


def contributed(
    uow: UnitOfWork, goal: Goal, scope: frozenset[UUID], first: date, last: date
) -> Decimal:
    """Net contributions from ``first`` to ``last`` (inclusive): the account's movement, or
    the money put into the category."""
    if goal.account_id is not None:
        return _movement(uow, goal, first, last)
    return _contributions(uow, goal, scope, first, last)


def _movement(uow: UnitOfWork, goal: Goal, first: date | None, last: date | None) -> Decimal:
    """The sum of the account's transactions in the goal's currency (between the days given)."""
    statement = _sum(goal, first, last).where(Transaction.account_id == goal.account_id)
    return _total(uow, goal, statement)


def _contributions(
    uow: UnitOfWork, goal: Goal, scope: frozenset[UUID], first: date, last: date | None
) -> Decimal:
    """Money put into the category's scope: minus the sum of its signed amounts."""
    statement = _sum(goal, first, last).where(Transaction.category_id.in_(sorted(scope)))
    return -_total(uow, goal, statement) + Decimal(0)


def _sum(goal: Goal, first: date | None, last: date | None) -> Any:
    statement = select(func.sum(Transaction.amount)).where(
        Transaction.tenant_id == goal.tenant_id, Transaction.currency == goal.currency
    )
    if first is not None:
        statement = statement.where(Transaction.booked_on >= first)
    if last is not None:
        statement = statement.where(Transaction.booked_on <= last)
    return statement


def _total(uow: UnitOfWork, goal: Goal, statement: Any) -> Decimal:
    total = uow.session.scalar(statement)
    return Money(Decimal(total or 0), goal.currency).quantized().amount


def _scope(uow: UnitOfWork, goal: Goal) -> frozenset[UUID]:
    """The goal's category and its descendants; empty for an account's goal."""
    if goal.category_id is None:
        return frozenset()
    return frozenset(uow.categories.with_descendants([goal.category_id]))


# The consumer


def apply_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """The consumer's ``handle``: recomputes the goals the event can affect."""
    touches = _touches(event)
    if not touches:
        return
    origin = Origin.of_event(event)
    # Locked in id order, one at a time: no deadlock with another delivery doing the same.
    for candidate in sorted(uow.goals.list(), key=lambda goal: goal.id):
        scope = _scope(uow, candidate)
        if not any(_affects(candidate, scope, touch) for touch in touches):
            continue
        try:
            goal = uow.goals.get(candidate.id, lock=True)
        except NotFound:
            continue  # deleted since it was listed: nothing left to announce
        recompute(uow, goal, origin)


def _touches(event: DomainEvent) -> list[_Touch]:
    data = payload(event)
    if isinstance(data, TransactionCreated | TransactionDeleted):
        return [_touch(data.transaction)]
    if isinstance(data, TransactionsImported):
        return [_touch(item) for item in data.transactions]
    if isinstance(data, TransactionUpdated):
        if not SAVING_FIELDS & data.changes.keys():
            return []
        # Before and after: an edit moving money out of a goal's account or category lowers
        # that goal as surely as it raises the other.
        return [_touch(data.before()), _touch(data.transaction)]
    if isinstance(data, TransactionCategorized):
        # A new category never changes an account's balance: only category goals are touched.
        currency = data.transaction.currency if data.transaction is not None else None
        return [
            _Touch(None, category_id, currency)
            for category_id in {data.previous_category_id, data.category_id}
        ]
    return []


def _touch(snapshot: TransactionSnapshot) -> _Touch:
    return _Touch(snapshot.account_id, snapshot.category_id, snapshot.currency)


def _affects(goal: Goal, scope: frozenset[UUID], touch: _Touch) -> bool:
    if touch.currency not in (None, goal.currency):
        return False
    if goal.account_id is not None:
        return touch.account_id == goal.account_id
    return touch.category_id in scope


# Recomputation


def recompute(uow: UnitOfWork, goal: Goal, origin: Origin) -> None:
    """Measures ``goal`` from the stored transactions and fires or re-arms its milestones. The
    caller holds the goal's lock (``uow.goals.get(…, lock=True)``) or has just created it."""
    amount = saved(uow, goal, _scope(uow, goal))
    rows = {
        row.milestone: row
        for row in uow.session.scalars(
            select(GoalMilestone).where(
                GoalMilestone.tenant_id == goal.tenant_id, GoalMilestone.goal_id == goal.id
            )
        )
    }
    fired = frozenset(milestone for milestone, row in rows.items() if row.fired)
    plan = plan_milestones(tuple(goal.milestones), fired, amount, goal.target_amount)
    now = uow.now()
    for milestone in plan.rearm:
        row = rows[milestone]
        row.fired = False
        row.saved, row.target = amount, goal.target_amount
    for milestone in plan.fire:
        row = rows.get(milestone) or GoalMilestone(
            tenant_id=goal.tenant_id, goal_id=goal.id, milestone=milestone, times_fired=0
        )
        if milestone not in rows:
            uow.session.add(row)
        row.fired = True
        row.times_fired += 1
        row.fired_at = now
        row.saved, row.target = amount, goal.target_amount
        uow.record(_milestone_event(uow, goal, milestone, amount, origin))


def _milestone_event(
    uow: UnitOfWork, goal: Goal, milestone: int, amount: Decimal, origin: Origin
) -> DomainEvent:
    kind = milestone_event(milestone)
    model: type[GoalMilestonePayload] = (
        GoalReached if milestone >= REACHED else GoalMilestoneReached
    )
    data = model(
        goal_id=goal.id,
        name=goal.name,
        measure="account" if goal.account_id is not None else "category",
        account_id=goal.account_id,
        category_id=goal.category_id,
        currency=goal.currency,
        milestone=milestone,
        target=Money(goal.target_amount, goal.currency).quantized().amount,
        saved=amount,
        percentage=(amount * 100 / goal.target_amount).quantize(Decimal("0.01")),
        target_date=goal.target_date,
        reached_at=uow.now(),
    )
    return raised_event(uow, goal, kind=kind, aggregate_type=AGGREGATE, data=data, origin=origin)


# Validation


def _measure_after(goal: Goal, changes: Mapping[str, Any]) -> tuple[UUID | None, UUID | None]:
    """The account and category a change leaves: naming one (not null) clears the other."""
    account_id = changes.get("account_id", goal.account_id)
    category_id = changes.get("category_id", goal.category_id)
    if changes.get("account_id") is not None and "category_id" not in changes:
        category_id = None
    if changes.get("category_id") is not None and "account_id" not in changes:
        account_id = None
    return account_id, category_id


def _check(
    uow: UnitOfWork,
    *,
    target_amount: Decimal,
    account_id: UUID | None,
    category_id: UUID | None,
    currency: str | None,
    target_date: date | None,
    starts_on: date,
    milestones: tuple[int, ...],
    check_references: bool = True,
) -> _Definition:
    """Every problem of a goal's definition at once, located; returns it resolved (the
    currency filled in, the milestones normalised)."""
    issues: list[FieldIssue] = []
    account_currency = _check_measure(uow, account_id, category_id, check_references, issues)
    if currency is None:
        currency = account_currency or _base_currency(uow)
    if not is_currency(currency):
        issues.append(FieldIssue(("body", "currency"), "not an ISO 4217 code"))
    elif account_currency is not None and currency != account_currency:
        issues.append(
            FieldIssue(
                ("body", "currency"),
                f"the account is in {account_currency}: a goal measured by it is too",
                "currency_mismatch",
            )
        )
    else:
        issues.extend(_amount_issues(target_amount, currency))
    if target_date is not None and target_date < starts_on:
        issues.append(
            FieldIssue(("body", "target_date"), "must not be before the start date", "too_early")
        )
    ordered = tuple(sorted(set(milestones)))
    if len(ordered) != len(milestones):
        issues.append(FieldIssue(("body", "milestones"), "each milestone once"))
    if not 1 <= len(ordered) <= MAX_MILESTONES or not all(1 <= m <= REACHED for m in ordered):
        issues.append(
            FieldIssue(
                ("body", "milestones"),
                f"1 to {MAX_MILESTONES} percentages, each from 1 to {REACHED}",
            )
        )
    if issues:
        raise InvalidInput(
            "the goal is not valid: " + "; ".join(issue.message for issue in issues),
            issues=issues,
        )
    return _Definition(account_id, category_id, currency, normalised(ordered))


def _check_measure(
    uow: UnitOfWork,
    account_id: UUID | None,
    category_id: UUID | None,
    check_references: bool,
    issues: list[FieldIssue],
) -> str | None:
    """Exactly one of the two, existing in the workspace and not archived (when
    ``check_references``); returns the account's currency for an account's goal."""
    if (account_id is None) == (category_id is None):
        message = "give an account or a category to measure the goal, not both"
        issues.append(FieldIssue(("body", "account_id"), message, "one_of"))
        issues.append(FieldIssue(("body", "category_id"), message, "one_of"))
        return None
    if account_id is not None:
        try:
            account = uow.accounts.get(account_id)
        except NotFound:
            issues.append(FieldIssue(("body", "account_id"), "no such account", "not_found"))
            return None
        if check_references and account.archived:
            issues.append(FieldIssue(("body", "account_id"), "the account is archived"))
        return account.currency
    if check_references and category_id is not None:
        try:
            category = uow.categories.get(category_id)
        except NotFound:
            issues.append(FieldIssue(("body", "category_id"), "no such category", "not_found"))
        else:
            if category.archived:
                issues.append(FieldIssue(("body", "category_id"), "the category is archived"))
    return None


def _amount_issues(amount: Decimal, currency: str) -> list[FieldIssue]:
    where = ("body", "target_amount")
    if amount <= 0:
        return [FieldIssue(where, "must be more than zero", "too_small")]
    if amount > MAX_AMOUNT:
        return [FieldIssue(where, f"must be at most {MAX_AMOUNT}", "too_large")]
    try:
        Money(amount, currency).check_precision()
    except InvalidInput as error:
        return [FieldIssue(where, error.detail, "too_many_decimals")]
    return []


def _base_currency(uow: UnitOfWork) -> str:
    assert uow.tenant_id is not None
    return uow.tenants.get(uow.tenant_id).base_currency
