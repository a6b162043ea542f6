"""The embedded event bus: dispatches committed events to in-process handlers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from events.envelope import DomainEvent
from shared.ports import EventHandler, PublishFailed

logger = logging.getLogger(__name__)

ANY_EVENT = "*"


class InProcessEventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)

    def subscribe(self, event_type: str, handler: EventHandler) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, events: Sequence[DomainEvent]) -> None:
        failed: list[DomainEvent] = []
        for event in events:
            for handler in [
                *self._handlers.get(event.type, []),
                *self._handlers.get(ANY_EVENT, []),
            ]:
                try:
                    handler(event)
                except Exception:
                    logger.exception("handler %r failed on event %s", handler, event.id)
                    failed.append(event)
                    break
        if failed:
            raise PublishFailed(failed)
