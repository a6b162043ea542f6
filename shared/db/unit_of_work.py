"""The unit of work: one database transaction holding a change and the events it causes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from events.envelope import DomainEvent
from shared.clock import local_today
from shared.db.bulk import BulkWriter, bulk_writer
from shared.db.engine import Database
from shared.db.models import OutboxEvent
from shared.db.repositories import (
    AccountRepository,
    BudgetRepository,
    CategoryRepository,
    GoalRepository,
    IdempotencyRepository,
    ImportRepository,
    LearnedMerchantRepository,
    MembershipRepository,
    RuleRepository,
    TagRepository,
    TenantRepository,
    TransactionRepository,
    UserRepository,
)
from shared.domain.errors import Conflict, StoreUnavailable, VersionConflict

log = logging.getLogger(__name__)

AfterCommit = Callable[[Sequence[DomainEvent]], None]
UNIQUE_VIOLATION = "23505"


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
        self.tenants = TenantRepository(self.session)
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

    def record(self, event: DomainEvent, *, deliver_after_commit: bool = True) -> None:
        """Adds ``event`` to the outbox. It is delivered right after the commit, unless
        ``deliver_after_commit`` is False: then the caller delivers it (see ``bulk_writer``)."""
        self.session.add(OutboxEvent(tenant_id=event.metadata.tenant_id, **outbox_values(event)))
        if deliver_after_commit:
            self._pending.append(event)

    def bulk_writer(self, constants: Mapping[Table, Mapping[str, Any]]) -> BulkWriter:
        """Writes rows of these tables in bulk, every row of a table with its ``constants`` and
        this unit of work's tenant (see ``shared.db.bulk``). Events written this way as outbox
        rows (``outbox_values``) are not held for delivery: the caller delivers them after the
        commit (``OutboxRelay.deliver_aggregate``), or the sweep does."""
        assert self.tenant_id is not None, "bulk writes belong to a tenant"
        tenant = {"tenant_id": self.tenant_id}
        return bulk_writer(
            self.session, {table: {**values, **tenant} for table, values in constants.items()}
        )

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
        self.imports = ImportRepository(self.session, tenant_id)
        self.rules = RuleRepository(self.session, tenant_id)
        self.learned = LearnedMerchantRepository(self.session, tenant_id)
        self.budgets = BudgetRepository(self.session, tenant_id)
        self.goals = GoalRepository(self.session, tenant_id)

    @contextmanager
    def deferred_writes(self) -> Iterator[None]:
        """Lookups inside do not flush pending changes: a change is validated before the
        database sees it, so a bad value is a located 422, not a database error."""
        with self.session.no_autoflush:
            yield

    def now(self) -> datetime:
        return self._db.clock.now()

    def today(self) -> date:
        """Today in the workspace's time zone."""
        assert self.tenant_id is not None, "a workspace's today needs the workspace"
        return local_today(self.now(), self.tenants.get(self.tenant_id).timezone)

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


def outbox_values(event: DomainEvent) -> dict[str, Any]:
    """An event as an outbox row, without its tenant (the unit of work's)."""
    return {
        "id": event.id,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "type": event.type,
        "occurred_at": event.timestamp,
        "envelope": event.to_wire(),
    }


def translate_store_error(exc: BaseException) -> Exception | None:
    """Database failures become domain errors; the HTTP edge maps those in one place.

    Only a unique violation is the caller's conflict (what they create already exists). A broken
    NOT NULL, foreign key or CHECK constraint is a bug of ours: it is logged with the constraint's
    name and re-raised as it is, so the caller gets a 500 rather than a misleading 409.
    """
    if isinstance(exc, StaleDataError):
        return VersionConflict("the resource was changed by someone else; reload and retry")
    if isinstance(exc, IntegrityError):
        if is_unique_violation(exc):
            return Conflict("the change conflicts with existing data")
        log.error("integrity constraint %s violated", _constraint_of(exc))
        return None
    if isinstance(exc, OperationalError):
        return StoreUnavailable("the database is unavailable")
    return None


def is_unique_violation(error: IntegrityError) -> bool:
    """PostgreSQL's SQLSTATE 23505 (psycopg's ``UniqueViolation``), or SQLite's equivalent."""
    if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return str(error.orig).startswith("UNIQUE constraint failed")


def _constraint_of(error: IntegrityError) -> str:
    """What broke, without the row's values (PostgreSQL's message quotes them; SQLite's does not:
    ``NOT NULL constraint failed: tags.name``)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is None:
        return str(error.orig).splitlines()[0]
    diagnostics = getattr(error.orig, "diag", None)
    name = getattr(diagnostics, "constraint_name", None)
    if name is None:  # NOT NULL names a column, not a constraint
        table, column = (getattr(diagnostics, part, None) for part in ("table_name", "column_name"))
        name = f"{table}.{column}"
    return f"{name} (SQLSTATE {sqlstate})"
