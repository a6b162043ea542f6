"""Workspaces (tenants), their members, and people's profiles."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from shared.db.models import Category, Membership, Tenant, User
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.domain.errors import Conflict, FieldIssue, InvalidInput, NotFound, PermissionDenied
from shared.domain.locale import validate_locale, validate_timezone
from shared.domain.money import is_currency
from shared.domain.taxonomy import walk
from shared.ports import IdentityDirectory
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize, effective_role
from shared.services.idempotency import Created, IdempotencyRequest, create_once


@dataclass(frozen=True)
class NewWorkspace:
    name: str
    base_currency: str = "BRL"
    locale: str = "pt-BR"
    timezone: str = "America/Sao_Paulo"


@dataclass(frozen=True)
class WorkspaceView:
    tenant: Tenant
    role: Role


class WorkspaceService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create(
        self,
        principal: Principal,
        spec: NewWorkspace,
        idempotency: IdempotencyRequest | None = None,
        *,
        is_demo: bool = False,
    ) -> tuple[WorkspaceView, Created]:
        _validate_workspace(spec.base_currency, spec.locale, spec.timezone)
        with self._uow(None, principal.user_id) as uow:
            ensure_user(uow, principal, locale=spec.locale, timezone=spec.timezone)

            def create() -> UUID:
                tenant = Tenant(
                    id=uuid4(),
                    name=spec.name,
                    base_currency=spec.base_currency,
                    locale=spec.locale,
                    timezone=spec.timezone,
                    is_demo=is_demo,
                )
                uow.tenants.add(tenant)
                uow.flush()
                uow.enter_tenant(tenant.id)
                uow.memberships.add(
                    Membership(tenant_id=tenant.id, user_id=principal.user_id, role=Role.OWNER)
                )
                seed_categories(uow, tenant.id, spec.locale)
                return tenant.id

            created = create_once(uow, idempotency, create)
            uow.commit()
        return self.get(principal, created.id), created

    def list_mine(self, principal: Principal) -> list[WorkspaceView]:
        with self._uow(None, principal.user_id) as uow:
            return [
                WorkspaceView(tenant, effective_role(principal, Role(role)))
                for tenant, role in uow.tenants.of_user(principal.user_id)
            ]

    def get(self, principal: Principal, tenant_id: UUID) -> WorkspaceView:
        caller = Caller(principal, tenant_id)
        with self._uow(tenant_id, principal.user_id) as uow:
            role = authorize(uow, caller, Need.READ)
            return WorkspaceView(uow.tenants.get(tenant_id), role)

    def update(self, caller: Caller, changes: dict[str, str]) -> WorkspaceView:
        _validate_workspace(
            changes.get("base_currency"), changes.get("locale"), changes.get("timezone")
        )
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            role = authorize(uow, caller, Need.MANAGE_MEMBERS)
            tenant = uow.tenants.get(caller.tenant_id)
            for name, value in changes.items():
                setattr(tenant, name, value)
            uow.commit()
            return WorkspaceView(tenant, role)


class MemberService:
    def __init__(self, uow: UnitOfWorkFactory, directory: IdentityDirectory) -> None:
        self._uow = uow
        self._directory = directory

    def list(self, caller: Caller) -> list[Membership]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.memberships.of_tenant(caller.tenant_id)

    def invite(
        self,
        caller: Caller,
        email: str,
        role: Role,
        name: str | None = None,
        idempotency: IdempotencyRequest | None = None,
    ) -> tuple[Membership, Created]:
        email = email.strip().lower()
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            own_role = authorize(uow, caller, Need.MANAGE_MEMBERS)
            _check_can_grant(own_role, role)

            def create() -> UUID:
                user_id = self._invitee_id(uow, email, name)
                if uow.memberships.find(caller.tenant_id, user_id) is not None:
                    raise Conflict(f"{email} is already a member of this workspace")
                uow.memberships.add(
                    Membership(
                        tenant_id=caller.tenant_id,
                        user_id=user_id,
                        role=role,
                        invited_by=caller.user_id,
                    )
                )
                return user_id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return _member(uow, caller.tenant_id, created.id), created

    def _invitee_id(self, uow: UnitOfWork, email: str, name: str | None) -> UUID:
        """The id the identity provider puts in the invitee's tokens; the person is registered
        under it now, so the membership is theirs when they first sign in."""
        known = uow.users.by_email(email)
        if known is not None:
            return known.id
        user_id = self._directory.find_or_invite(email, name)
        if not uow.users.register(
            user_id,
            email=email,
            name=name,
            locale="pt-BR",
            timezone="America/Sao_Paulo",
            now=uow.now(),
        ):
            raise Conflict(f"{email} belongs to another account")
        return user_id

    def change_role(self, caller: Caller, user_id: UUID, role: Role) -> Membership:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            own_role = authorize(uow, caller, Need.MANAGE_MEMBERS)
            membership = _member(uow, caller.tenant_id, user_id)
            _check_can_grant(own_role, Role(membership.role))
            _check_can_grant(own_role, role)
            if membership.role == Role.OWNER and role != Role.OWNER:
                _keep_an_owner(uow, caller.tenant_id)
            membership.role = role
            uow.commit()
            return membership

    def remove(self, caller: Caller, user_id: UUID) -> None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            own_role = authorize(uow, caller, Need.MANAGE_MEMBERS)
            membership = _member(uow, caller.tenant_id, user_id)
            _check_can_grant(own_role, Role(membership.role))
            if membership.role == Role.OWNER:
                _keep_an_owner(uow, caller.tenant_id)
            uow.memberships.delete(membership)
            uow.commit()


class ProfileService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def get(self, principal: Principal) -> User:
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            uow.commit()
            return user

    def update(self, principal: Principal, changes: dict[str, str | None]) -> User:
        _validate_workspace(None, changes.get("locale"), changes.get("timezone"))
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            for name, value in changes.items():
                setattr(user, name, value)
            uow.commit()
            return user


def ensure_user(
    uow: UnitOfWork,
    principal: Principal,
    *,
    locale: str = "pt-BR",
    timezone: str = "America/Sao_Paulo",
) -> User:
    """People exist from the first authenticated call; their id is the identity provider's.
    A verified e-mail that another account already holds is left off this one, not fought over."""
    user = uow.users.find(principal.user_id)
    if user is not None:
        return user
    email = principal.email.lower() if principal.email else None
    for address in dict.fromkeys([email, None]):
        if uow.users.register(
            principal.user_id,
            email=address,
            name=principal.name,
            locale=locale,
            timezone=timezone,
            now=uow.now(),
        ):
            break
    user = uow.users.find(principal.user_id)
    if user is None:
        raise RuntimeError("a person just registered cannot be read back")
    return user


def seed_categories(uow: UnitOfWork, tenant_id: UUID, locale: str) -> None:
    seeds = walk()
    ids = {seed.slug: uuid4() for seed, _ in seeds}
    positions = {seed.slug: position for position, (seed, _) in enumerate(seeds)}
    top_level = [(seed, parent) for seed, parent in seeds if parent is None]
    children = [(seed, parent) for seed, parent in seeds if parent is not None]
    for batch in (top_level, children):  # parents first: the composite foreign key checks them
        for seed, parent in batch:
            uow.categories.add(
                Category(
                    id=ids[seed.slug],
                    tenant_id=tenant_id,
                    parent_id=ids[parent.slug] if parent else None,
                    slug=seed.slug,
                    name=seed.label(locale),
                    labels={"pt-BR": seed.pt_br, "en": seed.en},
                    kind=seed.kind,
                    position=positions[seed.slug],
                )
            )
        uow.flush()


def _member(uow: UnitOfWork, tenant_id: UUID, user_id: UUID) -> Membership:
    membership = uow.memberships.find(tenant_id, user_id)
    if membership is None:
        raise NotFound(f"member {user_id} not found", resource="member")
    return membership


def _check_can_grant(own_role: Role, role: Role) -> None:
    """Admins manage admins and below; only owners touch owners."""
    if role is Role.OWNER and own_role is not Role.OWNER:
        raise PermissionDenied("only an owner can grant, change or remove the owner role")


def _keep_an_owner(uow: UnitOfWork, tenant_id: UUID) -> None:
    if uow.memberships.count_owners(tenant_id) <= 1:
        raise Conflict("a workspace must keep at least one owner")


def _validate_workspace(currency: str | None, locale: str | None, timezone: str | None) -> None:
    issues: list[FieldIssue] = []
    for name, value, check in (
        ("base_currency", currency, is_currency),
        ("locale", locale, validate_locale),
        ("timezone", timezone, validate_timezone),
    ):
        if value is not None and not check(value):
            issues.append(FieldIssue(("body", name), f"{value!r} is not a valid {name}"))
    if issues:
        raise InvalidInput("invalid workspace settings", issues=issues)
