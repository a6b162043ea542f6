"""Budget alerts on SQLite and PostgreSQL: each threshold fires once per budget and period,
whatever order transactions arrive, are edited, deleted or recategorised in; going back under
a threshold re-arms it. The embedded bus delivers to the ``budgets`` consumer after each
commit; a second container whose bus only records lets the tests deliver out of order."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from events.envelope import DomainEvent
from events.registry import validate
from events.schemas import SCHEMA_DIR
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.consumers import Outcome
from shared.db.models import BudgetAlert, OutboxEvent
from shared.domain.access import Principal, Role
from shared.domain.budgets import PeriodRule, PeriodStart
from shared.domain.transactions import AccountKind
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.budgets import BudgetSpec
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings
from tests.integration.budgets.conftest import Books, fired
from tests.support.api import ok


def test_given_spending_that_climbs_when_thresholds_are_crossed_then_each_fires_once(
    books: Books, alerts: list[DomainEvent]
):
    books.budget(category="groceries", amount="100")
    books.spend("-50.00", "2026-12-01", "supermarket")
    assert alerts == []
    books.spend("-30.00", "2026-12-02", "bakery")  # 80 %: reached (at the level)
    assert fired(alerts) == [("BudgetThresholdReached", "2026-12-01", 80)]
    books.spend("-20.00", "2026-12-03", "supermarket")  # 100 %: the limit, not beyond it
    books.spend("-5.00", "2026-12-03", "dining_out")  # not this budget
    assert len(alerts) == 1
    books.spend("-0.01", "2026-12-04", "groceries")
    assert fired(alerts)[1:] == [("BudgetExceeded", "2026-12-01", 100)]
    books.spend("-40.00", "2026-12-04", "groceries")
    assert len(alerts) == 2
    exceeded = alerts[1]
    assert exceeded.aggregate_type == "Budget"
    assert exceeded.data["spent"] == "100.01"
    assert exceeded.data["limit"] == "100.00"
    assert exceeded.data["percentage"] == "100.01"
    assert [event.version for event in alerts] == [1, 2]
    assert exceeded.metadata.user_id == books.actor.user_id


def test_given_fired_thresholds_when_edits_go_under_and_back_over_then_they_re_arm(
    books: Books, alerts: list[DomainEvent]
):
    budget = books.budget(category="groceries", amount="100")
    first = books.spend("-60.00", "2026-12-01", "supermarket")
    second = books.spend("-50.00", "2026-12-02", "supermarket")
    assert fired(alerts) == [
        ("BudgetThresholdReached", "2026-12-01", 80),
        ("BudgetExceeded", "2026-12-01", 100),
    ]
    second = books.edit(second, amount="-30.00")  # 90: 100 re-arms, 80 stays fired
    assert len(alerts) == 2
    second = books.edit(second, amount="-45.00")  # 105: 100 fires again
    assert fired(alerts)[2:] == [("BudgetExceeded", "2026-12-01", 100)]
    books.delete(first)  # 45: both re-arm
    assert len(alerts) == 3
    books.edit(second, category="dining_out")  # recategorised away: 0
    assert len(alerts) == 3
    third = books.spend("-85.00", "2026-12-05", "dining_out")
    assert len(alerts) == 3
    books.edit(third, category="bakery")  # recategorised into the budget: 85 %
    assert fired(alerts)[3:] == [("BudgetThresholdReached", "2026-12-01", 80)]
    assert books.progress(budget)["thresholds"] == [
        {"threshold": 80, "crossed": True},
        {"threshold": 100, "crossed": False},
    ]


def test_given_an_edit_moving_spending_to_another_period_then_both_periods_are_recomputed(
    books: Books, alerts: list[DomainEvent]
):
    books.budget(category="groceries", amount="100", starts_on="2026-11-01")
    late = books.spend("-120.00", "2026-11-20", "supermarket")
    assert fired(alerts) == [
        ("BudgetThresholdReached", "2026-11-01", 80),
        ("BudgetExceeded", "2026-11-01", 100),
    ]
    books.edit(late, booked_on="2026-12-02")
    assert fired(alerts)[2:] == [
        ("BudgetThresholdReached", "2026-12-01", 80),
        ("BudgetExceeded", "2026-12-01", 100),
    ]


def test_given_a_budget_when_created_over_or_changed_then_its_current_period_is_recomputed(
    books: Books, alerts: list[DomainEvent]
):
    books.spend("-90.00", "2026-12-01", "supermarket")
    budget = books.budget(category="groceries", amount="100")
    assert fired(alerts) == [("BudgetThresholdReached", "2026-12-01", 80)]
    path = f"/v1/budgets/{budget['id']}"
    changed = ok(books.actor.patch(path, {"amount": "80", "version": 1}))
    assert fired(alerts)[1:] == [("BudgetExceeded", "2026-12-01", 100)]
    assert changed["version"] == 2  # the alerts do not change the budget's ETag
    ok(books.actor.patch(path, {"amount": "200", "version": 2}))  # 45 %: both re-arm
    ok(books.actor.patch(path, {"thresholds": [40], "version": 3}))
    assert fired(alerts)[2:] == [("BudgetThresholdReached", "2026-12-01", 40)]


def test_given_the_overall_budget_then_income_and_transfers_raise_no_alert(
    books: Books, alerts: list[DomainEvent]
):
    books.budget(amount="1000")
    books.spend("-900.00", "2026-12-01", "card_payment", "PAGAMENTO FATURA")
    books.spend("-900.00", "2026-12-01", "own_accounts", "TRANSF")
    books.spend("9000.00", "2026-12-01", "salary", "SALARIO")
    assert alerts == []
    books.spend("-850.00", "2026-12-02", "rent", "ALUGUEL")
    assert fired(alerts) == [("BudgetThresholdReached", "2026-12-01", 80)]


def test_given_alerts_then_they_commit_in_the_outbox_and_match_their_schemas(
    books: Books, alerts: list[DomainEvent], container: Container
):
    books.budget(category="groceries", amount="10")
    books.spend("-20.00", "2026-12-01", "supermarket")
    with container.db.admin_session() as session:
        rows = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.aggregate_type == "Budget")
                .order_by(OutboxEvent.version)
            )
        )
    assert [row.type for row in rows] == ["BudgetThresholdReached", "BudgetExceeded"]
    for row in rows:
        validate(row.envelope)  # the pydantic registry, and the committed JSON Schema
        schema = json.loads((SCHEMA_DIR / f"{row.type}.json").read_text())
        Draft202012Validator(schema).validate(row.envelope["data"])
    assert {row.id for row in rows} == {event.id for event in alerts}


def test_given_an_event_delivered_again_then_nothing_fires_twice(
    books: Books, alerts: list[DomainEvent], container: Container
):
    books.budget(category="groceries", amount="100")
    heard: list[DomainEvent] = []
    container.bus.subscribe("TransactionCreated", heard.append)
    books.spend("-150.00", "2026-12-01", "supermarket")
    assert len(alerts) == 2
    consumer = container.consumer("budgets")
    assert container.consumer_runner.apply(consumer, heard[-1]) is Outcome.DUPLICATE
    copy = heard[-1].model_copy(update={"id": UUID(int=7)})  # same change, another delivery id
    assert container.consumer_runner.apply(consumer, copy) is Outcome.APPLIED
    assert len(alerts) == 2


# Out of order: a container whose bus records, and the consumer applied by hand


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def subscribe(self, event_type: str, handler: Any) -> None:
        raise AssertionError("nothing subscribes to a recording bus")


@pytest.fixture
def recorded(settings: Settings, clock: FixedClock) -> Iterator[tuple[Container, RecordingBus]]:
    bus = RecordingBus()
    built = bootstrap(settings, clock=clock, bus=bus)
    yield built, bus
    built.close()


def _workspace(container: Container) -> Caller:
    user = UUID(int=random.getrandbits(122))
    principal = Principal(user, None, frozenset({Role.OWNER}), email=f"{user.hex[:8]}@x.com")
    view, _ = container.workspaces.create(principal, NewWorkspace(name="Casa"))
    tenant = view.tenant.id
    return Caller(Principal(user, tenant, frozenset({Role.OWNER})), tenant)


def _alert_states(container: Container, tenant: UUID) -> set[tuple[str, int, bool, int]]:
    with container.db.admin_session() as session:
        rows = session.scalars(select(BudgetAlert).where(BudgetAlert.tenant_id == tenant))
        return {
            (row.period_start.isoformat(), row.threshold, row.fired, row.times_fired)
            for row in rows
        }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scenario_across_a_period_boundary_with_late_edited_and_deleted_transactions(
    recorded: tuple[Container, RecordingBus], clock: FixedClock, seed: int
):
    """A payday budget (the 5th business day) of 1,000 for groceries: periods 9 Nov – 6 Dec
    and 7 Dec – 7 Jan. Transactions are recorded, edited, moved across the boundary,
    recategorised and deleted; the consumer then hears the events in a shuffled order, each
    at least once. Whatever the order, the alerts are those of the final state, each once."""
    container, bus = recorded
    caller = _workspace(container)
    with container.unit_of_work(caller.tenant_id, caller.user_id) as uow:
        slug = {category.slug: category.id for category in uow.categories.all()}
    account, _ = container.accounts.create(caller, _account())
    budget, _ = container.budgets.create(
        caller,
        BudgetSpec(
            name="Mercado",
            amount=Decimal(1000),
            category_id=slug["groceries"],
            period=PeriodRule(starts=PeriodStart.BUSINESS_DAY, day=5),
            starts_on=clock.today(),
        ),
    )
    tx = container.transactions

    def spend(amount: str, day: str, category: str) -> Any:
        created, _ = tx.create(
            caller,
            NewTransaction(
                account_id=account.id,
                amount=Decimal(amount),
                booked_on=_day(day),
                description="COMPRA",
                category_id=slug[category],
            ),
        )
        return created

    a = spend("-700.00", "2026-11-20", "supermarket")  # before the payday: first period
    b = spend("-250.00", "2026-12-07", "supermarket")  # the payday: second period
    clock.set(clock.now().replace(day=10))  # time passes: the 10th of December
    late = spend("-200.00", "2026-12-04", "bakery")  # late, in the first period: 900
    c = spend("-600.00", "2026-12-08", "supermarket")  # second period: 850
    tx.update(caller, b.id, {"amount": Decimal("-100.00")}, b.version)  # second: 700
    tx.update(caller, late.id, {"booked_on": _day("2026-12-09")}, late.version)  # 700 | 900
    tx.update(caller, a.id, {"category_id": slug["dining_out"]}, a.version)  # first: 0
    tx.delete(caller, c.id, None)  # second: 300
    d = spend("-1100.00", "2026-11-30", "groceries")  # first: 1,100
    tx.update(caller, d.id, {"amount": Decimal("-820.00")}, d.version)  # first: 820

    transaction_events = [event for event in bus.events if event.aggregate_type != "Budget"]
    budget_events_before = [event for event in bus.events if event.aggregate_type == "Budget"]
    assert budget_events_before == []  # nothing was delivered yet
    shuffled = list(transaction_events) + random.Random(seed).sample(transaction_events, 4)
    random.Random(seed).shuffle(shuffled)
    consumer = container.consumer("budgets")
    for event in shuffled:
        container.consumer_runner.apply(consumer, event)

    states = _alert_states(container, caller.tenant_id)
    # The final state: 820 in the first period (80 % fired), 300 in the second (nothing).
    fired_now = {(start, threshold) for start, threshold, is_fired, _ in states if is_fired}
    assert fired_now == {("2026-11-09", 80)}
    # Each alert event matches a firing recorded in the state, never more.
    alerts = [event for event in bus.events if event.aggregate_type == "Budget"]
    times = {(start, threshold): count for start, threshold, _, count in states}
    counted: dict[tuple[str, int], int] = {}
    for event in alerts:
        key = (event.data["periodStart"], event.data["threshold"])
        counted[key] = counted.get(key, 0) + 1
    assert counted == {key: count for key, count in times.items() if count}
    # Delivering everything again, in order this time, changes nothing.
    for event in transaction_events:
        assert container.consumer_runner.apply(consumer, event) is Outcome.DUPLICATE
    assert _alert_states(container, caller.tenant_id) == states
    progress = container.budgets.progress(caller, budget.id, _day("2026-12-06"))
    assert (progress.progress.period.start, progress.progress.spent) == (
        _day("2026-11-09"),
        Decimal("820.00"),
    )
    progress = container.budgets.progress(caller, budget.id)
    assert (progress.progress.period.start, progress.progress.spent) == (
        _day("2026-12-07"),
        Decimal("300.00"),
    )


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _account() -> NewAccount:
    return NewAccount(name="Conta", kind=AccountKind.CHECKING)
