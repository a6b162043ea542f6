"""Every domain event the system emits, by type and schema version: the one place a consumer
(or a test) turns an envelope into its typed payload.

A payload whose shape changes incompatibly gets a new model registered under the next schema
version (``DomainEvent.schema_version``); the old one stays registered while events of it can
still be delivered or replayed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from events.anomalies import PAYLOADS as ANOMALY_PAYLOADS
from events.budgets import PAYLOADS as BUDGET_PAYLOADS
from events.envelope import DomainEvent
from events.goals import PAYLOADS as GOAL_PAYLOADS
from events.imports import PAYLOADS as IMPORT_PAYLOADS
from events.notifications import PAYLOADS as NOTIFICATION_PAYLOADS
from events.reports import PAYLOADS as REPORT_PAYLOADS
from events.transactions import PAYLOADS as TRANSACTION_PAYLOADS

CURRENT_VERSION = 1

REGISTRY: dict[tuple[str, int], type[BaseModel]] = {
    (name, CURRENT_VERSION): model
    for name, model in sorted(
        {
            **TRANSACTION_PAYLOADS,
            **IMPORT_PAYLOADS,
            **BUDGET_PAYLOADS,
            **GOAL_PAYLOADS,
            **NOTIFICATION_PAYLOADS,
            **REPORT_PAYLOADS,
            **ANOMALY_PAYLOADS,
        }.items()
    )
}
"""(event type, schema version) → the payload model of the envelope's ``data``."""

AGGREGATES: dict[str, str] = {
    **dict.fromkeys(TRANSACTION_PAYLOADS, "Transaction"),
    **dict.fromkeys(IMPORT_PAYLOADS, "Import"),
    **dict.fromkeys(BUDGET_PAYLOADS, "Budget"),
    **dict.fromkeys(GOAL_PAYLOADS, "Goal"),
    **dict.fromkeys(NOTIFICATION_PAYLOADS, "Notification"),
    **dict.fromkeys(REPORT_PAYLOADS, "Report"),
    **dict.fromkeys(ANOMALY_PAYLOADS, "Anomaly"),
}
"""Event type → the aggregate type that emits it."""

EVENT_TYPES: frozenset[str] = frozenset(name for name, _ in REGISTRY)


class UnknownEvent(ValueError):
    """An event type (or schema version of it) that no schema describes."""


def payload_model(event_type: str, schema_version: int = CURRENT_VERSION) -> type[BaseModel]:
    try:
        return REGISTRY[(event_type, schema_version)]
    except KeyError:
        raise UnknownEvent(f"no schema for {event_type} version {schema_version}") from None


def payload(event: DomainEvent) -> BaseModel:
    """The typed payload of ``event``; raises ``UnknownEvent`` or pydantic's ``ValidationError``.

    Every consumer of an event reads its payload: it is validated once and the recent ones are
    kept by event id (an import's part holds 200 transactions). Treat it as read-only."""
    found = _RECENT.get(event.id)
    if found is None:
        found = payload_model(event.type, event.schema_version).model_validate(event.data)
        with _RECENT_LOCK:
            if len(_RECENT) >= _KEPT:
                del _RECENT[next(iter(_RECENT))]
            _RECENT[event.id] = found
    return found


_KEPT = 64
_RECENT: dict[UUID, BaseModel] = {}
_RECENT_LOCK = threading.Lock()


def validate(envelope: Mapping[str, Any]) -> tuple[DomainEvent, BaseModel]:
    """An envelope as it travels (camelCase JSON) → the event and its typed payload."""
    event = DomainEvent.model_validate(envelope)
    if AGGREGATES.get(event.type) not in (None, event.aggregate_type):
        raise UnknownEvent(f"{event.type} is not an event of {event.aggregate_type}")
    return event, payload(event)
