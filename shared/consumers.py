"""Event consumers: react to committed domain events, each event applied once per consumer.

A :class:`Consumer` names the event types it wants and a ``handle`` that applies its effect
inside a unit of work. :class:`ConsumerRunner` is the one way to run it: it opens the event's
tenant's unit of work, claims ``(consumer, event id)`` in ``processed_events``, calls ``handle``
and commits, so the claim and the effect commit together or not at all. A repeated delivery
finds the claim and is skipped; a failure rolls both back and the delivery can be retried.

Where events come from:

- embedded (``fluxo serve``, the CLI, the tests): ``shared.bootstrap`` subscribes every consumer
  of ``Container.consumers`` to the in-process bus (:func:`subscribe_in_process`), so the relay
  delivers to them right after each commit, and the sweep again after a failure;
- AWS: an EventBridge rule per consumer feeds its own SQS queue (with a dead-letter queue), and
  the consumer's Lambda entry (``shared.consumer_entry.consumer_handler``) runs each record
  through the runner with Powertools' ``BatchProcessor``, reporting partial batch failures.

Delivery is at least once and in no guaranteed order (EventBridge and SQS promise neither), so a
consumer's effect must not depend on seeing an aggregate's versions in order or without gaps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from events.envelope import DomainEvent
from shared.db.models import ProcessedEvent
from shared.db.unit_of_work import UnitOfWork, is_unique_violation
from shared.ports import EventBus

logger = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[UUID | None, UUID | None], UnitOfWork]

_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_NAME = 40
"""A consumer's name is part of its queue's name (``fluxo-<stage>-<name>-dlq`` ≤ 80)."""


@dataclass(frozen=True)
class Consumer:
    """One reaction to domain events.

    ``handle`` applies the effect inside the given unit of work, which is scoped to
    ``event.metadata.tenant_id`` (row-level security applies). It never commits; it may record
    outbox events (``uow.record(...)``), which commit with the effect and are published after.
    It raises to fail the delivery (the runner rolls back; the event is delivered again later).
    """

    name: str
    """e.g. ``budgets``; also names its queue (``fluxo-<stage>-budgets``) and its function."""
    event_types: frozenset[str]
    """The ``DomainEvent.type`` values it wants."""
    handle: Callable[[UnitOfWork, DomainEvent], None]

    def __post_init__(self) -> None:
        if (
            not self.name
            or len(self.name) > MAX_NAME
            or not set(self.name) <= _NAME_CHARACTERS
            or self.name[0] == "-"
        ):
            raise ValueError(
                f"a consumer's name is lowercase letters, digits and '-', at most {MAX_NAME} "
                f"characters: {self.name!r}"
            )
        if not self.event_types:
            raise ValueError(f"consumer {self.name} wants no event type")

    def wants(self, event: DomainEvent) -> bool:
        return event.type in self.event_types


class Outcome(StrEnum):
    APPLIED = "applied"
    """The effect and the claim were committed."""
    DUPLICATE = "duplicate"
    """This consumer had already applied this event: nothing was done."""
    IGNORED = "ignored"
    """Not a type the consumer wants (a rule wider than its list): nothing was done."""


class ConsumerRunner:
    """Applies a consumer to an event exactly once (see the module's documentation)."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._uow = unit_of_work

    def apply(self, consumer: Consumer, event: DomainEvent) -> Outcome:
        if not consumer.wants(event):
            return Outcome.IGNORED
        with self._uow(event.metadata.tenant_id, event.metadata.user_id) as uow:
            if uow.session.get(ProcessedEvent, (consumer.name, event.id)) is not None:
                return Outcome.DUPLICATE
            uow.session.add(
                ProcessedEvent(
                    consumer=consumer.name,
                    event_id=event.id,
                    tenant_id=event.metadata.tenant_id,
                    event_type=event.type,
                    processed_at=uow.now(),
                )
            )
            try:
                # The claim reaches the database before the effect: a concurrent delivery of
                # the same event waits here for the first to commit, then finds it taken.
                uow.flush()
            except IntegrityError as error:
                if is_unique_violation(error):
                    return Outcome.DUPLICATE
                raise
            consumer.handle(uow, event)
            uow.commit()
        return Outcome.APPLIED


def subscribe_in_process(
    bus: EventBus, consumers: Sequence[Consumer], runner: ConsumerRunner
) -> None:
    """Delivers committed events to ``consumers`` through the embedded bus. A consumer that
    raises makes the relay leave the event unpublished; the sweep delivers it again, and the
    consumers that had applied it skip it."""
    for consumer in consumers:
        for event_type in sorted(consumer.event_types):
            bus.subscribe(event_type, _deliver_to(consumer, runner))


def _deliver_to(consumer: Consumer, runner: ConsumerRunner) -> Callable[[DomainEvent], None]:
    def deliver(event: DomainEvent) -> None:
        runner.apply(consumer, event)

    deliver.__qualname__ = f"consumer[{consumer.name}]"
    return deliver


class NotAnEvent(ValueError):
    """A queue message that holds no domain event: retrying cannot fix it."""


def event_from_message(body: str) -> DomainEvent:
    """The domain event in an SQS message body: an EventBridge event (what a rule with an SQS
    target sends; the envelope is its ``detail``), or a bare envelope."""
    try:
        document: Any = json.loads(body)
    except ValueError as error:
        raise NotAnEvent(f"the message is not JSON: {error}") from error
    if isinstance(document, dict) and "detail-type" in document:
        document = document.get("detail")
    if not isinstance(document, dict):
        raise NotAnEvent("the message holds no event envelope")
    try:
        return DomainEvent.model_validate(document)
    except ValueError as error:
        raise NotAnEvent(f"the message holds no valid event envelope: {error}") from error
