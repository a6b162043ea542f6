"""The outbox relay: publishes committed events to the bus and marks them published."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update

from events.envelope import DomainEvent
from shared.adapters.local.bus import PublishFailed
from shared.db.engine import Database
from shared.db.models import OutboxEvent
from shared.ports import Clock, EventBus

logger = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, db: Database, bus: EventBus, clock: Clock) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    def deliver(self, events: Sequence[DomainEvent]) -> None:
        """Called right after a commit. A failure here loses nothing: the rows stay unpublished
        and the sweep delivers them later."""
        try:
            self._bus.publish(events)
            delivered = list(events)
        except PublishFailed as failure:
            failed_ids = {event.id for event in failure.failed}
            delivered = [event for event in events if event.id not in failed_ids]
        except Exception:
            logger.exception("publishing %d event(s) failed; the sweep will retry", len(events))
            return
        self._mark_published(delivered)

    def sweep(self, *, older_than: timedelta = timedelta(seconds=0), limit: int = 500) -> int:
        """Publishes what was committed but never marked published (a crash, a failed handler)."""
        cutoff = self._clock.now() - older_than
        with self._db.admin_session() as session:
            rows = session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.occurred_at <= cutoff)
                .order_by(OutboxEvent.occurred_at, OutboxEvent.aggregate_id, OutboxEvent.version)
                .limit(limit)
            ).all()
            events = [DomainEvent.model_validate(row.envelope) for row in rows]
        if events:
            self.deliver(events)
        return len(events)

    def _mark_published(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        with self._db.admin_session() as session:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_([event.id for event in events]))
                .values(published_at=self._clock.now())
            )
            session.commit()
