"""Your profile, and how the API knows who is calling and in which workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from shared.clock import FixedClock, SystemClock
from shared.db.models import User
from shared.domain.access import Role
from shared.identity.local import LocalDevIssuer
from tests.support.api import Actor, ok, problem, token_for

# Profile


def test_given_a_signed_in_person_when_reading_the_profile_then_it_comes_from_the_token(
    client, container
):
    user_id = uuid4()
    token = container.dev_issuer.issue(user_id, None, [], email="Rui@Example.com", name="Rui")
    profile = ok(Actor(client, token, user_id, None).get("/v1/profile"))
    assert profile == {
        "id": str(user_id),
        "email": "rui@example.com",
        "display_name": "Rui",
        "locale": "pt-BR",
        "timezone": "America/Sao_Paulo",
    }


def test_given_a_profile_when_patching_name_locale_and_timezone_then_they_are_saved(owner):
    changes = {"display_name": "Ana Souza", "locale": "en-US", "timezone": "Europe/Lisbon"}
    patched = ok(owner.patch("/v1/profile", changes))
    assert {name: patched[name] for name in changes} == changes
    again = ok(owner.get("/v1/profile"))
    assert {name: again[name] for name in changes} == changes


def test_given_a_profile_when_patching_one_field_then_the_others_stay(owner):
    before = ok(owner.get("/v1/profile"))
    patched = ok(owner.patch("/v1/profile", {"timezone": "UTC"}))
    assert patched == {**before, "timezone": "UTC"}


def test_given_a_display_name_when_patched_to_null_then_it_is_cleared(owner):
    ok(owner.patch("/v1/profile", {"display_name": "Ana"}))
    assert ok(owner.patch("/v1/profile", {"display_name": None}))["display_name"] is None


@pytest.mark.parametrize("field", ["locale", "timezone"])
def test_given_null_for_locale_or_timezone_when_patching_the_profile_then_422_points_at_it(
    owner, field
):
    before = ok(owner.get("/v1/profile"))
    body = problem(owner.patch("/v1/profile", {field: None}), 422)
    assert [error["pointer"] for error in body["errors"]] == [f"/{field}"]
    assert ok(owner.get("/v1/profile")) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("locale", "zz-QQ"),
        ("locale", "pt BR"),
        ("timezone", "Lua/Base_Alfa"),
        ("display_name", "x" * 121),
        ("display_name", ""),
    ],
)
def test_given_an_invalid_value_when_patching_the_profile_then_422_points_at_it(
    owner, field, value
):
    before = ok(owner.get("/v1/profile"))
    body = problem(owner.patch("/v1/profile", {field: value}), 422)
    assert f"/{field}" in {error["pointer"] for error in body["errors"]}
    assert ok(owner.get("/v1/profile")) == before


def test_given_a_field_that_is_not_editable_when_patching_the_profile_then_422(owner):
    before = ok(owner.get("/v1/profile"))
    body = problem(owner.patch("/v1/profile", {"email": "outra@example.com"}), 422)
    assert "/email" in {error["pointer"] for error in body["errors"]}
    assert ok(owner.get("/v1/profile")) == before


def test_given_two_people_when_one_patches_their_profile_then_the_other_is_untouched(new_actor):
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    before = ok(bruno.get("/v1/profile"))
    ok(ana.patch("/v1/profile", {"display_name": "Ana", "locale": "en-US"}))
    assert ok(bruno.get("/v1/profile")) == before


# Authentication: every failure is a 401 problem with a WWW-Authenticate challenge

AUTHENTICATED_ROUTES = ["/v1/profile", "/v1/workspaces", "/v1/accounts", "/v1/transactions"]


def _unauthenticated(response) -> dict:
    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


@pytest.mark.parametrize("path", AUTHENTICATED_ROUTES)
def test_given_no_token_when_calling_the_api_then_401_with_a_bearer_challenge(client, path):
    _unauthenticated(client.get(path))


def test_given_a_basic_authorization_header_when_calling_the_api_then_401(client):
    _unauthenticated(client.get("/v1/profile", headers={"Authorization": "Basic YTpi"}))


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_given_a_garbage_token_when_calling_the_api_then_401(client, garbage):
    _unauthenticated(client.get("/v1/profile", headers={"Authorization": f"Bearer {garbage}"}))


def _issuer_like(container, *, home=None, issuer=None, clock=None) -> LocalDevIssuer:
    settings = container.settings
    return LocalDevIssuer(
        home or settings.home,
        issuer or settings.local_issuer,
        settings.local_audience,
        clock or SystemClock(),
    )


def test_given_an_expired_token_when_calling_the_api_then_401(client, container):
    yesterday = FixedClock(datetime.now(UTC) - timedelta(days=1))
    token = _issuer_like(container, clock=yesterday).issue(
        uuid4(), None, [Role.OWNER], ttl=timedelta(hours=1)
    )
    body = _unauthenticated(client.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}))
    assert "expired" in body["detail"]


def test_given_a_token_signed_by_another_key_when_calling_the_api_then_401(
    client, container, tmp_path
):
    stranger = _issuer_like(container, home=tmp_path / "another-home")
    token = stranger.issue(uuid4(), None, [Role.OWNER])
    _unauthenticated(client.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}))


def test_given_a_token_from_another_issuer_when_calling_the_api_then_401(client, container):
    token = _issuer_like(container, issuer="https://evil.example/dev").issue(
        uuid4(), None, [Role.OWNER]
    )
    body = _unauthenticated(client.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}))
    assert "issuer" in body["detail"]


def test_given_a_valid_token_from_the_same_issuer_when_calling_the_api_then_200(client, container):
    """The control for the tests above: the same construction with nothing wrong passes."""
    token = _issuer_like(container).issue(uuid4(), None, [Role.OWNER])
    ok(client.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}))


def test_given_a_rejected_token_when_calling_the_api_then_no_user_is_created(client, container):
    user_id = uuid4()
    token = _issuer_like(container, issuer="https://evil.example/dev").issue(user_id, None, [])
    _unauthenticated(client.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}))
    with container.db.admin_session() as session:
        assert session.get(User, user_id) is None


# Which workspace: the token's, or the X-Fluxo-Workspace header


@pytest.fixture
def tenantless(owner, container) -> Actor:
    """The owner holding a token that names no workspace."""
    return Actor(owner.client, token_for(container, owner.user_id, None), owner.user_id, None)


def test_given_a_token_without_a_workspace_when_calling_a_workspace_route_then_422_names_header(
    tenantless,
):
    body = problem(tenantless.get("/v1/accounts"), 422)
    assert [(error["in"], error["pointer"]) for error in body["errors"]] == [
        ("header", "/X-Fluxo-Workspace")
    ]
    assert "X-Fluxo-Workspace" in body["detail"]


def test_given_a_token_without_a_workspace_when_sending_the_header_of_mine_then_200(
    tenantless, owner
):
    ok(
        tenantless.post(
            "/v1/accounts",
            {"name": "Nubank", "kind": "checking"},
            headers={"X-Fluxo-Workspace": str(owner.tenant_id)},
        ),
        201,
    )
    accounts = ok(
        tenantless.get("/v1/accounts", headers={"X-Fluxo-Workspace": str(owner.tenant_id)})
    )
    assert [account["name"] for account in accounts] == ["Nubank"]
    assert [account["name"] for account in ok(owner.get("/v1/accounts"))] == ["Nubank"]


def test_given_a_token_without_a_workspace_when_sending_the_header_of_another_then_404(
    tenantless, new_actor
):
    stranger = new_actor("Bruno")
    ok(stranger.post("/v1/accounts", {"name": "Conta do Bruno", "kind": "checking"}), 201)
    response = tenantless.get(
        "/v1/accounts", headers={"X-Fluxo-Workspace": str(stranger.tenant_id)}
    )
    body = problem(response, 404)
    assert "Conta do Bruno" not in response.text
    assert "errors" not in body


def test_given_a_token_for_workspace_a_when_the_header_names_workspace_b_of_mine_then_b_is_used(
    owner, container
):
    second = ok(owner.post("/v1/workspaces", {"name": "Empresa"}), 201)
    ok(owner.post("/v1/tags", {"name": "em-b"}, headers={"X-Fluxo-Workspace": second["id"]}), 201)
    assert ok(owner.get("/v1/tags")) == []
    tags = ok(owner.get("/v1/tags", headers={"X-Fluxo-Workspace": second["id"]}))
    assert [tag["name"] for tag in tags] == ["em-b"]


def test_given_a_malformed_workspace_header_when_calling_then_422_points_at_the_header(owner):
    body = problem(owner.get("/v1/accounts", headers={"X-Fluxo-Workspace": "casa"}), 422)
    assert [(error["in"], error["pointer"]) for error in body["errors"]] == [
        ("header", "/X-Fluxo-Workspace")
    ]


def test_given_a_token_for_a_workspace_i_left_when_calling_then_404(owner, container):
    invited = ok(
        owner.post(f"/v1/workspaces/{owner.tenant_id}/members", {"email": "saiu@example.com"}), 201
    )
    user_id = UUID(invited["user_id"])
    member = Actor(
        owner.client,
        token_for(container, user_id, owner.tenant_id, Role.MEMBER),
        user_id,
        owner.tenant_id,
    )
    ok(member.get("/v1/accounts"))
    ok(owner.delete(f"/v1/workspaces/{owner.tenant_id}/members/{user_id}"), 204)
    problem(member.get("/v1/accounts"), 404)
