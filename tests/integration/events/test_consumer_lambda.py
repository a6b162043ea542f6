"""A consumer's Lambda entry: SQS records (EventBridge events as bodies) through Powertools'
``BatchProcessor``; only the records that failed are reported back to SQS."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from events.envelope import DomainEvent, EventMetadata
from events.transactions import TransactionCreated, TransactionSnapshot
from shared.consumer_entry import consumer_handler, process_batch
from shared.consumers import Consumer
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.workspaces import NewWorkspace
from tests.support.aws_events import FakeLambdaContext, eventbridge_event, sqs_event, sqs_record


def _workspace(container: Any) -> tuple[Caller, UUID]:
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}))
    view, _ = container.workspaces.create(owner, NewWorkspace(name="Casa"))
    caller = Caller(Principal(owner.user_id, view.tenant.id, owner.roles), view.tenant.id)
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    return caller, account.id


def _event(caller: Caller, account_id: UUID, amount: str) -> DomainEvent:
    snapshot = TransactionSnapshot(
        account_id=account_id,
        amount=Decimal(amount),
        currency="BRL",
        booked_on=date(2026, 12, 2),
        description="COMPRA",
        status="booked",
    )
    return DomainEvent(
        type="TransactionCreated",
        aggregate_id=uuid4(),
        aggregate_type="Transaction",
        version=1,
        timestamp=datetime(2026, 12, 2, tzinfo=UTC),
        data=TransactionCreated(transaction=snapshot).model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(user_id=None, tenant_id=caller.tenant_id, correlation_id="c"),
    )


def _record(event: DomainEvent, message_id: str) -> dict[str, Any]:
    body = eventbridge_event(event.type, event.to_wire(), source="fluxo.transaction")
    return sqs_record(body, queue="fluxo-test-activity", message_id=message_id)


def _days(container: Any, caller: Caller, account_id: UUID) -> list[tuple[int, Decimal]]:
    rows = container.activity.daily(caller, account_id, date(2026, 12, 1), date(2026, 12, 31))
    return [(row.transactions, row.net) for row in rows]


def test_given_a_batch_with_one_failing_record_then_only_that_record_is_reported(container):
    caller, account_id = _workspace(container)
    events = [_event(caller, account_id, amount) for amount in ("-1.00", "-2.00", "-4.00")]
    poisoned = events[1].id

    def handle(uow: UnitOfWork, event: DomainEvent) -> None:
        if event.id == poisoned:
            raise RuntimeError("cannot apply this one")

    picky = Consumer("picky", frozenset({"TransactionCreated"}), handle)
    batch = sqs_event(*(_record(event, f"m-{n}") for n, event in enumerate(events)))

    response = process_batch(
        batch, FakeLambdaContext(), consumer=picky, runner=container.consumer_runner
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    again = process_batch(
        batch, FakeLambdaContext(), consumer=picky, runner=container.consumer_runner
    )
    assert again == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}  # the others: repeats


def test_a_record_that_holds_no_event_fails_alone(container):
    caller, account_id = _workspace(container)
    good = _event(caller, account_id, "-3.00")
    batch = sqs_event(
        _record(good, "ok"),
        sqs_record("not json at all", message_id="junk"),
        sqs_record({"detail-type": "TransactionCreated", "detail": {"id": 1}}, message_id="bad"),
    )
    handler = consumer_handler("activity", container=lambda: container)

    response = handler(batch, FakeLambdaContext())

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "junk"}, {"itemIdentifier": "bad"}]
    }
    assert _days(container, caller, account_id) == [(1, Decimal("-3.0000"))]


def test_the_same_event_in_two_batches_is_applied_once(container):
    caller, account_id = _workspace(container)
    event = _event(caller, account_id, "250.00")
    handler = consumer_handler("activity", container=lambda: container)

    first = handler(sqs_event(_record(event, "a"), _record(event, "b")), FakeLambdaContext())
    second = handler(sqs_event(_record(event, "c")), FakeLambdaContext())

    assert first == second == {"batchItemFailures": []}
    assert _days(container, caller, account_id) == [(1, Decimal("250.0000"))]


def test_a_batch_whose_every_record_fails_is_an_error_so_sqs_retries_it_whole(container):
    handler = consumer_handler("activity", container=lambda: container)
    with pytest.raises(BatchProcessingError):
        handler(sqs_event(sqs_record("x", message_id="only")), FakeLambdaContext())


def test_the_deployed_entry_builds_its_container_from_settings_on_first_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path, sqlite_template_path, dev_issuer
):
    from shared.bootstrap import bootstrap
    from shared.settings import Settings, get_settings
    from tests.support.databases import sqlite_copy

    url = sqlite_copy(sqlite_template_path, tmp_path)
    setup = bootstrap(Settings(home=tmp_path, database_url=url))
    caller, account_id = _workspace(setup)
    setup.close()
    monkeypatch.setenv("FLUXO_HOME", str(tmp_path))
    monkeypatch.setenv("FLUXO_DATABASE_URL", url)
    get_settings.cache_clear()
    module = importlib.reload(importlib.import_module("functions.analytics.activity"))
    try:
        response = module.handler(
            sqs_event(_record(_event(caller, account_id, "-9.90"), "m")), FakeLambdaContext()
        )
    finally:
        get_settings.cache_clear()
    assert response == {"batchItemFailures": []}
    check = bootstrap(Settings(home=tmp_path, database_url=url))
    try:
        assert _days(check, caller, account_id) == [(1, Decimal("-9.9000"))]
    finally:
        check.close()
