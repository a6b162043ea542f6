"""Members of a workspace and what each role may do, as the API enforces it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from shared.domain.access import Role
from tests.support.api import Actor, ok, problem, token_for


def _members_path(actor: Actor) -> str:
    return f"/v1/workspaces/{actor.tenant_id}/members"


def _invite(owner: Actor, container, role: Role, *, token_role: Role | None = None) -> Actor:
    """Invites someone with ``role`` and returns them holding a token for the workspace."""
    email = f"{role.value}.{uuid4().hex[:8]}@example.com"
    invited = ok(owner.post(_members_path(owner), {"email": email, "role": role.value}), 201)
    user_id = UUID(invited["user_id"])
    token = token_for(container, user_id, owner.tenant_id, token_role or role, email=email)
    return Actor(owner.client, token, user_id, owner.tenant_id)


def _roles(actor: Actor) -> dict[str, str]:
    return {member["user_id"]: member["role"] for member in ok(actor.get(_members_path(actor)))}


def _with_token_role(actor: Actor, container, role: Role) -> Actor:
    token = token_for(container, actor.user_id, actor.tenant_id, role)
    return Actor(actor.client, token, actor.user_id, actor.tenant_id)


# Invite, list, change, remove


def test_given_an_owner_when_inviting_by_email_then_201_with_the_new_member(owner):
    invited = ok(
        owner.post(
            _members_path(owner),
            {"email": "  Bia@Example.COM ", "role": "member", "name": "Bia"},
        ),
        201,
    )
    assert UUID(invited["user_id"])
    assert invited["email"] == "bia@example.com"
    assert invited["display_name"] == "Bia"
    assert invited["role"] == "member"
    assert invited["invited_by"] == str(owner.user_id)
    assert invited["joined_at"]


def test_given_no_role_when_inviting_then_the_person_joins_as_member(owner):
    invited = ok(owner.post(_members_path(owner), {"email": "caio@example.com"}), 201)
    assert invited["role"] == "member"


def test_given_an_invitation_when_listing_members_then_owner_and_invitee_appear(owner):
    invited = ok(
        owner.post(_members_path(owner), {"email": "d@example.com", "role": "viewer"}), 201
    )
    assert _roles(owner) == {str(owner.user_id): "owner", invited["user_id"]: "viewer"}


def test_given_an_existing_user_when_invited_to_a_second_workspace_then_the_same_user_joins(
    owner, new_actor
):
    bruno = new_actor("Bruno")
    profile = ok(bruno.get("/v1/profile"))
    invited = ok(owner.post(_members_path(owner), {"email": profile["email"]}), 201)
    assert invited["user_id"] == str(bruno.user_id)
    listed = {item["id"] for item in ok(bruno.get("/v1/workspaces"))}
    assert listed == {str(bruno.tenant_id), str(owner.tenant_id)}


def test_given_an_invalid_email_when_inviting_then_422_points_at_email(owner):
    body = problem(owner.post(_members_path(owner), {"email": "not-an-email"}), 422)
    assert [error["pointer"] for error in body["errors"]] == ["/email"]


def test_given_an_unknown_role_when_inviting_then_422_points_at_role(owner):
    body = problem(owner.post(_members_path(owner), {"email": "e@example.com", "role": "god"}), 422)
    assert [error["pointer"] for error in body["errors"]] == ["/role"]


def test_given_a_member_when_already_in_the_workspace_then_a_second_invite_is_409(owner):
    ok(owner.post(_members_path(owner), {"email": "f@example.com"}), 201)
    problem(owner.post(_members_path(owner), {"email": "F@example.com", "role": "admin"}), 409)
    assert sorted(_roles(owner).values()) == ["member", "owner"]


def test_given_an_owner_when_inviting_themselves_then_409(owner):
    email = ok(owner.get("/v1/profile"))["email"]
    problem(owner.post(_members_path(owner), {"email": email}), 409)


def test_given_an_idempotency_key_when_an_invite_is_retried_then_the_same_member_is_replayed(
    owner,
):
    headers = {"Idempotency-Key": "invite-g"}
    first = ok(owner.post(_members_path(owner), {"email": "g@example.com"}, headers=headers), 201)
    again = owner.post(_members_path(owner), {"email": "g@example.com"}, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["user_id"] == first["user_id"]
    assert len(_roles(owner)) == 2


def test_given_an_owner_when_changing_a_members_role_then_the_new_role_is_stored(owner, container):
    member = _invite(owner, container, Role.MEMBER)
    changed = ok(owner.patch(f"{_members_path(owner)}/{member.user_id}", {"role": "admin"}))
    assert changed["role"] == "admin"
    assert _roles(owner)[str(member.user_id)] == "admin"


def test_given_an_owner_when_removing_a_member_then_204_and_the_member_is_gone(owner, container):
    member = _invite(owner, container, Role.MEMBER)
    response = owner.delete(f"{_members_path(owner)}/{member.user_id}")
    assert response.status_code == 204
    assert str(member.user_id) not in _roles(owner)


def test_given_a_removed_member_when_they_use_their_token_then_the_workspace_is_404(
    owner, container
):
    member = _invite(owner, container, Role.MEMBER)
    ok(owner.delete(f"{_members_path(owner)}/{member.user_id}"), 204)
    problem(member.get("/v1/accounts"), 404)
    problem(member.get(f"/v1/workspaces/{owner.tenant_id}"), 404)
    assert ok(member.get("/v1/workspaces")) == []


def test_given_an_unknown_user_id_when_changing_or_removing_then_404(owner):
    stranger = uuid4()
    problem(owner.patch(f"{_members_path(owner)}/{stranger}", {"role": "admin"}), 404)
    problem(owner.delete(f"{_members_path(owner)}/{stranger}"), 404)


def test_given_an_admin_when_inviting_and_managing_members_below_owner_then_it_succeeds(
    owner, container
):
    admin = _invite(owner, container, Role.ADMIN)
    invited = ok(admin.post(_members_path(admin), {"email": "h@example.com", "role": "admin"}), 201)
    path = f"{_members_path(admin)}/{invited['user_id']}"
    assert ok(admin.patch(path, {"role": "viewer"}))["role"] == "viewer"
    ok(admin.delete(path), 204)
    assert invited["user_id"] not in _roles(owner)


def test_given_a_second_owner_when_the_first_owner_is_demoted_then_it_succeeds(owner, container):
    other_owner = _invite(owner, container, Role.OWNER)
    changed = ok(other_owner.patch(f"{_members_path(owner)}/{owner.user_id}", {"role": "member"}))
    assert changed["role"] == "member"
    assert _roles(other_owner) == {str(other_owner.user_id): "owner", str(owner.user_id): "member"}


# Who may manage members


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_given_a_member_or_viewer_when_inviting_then_403_and_nobody_joins(owner, container, role):
    actor = _invite(owner, container, role)
    problem(actor.post(_members_path(actor), {"email": "i@example.com"}), 403)
    assert len(_roles(owner)) == 2


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_given_a_member_or_viewer_when_changing_a_role_then_403_and_nothing_changes(
    owner, container, role
):
    actor = _invite(owner, container, role)
    target = _invite(owner, container, Role.VIEWER)
    problem(actor.patch(f"{_members_path(actor)}/{target.user_id}", {"role": "admin"}), 403)
    problem(actor.patch(f"{_members_path(actor)}/{actor.user_id}", {"role": "owner"}), 403)
    roles = _roles(owner)
    assert (roles[str(target.user_id)], roles[str(actor.user_id)]) == ("viewer", role.value)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_given_a_member_or_viewer_when_removing_someone_then_403_and_they_stay(
    owner, container, role
):
    actor = _invite(owner, container, role)
    target = _invite(owner, container, Role.VIEWER)
    problem(actor.delete(f"{_members_path(actor)}/{target.user_id}"), 403)
    problem(actor.delete(f"{_members_path(actor)}/{owner.user_id}"), 403)
    assert {str(target.user_id), str(owner.user_id)} <= set(_roles(owner))


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_given_a_member_or_viewer_when_listing_members_then_200(owner, container, role):
    actor = _invite(owner, container, role)
    assert set(_roles(actor)) == {str(owner.user_id), str(actor.user_id)}


def test_given_an_admin_when_inviting_an_owner_then_403(owner, container):
    admin = _invite(owner, container, Role.ADMIN)
    problem(admin.post(_members_path(admin), {"email": "j@example.com", "role": "owner"}), 403)
    assert sorted(_roles(owner).values()) == ["admin", "owner"]


def test_given_an_admin_when_promoting_someone_to_owner_then_403(owner, container):
    admin = _invite(owner, container, Role.ADMIN)
    member = _invite(owner, container, Role.MEMBER)
    problem(admin.patch(f"{_members_path(admin)}/{member.user_id}", {"role": "owner"}), 403)
    problem(admin.patch(f"{_members_path(admin)}/{admin.user_id}", {"role": "owner"}), 403)
    roles = _roles(owner)
    assert (roles[str(member.user_id)], roles[str(admin.user_id)]) == ("member", "admin")


def test_given_an_admin_when_demoting_an_owner_then_403(owner, container):
    admin = _invite(owner, container, Role.ADMIN)
    _invite(owner, container, Role.OWNER)  # not the last owner: only the admin rule can refuse
    problem(admin.patch(f"{_members_path(admin)}/{owner.user_id}", {"role": "viewer"}), 403)
    assert _roles(owner)[str(owner.user_id)] == "owner"


def test_given_an_admin_when_removing_an_owner_then_403(owner, container):
    admin = _invite(owner, container, Role.ADMIN)
    _invite(owner, container, Role.OWNER)
    problem(admin.delete(f"{_members_path(admin)}/{owner.user_id}"), 403)
    assert _roles(owner)[str(owner.user_id)] == "owner"


# The last owner


def test_given_the_only_owner_when_demoting_themselves_then_409(owner):
    problem(owner.patch(f"{_members_path(owner)}/{owner.user_id}", {"role": "admin"}), 409)
    assert _roles(owner) == {str(owner.user_id): "owner"}


def test_given_the_only_owner_when_removing_themselves_then_409(owner):
    problem(owner.delete(f"{_members_path(owner)}/{owner.user_id}"), 409)
    assert _roles(owner) == {str(owner.user_id): "owner"}


def test_given_the_only_owner_and_other_members_when_demoting_themselves_then_still_409(
    owner, container
):
    _invite(owner, container, Role.ADMIN)
    problem(owner.patch(f"{_members_path(owner)}/{owner.user_id}", {"role": "member"}), 409)
    assert _roles(owner)[str(owner.user_id)] == "owner"


def test_given_the_only_owner_when_setting_their_role_to_owner_again_then_it_is_accepted(owner):
    assert (
        ok(owner.patch(f"{_members_path(owner)}/{owner.user_id}", {"role": "owner"}))["role"]
        == "owner"
    )


def test_given_two_owners_when_one_leaves_then_the_other_cannot_leave_too(owner, container):
    other_owner = _invite(owner, container, Role.OWNER)
    ok(owner.delete(f"{_members_path(owner)}/{other_owner.user_id}"), 204)
    problem(owner.delete(f"{_members_path(owner)}/{owner.user_id}"), 409)
    assert _roles(owner) == {str(owner.user_id): "owner"}


# The effective role: the lower of the token's and the stored membership


def test_given_an_owner_with_a_viewer_token_when_writing_then_403(owner, container):
    read_only = _with_token_role(owner, container, Role.VIEWER)
    problem(read_only.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 403)
    assert ok(owner.get("/v1/accounts")) == []


def test_given_an_owner_with_a_viewer_token_when_reading_then_200_and_viewer_is_reported(
    owner, container
):
    read_only = _with_token_role(owner, container, Role.VIEWER)
    assert ok(read_only.get(f"/v1/workspaces/{owner.tenant_id}"))["role"] == "viewer"
    assert ok(read_only.get("/v1/accounts")) == []


def test_given_an_owner_with_a_member_token_when_inviting_then_403(owner, container):
    limited = _with_token_role(owner, container, Role.MEMBER)
    problem(limited.post(_members_path(owner), {"email": "k@example.com"}), 403)


def test_given_a_viewer_holding_an_owner_token_when_writing_then_403(owner, container):
    viewer = _invite(owner, container, Role.VIEWER, token_role=Role.OWNER)
    problem(viewer.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 403)
    problem(viewer.post(_members_path(viewer), {"email": "l@example.com"}), 403)
    assert ok(viewer.get(f"/v1/workspaces/{owner.tenant_id}"))["role"] == "viewer"


def test_given_a_demoted_owner_when_using_the_old_owner_token_then_it_is_limited_at_once(
    owner, container
):
    second = _invite(owner, container, Role.OWNER)
    ok(second.post(_members_path(second), {"email": "m@example.com"}), 201)
    ok(owner.patch(f"{_members_path(owner)}/{second.user_id}", {"role": "member"}))
    problem(second.post(_members_path(second), {"email": "n@example.com"}), 403)
    problem(second.patch(f"{_members_path(second)}/{owner.user_id}", {"role": "member"}), 403)
    ok(second.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)
    assert ok(second.get(f"/v1/workspaces/{owner.tenant_id}"))["role"] == "member"


def test_given_a_member_demoted_to_viewer_when_writing_with_the_old_token_then_403(
    owner, container
):
    member = _invite(owner, container, Role.MEMBER)
    ok(member.post("/v1/tags", {"name": "antes"}), 201)
    ok(owner.patch(f"{_members_path(owner)}/{member.user_id}", {"role": "viewer"}))
    problem(member.post("/v1/tags", {"name": "depois"}), 403)
    assert [tag["name"] for tag in ok(owner.get("/v1/tags"))] == ["antes"]


def test_given_a_promoted_member_with_the_old_member_token_when_inviting_then_still_403(
    owner, container
):
    member = _invite(owner, container, Role.MEMBER)
    ok(owner.patch(f"{_members_path(owner)}/{member.user_id}", {"role": "admin"}))
    problem(member.post(_members_path(member), {"email": "o@example.com"}), 403)
    admin_token = _with_token_role(member, container, Role.ADMIN)
    ok(admin_token.post(_members_path(member), {"email": "o@example.com"}), 201)


# A viewer reads but cannot write anything in the transactions context


@pytest.fixture
def books(owner) -> dict[str, str]:
    """An account, a category, a tag and a transaction, made by the owner."""
    account = ok(owner.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)
    category = ok(owner.post("/v1/categories", {"name": "Pets"}), 201)
    tag = ok(owner.post("/v1/tags", {"name": "casa"}), 201)
    transaction = ok(
        owner.post(
            "/v1/transactions",
            {
                "account_id": account["id"],
                "amount": "-10.00",
                "booked_on": "2026-10-01",
                "description": "PADARIA",
                "category_id": category["id"],
                "tags": ["casa"],
            },
        ),
        201,
    )
    return {
        "account": account["id"],
        "category": category["id"],
        "tag": tag["id"],
        "transaction": transaction["id"],
    }


VIEWER_WRITES = [
    ("POST", "/v1/accounts", {"name": "Itaú", "kind": "savings"}),
    ("PATCH", "/v1/accounts/{account}", {"name": "Renomeada"}),
    ("DELETE", "/v1/accounts/{account}", None),
    ("POST", "/v1/categories", {"name": "Viagem à praia"}),
    ("PATCH", "/v1/categories/{category}", {"name": "Bichos"}),
    ("POST", "/v1/tags", {"name": "nova"}),
    ("PATCH", "/v1/tags/{tag}", {"name": "lar"}),
    ("DELETE", "/v1/tags/{tag}", None),
    (
        "POST",
        "/v1/transactions",
        {
            "account_id": "{account}",
            "amount": "-1.00",
            "booked_on": "2026-10-02",
            "description": "CAFE",
        },
    ),
    ("PATCH", "/v1/transactions/{transaction}", {"version": 1, "notes": "mudou"}),
    ("DELETE", "/v1/transactions/{transaction}", None),
]

VIEWER_READS = [
    "/v1/accounts",
    "/v1/accounts/{account}",
    "/v1/categories",
    "/v1/categories/{category}",
    "/v1/tags",
    "/v1/transactions",
    "/v1/transactions/{transaction}",
]


def _fill(value, ids: dict[str, str]):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _snapshot(owner: Actor, ids: dict[str, str]) -> dict[str, object]:
    return {
        "accounts": ok(owner.get("/v1/accounts", params={"include_archived": True})),
        "categories": ok(owner.get("/v1/categories", params={"include_archived": True})),
        "tags": ok(owner.get("/v1/tags")),
        "transactions": ok(owner.get("/v1/transactions")),
        "transaction": ok(owner.get(f"/v1/transactions/{ids['transaction']}")),
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    VIEWER_WRITES,
    ids=[f"{method} {path}" for method, path, _ in VIEWER_WRITES],
)
def test_given_a_viewer_when_calling_a_write_route_then_403_and_nothing_changes(
    owner, container, books, method, path, body
):
    viewer = _invite(owner, container, Role.VIEWER)
    before = _snapshot(owner, books)
    response = viewer.client.request(
        method, _fill(path, books), json=_fill(body, books), headers=viewer.headers()
    )
    problem(response, 403)
    assert _snapshot(owner, books) == before


@pytest.mark.parametrize("path", VIEWER_READS)
def test_given_a_viewer_when_calling_a_read_route_then_200(owner, container, books, path):
    viewer = _invite(owner, container, Role.VIEWER)
    ok(viewer.get(_fill(path, books)))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    VIEWER_WRITES,
    ids=[f"{method} {path}" for method, path, _ in VIEWER_WRITES],
)
def test_given_a_member_when_calling_the_same_write_routes_then_they_succeed(
    owner, container, books, method, path, body
):
    """The control for the viewer test: the bodies are valid, so 403 there means the role."""
    member = _invite(owner, container, Role.MEMBER)
    response = member.client.request(
        method, _fill(path, books), json=_fill(body, books), headers=member.headers()
    )
    assert response.status_code in {200, 201, 204}, response.text
