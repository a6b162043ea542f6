"""The event backbone end to end on a moto server over HTTP, with its faults.

A transaction created through the API is committed with its event in the outbox; the relay
publishes it to an EventBridge bus (PutEvents); the consumer's rule sends it to the consumer's
SQS queue (with a dead-letter queue after two receives, as the CDK app wires it); the consumer's
Lambda entry, fed the way Lambda's SQS event source feeds it (:func:`_drain`), applies it once.

Faults: the relay dies after PutEvents and before marking the row (the sweep sends it again:
delivered twice, applied once); a consumer fails on one record of a batch (only that record comes
back); a poison message ends in the dead-letter queue and ``fluxo events redrive`` moves it back;
EventBridge reports a failed entry (moto cannot be told to, so the client is wrapped to answer
one), which is retried, not lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from events.envelope import DomainEvent
from shared.adapters.aws.eventbridge import EventBridgeBus
from shared.bootstrap import Container, bootstrap
from shared.consumer_entry import consumer_handler, process_batch
from shared.consumers import Consumer, event_from_message
from shared.db.models import OutboxEvent, ProcessedEvent
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.http.app import create_app
from shared.services.access import Caller
from shared.settings import Settings
from tests.support.api import Actor, ok, token_for
from tests.support.aws_events import FakeLambdaContext
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

MAX_RECEIVES = 2
ACTIVITY_TYPES = [
    "TransactionCreated",
    "TransactionDeleted",
    "TransactionUpdated",
    "TransactionsImported",
]


@dataclass
class Wiring:
    """One stage's bus and one consumer's rule, queue and dead-letter queue, on moto."""

    bus: str
    queue_name: str
    queue_url: str
    queue_arn: str
    dead_letter_url: str


class SwitchableBus:
    """The EventBridge bus, and a relay that can die right after PutEvents succeeded."""

    def __init__(self, inner: EventBridgeBus) -> None:
        self.inner = inner
        self.die_after_publish = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.inner.publish(events)
        if self.die_after_publish:
            raise RuntimeError("the relay died before marking the rows published")

    def subscribe(self, event_type: str, handler: Callable[[DomainEvent], None]) -> None:
        self.inner.subscribe(event_type, handler)


class FailingEntries:
    """An EventBridge client whose next ``failures`` PutEvents calls report the entries of
    ``failing`` event ids as failed (not sent), and pass the rest to the real client."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.failing: set[str] = set()
        self.failures = 0
        self.calls: list[int] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append(len(Entries))
        fail = self.failures > 0
        self.failures -= 1 if fail else 0
        refused = [fail and json.loads(entry["Detail"])["id"] in self.failing for entry in Entries]
        sent = [entry for entry, no in zip(Entries, refused, strict=True) if not no]
        real = iter(self._client.put_events(Entries=sent)["Entries"] if sent else [])
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"} if no else next(real)
            for no in refused
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


@pytest.fixture
def wiring(moto_server: MotoServer) -> Wiring:
    events = moto_server.client("events")
    sqs = moto_server.client("sqs")
    suffix = uuid4().hex[:8]
    bus = f"fluxo-e2e-{suffix}"
    events.create_event_bus(Name=bus)
    dead_url = sqs.create_queue(QueueName=f"fluxo-e2e-{suffix}-activity-dlq")["QueueUrl"]
    dead_arn = _arn(sqs, dead_url)
    queue_name = f"fluxo-e2e-{suffix}-activity"
    queue_url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVES)}
            ),
        },
    )["QueueUrl"]
    queue_arn = _arn(sqs, queue_url)
    # The pattern the CDK app gives a consumer's rule (stacks/constructs/consumers.py).
    pattern = {"source": [{"prefix": "fluxo."}], "detail-type": ACTIVITY_TYPES}
    events.put_rule(Name="activity", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="activity", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}]
    )
    return Wiring(bus, queue_name, queue_url, queue_arn, dead_url)


def _arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


