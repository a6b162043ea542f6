"""Tags through the API: CRUD, unique names, tagging transactions."""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy import func, select

from shared.db.models import OutboxEvent, Tag, TransactionTag
from tests.support.api import ok, problem


def _rows(container, model) -> int:  # type: ignore[no-untyped-def]
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _tag(actor, name: str, color: str | None = None):  # type: ignore[no-untyped-def]
    return ok(actor.post("/v1/tags", {"name": name, "color": color}), 201)


def _transaction(actor, tags: list[str]):  # type: ignore[no-untyped-def]
    account = ok(actor.post("/v1/accounts", {"name": "Nubank", "kind": "checking"}), 201)
    body = {
        "account_id": account["id"],
        "amount": "-89.90",
        "booked_on": "2026-04-10",
        "description": "OUTBACK STEAKHOUSE",
        "tags": tags,
    }
    return ok(actor.post("/v1/transactions", body), 201)


def test_when_a_tag_is_created_then_it_is_listed(owner):
    tag = _tag(owner, "viagem", "#1E90FF")
    assert tag["name"] == "viagem"
    assert tag["color"] == "#1E90FF"
    assert ok(owner.get("/v1/tags")) == [tag]


def test_given_tags_when_listed_then_they_are_sorted_by_name(owner):
    for name in ("viagem", "casa", "jantar"):
        _tag(owner, name)
    assert [tag["name"] for tag in ok(owner.get("/v1/tags"))] == ["casa", "jantar", "viagem"]


def test_when_a_tag_is_created_with_surrounding_spaces_then_they_are_stripped(owner):
    assert _tag(owner, "  férias  ")["name"] == "férias"


def test_when_a_tag_with_an_existing_name_is_created_then_409_and_one_tag(owner, container):
    _tag(owner, "viagem")
    problem(owner.post("/v1/tags", {"name": "viagem"}), 409)
    assert _rows(container, Tag) == 1


def test_given_an_idempotency_key_when_a_tag_is_retried_then_it_is_replayed_not_409(
    owner, container
):
    headers = {"Idempotency-Key": "tag-1"}
    first = ok(owner.post("/v1/tags", {"name": "viagem"}, headers=headers), 201)

    second = owner.post("/v1/tags", {"name": "viagem"}, headers=headers)

    assert ok(second, 201) == first
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _rows(container, Tag) == 1


def test_given_another_workspace_with_the_tag_when_created_here_then_it_is_allowed(
    owner, new_actor
):
    _tag(new_actor("Bia"), "viagem")
    assert _tag(owner, "viagem")["name"] == "viagem"
    assert len(ok(owner.get("/v1/tags"))) == 1


