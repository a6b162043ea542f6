"""Free-form tags people put on transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from shared.db.models import Tag
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import Conflict
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once


class TagService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

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
            if uow.tags.by_names([name]):
                raise Conflict(f"a tag named {name!r} already exists")

            def create() -> UUID:
                tag = Tag(id=uuid4(), tenant_id=caller.tenant_id, name=name, color=color)
                uow.tags.add(tag)
                return tag.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.tags.get(created.id), created

    def update(self, caller: Caller, tag_id: UUID, changes: dict[str, Any]) -> Tag:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            tag = uow.tags.get(tag_id)
            new_name = changes.get("name")
            if new_name and new_name != tag.name and uow.tags.by_names([new_name]):
                raise Conflict(f"a tag named {new_name!r} already exists")
            for name, value in changes.items():
                setattr(tag, name, value)
            uow.commit()
            return tag

    def delete(self, caller: Caller, tag_id: UUID) -> None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            uow.tags.delete(uow.tags.get(tag_id))
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
