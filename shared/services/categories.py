"""The category tree of a workspace."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from shared.db.models import Category
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import Conflict, FieldIssue, InvalidInput, NotFound
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once

MAX_DEPTH = 3


@dataclass(frozen=True)
class NewCategory:
    name: str
    parent_id: UUID | None = None
    slug: str | None = None
    kind: str | None = None
    """Inherited from the parent when omitted; ``expense`` at the top level."""


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode]


class CategoryService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def tree(self, caller: Caller, *, include_archived: bool = False) -> list[CategoryNode]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            categories = [c for c in uow.categories.all() if include_archived or not c.archived]
        return build_tree(categories)

    def get(self, caller: Caller, category_id: UUID) -> Category:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.categories.get(category_id)

    def create(
        self, caller: Caller, spec: NewCategory, idempotency: IdempotencyRequest | None = None
    ) -> tuple[Category, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                # Inside create_once: a replayed request must return what it created, not 409 (or
                # 422 because the parent has been archived since).
                parent = _parent(uow, spec.parent_id)
                slug = spec.slug or _unique_slug(spec.name, uow.categories.slugs())
                if uow.categories.by_slug(slug) is not None:
                    raise Conflict(f"a category with slug {slug!r} already exists")
                category = Category(
                    id=uuid4(),
                    tenant_id=caller.tenant_id,
                    parent_id=parent.id if parent else None,
                    slug=slug,
                    name=spec.name,
                    labels={},
                    kind=spec.kind or (parent.kind if parent else "expense"),
                    archived=False,
                    position=10_000,
                )
                uow.categories.add(category)
                return category.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.categories.get(created.id), created

    def update(self, caller: Caller, category_id: UUID, changes: dict[str, Any]) -> Category:
        """Renames, moves or archives; archiving a category archives its subtree."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            category = uow.categories.get(category_id)
            if "parent_id" in changes:
                _check_move(uow, category, changes["parent_id"])
            for name, value in changes.items():
                if name != "archived":
                    setattr(category, name, value)
            if "archived" in changes:
                if not changes["archived"] and _archived_parent(uow, category):
                    # Restored alone, it would show at the top of the tree, its parent hidden.
                    reason = "restore its parent category first: it is archived"
                    raise InvalidInput(reason, issues=[FieldIssue(("body", "archived"), reason)])
                for descendant_id in uow.categories.with_descendants([category.id]):
                    uow.categories.get(descendant_id).archived = bool(changes["archived"])
            uow.commit()
            return category


def build_tree(categories: list[Category]) -> list[CategoryNode]:
    nodes = {category.id: CategoryNode(category, []) for category in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(nodes[category.id])
    return roots


def _parent(uow: UnitOfWork, parent_id: UUID | None) -> Category | None:
    if parent_id is None:
        return None
    try:
        parent = uow.categories.get(parent_id)
    except NotFound as missing:
        raise _invalid_parent("no such category") from missing
    if parent.archived:
        raise _invalid_parent("the parent category is archived")
    if _depth(uow, parent) >= MAX_DEPTH:
        raise _invalid_parent(f"categories nest at most {MAX_DEPTH} levels deep")
    return parent


def _archived_parent(uow: UnitOfWork, category: Category) -> bool:
    return category.parent_id is not None and uow.categories.get(category.parent_id).archived


def _depth(uow: UnitOfWork, category: Category) -> int:
    depth, current = 1, category
    while current.parent_id is not None:
        depth, current = depth + 1, uow.categories.get(current.parent_id)
    return depth


def _check_move(uow: UnitOfWork, category: Category, new_parent_id: UUID | None) -> None:
    subtree = uow.categories.with_descendants([category.id])
    if new_parent_id is not None and new_parent_id in subtree:
        raise _invalid_parent("a category cannot move under itself or its children")
    parent = _parent(uow, new_parent_id)
    if parent is None:
        return
    # The whole subtree moves: its deepest descendant must stay within MAX_DEPTH as well.
    own_depth = _depth(uow, category)
    height = 1 + max(_depth(uow, uow.categories.get(member)) - own_depth for member in subtree)
    if _depth(uow, parent) + height > MAX_DEPTH:
        raise _invalid_parent(f"categories nest at most {MAX_DEPTH} levels deep")


def _invalid_parent(reason: str) -> InvalidInput:
    return InvalidInput(reason, issues=[FieldIssue(("body", "parent_id"), reason)])


def _unique_slug(name: str, taken: set[str]) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:56] or "category"
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}_{counter}", counter + 1
    return slug
