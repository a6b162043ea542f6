"""The AWS event bus: PutEvents in chunks of ten, failed entries retried, the rest reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from events.envelope import DomainEvent, EventMetadata
from shared.adapters.aws.eventbridge import EventBridgeBus
from shared.ports import PublishFailed
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()


def _event(number: int = 1) -> DomainEvent:
    return DomainEvent(
        type="TransactionCreated",
        aggregate_id=uuid4(),
        aggregate_type="Transaction",
        version=number,
        timestamp=datetime(2026, 11, 1, tzinfo=UTC),
        data={"n": number},
        metadata=EventMetadata(user_id=uuid4(), tenant_id=uuid4(), correlation_id="c-1"),
    )


def test_given_23_events_when_published_then_a_rule_delivers_all_of_them_to_a_queue(
    moto_server: MotoServer,
):
    events_client = moto_server.client("events")
    sqs = moto_server.client("sqs")
    bus = events_client.create_event_bus(Name="fluxo-test")["EventBusArn"].split("/")[-1]
    queue_url = sqs.create_queue(QueueName=f"consumer-{uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events_client.put_rule(
        Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["fluxo.transaction"]})
    )
    events_client.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    published = [_event(n) for n in range(1, 24)]

    EventBridgeBus(events_client, bus).publish(published)

    received: list[dict[str, Any]] = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        received.extend(json.loads(message["Body"]) for message in messages)
        if len(received) >= len(published):
            break
    assert sorted(item["detail"]["id"] for item in received) == sorted(
        str(event.id) for event in published
    )
    assert {item["detail-type"] for item in received} == {"TransactionCreated"}


class _FlakyClient:
    """EventBridge answering with failed entries: the first ``failures`` calls fail one entry."""

    def __init__(self, failing_ids: set[str], failures: int) -> None:
        self.calls: list[int] = []
        self._failing = failing_ids
        self._failures = failures

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append(len(Entries))
        failing = len(self.calls) <= self._failures
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            if failing and json.loads(entry["Detail"])["id"] in self._failing
            else {"EventId": uuid4().hex}
            for entry in Entries
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_a_failed_entry_is_retried_alone_and_then_succeeds():
    events = [_event(n) for n in range(1, 4)]
    client = _FlakyClient({str(events[1].id)}, failures=1)
    EventBridgeBus(client, "bus", sleep=lambda _s: None).publish(events)
    assert client.calls == [3, 1]


def test_an_entry_that_keeps_failing_is_reported_not_lost():
    events = [_event(n) for n in range(1, 13)]
    client = _FlakyClient({str(events[11].id)}, failures=99)
    with pytest.raises(PublishFailed) as failure:
        EventBridgeBus(client, "bus", attempts=3, sleep=lambda _s: None).publish(events)
    assert [event.id for event in failure.value.failed] == [events[11].id]
    assert client.calls == [10, 2, 1, 1]


def test_the_sweep_function_publishes_what_the_outbox_holds_to_eventbridge(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path, sqlite_template_path
):
    """The scheduled Lambda, in-process: committed events left unpublished reach the bus."""
    import importlib
    from datetime import date
    from decimal import Decimal

    from shared.bootstrap import bootstrap
    from shared.domain.access import Principal, Role
    from shared.domain.transactions import AccountKind
    from shared.services.access import Caller
    from shared.services.accounts import NewAccount
    from shared.services.transactions import NewTransaction
    from shared.services.workspaces import NewWorkspace
    from shared.settings import Settings, get_settings
    from tests.support.aws_events import FakeLambdaContext, scheduled_event
    from tests.support.databases import sqlite_copy

    events_client = moto_server.client("events")
    sqs = moto_server.client("sqs")
    bus = events_client.create_event_bus(Name=f"sweep-{uuid4().hex[:6]}")["EventBusArn"].split("/")[
        -1
    ]
    queue_url = sqs.create_queue(QueueName=f"sweep-{uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events_client.put_rule(
        Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["fluxo.transaction"]})
    )
    events_client.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    database_url = sqlite_copy(sqlite_template_path, tmp_path)

    # Committed while the bus was unreachable: the events stay in the outbox.
    offline = bootstrap(Settings(home=tmp_path, database_url=database_url))
    offline.bus.subscribe("*", lambda _event: (_ for _ in ()).throw(RuntimeError("down")))
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}))
    view, _ = offline.workspaces.create(owner, NewWorkspace(name="Casa"))
    caller = Caller(owner, view.tenant.id)
    account, _ = offline.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    created, _ = offline.transactions.create(
        caller, NewTransaction(account.id, Decimal("-5.00"), date(2026, 11, 1), "PADARIA")
    )
    offline.close()

    for name, value in {
        **moto_server.environment(),
        "FLUXO_HOME": str(tmp_path),
        "FLUXO_DATABASE_URL": database_url,
        "FLUXO_EVENT_BUS_NAME": bus,
        "FLUXO_OUTBOX_SWEEP_GRACE_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    module = importlib.import_module("functions.outbox.handler")
    module._container.cache_clear()
    try:
        result = module.handler(scheduled_event(), FakeLambdaContext())
    finally:
        module._container().close()
        module._container.cache_clear()
        get_settings.cache_clear()

    assert result == {"published": 1}
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    detail = json.loads(messages[0]["Body"])["detail"]
    assert (detail["type"], detail["aggregateId"]) == ("TransactionCreated", str(created.id))