def test_when_a_tag_is_created_with_a_bad_color_then_422(owner, container):
    errors = problem(owner.post("/v1/tags", {"name": "x", "color": "blue"}), 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/color"]
    assert _rows(container, Tag) == 0


def test_when_a_tag_is_renamed_and_recoloured_then_the_change_is_listed(owner):
    tag = _tag(owner, "viagem")
    changed = ok(owner.patch(f"/v1/tags/{tag['id']}", {"name": "viagens", "color": "#00AA00"}))
    assert changed == {"id": tag["id"], "name": "viagens", "color": "#00AA00"}
    assert ok(owner.get("/v1/tags")) == [changed]


def test_when_a_tag_color_is_cleared_then_it_is_null(owner):
    tag = _tag(owner, "viagem", "#00AA00")
    assert ok(owner.patch(f"/v1/tags/{tag['id']}", {"color": None}))["color"] is None


def test_when_a_tag_is_renamed_to_another_tags_name_then_409(owner):
    _tag(owner, "casa")
    viagem = _tag(owner, "viagem")
    problem(owner.patch(f"/v1/tags/{viagem['id']}", {"name": "casa"}), 409)
    assert sorted(tag["name"] for tag in ok(owner.get("/v1/tags"))) == ["casa", "viagem"]


def test_when_a_tag_is_renamed_to_its_own_name_then_ok(owner):
    tag = _tag(owner, "casa")
    assert ok(owner.patch(f"/v1/tags/{tag['id']}", {"name": "casa"}))["name"] == "casa"


def test_when_a_tag_is_deleted_then_it_is_gone(owner, container):
    tag = _tag(owner, "viagem")
    ok(owner.delete(f"/v1/tags/{tag['id']}"), 204)
    assert ok(owner.get("/v1/tags")) == []
    assert _rows(container, Tag) == 0


def test_when_an_unknown_tag_is_deleted_then_404(owner):
    problem(owner.delete(f"/v1/tags/{uuid4()}"), 404)


def test_given_another_workspace_when_its_tag_is_changed_or_deleted_then_404(owner, new_actor):
    theirs = _tag(new_actor("Bia"), "viagem")
    problem(owner.patch(f"/v1/tags/{theirs['id']}", {"name": "minha"}), 404)
    problem(owner.delete(f"/v1/tags/{theirs['id']}"), 404)


def test_when_a_transaction_is_tagged_with_new_names_then_the_tags_are_created(owner, container):
    created = _transaction(owner, ["jantar", "aniversário"])

    assert created["tags"] == ["aniversário", "jantar"]
    assert sorted(tag["name"] for tag in ok(owner.get("/v1/tags"))) == ["aniversário", "jantar"]
    assert _rows(container, TransactionTag) == 2


def test_when_a_transaction_is_tagged_with_an_existing_tag_then_it_is_reused(owner, container):
    existing = _tag(owner, "jantar", "#FF0000")
    _transaction(owner, ["jantar"])
    assert ok(owner.get("/v1/tags")) == [existing]
    assert _rows(container, Tag) == 1


def test_when_a_transaction_repeats_a_tag_then_it_is_tagged_once(owner, container):
    created = _transaction(owner, ["jantar", "jantar", " jantar "])
    assert created["tags"] == ["jantar"]
    assert _rows(container, TransactionTag) == 1


def test_given_a_tagged_transaction_when_the_tag_is_deleted_then_the_transaction_loses_it(
    owner, container
):
    created = _transaction(owner, ["jantar", "viagem"])
    viagem = next(tag for tag in ok(owner.get("/v1/tags")) if tag["name"] == "viagem")

    ok(owner.delete(f"/v1/tags/{viagem['id']}"), 204)

    after = ok(owner.get(f"/v1/transactions/{created['id']}"))
    assert after["tags"] == ["jantar"]
    assert after["version"] == created["version"] + 1
    assert _updated_events(container, created["id"]) == [
        {"tags": {"from": ["jantar", "viagem"], "to": ["jantar"]}}
    ]
    assert ok(owner.get("/v1/transactions", params={"tag": "viagem"}))["items"] == []
    assert _rows(container, TransactionTag) == 1


def test_given_a_tagged_transaction_when_the_tag_is_renamed_then_the_transaction_shows_it(
    owner, container
):
    created = _transaction(owner, ["jantar"])
    jantar = ok(owner.get("/v1/tags"))[0]
    ok(owner.patch(f"/v1/tags/{jantar['id']}", {"name": "jantares"}))
    after = ok(owner.get(f"/v1/transactions/{created['id']}"))
    assert after["tags"] == ["jantares"]
    assert after["version"] == created["version"] + 1
    assert _updated_events(container, created["id"]) == [
        {"tags": {"from": ["jantar"], "to": ["jantares"]}}
    ]


def test_given_a_tagged_transaction_when_only_the_colour_changes_then_it_keeps_its_version(
    owner, container
):
    created = _transaction(owner, ["jantar"])
    jantar = ok(owner.get("/v1/tags"))[0]
    ok(owner.patch(f"/v1/tags/{jantar['id']}", {"color": "#00aa00"}))
    assert ok(owner.get(f"/v1/transactions/{created['id']}"))["version"] == created["version"]
    assert _updated_events(container, created["id"]) == []


def _updated_events(container, transaction_id):
    with container.db.admin_session() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(
                OutboxEvent.aggregate_id == UUID(transaction_id),
                OutboxEvent.type == "TransactionUpdated",
            )
            .order_by(OutboxEvent.version)
        ).all()
        return [row.envelope["data"]["changes"] for row in rows]
