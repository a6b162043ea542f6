"""Routes of the users context: workspaces, members, profile."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response, status

from functions.users.schemas import (
    MemberInvite,
    MemberOut,
    MemberPatch,
    ProfileOut,
    ProfilePatch,
    WorkspaceIn,
    WorkspaceOut,
    WorkspacePatch,
)
from shared.db.models import Membership
from shared.http.edge import (
    ContainerDep,
    FluxoRoute,
    IdempotencyKeyHeader,
    PrincipalDep,
    correlation_id,
    idempotency,
    mark_replay,
)
from shared.services.access import Caller
from shared.services.workspaces import NewWorkspace, WorkspaceView

router = APIRouter(prefix="/v1", route_class=FluxoRoute, tags=["workspaces"])

WorkspaceId = Annotated[UUID, Path(description="A workspace (tenant) id.")]


def workspace_caller(
    request: Request, principal: PrincipalDep, workspace_id: WorkspaceId
) -> Caller:
    return Caller(principal, workspace_id, correlation_id=correlation_id(request))


WorkspaceCaller = Annotated[Caller, Depends(workspace_caller)]


@router.get("/workspaces", summary="The workspaces you belong to")
def list_workspaces(container: ContainerDep, principal: PrincipalDep) -> list[WorkspaceOut]:
    return [_workspace(view) for view in container.workspaces.list_mine(principal)]


@router.post(
    "/workspaces",
    status_code=status.HTTP_201_CREATED,
    summary="Create a workspace; you become its owner",
)
def create_workspace(
    request: Request,
    response: Response,
    body: WorkspaceIn,
    container: ContainerDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkspaceOut:
    key = idempotency(request, idempotency_key, None, body.model_dump(mode="json"))
    view, created = container.workspaces.create(principal, NewWorkspace(**body.model_dump()), key)
    mark_replay(response, created)
    return _workspace(view)


@router.get("/workspaces/{workspace_id}", summary="One workspace")
def get_workspace(
    container: ContainerDep, caller: WorkspaceCaller, workspace_id: WorkspaceId
) -> WorkspaceOut:
    return _workspace(container.workspaces.get(caller.principal, workspace_id))


@router.patch("/workspaces/{workspace_id}", summary="Rename or reconfigure (owner, admin)")
def update_workspace(
    body: WorkspacePatch, container: ContainerDep, caller: WorkspaceCaller
) -> WorkspaceOut:
    return _workspace(container.workspaces.update(caller, body.changes()))


@router.get("/workspaces/{workspace_id}/members", tags=["members"], summary="Members")
def list_members(container: ContainerDep, caller: WorkspaceCaller) -> list[MemberOut]:
    return [_member(membership) for membership in container.members.list(caller)]


@router.post(
    "/workspaces/{workspace_id}/members",
    status_code=status.HTTP_201_CREATED,
    tags=["members"],
    summary="Invite someone by e-mail (owner, admin)",
)
def invite_member(
    request: Request,
    response: Response,
    body: MemberInvite,
    container: ContainerDep,
    caller: WorkspaceCaller,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MemberOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    membership, created = container.members.invite(
        caller, str(body.email), body.role, body.name, key
    )
    mark_replay(response, created)
    return _member(membership)


@router.patch(
    "/workspaces/{workspace_id}/members/{user_id}",
    tags=["members"],
    summary="Change a member's role (owner, admin)",
)
def change_member_role(
    user_id: UUID, body: MemberPatch, container: ContainerDep, caller: WorkspaceCaller
) -> MemberOut:
    return _member(container.members.change_role(caller, user_id, body.role))


@router.delete(
    "/workspaces/{workspace_id}/members/{user_id}",
    tags=["members"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member (owner, admin)",
)
def remove_member(user_id: UUID, container: ContainerDep, caller: WorkspaceCaller) -> None:
    container.members.remove(caller, user_id)


@router.get("/profile", tags=["profile"], summary="Your profile")
def get_profile(container: ContainerDep, principal: PrincipalDep) -> ProfileOut:
    return ProfileOut.model_validate(container.profiles.get(principal))


@router.patch("/profile", tags=["profile"], summary="Change your name, language or time zone")
def update_profile(
    body: ProfilePatch, container: ContainerDep, principal: PrincipalDep
) -> ProfileOut:
    return ProfileOut.model_validate(container.profiles.update(principal, body.changes()))


def _workspace(view: WorkspaceView) -> WorkspaceOut:
    tenant = view.tenant
    return WorkspaceOut(
        id=tenant.id,
        name=tenant.name,
        base_currency=tenant.base_currency,
        locale=tenant.locale,
        timezone=tenant.timezone,
        role=view.role,
        created_at=tenant.created_at,
    )


def _member(membership: Membership) -> MemberOut:
    user = membership.user
    return MemberOut(
        user_id=membership.user_id,
        email=user.email,
        display_name=user.display_name,
        role=membership.role,
        invited_by=membership.invited_by,
        joined_at=membership.created_at,
    )
