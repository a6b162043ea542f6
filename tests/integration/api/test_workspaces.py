"""Workspaces through the API: create, list, read, reconfigure, and idempotent creation."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from shared.domain.access import Role
from shared.domain.taxonomy import TAXONOMY, TOP_LEVEL_SLUGS, walk
from tests.support.api import Actor, ok, problem, token_for

SEEDED_CATEGORIES = 79


@pytest.fixture
def newcomer(client, container) -> Actor:
    """A signed-in person who belongs to no workspace yet (a token without a tenant)."""
    user_id = uuid4()
    token = token_for(container, user_id, None, email=f"nova.{user_id.hex[:6]}@example.com")
    return Actor(client, token, user_id, None)


def _acting_in(actor: Actor, container, tenant_id: str, role: Role = Role.OWNER) -> Actor:
    token = token_for(container, actor.user_id, UUID(tenant_id), role)
    return Actor(actor.client, token, actor.user_id, UUID(tenant_id))


def _categories(actor: Actor) -> list[dict]:
    return ok(actor.get("/v1/categories"))


def _flatten(tree: list[dict]) -> list[dict]:
    flat: list[dict] = []
    for node in tree:
        flat.append(node)
        flat.extend(_flatten(node["children"]))
    return flat


def _pointers(body: dict) -> set[str]:
    return {error["pointer"] for error in body["errors"]}


# Create


def test_given_a_newcomer_when_creating_a_workspace_then_201_with_its_settings_and_owner_role(
    newcomer,
):
    created = ok(
        newcomer.post(
            "/v1/workspaces",
            {"name": "Casa", "base_currency": "USD", "locale": "en-US", "timezone": "UTC"},
        ),
        201,
    )
    assert UUID(created["id"])
    assert created["name"] == "Casa"
    assert created["base_currency"] == "USD"
    assert created["locale"] == "en-US"
    assert created["timezone"] == "UTC"
    assert created["role"] == "owner"
    assert created["created_at"]


def test_given_only_a_name_when_creating_a_workspace_then_brazilian_defaults_apply(newcomer):
    created = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}), 201)
    assert (created["base_currency"], created["locale"], created["timezone"]) == (
        "BRL",
        "pt-BR",
        "America/Sao_Paulo",
    )


def test_given_a_new_workspace_when_listing_its_members_then_the_creator_is_the_only_owner(
    newcomer,
):
    created = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}), 201)
    members = ok(newcomer.get(f"/v1/workspaces/{created['id']}/members"))
    assert [(m["user_id"], m["role"]) for m in members] == [(str(newcomer.user_id), "owner")]


def test_given_a_pt_br_workspace_when_created_then_79_categories_are_seeded_in_portuguese(
    newcomer, container
):
    created = ok(newcomer.post("/v1/workspaces", {"name": "Casa", "locale": "pt-BR"}), 201)
    tree = _categories(_acting_in(newcomer, container, created["id"]))
    assert len(_flatten(tree)) == SEEDED_CATEGORIES == len(walk())
    assert [node["slug"] for node in tree] == list(TOP_LEVEL_SLUGS)
    assert len(TOP_LEVEL_SLUGS) == 17
    assert [node["name"] for node in tree] == [seed.pt_br for seed in TAXONOMY]
    assert tree[0]["name"] == "Receitas"


def test_given_an_en_us_workspace_when_created_then_the_seeded_categories_are_in_english(
    newcomer, container
):
    created = ok(newcomer.post("/v1/workspaces", {"name": "Home", "locale": "en-US"}), 201)
    tree = _categories(_acting_in(newcomer, container, created["id"]))
    assert [node["slug"] for node in tree] == list(TOP_LEVEL_SLUGS)
    assert [node["name"] for node in tree] == [seed.en for seed in TAXONOMY]
    names = {node["slug"]: node["name"] for node in _flatten(tree)}
    assert names["salary"] == "Salary"
    assert names["housing"] == "Housing"
    assert len(names) == SEEDED_CATEGORIES


def test_given_a_seeded_workspace_when_reading_the_tree_then_children_sit_under_their_parents(
    newcomer, container
):
    created = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}), 201)
    tree = _categories(_acting_in(newcomer, container, created["id"]))
    by_slug = {node["slug"]: node for node in tree}
    for seed in TAXONOMY:
        assert [child["slug"] for child in by_slug[seed.slug]["children"]] == [
            child.slug for child in seed.children
        ]
        for child in by_slug[seed.slug]["children"]:
            assert child["parent_id"] == by_slug[seed.slug]["id"]
            assert child["kind"] == by_slug[seed.slug]["kind"] == seed.kind
        assert by_slug[seed.slug]["labels"] == {"pt-BR": seed.pt_br, "en": seed.en}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_currency", "XYZ"),
        ("base_currency", "usd"),
        ("locale", "zz-QQ"),
        ("timezone", "Mars/Olympus_Mons"),
    ],
)
def test_given_an_invalid_setting_when_creating_a_workspace_then_422_points_at_it(
    newcomer, field, value
):
    body = problem(newcomer.post("/v1/workspaces", {"name": "Casa", field: value}), 422)
    assert f"/{field}" in _pointers(body)
    assert ok(newcomer.get("/v1/workspaces")) == []


def test_given_an_unknown_field_when_creating_a_workspace_then_422_points_at_it(newcomer):
    body = problem(newcomer.post("/v1/workspaces", {"name": "Casa", "plan": "gold"}), 422)
    assert "/plan" in _pointers(body)


def test_given_an_empty_name_when_creating_a_workspace_then_422_points_at_name(newcomer):
    body = problem(newcomer.post("/v1/workspaces", {"name": ""}), 422)
    assert "/name" in _pointers(body)


# List and get


def test_given_two_people_with_workspaces_when_each_lists_then_each_sees_only_their_own(
    new_actor,
):
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    second = ok(ana.post("/v1/workspaces", {"name": "Empresa da Ana"}), 201)
    ana_ids = {item["id"] for item in ok(ana.get("/v1/workspaces"))}
    bruno_ids = {item["id"] for item in ok(bruno.get("/v1/workspaces"))}
    assert ana_ids == {str(ana.tenant_id), second["id"]}
    assert bruno_ids == {str(bruno.tenant_id)}


def test_given_a_newcomer_when_listing_workspaces_then_the_list_is_empty(newcomer):
    assert ok(newcomer.get("/v1/workspaces")) == []


def test_given_a_member_when_getting_their_workspace_then_200_with_their_role(owner):
    workspace = ok(owner.get(f"/v1/workspaces/{owner.tenant_id}"))
    assert workspace["id"] == str(owner.tenant_id)
    assert workspace["name"] == "Casa de Ana"
    assert workspace["role"] == "owner"


def test_given_an_unknown_workspace_id_when_getting_it_then_404(owner):
    problem(owner.get(f"/v1/workspaces/{uuid4()}"), 404)


def test_given_a_malformed_workspace_id_when_getting_it_then_422_points_at_the_path(owner):
    body = problem(owner.get("/v1/workspaces/not-a-uuid"), 422)
    assert body["errors"][0]["in"] == "path"


# Patch


def test_given_the_owner_when_patching_the_workspace_then_the_changes_are_saved(owner):
    changes = {
        "name": "Casa Nova",
        "base_currency": "EUR",
        "locale": "en-GB",
        "timezone": "Europe/Lisbon",
    }
    patched = ok(owner.patch(f"/v1/workspaces/{owner.tenant_id}", changes))
    assert {name: patched[name] for name in changes} == changes
    again = ok(owner.get(f"/v1/workspaces/{owner.tenant_id}"))
    assert {name: again[name] for name in changes} == changes


def test_given_a_partial_patch_when_applied_then_fields_not_sent_are_unchanged(owner):
    patched = ok(owner.patch(f"/v1/workspaces/{owner.tenant_id}", {"name": "Só o nome"}))
    assert patched["name"] == "Só o nome"
    assert (patched["base_currency"], patched["locale"], patched["timezone"]) == (
        "BRL",
        "pt-BR",
        "America/Sao_Paulo",
    )


@pytest.mark.parametrize(
    ("role", "allowed"), [("admin", True), ("member", False), ("viewer", False)]
)
def test_given_an_invited_role_when_patching_the_workspace_then_only_admin_may(
    owner, container, role, allowed
):
    invited = ok(
        owner.post(
            f"/v1/workspaces/{owner.tenant_id}/members",
            {"email": f"{role}@example.com", "role": role},
        ),
        201,
    )
    user_id = UUID(invited["user_id"])
    actor = Actor(
        owner.client,
        token_for(container, user_id, owner.tenant_id, Role(role)),
        user_id,
        owner.tenant_id,
    )
    response = actor.patch(f"/v1/workspaces/{owner.tenant_id}", {"name": "Renomeada"})
    if allowed:
        assert ok(response)["name"] == "Renomeada"
    else:
        problem(response, 403)
        assert ok(owner.get(f"/v1/workspaces/{owner.tenant_id}"))["name"] == "Casa de Ana"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_currency", "XYZ"),
        ("base_currency", "12"),
        ("locale", "zz-QQ"),
        ("locale", "not a locale"),
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "../../etc/passwd"),
    ],
)
def test_given_an_invalid_setting_when_patching_the_workspace_then_422_points_at_the_field(
    owner, field, value
):
    response = owner.patch(f"/v1/workspaces/{owner.tenant_id}", {field: value})
    body = problem(response, 422)
    assert f"/{field}" in _pointers(body)
    assert all(error["in"] == "body" for error in body["errors"])
    workspace = ok(owner.get(f"/v1/workspaces/{owner.tenant_id}"))
    assert workspace[field] != value


def test_given_three_invalid_settings_when_patching_then_each_gets_its_own_pointer(owner):
    response = owner.patch(
        f"/v1/workspaces/{owner.tenant_id}",
        {"base_currency": "XYZ", "locale": "zz-QQ", "timezone": "Nowhere/City"},
    )
    body = problem(response, 422)
    assert _pointers(body) == {"/base_currency", "/locale", "/timezone"}


@pytest.mark.parametrize("field", ["name", "base_currency", "locale", "timezone"])
def test_given_null_for_a_required_setting_when_patching_then_422(owner, field):
    problem(owner.patch(f"/v1/workspaces/{owner.tenant_id}", {field: None}), 422)
    assert ok(owner.get(f"/v1/workspaces/{owner.tenant_id}"))[field] is not None


# Idempotency


def test_given_an_idempotency_key_when_the_create_is_retried_then_the_same_workspace_returns(
    newcomer,
):
    headers = {"Idempotency-Key": "create-casa-1"}
    first = newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers)
    second = newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json() == first.json()


def test_given_a_replayed_create_when_listing_then_nothing_new_was_created(newcomer, container):
    headers = {"Idempotency-Key": "create-casa-2"}
    first = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers), 201)
    ok(newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers), 201)
    assert [item["id"] for item in ok(newcomer.get("/v1/workspaces"))] == [first["id"]]
    tree = _categories(_acting_in(newcomer, container, first["id"]))
    assert len(_flatten(tree)) == SEEDED_CATEGORIES


def test_given_a_used_key_when_reused_with_another_body_then_422_and_nothing_is_created(
    newcomer,
):
    headers = {"Idempotency-Key": "create-casa-3"}
    first = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers), 201)
    body = problem(newcomer.post("/v1/workspaces", {"name": "Outra"}, headers=headers), 422)
    assert body["errors"][0]["in"] == "header"
    assert body["errors"][0]["pointer"] == "/Idempotency-Key"
    assert [item["id"] for item in ok(newcomer.get("/v1/workspaces"))] == [first["id"]]


def test_given_two_different_keys_when_creating_then_two_workspaces_exist(newcomer):
    one = ok(
        newcomer.post("/v1/workspaces", {"name": "Casa"}, headers={"Idempotency-Key": "k-1"}), 201
    )
    two = ok(
        newcomer.post("/v1/workspaces", {"name": "Casa"}, headers={"Idempotency-Key": "k-2"}), 201
    )
    assert one["id"] != two["id"]
    assert len(ok(newcomer.get("/v1/workspaces"))) == 2


def test_given_the_same_key_when_used_by_another_person_then_each_gets_their_own_workspace(
    client, container, newcomer
):
    other_id = uuid4()
    other = Actor(client, token_for(container, other_id, None), other_id, None)
    headers = {"Idempotency-Key": "shared-key"}
    mine = ok(newcomer.post("/v1/workspaces", {"name": "Casa"}, headers=headers), 201)
    theirs = other.post("/v1/workspaces", {"name": "Casa"}, headers=headers)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine["id"]


def test_given_an_overlong_idempotency_key_when_creating_then_422_and_nothing_is_created(
    newcomer,
):
    body = problem(
        newcomer.post("/v1/workspaces", {"name": "Casa"}, headers={"Idempotency-Key": "k" * 201}),
        422,
    )
    assert body["errors"][0]["pointer"] == "/Idempotency-Key"
    assert ok(newcomer.get("/v1/workspaces")) == []
