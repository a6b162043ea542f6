"""Events a consumer raises about an aggregate it keeps watch over: a budget's alert, a goal's
milestone. They carry the metadata of what caused them and the next version of the aggregate's
own event sequence (``event_version``), which is not the row's ETag (``version``): an alert is
not a change of the budget's definition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from events.envelope import DomainEvent, EventMetadata
from shared.db.unit_of_work import UnitOfWork
from shared.services.access import Caller


@dataclass(frozen=True)
class Origin:
    """Who and what caused a recomputation: the metadata of the events it raises."""

    user_id: UUID | None
    correlation_id: str

    @classmethod
    def of_event(cls, event: DomainEvent) -> Origin:
        return cls(event.metadata.user_id, event.metadata.correlation_id)

    @classmethod
    def of_caller(cls, caller: Caller) -> Origin:
        return cls(caller.user_id, caller.correlation_id)


class Watched(Protocol):
    """A mapped row with its own sequence of raised events."""

    id: UUID
    tenant_id: UUID
    event_version: int


def raised_event(
    uow: UnitOfWork,
    row: Watched,
    *,
    kind: str,
    aggregate_type: str,
    data: BaseModel,
    origin: Origin,
) -> DomainEvent:
    return DomainEvent(
        type=kind,
        aggregate_id=row.id,
        aggregate_type=aggregate_type,
        version=_next_event_version(uow, row),
        timestamp=uow.now(),
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=origin.user_id,
            tenant_id=row.tenant_id,
            correlation_id=origin.correlation_id,
        ),
    )


def _next_event_version(uow: UnitOfWork, row: Watched) -> int:
    """One more than the row's last event, written without the ORM so its ETag stays."""
    version = row.event_version + 1
    table: Any = type(row).__table__  # type: ignore[attr-defined]
    uow.session.execute(
        update(table)
        .where(table.c.tenant_id == row.tenant_id, table.c.id == row.id)
        .values(event_version=version)
    )
    set_committed_value(row, "event_version", version)
    return version
