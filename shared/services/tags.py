"""Free-form tags people put on transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from shared.db.models import Tag
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import Conflict
from shared.ports import Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from shared.services.transaction_events import record_changes, snapshot


class TagService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def list(self, caller: Caller) -> list[Tag]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.tags.list()

    def create(
        self,
        caller: Caller,
        name: str,
        color: str | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> tuple[Tag, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                # Inside create_once: a replayed request must return what it created, not 409.
                if uow.tags.by_names([name]):
                    raise Conflict(f"a tag named {name!r} already exists")
                tag = Tag(id=uuid4(), tenant_id=caller.tenant_id, name=name, color=color)
                uow.tags.add(tag)
                return tag.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.tags.get(created.id), created

    def update(self, caller: Caller, tag_id: UUID, changes: dict[str, Any]) -> Tag:
        """A rename changes every tagged transaction, so each gets a new version and event."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            tag = uow.tags.get(tag_id)
            new_name: str = changes.get("name") or tag.name
            renamed = new_name != tag.name
            if renamed and uow.tags.by_names([new_name]):
                raise Conflict(f"a tag named {new_name!r} already exists")
            tagged = uow.transactions.tagged_with(tag.id) if renamed else []
            before = {transaction.id: snapshot(transaction) for transaction in tagged}
            for name, value in changes.items():
                setattr(tag, name, value)
            for transaction in tagged:
                record_changes(uow, caller, transaction, before[transaction.id], self._clock)
            uow.commit()
            return tag

    def delete(self, caller: Caller, tag_id: UUID) -> None:
        """Removes the tag from its transactions first, each with a new version and event."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            tag = uow.tags.get(tag_id)
            for transaction in uow.transactions.tagged_with(tag.id):
                before = snapshot(transaction)
                transaction.tag_links = [
                    link for link in transaction.tag_links if link.tag_id != tag.id
                ]
                record_changes(uow, caller, transaction, before, self._clock)
            uow.flush()  # the links go first; the tag's own cascade would delete them under us
            uow.tags.delete(tag)
            uow.commit()


def tags_named(uow: UnitOfWork, tenant_id: UUID, names: Sequence[str]) -> list[Tag]:
    """The tags with these names, created on the fly: tagging should not need a setup step."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    existing = uow.tags.by_names(wanted)
    for name in wanted:
        if name not in existing:
            existing[name] = Tag(id=uuid4(), tenant_id=tenant_id, name=name, color=None)
            uow.tags.add(existing[name])
    return [existing[name] for name in wanted]
