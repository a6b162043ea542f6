"""The transactional outbox: every change writes its event in the same database transaction,
the relay publishes committed events to the bus, and a failed delivery is retried by the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from events.envelope import DomainEvent
from events.transactions import PAYLOADS
from shared.db.models import OutboxEvent, Transaction
from tests.support.api import Actor, ok, problem


def _outbox(container) -> list[OutboxEvent]:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return list(
            session.scalars(
                select(OutboxEvent).order_by(OutboxEvent.aggregate_id, OutboxEvent.version)
            )
        )


def _count(container, model) -> int:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def account(owner: Actor) -> dict[str, Any]:
    return ok(owner.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)


@pytest.fixture
def delivery(owner: Actor) -> str:
    for node in ok(owner.get("/v1/categories")):
        for child in node["children"]:
            if child["slug"] == "food_delivery":
                return str(child["id"])
    raise AssertionError("food_delivery is seeded")


def _body(account: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "account_id": account["id"],
        "amount": "-42.50",
        "booked_on": "2026-10-03",
        "description": "IFD*RESTAURANTE SABOR",
        **fields,
    }


def _create(actor: Actor, account: dict[str, Any], **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(actor.post("/v1/transactions", _body(account, **fields)), 201)
    return created


def _patch(actor: Actor, created: dict[str, Any], version: int, **changes: Any) -> dict[str, Any]:
    response = actor.patch(
        f"/v1/transactions/{created['id']}", changes, headers={"If-Match": f'"{version}"'}
    )
    changed: dict[str, Any] = ok(response)
    return changed


def _life(actor: Actor, account: dict[str, Any], category_id: str) -> str:
    """Create, edit, recategorise, edit and recategorise together, delete: six events."""
    created = _create(actor, account)
    _patch(actor, created, 1, notes="conferido")
    _patch(actor, created, 2, category_id=category_id)
    _patch(actor, created, 3, amount="-45.00", category_id=None)
    ok(actor.delete(f"/v1/transactions/{created['id']}", headers={"If-Match": '"5"'}), 204)
    return str(created["id"])


# -- one row per change, in the same transaction -----------------------------------------------


def test_when_a_transaction_is_created_then_one_outbox_row_is_written_with_it(
    owner, account, container
):
    created = _create(owner, account)
    rows = _outbox(container)
    assert [(row.aggregate_id, row.version, row.type) for row in rows] == [
        (UUID(created["id"]), 1, "TransactionCreated")
    ]
    assert rows[0].tenant_id == UUID(str(owner.tenant_id))
    assert rows[0].aggregate_type == "Transaction"


def test_given_a_transaction_when_each_change_is_made_then_each_adds_its_rows(
    owner, account, container, delivery
):
    created = _create(owner, account)
    assert _count(container, OutboxEvent) == 1
    _patch(owner, created, 1, notes="x")
    assert _count(container, OutboxEvent) == 2
    _patch(owner, created, 2, notes="y", category_id=delivery)
    assert _count(container, OutboxEvent) == 4
    ok(owner.delete(f"/v1/transactions/{created['id']}"), 204)
    assert _count(container, OutboxEvent) == 5


def test_given_a_conflicting_outbox_row_when_the_change_commits_then_neither_is_written(
    owner, account, container
):
    """The event and the change share a transaction: if the event cannot be stored (here a
    row already holds version 2 of the aggregate), the change is rolled back with it."""
    created = _create(owner, account)
    squatter = OutboxEvent(
        id=uuid4(),
        tenant_id=UUID(str(owner.tenant_id)),
        aggregate_type="Transaction",
        aggregate_id=UUID(created["id"]),
        version=2,
        type="Squatter",
        occurred_at=container.clock.now(),
        envelope={},
        published_at=container.clock.now(),
    )
    with container.db.admin_session() as session:
        session.add(squatter)
        session.commit()

    response = owner.patch(
        f"/v1/transactions/{created['id']}", {"notes": "perdida?"}, headers={"If-Match": '"1"'}
    )

    problem(response, 409)
    read = ok(owner.get(f"/v1/transactions/{created['id']}"))
    assert (read["notes"], read["version"]) == (None, 1)
    assert [row.type for row in _outbox(container)] == ["TransactionCreated", "Squatter"]


def test_when_the_service_rejects_a_change_then_no_row_and_no_event(owner, account, container):
    received: list[DomainEvent] = []
    container.bus.subscribe("*", received.append)

    problem(owner.post("/v1/transactions", _body(account, amount="1.234")), 422)
    problem(owner.post("/v1/transactions", _body(account, currency="USD")), 422)

    assert _count(container, OutboxEvent) == 0
    assert _count(container, Transaction) == 0
    assert received == []


def test_when_an_update_is_rejected_then_no_new_row_and_no_event(owner, account, container):
    created = _create(owner, account)
    received: list[DomainEvent] = []
    container.bus.subscribe("*", received.append)

    problem(
        owner.patch(
            f"/v1/transactions/{created['id']}", {"notes": "x"}, headers={"If-Match": '"7"'}
        ),
        409,
    )
    problem(
        owner.patch(
            f"/v1/transactions/{created['id']}",
            {"booked_on": "1800-01-01"},
            headers={"If-Match": '"1"'},
        ),
        422,
    )

    assert _count(container, OutboxEvent) == 1
    assert received == []


# -- the events themselves ---------------------------------------------------------------------


def test_every_stored_event_validates_against_the_envelope_and_its_payload(
    owner, account, container, delivery
):
    _life(owner, account, delivery)
    rows = _outbox(container)

    assert {row.type for row in rows} == set(PAYLOADS)
    for row in rows:
        event = DomainEvent.model_validate(row.envelope)
        assert (event.id, event.type, event.version) == (row.id, row.type, row.version)
        assert event.aggregate_id == row.aggregate_id
        assert event.timestamp.utcoffset() is not None
        PAYLOADS[event.type].model_validate(event.data)
        assert event.to_wire() == row.envelope
        assert "aggregateId" in row.envelope  # camelCase on the wire


def test_given_a_life_of_changes_then_versions_are_one_to_six_without_gaps(
    owner, account, container, delivery
):
    transaction_id = _life(owner, account, delivery)
    rows = [row for row in _outbox(container) if row.aggregate_id == UUID(transaction_id)]
    assert [(row.version, row.type) for row in rows] == [
        (1, "TransactionCreated"),
        (2, "TransactionUpdated"),
        (3, "TransactionCategorized"),
        (4, "TransactionUpdated"),
        (5, "TransactionCategorized"),
        (6, "TransactionDeleted"),
    ]


def test_given_two_transactions_then_each_has_its_own_version_sequence(owner, account, container):
    first, second = _create(owner, account), _create(owner, account)
    _patch(owner, first, 1, notes="a")
    _patch(owner, first, 2, notes="b")
    _patch(owner, second, 1, notes="c")
    versions: dict[UUID, list[int]] = {}
    # The two are the same charge twice: the anomaly raised on the second has its own sequence.
    for row in _outbox(container):
        if row.aggregate_type == "Transaction":
            versions.setdefault(row.aggregate_id, []).append(row.version)
    assert versions == {UUID(first["id"]): [1, 2, 3], UUID(second["id"]): [1, 2]}


def test_when_notes_change_then_the_updated_event_lists_only_what_changed(
    owner, account, container
):
    created = _create(owner, account, notes="antes")
    _patch(owner, created, 1, notes="depois", amount="-42.50")
    updated = _outbox(container)[-1]
    assert updated.type == "TransactionUpdated"
    data = updated.envelope["data"]
    assert data["changes"] == {"notes": {"from": "antes", "to": "depois"}}
    assert (data["transaction"]["notes"], data["transaction"]["amount"]) == ("depois", "-42.50")


def test_when_fields_with_compound_names_change_then_changes_uses_their_wire_names(
    owner, account, container
):
    created = _create(owner, account)
    _patch(owner, created, 1, booked_on="2026-10-04", amount="-45", value_on="2026-10-05")
    data = _outbox(container)[-1].envelope["data"]
    assert data["changes"] == {
        "amount": {"from": "-42.50", "to": "-45.00"},
        "bookedOn": {"from": "2026-10-03", "to": "2026-10-04"},
        "valueOn": {"from": None, "to": "2026-10-05"},
    }
    assert set(data["changes"]) <= set(data["transaction"])


def test_when_recategorised_then_the_event_carries_both_categories(
    owner, account, container, delivery
):
    created = _create(owner, account)
    _patch(owner, created, 1, category_id=delivery)
    event = _outbox(container)[-1].envelope
    assert event["type"] == "TransactionCategorized"
    moved = event["data"].pop("transaction")
    assert event["data"] == {
        "transactionId": created["id"],
        "previousCategoryId": created["category_id"],  # what the chain gave it when recorded
        "categoryId": delivery,
        "source": "user",
        "confidence": "1",
        "evidence": "chosen by hand",
        "ruleId": None,
        "needsReview": False,
    }
    # The transaction as it was moved: what rollups take out of one category and into another.
    assert (moved["amount"], moved["bookedOn"], moved["categoryId"]) == (
        created["amount"],
        created["booked_on"],
        delivery,
    )


def test_when_deleted_then_the_event_keeps_the_last_state(owner, account, container):
    created = _create(owner, account, notes="guardar", tags=["viagem"])
    ok(owner.delete(f"/v1/transactions/{created['id']}"), 204)
    deleted = _outbox(container)[-1].envelope
    assert deleted["type"] == "TransactionDeleted"
    snapshot = deleted["data"]["transaction"]
    assert (snapshot["amount"], snapshot["notes"], snapshot["tags"]) == (
        "-42.50",
        "guardar",
        ["viagem"],
    )


def test_when_a_request_carries_a_correlation_id_then_its_event_metadata_has_it(
    owner, account, container
):
    response = owner.post(
        "/v1/transactions", _body(account), headers={"X-Correlation-Id": "req-abc.123"}
    )
    ok(response, 201)
    assert response.headers["X-Correlation-Id"] == "req-abc.123"
    metadata = _outbox(container)[0].envelope["metadata"]
    assert metadata == {
        "userId": str(owner.user_id),
        "tenantId": str(owner.tenant_id),
        "correlationId": "req-abc.123",
    }


def test_when_a_request_has_no_correlation_id_then_the_event_gets_the_one_returned(
    owner, account, container
):
    response = owner.post("/v1/transactions", _body(account))
    ok(response, 201)
    given = response.headers["X-Correlation-Id"]
    assert given
    assert _outbox(container)[0].envelope["metadata"]["correlationId"] == given


def test_when_a_correlation_id_is_unsafe_then_a_fresh_one_is_used(owner, account, container):
    response = owner.post(
        "/v1/transactions", _body(account), headers={"X-Correlation-Id": "a b<script>"}
    )
    ok(response, 201)
    used = _outbox(container)[0].envelope["metadata"]["correlationId"]
    assert used != "a b<script>"
    assert used == response.headers["X-Correlation-Id"]


# -- the relay and the bus ---------------------------------------------------------------------


def test_given_a_subscriber_when_a_change_commits_then_it_receives_the_event_after_commit(
    owner, account, container
):
    seen_committed: list[bool] = []
    received: list[DomainEvent] = []

    def handler(event: DomainEvent) -> None:
        # A separate session sees the row: the handler runs after the commit, not before.
        with container.db.admin_session() as session:
            seen_committed.append(session.get(Transaction, event.aggregate_id) is not None)
        received.append(event)

    container.bus.subscribe("TransactionCreated", handler)

    created = _create(owner, account)

    assert [event.aggregate_id for event in received] == [UUID(created["id"])]
    assert seen_committed == [True]
    assert [row.published_at is not None for row in _outbox(container)] == [True]


def test_given_a_subscriber_of_one_type_then_it_receives_only_that_type(
    owner, account, container, delivery
):
    received: list[str] = []
    container.bus.subscribe("TransactionCategorized", lambda event: received.append(event.type))
    created = _create(owner, account)
    _patch(owner, created, 1, notes="x", category_id=delivery)
    assert received == ["TransactionCategorized"]


def test_given_an_update_with_two_events_then_the_subscriber_gets_them_in_version_order(
    owner, account, container, delivery
):
    received: list[tuple[str, int]] = []
    container.bus.subscribe("*", lambda event: received.append((event.type, event.version)))
    created = _create(owner, account)
    _patch(owner, created, 1, notes="x", category_id=delivery)
    assert received == [
        ("TransactionCreated", 1),
        ("TransactionUpdated", 2),
        ("TransactionCategorized", 3),
    ]


def test_given_a_failing_handler_then_the_change_stands_and_the_row_stays_unpublished(
    owner, account, container
):
    def failing(_event: DomainEvent) -> None:
        raise RuntimeError("downstream is down")

    container.bus.subscribe("TransactionCreated", failing)

    created = _create(owner, account)  # the API answers 201: the change is committed

    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["id"] == created["id"]
    assert [row.published_at for row in _outbox(container)] == [None]


def test_given_an_unpublished_row_when_the_sweep_runs_then_it_is_delivered_and_marked(
    owner, account, container
):
    healthy = False
    received: list[DomainEvent] = []

    def flaky(event: DomainEvent) -> None:
        if not healthy:
            raise RuntimeError("downstream is down")
        received.append(event)

    container.bus.subscribe("*", flaky)
    created = _create(owner, account)
    assert received == []

    healthy = True
    delivered = container.relay.sweep(older_than=timedelta(0))

    assert delivered == 1
    assert [event.aggregate_id for event in received] == [UUID(created["id"])]
    assert [row.published_at is not None for row in _outbox(container)] == [True]
    assert container.relay.sweep(older_than=timedelta(0)) == 0  # nothing left to deliver
    assert len(received) == 1


def test_given_a_still_failing_handler_when_the_sweep_runs_then_the_row_stays_for_later(
    owner, account, container
):
    def failing(_event: DomainEvent) -> None:
        raise RuntimeError("still down")

    container.bus.subscribe("*", failing)
    _create(owner, account)

    container.relay.sweep(older_than=timedelta(0))

    assert [row.published_at for row in _outbox(container)] == [None]


def test_given_one_failing_event_among_several_then_only_it_stays_unpublished(
    owner, account, container, delivery
):
    def refuse_categorized(event: DomainEvent) -> None:
        if event.type == "TransactionCategorized":
            raise RuntimeError("the categoriser is down")

    container.bus.subscribe("*", refuse_categorized)
    created = _create(owner, account)
    _patch(owner, created, 1, notes="x", category_id=delivery)

    published = {row.type: row.published_at is not None for row in _outbox(container)}
    assert published == {
        "TransactionCreated": True,
        "TransactionUpdated": True,
        "TransactionCategorized": False,
    }


def test_when_the_sweep_redelivers_then_the_event_is_the_one_that_was_stored(
    owner, account, container
):
    received: list[DomainEvent] = []
    fail = True

    def handler(event: DomainEvent) -> None:
        if fail:
            raise RuntimeError("down")
        received.append(event)

    container.bus.subscribe("*", handler)
    _create(owner, account, notes="original")
    fail = False
    container.relay.sweep(older_than=timedelta(0))

    (row,) = _outbox(container)
    assert [event.to_wire() for event in received] == [row.envelope]
