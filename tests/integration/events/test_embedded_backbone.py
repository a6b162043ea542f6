"""The event backbone on the embedded default (SQLite and PostgreSQL): what the API, imports and
rules record in the outbox matches the committed schemas; the in-process bus feeds the consumers
right after each commit; a replay republishes from the outbox and applies nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from events.anomalies import PAYLOADS as ANOMALY_PAYLOADS
from events.envelope import DomainEvent
from events.imports import PAYLOADS as IMPORT_PAYLOADS
from events.registry import EVENT_TYPES, validate
from events.schemas import SCHEMA_DIR
from events.transactions import PAYLOADS as TRANSACTION_PAYLOADS
from shared.consumers import Consumer
from shared.db.models import OutboxEvent, ProcessedEvent
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.services.access import Caller
from tests.support.api import Actor, categories_by_slug, ok

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "statements"


def _schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / f"{name}.json").read_text()))


def _outbox(container: Any) -> list[OutboxEvent]:
    with container.db.admin_session() as session:
        return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at)))


def _caller(actor: Actor) -> Caller:
    assert actor.tenant_id is not None
    tenant = UUID(str(actor.tenant_id))
    return Caller(Principal(actor.user_id, tenant, frozenset({Role.OWNER})), tenant)


def _account(actor: Actor) -> dict[str, Any]:
    return ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)


def _create(actor: Actor, account: dict[str, Any], description: str, amount: str, day: str):
    body = {
        "account_id": account["id"],
        "amount": amount,
        "booked_on": day,
        "description": description,
    }
    return ok(actor.post("/v1/transactions", body), 201)


def _patch(actor: Actor, transaction: dict[str, Any], **changes: Any) -> dict[str, Any]:
    path = f"/v1/transactions/{transaction['id']}"
    version = ok(actor.get(path))["version"]
    changed: dict[str, Any] = ok(actor.patch(path, changes, headers={"If-Match": f'"{version}"'}))
    return changed


def _upload(actor: Actor, account: dict[str, Any], path: Path) -> dict[str, Any]:
    response = actor.client.post(
        "/v1/imports",
        headers=actor.headers(),
        data={"account_id": account["id"]},
        files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    created: dict[str, Any] = ok(response, 201)
    return created


def _every_kind_of_change(actor: Actor) -> dict[str, Any]:
    """API edits, a delete, a statement import and a rule applied: every event type."""
    account = _account(actor)
    categories = categories_by_slug(actor)
    coffee = _create(actor, account, "CAFETERIA CENTRAL", "-12.00", "2026-11-02")
    _patch(actor, coffee, notes="reunião")
    _patch(actor, coffee, category_id=categories["restaurants"])
    _patch(actor, coffee, amount="-14.00", category_id=None)
    gone = _create(actor, account, "ESTORNO", "30.00", "2026-11-03")
    ok(actor.delete(f"/v1/transactions/{gone['id']}", headers={"If-Match": '"1"'}), 204)
    _upload(actor, account, FIXTURES / "csv" / "nuconta.csv")
    uber = _create(actor, account, "UBER *TRIP", "-25.00", "2026-11-04")
    # The same charge twice the same day: the anomalies consumer raises AnomalyDetected.
    _create(actor, account, "LOJA REPETIDA", "-77.00", "2026-11-05")
    _create(actor, account, "LOJA REPETIDA", "-77.00", "2026-11-05")
    rule = ok(
        actor.post(
            "/v1/rules",
            {
                "name": "Uber",
                "conditions": [{"field": "description", "operator": "contains", "value": "uber"}],
                "actions": {"category_id": categories["transport"]},
            },
        ),
        201,
    )
    ok(actor.post(f"/v1/rules/{rule['id']}/apply"))
    return {"account": account, "coffee": coffee, "uber": uber}


# -- every emitted event matches its schema -----------------------------------------------------


def test_every_event_the_flows_record_validates_against_its_committed_schema(owner, container):
    _every_kind_of_change(owner)
    rows = _outbox(container)
    envelope_schema = _schema("DomainEvent")

    for row in rows:
        event, _payload = validate(row.envelope)  # the pydantic registry
        assert (event.id, event.type, event.version) == (row.id, row.type, row.version)
        # The JSON Schemas, as consumers in other languages use them.
        envelope_schema.validate(row.envelope)
        _schema(row.type).validate(row.envelope["data"])

    emitted = {row.type for row in rows}
    flows_cover = {*TRANSACTION_PAYLOADS, *IMPORT_PAYLOADS, *ANOMALY_PAYLOADS}
    assert flows_cover <= emitted, f"no flow above emitted {sorted(flows_cover - emitted)}"


def test_every_committed_sample_validates_against_its_schema():
    samples = sorted((SCHEMA_DIR.parent / "samples").glob("*.json"))
    assert {path.stem for path in samples} == EVENT_TYPES
    for path in samples:
        envelope = json.loads(path.read_text())
        _schema("DomainEvent").validate(envelope)
        _schema(path.stem).validate(envelope["data"])
        validate(envelope)


# -- the in-process bus feeds the consumers ------------------------------------------------------


def test_the_daily_activity_follows_creates_edits_deletes_and_imports(owner, container):
    account = _account(owner)
    caller = _caller(owner)
    november = (date(2026, 11, 1), date(2026, 11, 30))

    def days() -> list[tuple[str, int, str, str]]:
        rows = container.activity.daily(caller, UUID(account["id"]), *november)
        return [(str(r.day), r.transactions, str(r.inflow), str(r.outflow)) for r in rows]

    coffee = _create(owner, account, "CAFETERIA", "-12.00", "2026-11-02")
    salary = _create(owner, account, "SALARIO", "5000.00", "2026-11-02")
    assert days() == [("2026-11-02", 2, "5000.0000", "-12.0000")]

    _patch(owner, coffee, amount="-15.50", booked_on="2026-11-03")
    _patch(owner, salary, notes="novembro")  # no effect on the rollup
    assert days() == [
        ("2026-11-02", 1, "5000.0000", "0.0000"),
        ("2026-11-03", 1, "0.0000", "-15.5000"),
    ]

    ok(owner.delete(f"/v1/transactions/{salary['id']}", headers={"If-Match": '"2"'}), 204)
    assert days() == [("2026-11-03", 1, "0.0000", "-15.5000")]


def test_an_import_is_rolled_up_by_day(owner, container):
    account = _account(owner)
    record = _upload(owner, account, FIXTURES / "csv" / "nuconta.csv")
    rows = container.activity.daily(
        _caller(owner), UUID(account["id"]), date(2000, 1, 1), date(2100, 1, 1)
    )
    page = ok(owner.get("/v1/transactions", params={"account_id": account["id"], "limit": 500}))
    amounts = [Decimal(item["amount"]) for item in page["items"]]
    assert sum(row.transactions for row in rows) == record["imported"] == len(amounts)
    assert sum(row.inflow for row in rows) == sum(a for a in amounts if a > 0)
    assert sum(row.outflow for row in rows) == sum(a for a in amounts if a < 0)


def test_a_consumer_failing_in_process_leaves_the_event_for_the_sweep(owner, container):
    account = _account(owner)
    calls: list[UUID] = []

    def flaky(_uow: UnitOfWork, event: DomainEvent) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("down for a moment")

    from shared.consumers import subscribe_in_process

    flaky_consumer = Consumer("flaky", frozenset({"TransactionCreated"}), flaky)
    subscribe_in_process(container.bus, [flaky_consumer], container.consumer_runner)

    created = _create(owner, account, "PADARIA", "-7.00", "2026-11-05")
    with container.db.admin_session() as session:
        row = session.get(OutboxEvent, _created_event_id(container, created["id"]))
        assert row is not None
        assert row.published_at is None

    assert container.relay.sweep(older_than=timedelta(0)) == 1
    assert calls == [calls[0], calls[0]]
    # The activity consumer had applied it the first time: the sweep's delivery was a repeat.
    rows = container.activity.daily(
        _caller(owner), UUID(account["id"]), date(2026, 11, 5), date(2026, 11, 5)
    )
    assert [r.transactions for r in rows] == [1]


def _created_event_id(container: Any, transaction_id: str) -> UUID:
    with container.db.admin_session() as session:
        found = session.scalar(
            select(OutboxEvent.id).where(
                OutboxEvent.aggregate_id == UUID(transaction_id), OutboxEvent.version == 1
            )
        )
        assert found is not None
        return found


# -- replay ----------------------------------------------------------------------------------------


def _processed(container: Any) -> int:
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


def test_a_replay_republishes_the_outbox_and_applies_nothing_twice(owner, container):
    changed = _every_kind_of_change(owner)
    caller = _caller(owner)
    account_id = UUID(changed["account"]["id"])
    before = container.activity.daily(caller, account_id, date(2000, 1, 1), date(2100, 1, 1))
    processed = _processed(container)
    count = len(_outbox(container))

    result = container.relay.replay(since=datetime(2000, 1, 1, tzinfo=UTC))

    assert (result.published, result.failed) == (count, 0)
    assert _processed(container) == processed
    after = container.activity.daily(caller, account_id, date(2000, 1, 1), date(2100, 1, 1))
    assert after == before


def test_a_replay_reaches_a_consumer_added_after_the_events_once_and_filters_by_type(
    owner, container
):
    _every_kind_of_change(owner)
    seen: list[tuple[str, UUID]] = []
    late = Consumer(
        "late", frozenset(EVENT_TYPES), lambda _uow, event: seen.append((event.type, event.id))
    )
    from shared.consumers import subscribe_in_process

    subscribe_in_process(container.bus, [late], container.consumer_runner)
    since = datetime(2000, 1, 1, tzinfo=UTC)

    only_created = container.relay.replay(since=since, types={"TransactionCreated"})
    assert {kind for kind, _ in seen} == {"TransactionCreated"}
    assert only_created.published == len(seen)

    container.relay.replay(since=since)
    container.relay.replay(since=since)
    rows = _outbox(container)
    assert sorted(event_id for _, event_id in seen) == sorted(row.id for row in rows)


def test_a_replay_window_is_half_open_and_marks_what_was_never_published(owner, container):
    account = _account(owner)
    _create(owner, account, "A", "-1.00", "2026-11-01")
    _create(owner, account, "B", "-2.00", "2026-11-01")
    rows = _outbox(container)
    first, second = rows[-2], rows[-1]
    with container.db.admin_session() as session:
        session.execute(update(OutboxEvent).values(published_at=None))
        session.commit()

    result = container.relay.replay(since=first.occurred_at, until=second.occurred_at)

    assert result.published == 1
    published = {row.id: row.published_at for row in _outbox(container)}
    assert published[first.id] is not None
    assert published[second.id] is None


def test_the_replay_command(owner, container, settings, monkeypatch: pytest.MonkeyPatch):
    from shared.cli import app
    from shared.settings import get_settings

    _every_kind_of_change(owner)
    count = len(_outbox(container))
    monkeypatch.setenv("FLUXO_HOME", str(settings.home))
    monkeypatch.setenv("FLUXO_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("FLUXO_LAKE_PATH", str(settings.lake_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        everything = runner.invoke(app, ["events", "replay", "--since", "2000-01-01"])
        imports = runner.invoke(
            app,
            [
                "events", "replay", "--since", "2000-01-01T00:00:00+00:00",
                "--type", "ImportCompleted", "--type", "TransactionsImported",
            ],
        )  # fmt: skip
        unknown = runner.invoke(app, ["events", "replay", "--since", "2000-01-01", "--type", "X"])
    finally:
        get_settings.cache_clear()

    assert everything.exit_code == 0, everything.output
    assert f"replayed {count} event(s)" in everything.output
    imported = sum(
        row.type in {"ImportCompleted", "TransactionsImported"} for row in _outbox(container)
    )
    assert f"replayed {imported} event(s)" in imports.output
    assert unknown.exit_code == 2
    assert "unknown event type" in unknown.output
