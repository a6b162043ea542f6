"""The committed JSON Schemas of the events are what the code produces."""

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from events.envelope import DomainEvent, EventMetadata
from events.registry import EVENT_TYPES, UnknownEvent, validate
from events.samples import SAMPLE_DIR, sample_files, samples
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


@pytest.mark.parametrize("file_name", sorted(sample_files()))
def test_committed_sample_matches_the_code(file_name):
    committed = (SAMPLE_DIR / file_name).read_text()
    assert committed == sample_files()[file_name], "run `fluxo schemas` and commit the result"


def test_there_is_a_sample_and_a_schema_for_every_registered_event_and_nothing_else():
    assert sorted(path.stem for path in SAMPLE_DIR.glob("*.json")) == sorted(EVENT_TYPES)
    assert set(json_schemas()) == {"DomainEvent.json", *(f"{name}.json" for name in EVENT_TYPES)}


def test_an_unknown_type_or_schema_version_is_refused_by_the_registry():
    sample = samples()["TransactionCreated"]
    with pytest.raises(UnknownEvent):
        validate({**sample.to_wire(), "type": "TransactionExploded"})
    with pytest.raises(UnknownEvent):
        validate({**sample.to_wire(), "schemaVersion": 2})
    with pytest.raises(UnknownEvent):
        validate({**sample.to_wire(), "aggregateType": "Import"})
