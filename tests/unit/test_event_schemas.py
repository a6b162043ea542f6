"""The committed JSON Schemas of the events are what the code produces."""

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from events.envelope import DomainEvent, EventMetadata
from events.schemas import SCHEMA_DIR, json_schemas


@pytest.mark.parametrize("file_name", sorted(json_schemas()))
def test_committed_schema_matches_the_code(file_name):
    committed = json.loads((SCHEMA_DIR / file_name).read_text())
    assert committed == json_schemas()[file_name], "run `fluxo schemas` and commit the result"


def test_no_schema_file_is_left_over_from_a_removed_event():
    assert sorted(path.name for path in SCHEMA_DIR.glob("*.json")) == sorted(json_schemas())


def test_the_envelope_travels_in_camel_case_and_reads_back():
    event = DomainEvent(
        type="TransactionCreated",
        aggregate_id=uuid4(),
        aggregate_type="Transaction",
        version=1,
        timestamp=datetime(2026, 11, 1, tzinfo=UTC),
        data={"x": 1},
        metadata=EventMetadata(user_id=uuid4(), tenant_id=uuid4(), correlation_id="abc"),
    )
    wire = event.to_wire()
    assert {"aggregateId", "aggregateType", "metadata"} <= wire.keys()
    assert {"userId", "tenantId", "correlationId"} <= wire["metadata"].keys()
    assert DomainEvent.model_validate(wire) == event


@pytest.mark.parametrize(
    "event", ["TransactionCreated", "TransactionUpdated", "TransactionDeleted"]
)
def test_the_schemas_describe_amounts_as_the_strings_the_events_carry(event):
    snapshot = json_schemas()[f"{event}.json"]["$defs"]["TransactionSnapshot"]["properties"]
    assert snapshot["amount"]["type"] == "string"
    assert "bookedOn" in snapshot
    assert "booked_on" not in snapshot
    confidence_types = {option.get("type") for option in snapshot["categoryConfidence"]["anyOf"]}
    assert confidence_types == {"string", "null"}
