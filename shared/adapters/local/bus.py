"""The embedded event bus: dispatches committed events to in-process handlers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from events.envelope import DomainEvent
from shared.ports import EventHandler

logger = logging.getLogger(__name__)

ANY_EVENT = "*"


class PublishFailed(Exception):
    """Some events reached a handler that failed; they stay unpublished for the next sweep."""

    def __init__(self, failed: Sequence[DomainEvent]) -> None:
        super().__init__(f"{len(failed)} event(s) failed in a handler")
        self.failed = list(failed)


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
