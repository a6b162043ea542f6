"""The category tree through the API: listing, creating, renaming, moving, archiving."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import func, select

from shared.db.models import Category, Transaction
from shared.domain.taxonomy import TAXONOMY
from tests.support.api import ok, problem


def _flatten(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        found[node["slug"]] = node
        found.update(_flatten(node["children"]))
    return found


def _categories(actor, **params: str) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return _flatten(ok(actor.get("/v1/categories", params=params)))


def _create(actor, **fields):  # type: ignore[no-untyped-def]
    return ok(actor.post("/v1/categories", fields), 201)


def _rows(container, model) -> int:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- listing -----------------------------------------------------------------------------------


def test_given_a_new_workspace_when_the_tree_is_read_then_it_is_the_seeded_taxonomy(owner):
    tree = ok(owner.get("/v1/categories"))

    assert [node["slug"] for node in tree] == [seed.slug for seed in TAXONOMY]
    for node, seed in zip(tree, TAXONOMY, strict=True):
        assert node["parent_id"] is None
        assert [child["slug"] for child in node["children"]] == [c.slug for c in seed.children]
        assert all(child["parent_id"] == node["id"] for child in node["children"])


def test_given_a_pt_br_workspace_when_the_tree_is_read_then_names_are_portuguese(owner):
    restaurants = _categories(owner)["restaurants"]
    assert restaurants["name"] == "Restaurantes"
    assert restaurants["labels"] == {"pt-BR": "Restaurantes", "en": "Restaurants"}
    assert restaurants["kind"] == "expense"


def test_when_a_category_is_read_by_id_then_it_matches_the_tree(owner):
    delivery = _categories(owner)["food_delivery"]
    one = ok(owner.get(f"/v1/categories/{delivery['id']}"))
    assert one == {key: value for key, value in delivery.items() if key != "children"}


def test_when_an_unknown_category_is_read_then_404(owner):
    problem(owner.get(f"/v1/categories/{uuid4()}"), 404)


def test_given_another_workspace_when_its_category_is_read_then_404(owner, new_actor):
    theirs = _categories(new_actor("Bia"))["restaurants"]
    problem(owner.get(f"/v1/categories/{theirs['id']}"), 404)


# -- creating ----------------------------------------------------------------------------------


def test_when_a_top_level_category_is_created_then_it_is_a_root_with_a_slug(owner):
    pets = _create(owner, name="Animais de Estimação")

    assert pets["parent_id"] is None
    assert pets["slug"] == "animais_de_estimacao"
    assert pets["kind"] == "expense"
    roots = ok(owner.get("/v1/categories"))
    assert roots[-1]["id"] == pets["id"]
    assert roots[-1]["children"] == []


def test_when_a_category_is_created_under_a_parent_then_it_is_listed_as_its_child(owner):
    income = _categories(owner)["income"]
    rental = _create(owner, name="Aluguéis recebidos", parent_id=income["id"])

    assert rental["parent_id"] == income["id"]
    assert rental["kind"] == "income"  # inherited from the parent
    children = _categories(owner)["income"]["children"]
    assert children[-1]["id"] == rental["id"]


def test_given_two_categories_with_the_same_name_then_their_slugs_differ(owner):
    first = _create(owner, name="Pets")
    second = _create(owner, name="Pets")
    assert (first["slug"], second["slug"]) == ("pets", "pets_2")


def test_when_a_category_is_created_with_a_taken_slug_then_409(owner, container):
    before = _rows(container, Category)
    problem(owner.post("/v1/categories", {"name": "Comida", "slug": "restaurants"}), 409)
    assert _rows(container, Category) == before


def test_given_an_idempotency_key_when_a_category_with_a_slug_is_retried_then_it_is_replayed(
    owner, container
):
    headers = {"Idempotency-Key": "category-1"}
    body = {"name": "Pets", "slug": "pets"}
    first = ok(owner.post("/v1/categories", body, headers=headers), 201)
    before = _rows(container, Category)

    second = owner.post("/v1/categories", body, headers=headers)

    assert ok(second, 201) == first
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _rows(container, Category) == before


def test_given_an_archived_parent_when_a_child_create_is_retried_then_it_is_replayed(owner):
    parent = _create(owner, name="Pets")
    headers = {"Idempotency-Key": "category-2"}
    body = {"name": "Ração", "parent_id": parent["id"]}
    first = ok(owner.post("/v1/categories", body, headers=headers), 201)
    ok(owner.patch(f"/v1/categories/{parent['id']}", {"archived": True}))

    assert ok(owner.post("/v1/categories", body, headers=headers), 201)["id"] == first["id"]


def test_when_a_category_is_created_under_an_unknown_parent_then_422(owner, container):
    before = _rows(container, Category)
    response = owner.post("/v1/categories", {"name": "Órfã", "parent_id": str(uuid4())})
    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/parent_id"]
    assert _rows(container, Category) == before


def test_given_three_levels_when_a_fourth_is_created_then_422(owner):
    delivery = _categories(owner)["food_delivery"]  # level 2
    ifood = _create(owner, name="iFood", parent_id=delivery["id"])  # level 3

    response = owner.post("/v1/categories", {"name": "iFood Mercado", "parent_id": ifood["id"]})

    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/parent_id"]


# -- renaming and moving -----------------------------------------------------------------------


def test_when_a_category_is_renamed_then_its_slug_stays(owner):
    coffee = _categories(owner)["coffee"]
    renamed = ok(owner.patch(f"/v1/categories/{coffee['id']}", {"name": "Cafeterias"}))
    assert (renamed["name"], renamed["slug"]) == ("Cafeterias", "coffee")
    assert _categories(owner)["coffee"]["name"] == "Cafeterias"


def test_when_a_category_moves_under_another_parent_then_the_tree_shows_it_there(owner):
    before = _categories(owner)
    coffee, groceries = before["coffee"], before["groceries"]

    moved = ok(owner.patch(f"/v1/categories/{coffee['id']}", {"parent_id": groceries["id"]}))

    assert moved["parent_id"] == groceries["id"]
    after = _categories(owner)
    assert "coffee" in [child["slug"] for child in after["groceries"]["children"]]
    assert "coffee" not in [child["slug"] for child in after["restaurants"]["children"]]


def test_when_a_child_moves_to_the_top_then_it_is_a_root(owner):
    coffee = _categories(owner)["coffee"]
    moved = ok(owner.patch(f"/v1/categories/{coffee['id']}", {"parent_id": None}))
    assert moved["parent_id"] is None
    assert "coffee" in [node["slug"] for node in ok(owner.get("/v1/categories"))]


def test_when_a_category_moves_under_its_own_child_then_422_and_nothing_moves(owner):
    categories = _categories(owner)
    restaurants, delivery = categories["restaurants"], categories["food_delivery"]

    response = owner.patch(f"/v1/categories/{restaurants['id']}", {"parent_id": delivery["id"]})

    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/parent_id"]
    assert _categories(owner)["restaurants"]["parent_id"] is None


def test_when_a_category_moves_under_itself_then_422(owner):
    restaurants = _categories(owner)["restaurants"]
    response = owner.patch(f"/v1/categories/{restaurants['id']}", {"parent_id": restaurants["id"]})
    problem(response, 422)


def test_when_a_subtree_moves_so_that_it_would_be_four_levels_deep_then_422(owner):
    categories = _categories(owner)
    restaurants, groceries = categories["restaurants"], categories["groceries"]
    # restaurants (1) > food_delivery (2) > ifood (3): three levels, as deep as allowed.
    _create(owner, name="iFood", parent_id=categories["food_delivery"]["id"])

    # Under groceries (1), restaurants would be level 2 and ifood level 4.
    response = owner.patch(f"/v1/categories/{restaurants['id']}", {"parent_id": groceries["id"]})

    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/parent_id"]
    assert _categories(owner)["restaurants"]["parent_id"] is None


def test_when_a_two_level_subtree_moves_under_a_top_category_then_it_is_accepted(owner):
    categories = _categories(owner)
    restaurants, groceries = categories["restaurants"], categories["groceries"]
    moved = ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"parent_id": groceries["id"]}))
    assert moved["parent_id"] == groceries["id"]
    assert _categories(owner)["food_delivery"]["parent_id"] == restaurants["id"]


def test_when_a_category_moves_under_a_third_level_category_then_422(owner):
    categories = _categories(owner)
    ifood = _create(owner, name="iFood", parent_id=categories["food_delivery"]["id"])
    response = owner.patch(f"/v1/categories/{categories['bars']['id']}", {"parent_id": ifood["id"]})
    problem(response, 422)


# -- archiving ---------------------------------------------------------------------------------


def test_when_a_parent_is_archived_then_its_children_are_archived_and_hidden(owner):
    restaurants = _categories(owner)["restaurants"]

    ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"archived": True}))

    visible = _categories(owner)
    assert not {"restaurants", "dining_out", "food_delivery", "bars", "coffee"} & set(visible)
    assert "groceries" in visible
    everything = _categories(owner, include_archived="true")
    assert everything["restaurants"]["archived"] is True
    assert [child["archived"] for child in everything["restaurants"]["children"]] == [True] * 4


def test_given_an_archived_parent_when_it_is_restored_then_its_children_return(owner):
    restaurants = _categories(owner)["restaurants"]
    ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"archived": True}))

    ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"archived": False}))

    children = _categories(owner)["restaurants"]["children"]
    assert [child["slug"] for child in children] == [
        "dining_out",
        "food_delivery",
        "bars",
        "coffee",
    ]


def test_given_an_archived_parent_when_only_a_child_is_restored_then_422(owner):
    restaurants = _categories(owner)["restaurants"]
    ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"archived": True}))
    bars = _categories(owner, include_archived="true")["bars"]

    response = owner.patch(f"/v1/categories/{bars['id']}", {"archived": False})

    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/archived"]
    assert "bars" not in [node["slug"] for node in ok(owner.get("/v1/categories"))]
    assert _categories(owner, include_archived="true")["bars"]["archived"] is True


def test_given_an_archived_category_when_a_transaction_uses_it_then_422_at_category_id(
    owner, container
):
    delivery = _categories(owner)["food_delivery"]
    ok(owner.patch(f"/v1/categories/{_categories(owner)['restaurants']['id']}", {"archived": True}))
    account = ok(owner.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)

    response = owner.post(
        "/v1/transactions",
        {
            "account_id": account["id"],
            "amount": "-39.90",
            "booked_on": "2026-03-01",
            "description": "IFD*IFOOD",
            "category_id": delivery["id"],
        },
    )

    errors = problem(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/category_id"]
    assert _rows(container, Transaction) == 0


def test_given_an_archived_parent_when_a_category_is_created_under_it_then_422(owner):
    restaurants = _categories(owner)["restaurants"]
    ok(owner.patch(f"/v1/categories/{restaurants['id']}", {"archived": True}))
    response = owner.post("/v1/categories", {"name": "Sushi", "parent_id": restaurants["id"]})
    problem(response, 422)


def test_when_a_category_name_is_patched_to_null_then_422(owner):
    coffee = _categories(owner)["coffee"]
    problem(owner.patch(f"/v1/categories/{coffee['id']}", {"name": None}), 422)
