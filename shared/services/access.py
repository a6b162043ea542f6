"""Who may do what in a workspace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from uuid import UUID, uuid4

from sqlalchemy import select

from shared.db.engine import Database
from shared.db.models import Account, Membership, Tenant
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.domain.errors import NotFound, PermissionDenied

UnitOfWorkFactory = Callable[[UUID | None, UUID | None], UnitOfWork]
"""Opens a unit of work for (tenant id, user id)."""


class Need(Enum):
    READ = "read"
    WRITE = "write"
    MANAGE_MEMBERS = "manage members"


@dataclass(frozen=True)
class Caller:
    """A verified principal acting in one workspace, within one request."""

    principal: Principal
    tenant_id: UUID
    correlation_id: str = field(default_factory=lambda: str(uuid4()))

    @property
    def user_id(self) -> UUID:
        return self.principal.user_id


def effective_role(principal: Principal, membership_role: Role) -> Role:
    """The stored membership has the last word; a token may only narrow it (a read-only token)."""
    if not principal.roles:
        return membership_role
    return Role.lowest([membership_role, Role.highest(principal.roles)])


def authorize(uow: UnitOfWork, caller: Caller, need: Need) -> Role:
    """Raises NotFound for a workspace the caller is not in: its existence is not disclosed."""
    membership = uow.memberships.find(caller.tenant_id, caller.user_id)
    return allowed_role(caller, membership.role if membership else None, need)


def allowed_role(caller: Caller, membership_role: str | None, need: Need) -> Role:
    """:func:`authorize` for a membership role read by the caller's own query (``None``: not a
    member)."""
    if membership_role is None:
        raise NotFound(f"workspace {caller.tenant_id} not found", resource="workspace")
    role = effective_role(caller.principal, Role(membership_role))
    allowed = {
        Need.READ: True,
        Need.WRITE: role.can_write(),
        Need.MANAGE_MEMBERS: role.can_manage_members(),
    }[need]
    if not allowed:
        raise PermissionDenied(f"the {role.value} role cannot {need.value} in this workspace")
    return role


def every_workspace(db: Database) -> list[UUID]:
    """The ids of every workspace, for jobs that go over all of them (each then read in a
    session scoped to it): listed as the relay role, which may see that column and no other
    (migration 0015), since row-level security applies to the functions' own login."""
    with db.relay_session() as session:
        return list(session.scalars(select(Tenant.id).order_by(Tenant.id)))


def account_owner(db: Database, account_id: UUID) -> Caller:
    """Who an operator's command acts as (``fluxo import``): the first owner of the account's
    workspace. Read with the connecting user's rights, as migrations are."""
    with db.admin_session() as session:
        found = session.execute(
            select(Membership.tenant_id, Membership.user_id)
            .join(Account, Account.tenant_id == Membership.tenant_id)
            .where(Account.id == account_id, Membership.role == Role.OWNER.value)
            .order_by(Membership.created_at)
        ).first()
    if found is None:
        raise NotFound(f"account {account_id} not found", resource="account")
    tenant_id, user_id = found
    return Caller(Principal(user_id, tenant_id), tenant_id)