@dataclass
class Stage:
    container: Container
    client: TestClient
    bus: SwitchableBus
    events_client: FailingEntries
    actor: Actor
    account_id: str

    def create(self, amount: str, description: str = "PADARIA") -> dict[str, Any]:
        body = {
            "account_id": self.account_id,
            "amount": amount,
            "booked_on": "2026-12-04",
            "description": description,
        }
        created: dict[str, Any] = ok(self.actor.post("/v1/transactions", body), 201)
        return created

    def day(self) -> list[tuple[int, Decimal, Decimal]]:
        assert self.actor.tenant_id is not None
        tenant = UUID(str(self.actor.tenant_id))
        caller = Caller(Principal(self.actor.user_id, tenant, frozenset({Role.OWNER})), tenant)
        rows = self.container.activity.daily(
            caller, UUID(self.account_id), date(2026, 12, 4), date(2026, 12, 4)
        )
        return [(row.transactions, row.inflow, row.outflow) for row in rows]

    def processed(self, consumer: str = "activity") -> int:
        with self.container.db.admin_session() as session:
            query = select(func.count()).where(ProcessedEvent.consumer == consumer)
            return int(session.scalar(query) or 0)

    def unpublished(self) -> int:
        with self.container.db.admin_session() as session:
            query = select(func.count()).where(OutboxEvent.published_at.is_(None))
            return int(session.scalar(query) or 0)


@pytest.fixture
def stage(
    moto_server: MotoServer,
    wiring: Wiring,
    settings: Settings,
    dev_issuer: Any,
    routers: Any,
) -> Iterator[Stage]:
    events_client = FailingEntries(moto_server.client("events"))
    bus = SwitchableBus(EventBridgeBus(events_client, wiring.bus, sleep=lambda _s: None))
    container = bootstrap(settings, dev_issuer=dev_issuer, bus=bus)
    app = create_app(routers, settings=settings, container_factory=lambda: container)
    with TestClient(app, raise_server_exceptions=False) as client:
        user_id = uuid4()
        bare = Actor(client, token_for(container, user_id, None), user_id, None)
        workspace = ok(bare.post("/v1/workspaces", {"name": "Casa", "base_currency": "BRL"}), 201)
        token = token_for(container, user_id, workspace["id"], Role.OWNER)
        actor = Actor(client, token, user_id, workspace["id"])
        account = ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
        yield Stage(container, client, bus, events_client, actor, account["id"])
    container.close()


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Received:
    message_id: str
    body: str
    receive_count: int


