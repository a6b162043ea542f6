"""The event bus on AWS: EventBridge ``PutEvents``, ten entries per call (the API's limit).

Entries EventBridge reports as failed are tried again with backoff; what still fails is raised
as ``PublishFailed`` so the relay leaves those events unpublished for the next sweep.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from events.envelope import DomainEvent
from shared.ports import EventHandler, PublishFailed

logger = logging.getLogger(__name__)

MAX_ENTRIES = 10
SOURCE = "fluxo"


class EventBridgeBus:
    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        attempts: int = 3,
        backoff_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus = bus_name
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    def subscribe(self, event_type: str, handler: EventHandler) -> None:
        raise TypeError(
            "on AWS, consumers subscribe with EventBridge rules and SQS queues, not in-process"
        )

    def publish(self, events: Sequence[DomainEvent]) -> None:
        failed: list[DomainEvent] = []
        for start in range(0, len(events), MAX_ENTRIES):
            failed.extend(self._put(list(events[start : start + MAX_ENTRIES])))
        if failed:
            raise PublishFailed(failed)

    def _put(self, chunk: list[DomainEvent]) -> list[DomainEvent]:
        pending = chunk
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.put_events(Entries=[self._entry(e) for e in pending])
            except Exception:
                logger.exception("PutEvents failed for %d event(s)", len(pending))
                continue
            results = response.get("Entries", [])
            pending = [
                event
                for event, result in zip(pending, results, strict=False)
                if "ErrorCode" in result
            ]
            if not response.get("FailedEntryCount") or not pending:
                return []
        return pending

    def _entry(self, event: DomainEvent) -> dict[str, Any]:
        return {
            "EventBusName": self._bus,
            "Source": f"{SOURCE}.{event.aggregate_type.lower()}",
            "DetailType": event.type,
            "Detail": json.dumps(event.to_wire()),
            "Time": event.timestamp,
        }
