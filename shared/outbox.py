"""The outbox relay: publishes committed events to the bus and marks them published."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import literal, select, tuple_, update
from sqlalchemy.orm import Session

from events.envelope import DomainEvent
from shared.db.engine import Database
from shared.db.models import OutboxEvent
from shared.ports import Clock, EventBus, PublishFailed

logger = logging.getLogger(__name__)

SWEEP_GRACE = timedelta(minutes=1)
"""Events younger than this are probably still being delivered right after their commit."""


class OutboxRelay:
    def __init__(
        self, db: Database, bus: EventBus, clock: Clock, *, sweep_grace: timedelta = SWEEP_GRACE
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._grace = sweep_grace

    def deliver(self, events: Sequence[DomainEvent]) -> None:
        """Called right after a commit, and never fails: the change is committed whatever
        happens here, and what is not delivered stays unpublished for the sweep."""
        try:
            with self._db.relay_session() as session:
                self._mark_published(session, self._publish(events))
                session.commit()
        except Exception:
            logger.exception("delivering %d event(s) failed; the sweep will retry", len(events))

    def deliver_aggregate(self, aggregate_id: UUID, *, page: int = 100) -> int:
        """Publishes the unpublished events of one aggregate in version order, a page at a time,
        right after the commit that wrote them (events recorded without being held for
        ``deliver``). Never fails, like ``deliver``; stops at the first page the bus refuses,
        leaving the rest to the sweep. Returns how many were published."""
        published = 0
        try:
            while True:
                with self._db.relay_session() as session:
                    rows = session.scalars(
                        select(OutboxEvent)
                        .where(
                            OutboxEvent.aggregate_id == aggregate_id,
                            OutboxEvent.published_at.is_(None),
                        )
                        .order_by(OutboxEvent.version)
                        .limit(page)
                        .with_for_update(skip_locked=True)
                    ).all()
                    if not rows:
                        return published
                    events = [DomainEvent.model_validate(row.envelope) for row in rows]
                    delivered = self._publish(events)
                    self._mark_published(session, delivered)
                    session.commit()
                published += len(delivered)
                if len(delivered) < len(events):
                    return published
        except Exception:
            logger.exception(
                "delivering the events of %s failed; the sweep will retry", aggregate_id
            )
            return published

    def sweep(self, *, older_than: timedelta | None = None, limit: int = 500) -> int:
        """Publishes what was committed but never marked published (a crash, a failed handler,
        an unreachable bus). Rows are locked while they are published, so two sweeps running
        at once never send the same event twice. Returns how many were published."""
        cutoff = self._clock.now() - (self._grace if older_than is None else older_than)
        with self._db.relay_session() as session:
            rows = session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.occurred_at <= cutoff)
                .order_by(OutboxEvent.occurred_at, OutboxEvent.aggregate_id, OutboxEvent.version)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            events = [DomainEvent.model_validate(row.envelope) for row in rows]
            delivered = self._publish(events) if events else []
            self._mark_published(session, delivered)
            session.commit()
        return len(delivered)

    def replay(
        self,
        *,
        since: datetime,
        until: datetime | None = None,
        types: Collection[str] = (),
        page: int = 100,
    ) -> ReplayResult:
        """Publishes again every committed event that occurred in ``[since, until)`` (of
        ``types`` if given), published or not, oldest first and each aggregate's in version
        order, a page at a time. Consumers skip what they already applied, so a replay applies
        only what was missed. Events the bus still refuses are counted, not raised; those never
        published stay for the sweep."""
        result = ReplayResult()
        after: tuple[datetime, UUID, int] | None = None
        order = (OutboxEvent.occurred_at, OutboxEvent.aggregate_id, OutboxEvent.version)
        while True:
            with self._db.relay_session() as session:
                query = select(OutboxEvent).where(OutboxEvent.occurred_at >= since)
                if until is not None:
                    query = query.where(OutboxEvent.occurred_at < until)
                if types:
                    query = query.where(OutboxEvent.type.in_(sorted(types)))
                if after is not None:
                    bound = (literal(v, c.type) for c, v in zip(order, after, strict=True))
                    query = query.where(tuple_(*order) > tuple_(*bound))
                rows = session.scalars(query.order_by(*order).limit(page)).all()
                if not rows:
                    return result
                after = (rows[-1].occurred_at, rows[-1].aggregate_id, rows[-1].version)
                unpublished = {row.id for row in rows if row.published_at is None}
                events = [DomainEvent.model_validate(row.envelope) for row in rows]
                delivered = self._publish(events)
                self._mark_published(session, [i for i in delivered if i in unpublished])
                session.commit()
            result.published += len(delivered)
            result.failed += len(events) - len(delivered)

    def _publish(self, events: Sequence[DomainEvent]) -> list[UUID]:
        try:
            self._bus.publish(events)
        except PublishFailed as failure:
            failed = {event.id for event in failure.failed}
            return [event.id for event in events if event.id not in failed]
        return [event.id for event in events]

    def _mark_published(self, session: Session, event_ids: Sequence[UUID]) -> None:
        if event_ids:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(event_ids))
                .values(published_at=self._clock.now())
            )


@dataclass
class ReplayResult:
    published: int = 0
    failed: int = 0
