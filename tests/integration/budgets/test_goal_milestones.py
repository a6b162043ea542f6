"""Goal milestones on SQLite and PostgreSQL: each fires once per goal and milestone, whatever
order transactions arrive, are edited, deleted or recategorised in; going back under re-arms it.
Each lands in the outbox matching its schema, and reaches the workspace's owner once, in the
local outbox of notifications. A container whose bus only records lets a test deliver the
transaction events out of order."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
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
from shared.adapters.local.notifier import outbox_messages
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.consumers import Outcome
from shared.db.models import GoalMilestone, OutboxEvent
from shared.domain.transactions import AccountKind
from shared.services.accounts import NewAccount
from shared.services.goals import GoalSpec
from shared.services.transactions import NewTransaction
from shared.settings import Settings
from tests.integration.budgets.conftest import Books
from tests.integration.budgets.test_budget_alerts import RecordingBus, _workspace
from tests.support.api import ok

GOAL_EVENTS = ("GoalMilestoneReached", "GoalReached")


@pytest.fixture
def heard(container: Container) -> list[DomainEvent]:
    """Every goal event published on the embedded bus, in order."""
    found: list[DomainEvent] = []
    for event_type in GOAL_EVENTS:
        container.bus.subscribe(event_type, found.append)
    return found


def fired(events: list[DomainEvent]) -> list[tuple[str, int]]:
    return [(event.type, event.data["milestone"]) for event in events]


class Saver:
    """A savings account and the goal measuring it, through the API."""

    def __init__(self, books: Books, target: str = "1000") -> None:
        self.books = books
        body = {"name": "Poupança", "kind": "savings"}
        self.account = ok(books.actor.post("/v1/accounts", body), 201)
        goal = {"name": "Viagem", "target_amount": target, "account_id": self.account["id"]}
        self.goal = ok(books.actor.post("/v1/goals", goal), 201)

    def deposit(self, amount: str, day: str = "2026-12-01") -> Any:
        body = {
            "account_id": self.account["id"],
            "amount": amount,
            "booked_on": day,
            "description": "DEPOSITO",
            "category_id": self.books.categories["investment_deposit"],
        }
        return ok(self.books.actor.post("/v1/transactions", body), 201)


def test_given_savings_that_climb_when_milestones_are_reached_then_each_fires_once(
    books: Books, heard: list[DomainEvent]
):
    saver = Saver(books)
    saver.deposit("200.00")
    assert heard == []
    saver.deposit("50.00")  # 250: 25 % at the level
    assert fired(heard) == [("GoalMilestoneReached", 25)]
    saver.deposit("300.00")  # 550
    saver.deposit("10.00")  # 560: nothing new
    assert fired(heard)[1:] == [("GoalMilestoneReached", 50)]
    saver.deposit("500.00")  # 1,060: 75 % and the goal
    assert fired(heard)[2:] == [("GoalMilestoneReached", 75), ("GoalReached", 100)]
    reached = heard[-1]
    assert reached.aggregate_type == "Goal"
    assert (reached.data["saved"], reached.data["target"], reached.data["percentage"]) == (
        "1060.00",
        "1000.00",
        "106.00",
    )
    assert [event.version for event in heard] == [1, 2, 3, 4]
    assert reached.metadata.user_id == books.actor.user_id
    assert ok(books.actor.get(f"/v1/goals/{saver.goal['id']}"))["version"] == 1


def test_given_fired_milestones_when_money_goes_back_and_forth_then_they_re_arm(
    books: Books, heard: list[DomainEvent], container: Container
):
    saver = Saver(books)
    big = saver.deposit("800.00")
    assert fired(heard) == [("GoalMilestoneReached", m) for m in (25, 50, 75)]
    big = books.edit(big, amount="400.00")  # 400: 50 and 75 re-arm
    assert len(heard) == 3
    second = saver.deposit("600.00")  # 1,000: 50, 75 and the goal
    assert fired(heard)[3:] == [
        ("GoalMilestoneReached", 50),
        ("GoalMilestoneReached", 75),
        ("GoalReached", 100),
    ]
    books.delete(second)  # 400 again
    books.edit(big, booked_on="2026-11-20", amount="1000.00")  # a late edit: 1,000
    assert fired(heard)[6:] == [
        ("GoalMilestoneReached", 50),
        ("GoalMilestoneReached", 75),
        ("GoalReached", 100),
    ]
    progress = ok(books.actor.get(f"/v1/goals/{saver.goal['id']}/progress"))
    assert progress["reached"] is True
    assert progress["remaining"] == "0.00"
    # Told once per milestone, however often it fired.
    messages = outbox_messages(container.db, user_id=books.actor.user_id, limit=50)
    subjects = sorted(message.subject or "" for message in messages)
    assert subjects == [
        "Meta Viagem alcançada!",
        "Meta Viagem: 25% alcançados",
        "Meta Viagem: 50% alcançados",
        "Meta Viagem: 75% alcançados",
    ]


def test_given_a_category_goal_when_transactions_are_recategorised_then_it_follows(
    books: Books, heard: list[DomainEvent]
):
    deposits = books.categories["investment_deposit"]
    body = {"name": "Reserva", "target_amount": "100", "category_id": deposits}
    ok(books.actor.post("/v1/goals", {**body, "starts_on": "2026-11-01"}), 201)
    books.spend("-40.00", "2026-10-31", "investment_deposit")  # before the start
    wrong = books.spend("-60.00", "2026-11-10", "groceries")
    assert heard == []
    wrong = books.edit(wrong, category="investment_deposit")  # 60: 25 and 50
    assert fired(heard) == [("GoalMilestoneReached", 25), ("GoalMilestoneReached", 50)]
    books.edit(wrong, category="groceries")  # 0: both re-arm
    books.spend("-100.00", "2026-12-02", "investment_deposit")  # 100: every milestone
    assert fired(heard)[2:] == [
        ("GoalMilestoneReached", 25),
        ("GoalMilestoneReached", 50),
        ("GoalMilestoneReached", 75),
        ("GoalReached", 100),
    ]


def test_given_a_goal_when_its_target_changes_then_milestones_are_recomputed(
    books: Books, heard: list[DomainEvent]
):
    saver = Saver(books, target="2000")
    saver.deposit("1000.00")
    assert fired(heard) == [("GoalMilestoneReached", 25), ("GoalMilestoneReached", 50)]
    path = f"/v1/goals/{saver.goal['id']}"
    ok(books.actor.patch(path, {"target_amount": "1000", "version": 1}))
    assert fired(heard)[2:] == [("GoalMilestoneReached", 75), ("GoalReached", 100)]


def test_given_milestones_then_they_commit_in_the_outbox_and_match_their_schemas(
    books: Books, heard: list[DomainEvent], container: Container
):
    saver = Saver(books, target="100")
    saver.deposit("60.00")
    saver.deposit("40.00")
    with container.db.admin_session() as session:
        rows = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.aggregate_type == "Goal")
                .order_by(OutboxEvent.version)
            )
        )
    assert [(row.type, row.envelope["data"]["milestone"]) for row in rows] == [
        ("GoalMilestoneReached", 25),
        ("GoalMilestoneReached", 50),
        ("GoalMilestoneReached", 75),
        ("GoalReached", 100),
    ]
    for row in rows:
        validate(row.envelope)  # the pydantic registry, and the committed JSON Schema
        schema = json.loads((SCHEMA_DIR / f"{row.type}.json").read_text())
        Draft202012Validator(schema).validate(row.envelope["data"])
    assert {row.id for row in rows} == {event.id for event in heard}


def test_given_a_milestone_then_the_owner_is_told_once_in_portuguese(
    books: Books, container: Container
):
    saver = Saver(books, target="10000")
    saver.deposit("5000.00")
    messages = outbox_messages(container.db, user_id=books.actor.user_id, limit=10)
    assert sorted(message.body for message in messages) == [
        "Você chegou a 25% da meta Viagem: R$ 5.000,00 de R$ 10.000,00.",
        "Você chegou a 50% da meta Viagem: R$ 5.000,00 de R$ 10.000,00.",
    ]
    assert {message.channel for message in messages} == {"email"}


def test_given_an_event_delivered_again_then_nothing_fires_twice(
    books: Books, heard: list[DomainEvent], container: Container
):
    saver = Saver(books)
    created: list[DomainEvent] = []
    container.bus.subscribe("TransactionCreated", created.append)
    saver.deposit("1500.00")
    assert len(heard) == 4
    consumer = container.consumer("goals")
    assert container.consumer_runner.apply(consumer, created[-1]) is Outcome.DUPLICATE
    copy = created[-1].model_copy(update={"id": UUID(int=11)})  # another delivery id
    assert container.consumer_runner.apply(consumer, copy) is Outcome.APPLIED
    assert len(heard) == 4


# Out of order: a container whose bus records, and the consumer applied by hand


@pytest.fixture
def recorded(settings: Settings, clock: FixedClock) -> Iterator[tuple[Container, RecordingBus]]:
    bus = RecordingBus()
    built = bootstrap(settings, clock=clock, bus=bus)
    yield built, bus
    built.close()


def _states(container: Container, tenant: UUID) -> set[tuple[int, bool, int]]:
    with container.db.admin_session() as session:
        rows = session.scalars(select(GoalMilestone).where(GoalMilestone.tenant_id == tenant))
        return {(row.milestone, row.fired, row.times_fired) for row in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scenario_with_late_edited_deleted_and_recategorised_transactions_in_any_order(
    recorded: tuple[Container, RecordingBus], seed: int
):
    """Two goals of 1,000: a savings account's balance, and the contributions to
    ``investment_deposit`` since 1 November. Transactions are recorded, edited, moved between
    accounts, recategorised and deleted; the consumer then hears the events shuffled, some
    twice. Whatever the order, the milestones fired are those of the final state, and every
    event matches a firing the state recorded."""
    container, bus = recorded
    caller = _workspace(container)
    with container.unit_of_work(caller.tenant_id, caller.user_id) as uow:
        slug = {category.slug: category.id for category in uow.categories.all()}
    checking, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    saving, _ = container.accounts.create(caller, NewAccount("Poupança", AccountKind.SAVINGS))
    by_account, _ = container.goals.create(
        caller, GoalSpec(name="Viagem", target_amount=Decimal(1000), account_id=saving.id)
    )
    by_category, _ = container.goals.create(
        caller,
        GoalSpec(
            name="Reserva",
            target_amount=Decimal(1000),
            category_id=slug["investment_deposit"],
            starts_on=date(2026, 11, 1),
        ),
    )
    tx = container.transactions

    def record(account: UUID, amount: str, day: str, category: str) -> Any:
        created, _ = tx.create(
            caller,
            NewTransaction(
                account_id=account,
                amount=Decimal(amount),
                booked_on=date.fromisoformat(day),
                description="MOVIMENTO",
                category_id=slug[category],
            ),
        )
        return created

    a = record(saving.id, "900.00", "2026-11-05", "own_accounts")  # account: 900
    b = record(checking.id, "-800.00", "2026-11-06", "investment_deposit")  # category: 800
    c = record(checking.id, "-300.00", "2026-10-20", "investment_deposit")  # before the start
    tx.update(caller, c.id, {"booked_on": date(2026, 11, 20)}, c.version)  # category: 1,100
    tx.update(caller, a.id, {"account_id": checking.id}, a.version)  # account: 0
    d = record(saving.id, "600.00", "2026-12-01", "own_accounts")  # account: 600
    tx.update(caller, b.id, {"category_id": slug["groceries"]}, b.version)  # category: 300
    tx.delete(caller, d.id, None)  # account: 0
    record(saving.id, "550.00", "2026-12-02", "salary")  # account: 550
    e = record(checking.id, "-700.00", "2026-12-03", "investment_deposit")  # category: 1,000
    tx.update(caller, e.id, {"amount": Decimal("-500.00")}, e.version)  # category: 800

    transaction_events = [event for event in bus.events if event.aggregate_type == "Transaction"]
    before = [event for event in bus.events if event.aggregate_type == "Goal"]
    assert before == []  # nothing was delivered yet
    shuffled = list(transaction_events) + random.Random(seed).sample(transaction_events, 4)
    random.Random(seed).shuffle(shuffled)
    consumer = container.consumer("goals")
    for event in shuffled:
        container.consumer_runner.apply(consumer, event)

    goal_events = [event for event in bus.events if event.aggregate_type == "Goal"]
    assert _fired_now(container, caller.tenant_id) == {
        (by_account.id, 25),
        (by_account.id, 50),  # 550
        (by_category.id, 25),
        (by_category.id, 50),
        (by_category.id, 75),  # 800
    }
    counted: dict[tuple[UUID, int], int] = {}
    for event in goal_events:
        key = (event.aggregate_id, event.data["milestone"])
        counted[key] = counted.get(key, 0) + 1
    assert counted == _times_fired(container, caller.tenant_id)
    # Delivering everything again, in order this time, changes nothing.
    states = _states(container, caller.tenant_id)
    for event in transaction_events:
        assert container.consumer_runner.apply(consumer, event) is Outcome.DUPLICATE
    assert _states(container, caller.tenant_id) == states
    assert container.goals.progress(caller, by_category.id).progress.saved == Decimal("800.00")
    assert container.goals.progress(caller, by_account.id).progress.saved == Decimal("550.00")


def _fired_now(container: Container, tenant: UUID) -> set[tuple[UUID, int]]:
    with container.db.admin_session() as session:
        statement = select(GoalMilestone).where(
            GoalMilestone.tenant_id == tenant, GoalMilestone.fired.is_(True)
        )
        return {(row.goal_id, row.milestone) for row in session.scalars(statement)}


def _times_fired(container: Container, tenant: UUID) -> dict[tuple[UUID, int], int]:
    with container.db.admin_session() as session:
        rows = session.scalars(select(GoalMilestone).where(GoalMilestone.tenant_id == tenant))
        return {(row.goal_id, row.milestone): row.times_fired for row in rows if row.times_fired}
