"""The unit of work: one database transaction holding a change and the events it causes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from events.envelope import DomainEvent
from shared.db.engine import Database
from shared.db.models import OutboxEvent
from shared.db.repositories import (
    AccountRepository,
    CategoryRepository,
    IdempotencyRepository,
    MembershipRepository,
    TagRepository,
    TenantRepository,
    TransactionRepository,
    UserRepository,
)
from shared.domain.errors import Conflict, StoreUnavailable, VersionConflict

AfterCommit = Callable[[Sequence[DomainEvent]], None]


class UnitOfWork:
    """Rolls back unless committed; ``record`` appends an event to the outbox in the same
    transaction, and after a successful commit ``after_commit`` receives those events."""

    def __init__(
        self,
        db: Database,
        tenant_id: UUID | None,
        user_id: UUID | None,
        *,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self._db = db
        self.tenant_id = tenant_id
        self.user_id = user_id
        self._after_commit = after_commit
        self._pending: list[DomainEvent] = []
        self.committed_events: list[DomainEvent] = []

    def __enter__(self) -> Self:
        self.session: Session = self._db.tenant_session(self.tenant_id, self.user_id)
        self.tenants = TenantRepository(self.session, self.user_id)
        self.users = UserRepository(self.session)
        self.memberships = MembershipRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        if self.tenant_id is not None:
            self._scope_repositories(self.tenant_id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed; unlike rollback() it leaves loaded objects
        # readable, so a service can return what it read.
        self.session.close()
        if exc is not None:
            translated = translate_store_error(exc)
            if translated is not None:
                raise translated from exc

    def record(self, event: DomainEvent) -> None:
        self.session.add(
            OutboxEvent(
                id=event.id,
                tenant_id=event.metadata.tenant_id,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                version=event.version,
                type=event.type,
                occurred_at=event.timestamp,
                envelope=event.to_wire(),
                published_at=None,
            )
        )
        self._pending.append(event)

    def enter_tenant(self, tenant_id: UUID) -> None:
        """Scopes the rest of this unit of work to a workspace it has just created."""
        self.tenant_id = tenant_id
        self._db.rescope(self.session, tenant_id, self.user_id)
        self._scope_repositories(tenant_id)

    def _scope_repositories(self, tenant_id: UUID) -> None:
        self.accounts = AccountRepository(self.session, tenant_id)
        self.categories = CategoryRepository(self.session, tenant_id)
        self.tags = TagRepository(self.session, tenant_id)
        self.transactions = TransactionRepository(self.session, tenant_id)

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()
        events, self._pending = self._pending, []
        self.committed_events.extend(events)
        if events and self._after_commit is not None:
            self._after_commit(events)

    def rollback(self) -> None:
        self.session.rollback()
        self._pending = []


def translate_store_error(exc: BaseException) -> Exception | None:
    """Database failures become domain errors; the HTTP edge maps those in one place."""
    if isinstance(exc, StaleDataError):
        return VersionConflict("the resource was changed by someone else; reload and retry")
    if isinstance(exc, IntegrityError):
        return Conflict("the change conflicts with existing data")
    if isinstance(exc, OperationalError):
        return StoreUnavailable("the database is unavailable")
    return None
