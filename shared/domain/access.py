"""Who is asking and what they may do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def can_write(self) -> bool:
        return self.rank >= Role.MEMBER.rank

    def can_manage_members(self) -> bool:
        return self.rank >= Role.ADMIN.rank

    @staticmethod
    def lowest(roles: Iterable[Role]) -> Role:
        return min(roles, key=lambda role: role.rank)

    @staticmethod
    def highest(roles: Iterable[Role]) -> Role:
        return max(roles, key=lambda role: role.rank)


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


@dataclass(frozen=True)
class Principal:
    """The verified caller, as a bearer token states it.

    ``tenant_id`` is the workspace the token was issued for (``None`` when the identity provider
    has not assigned one yet); ``roles`` are what the token grants there. The membership stored in
    the database has the last word: the effective role is the lower of the two.
    """

    user_id: UUID
    tenant_id: UUID | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    email: str | None = None
    name: str | None = None
    issuer: str = ""
    token_id: str | None = None
