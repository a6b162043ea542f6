"""The consumer runner applies each event once per consumer, on SQLite and PostgreSQL: the
claim in ``processed_events`` and the effect commit together or not at all."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from events.envelope import DomainEvent, EventMetadata
from events.transactions import TransactionCreated, TransactionSnapshot
from shared.bootstrap import Container
from shared.consumers import Consumer, NotAnEvent, Outcome, event_from_message
from shared.db.models import ProcessedEvent, Rollup
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.activity import apply_event
from shared.services.workspaces import NewWorkspace


class Boom(RuntimeError):
    pass


def _workspace(container: Container) -> tuple[Caller, UUID]:
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}))
    view, _ = container.workspaces.create(owner, NewWorkspace(name="Casa"))
    caller = Caller(Principal(owner.user_id, view.tenant.id, owner.roles), view.tenant.id)
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    return caller, account.id


def _created(caller: Caller, account_id: UUID, amount: str = "-42.50") -> DomainEvent:
    snapshot = TransactionSnapshot(
        account_id=account_id,
        amount=Decimal(amount),
        currency="BRL",
        booked_on=date(2026, 12, 1),
        description="PADARIA",
        status="booked",
    )
    return DomainEvent(
        type="TransactionCreated",
        aggregate_id=uuid4(),
        aggregate_type="Transaction",
        version=1,
        timestamp=datetime(2026, 12, 1, 12, tzinfo=UTC),
        data=TransactionCreated(transaction=snapshot).model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=caller.user_id, tenant_id=caller.tenant_id, correlation_id="c"
        ),
    )


def _claims(container: Container, consumer: str) -> int:
    with container.db.admin_session() as session:
        query = select(func.count()).where(ProcessedEvent.consumer == consumer)
        return int(session.scalar(query) or 0)


def _activity(container: Container, account_id: UUID) -> list[tuple[Any, ...]]:
    with container.db.admin_session() as session:
        rows = session.scalars(
            select(Rollup).where(Rollup.account_id == account_id, Rollup.grain == "d")
        ).all()
        return [
            (row.period_start, row.credits + row.debits, row.inflow, row.outflow) for row in rows
        ]


def _failing(name: str) -> Consumer:
    def handle(uow: UnitOfWork, event: DomainEvent) -> None:
        apply_event(uow, event)  # the effect is written, then the handler fails
        raise Boom("the effect's second step failed")

    return Consumer(name, frozenset({"TransactionCreated"}), handle)


def test_given_an_event_when_applied_twice_then_the_effect_happens_once(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    activity = container.consumer("activity")

    first = container.consumer_runner.apply(activity, event)
    second = container.consumer_runner.apply(activity, event)

    assert (first, second) == (Outcome.APPLIED, Outcome.DUPLICATE)
    assert _activity(container, account_id) == [
        (date(2026, 12, 1), 1, Decimal("0.0000"), Decimal("-42.5000"))
    ]


def test_given_a_handler_that_fails_when_applied_then_neither_claim_nor_effect_is_kept(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    before = _claims(container, "activity")

    with pytest.raises(Boom):
        container.consumer_runner.apply(_failing("activity"), event)

    assert _claims(container, "activity") == before
    assert _activity(container, account_id) == []


def test_given_a_failed_delivery_when_retried_then_it_is_applied_once(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id, "1500.00")
    with pytest.raises(Boom):
        container.consumer_runner.apply(_failing("activity"), event)

    activity = container.consumer("activity")
    assert container.consumer_runner.apply(activity, event) is Outcome.APPLIED
    assert container.consumer_runner.apply(activity, event) is Outcome.DUPLICATE
    assert _activity(container, account_id) == [
        (date(2026, 12, 1), 1, Decimal("1500.0000"), Decimal("0.0000"))
    ]


def test_two_consumers_each_apply_the_same_event_once(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    seen: list[UUID] = []
    other = Consumer("audit", frozenset({"TransactionCreated"}), lambda _u, e: seen.append(e.id))

    outcomes = [container.consumer_runner.apply(c, event) for c in (other, other)]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert seen == [event.id]


def test_an_event_type_the_consumer_does_not_want_is_ignored(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    budgets = Consumer("budgets", frozenset({"ImportCompleted"}), lambda _u, _e: None)

    assert container.consumer_runner.apply(budgets, event) is Outcome.IGNORED
    assert _claims(container, "budgets") == 0


def test_a_consumer_may_record_events_that_commit_with_its_effect(container):
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    followed: list[DomainEvent] = []
    container.bus.subscribe("AccountDayNoted", followed.append)

    def handle(uow: UnitOfWork, incoming: DomainEvent) -> None:
        uow.record(
            incoming.model_copy(
                update={"id": uuid4(), "type": "AccountDayNoted", "aggregate_id": account_id}
            )
        )

    consumer = Consumer("noter", frozenset({"TransactionCreated"}), handle)
    assert container.consumer_runner.apply(consumer, event) is Outcome.APPLIED
    assert [e.type for e in followed] == ["AccountDayNoted"]


def test_given_two_deliveries_racing_on_postgres_then_one_applies_and_one_is_a_duplicate(
    container, backend
):
    """The second delivery's claim waits on the first's uncommitted one, then finds it taken."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: deliveries cannot overlap there")
    caller, account_id = _workspace(container)
    event = _created(caller, account_id)
    claimed = threading.Event()

    def handle(uow: UnitOfWork, incoming: DomainEvent) -> None:
        claimed.set()
        time.sleep(0.5)  # the other delivery starts meanwhile and waits on the claim
        apply_event(uow, incoming)

    consumer = Consumer("activity", frozenset({"TransactionCreated"}), handle)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(container.consumer_runner.apply, consumer, event)
        assert claimed.wait(10)
        second = pool.submit(container.consumer_runner.apply, consumer, event)
        outcomes = {first.result(timeout=20), second.result(timeout=20)}

    assert outcomes == {Outcome.APPLIED, Outcome.DUPLICATE}
    assert _activity(container, account_id) == [
        (date(2026, 12, 1), 1, Decimal("0.0000"), Decimal("-42.5000"))
    ]


def test_a_queue_message_is_read_as_an_eventbridge_event_or_a_bare_envelope():
    event = _created(Caller(Principal(uuid4(), uuid4(), frozenset()), uuid4()), uuid4())
    wrapped = {"version": "0", "detail-type": event.type, "source": "fluxo.transaction"}
    assert event_from_message(json.dumps({**wrapped, "detail": event.to_wire()})) == event
    assert event_from_message(json.dumps(event.to_wire())) == event
    for bad in ("not json", "[]", json.dumps({**wrapped, "detail": {"id": "x"}})):
        with pytest.raises(NotAnEvent):
            event_from_message(bad)