def _drain(sqs: Any, wiring: Wiring, handler: Handler) -> list[tuple[Received, bool]]:
    """One poll of Lambda's SQS event source: up to ten messages as one batch to ``handler``;
    the records it reports failed (all of them if it raised) become visible again, the rest
    are deleted. Returns each record and whether it succeeded."""
    messages = sqs.receive_message(
        QueueUrl=wiring.queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        WaitTimeSeconds=0,
    ).get("Messages", [])
    if not messages:
        return []
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": wiring.queue_arn,
            "awsRegion": "us-east-1",
        }
        for m in messages
    ]
    try:
        response = handler({"Records": records}, FakeLambdaContext())
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    except Exception:
        failed = {m["MessageId"] for m in messages}
    results = []
    for message in messages:
        ok_ = message["MessageId"] not in failed
        if ok_:
            sqs.delete_message(QueueUrl=wiring.queue_url, ReceiptHandle=message["ReceiptHandle"])
        else:  # visible again at once, rather than after the visibility timeout
            sqs.change_message_visibility(
                QueueUrl=wiring.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        results.append((Received(message["MessageId"], message["Body"], count), ok_))
    return results


def _activity_handler(stage: Stage) -> Handler:
    return consumer_handler("activity", container=lambda: stage.container)


def _event_ids(results: list[tuple[Received, bool]]) -> list[UUID]:
    return [event_from_message(received.body).id for received, _ in results]


def _messages_in(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


# -- the happy path -------------------------------------------------------------------------------


def test_a_transaction_created_through_the_api_reaches_the_consumer_and_its_effect(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    sqs = moto_server.client("sqs")

    created = stage.create("-42.50")

    assert stage.unpublished() == 0  # published right after the commit, and marked
    results = _drain(sqs, wiring, _activity_handler(stage))
    assert [ok_ for _, ok_ in results] == [True]
    delivered = json.loads(results[0][0].body)
    assert (delivered["detail-type"], delivered["source"]) == (
        "TransactionCreated",
        "fluxo.transaction",
    )
    assert delivered["detail"]["aggregateId"] == created["id"]
    assert stage.day() == [(1, Decimal("0.0000"), Decimal("-42.5000"))]
    assert _drain(sqs, wiring, _activity_handler(stage)) == []


# -- faults -------------------------------------------------------------------------------------


def test_given_the_relay_dies_after_put_events_then_the_event_is_delivered_twice_and_applied_once(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    sqs = moto_server.client("sqs")
    stage.bus.die_after_publish = True
    stage.create("-10.00")
    assert stage.unpublished() == 1  # on the bus, yet not marked: the relay "died"

    stage.bus.die_after_publish = False
    assert stage.container.relay.sweep(older_than=timedelta(0)) == 1
    assert stage.unpublished() == 0

    results = _drain(sqs, wiring, _activity_handler(stage))
    ids = _event_ids(results)
    assert len(ids) == 2
    assert len(set(ids)) == 1  # the same event, twice
    assert all(ok_ for _, ok_ in results)
    assert stage.processed() == 1
    assert stage.day() == [(1, Decimal("0.0000"), Decimal("-10.0000"))]


def test_given_a_consumer_failing_one_record_of_a_batch_then_only_that_record_is_retried(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    sqs = moto_server.client("sqs")
    for amount in ("-1.00", "-2.00", "-3.00"):
        stage.create(amount)
    failing: set[str] = set()
    applied: list[str] = []

    def handle(uow: UnitOfWork, event: DomainEvent) -> None:
        amount = event.data["transaction"]["amount"]
        if amount == "-2.00" and amount not in failing:
            failing.add(amount)
            raise RuntimeError("a passing failure")
        applied.append(amount)

    flaky = Consumer("flaky", frozenset({"TransactionCreated"}), handle)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_batch(event, context, consumer=flaky, runner=stage.container.consumer_runner)

    first = _drain(sqs, wiring, handler)
    assert sorted(ok_ for _, ok_ in first) == [False, True, True]
    assert sorted(applied) == ["-1.00", "-3.00"]
    failed_ids = [received.message_id for received, ok_ in first if not ok_]

    second = _drain(sqs, wiring, handler)

    assert [received.message_id for received, _ in second] == failed_ids
    assert [(received.receive_count, ok_) for received, ok_ in second] == [(2, True)]
    assert sorted(applied) == ["-1.00", "-2.00", "-3.00"]
    assert stage.processed("flaky") == 3


def test_given_a_poison_message_then_it_ends_in_the_dead_letter_queue_and_can_be_redriven(
    stage: Stage, wiring: Wiring, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
):
    sqs = moto_server.client("sqs")
    sqs.send_message(QueueUrl=wiring.queue_url, MessageBody='{"detail-type": "x", "detail": 1}')
    handler = _activity_handler(stage)

    receives = [_drain(sqs, wiring, handler) for _ in range(MAX_RECEIVES)]
    assert [[ok_ for _, ok_ in batch] for batch in receives] == [[False]] * MAX_RECEIVES
    assert _drain(sqs, wiring, handler) == []  # moved on its next receive
    assert _messages_in(sqs, wiring.dead_letter_url) == 1

    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    from shared.cli import app

    result = CliRunner().invoke(app, ["events", "redrive", wiring.queue_name])

    assert result.exit_code == 0, result.output
    assert "moved 1 message(s)" in result.output
    assert _messages_in(sqs, wiring.dead_letter_url) == 0
    back = sqs.receive_message(QueueUrl=wiring.queue_url, WaitTimeSeconds=0)["Messages"]
    assert [message["Body"] for message in back] == ['{"detail-type": "x", "detail": 1}']


def test_a_message_that_was_fixed_is_applied_once_redriven(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    """A real event that failed for a while (the consumer was broken) is applied after a
    redrive: nothing is lost, nothing is doubled."""
    from shared.adapters.aws.redrive import redrive

    sqs = moto_server.client("sqs")
    stage.create("-77.00")

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("the consumer is down")

    for _ in range(MAX_RECEIVES):
        _drain(sqs, wiring, broken)
    assert _drain(sqs, wiring, broken) == []
    assert redrive(sqs, wiring.queue_url).moved == 1

    assert [ok_ for _, ok_ in _drain(sqs, wiring, _activity_handler(stage))] == [True]
    assert stage.day() == [(1, Decimal("0.0000"), Decimal("-77.0000"))]


def test_given_eventbridge_reports_a_failed_entry_then_it_is_retried_not_lost(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    sqs = moto_server.client("sqs")
    stage.bus.die_after_publish = True  # leave the rows unpublished, to send them in one call
    created = [stage.create(f"-{n}.00") for n in range(1, 4)]
    stage.bus.die_after_publish = False
    _drain_all(sqs, wiring, stage)  # what the dying relay had sent
    with stage.container.db.admin_session() as session:
        middle = session.scalar(
            select(OutboxEvent.id).where(OutboxEvent.aggregate_id == UUID(created[1]["id"]))
        )
    stage.events_client.failing = {str(middle)}
    stage.events_client.failures = 1
    stage.events_client.calls.clear()

    assert stage.container.relay.sweep(older_than=timedelta(0)) == 3

    assert stage.events_client.calls == [3, 1]  # the failed entry, alone, once more
    results = _drain(sqs, wiring, _activity_handler(stage))
    assert sorted(_event_ids(results)) == sorted(_outbox_ids(stage))
    assert stage.unpublished() == 0
    assert stage.day() == [(3, Decimal("0.0000"), Decimal("-6.0000"))]


def test_given_an_entry_eventbridge_keeps_refusing_then_it_stays_for_the_sweep(
    stage: Stage, wiring: Wiring, moto_server: MotoServer
):
    sqs = moto_server.client("sqs")
    stage.events_client.failures = 99
    stage.events_client.failing = _everything()

    stage.create("-5.00")

    assert stage.unpublished() == 1
    assert _drain(sqs, wiring, _activity_handler(stage)) == []
    stage.events_client.failures = 0
    assert stage.container.relay.sweep(older_than=timedelta(0)) == 1
    assert [ok_ for _, ok_ in _drain(sqs, wiring, _activity_handler(stage))] == [True]
    assert stage.day() == [(1, Decimal("0.0000"), Decimal("-5.0000"))]


class _everything(set[str]):  # noqa: N801
    def __contains__(self, _item: object) -> bool:
        return True


def _outbox_ids(stage: Stage) -> list[UUID]:
    with stage.container.db.admin_session() as session:
        return list(session.scalars(select(OutboxEvent.id)))


def _drain_all(sqs: Any, wiring: Wiring, stage: Stage) -> None:
    while _drain(sqs, wiring, _activity_handler(stage)):
        pass


def test_the_redrive_command_explains_a_queue_without_a_dead_letter_queue(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    sqs = moto_server.client("sqs")
    name = f"plain-{uuid4().hex[:6]}"
    sqs.create_queue(QueueName=name)
    for variable, value in moto_server.environment().items():
        monkeypatch.setenv(variable, value)
    from shared.cli import app

    runner = CliRunner()
    no_policy = runner.invoke(app, ["events", "redrive", name])
    missing = runner.invoke(app, ["events", "redrive", f"missing-{uuid4().hex[:6]}"])

    assert no_policy.exit_code == 2
    assert "no dead-letter queue" in no_policy.output
    assert missing.exit_code == 2
    assert "no queue" in missing.output
