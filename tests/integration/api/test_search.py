"""GET /v1/search on SQLite (FTS5) and PostgreSQL (full-text search), through the API, with the
index kept by the ``search`` consumer on the embedded bus."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from tests.support.api import Actor, categories_by_slug, ok, problem


class Books:
    """A workspace with an account and helpers to record, edit and search transactions."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.account = ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
        self.categories = categories_by_slug(actor)

    def record(
        self, description: str, amount: str, day: str, category: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "account_id": self.account["id"],
            "amount": amount,
            "booked_on": day,
            "description": description,
            **({"category_id": self.categories[category]} if category else {}),
            **extra,
        }
        created: dict[str, Any] = ok(self.actor.post("/v1/transactions", body), 201)
        if category is None and created["category_id"] is not None:
            created = self.edit(created, category_id=None)
        return created

    def edit(self, transaction: dict[str, Any], **changes: Any) -> dict[str, Any]:
        edited: dict[str, Any] = ok(
            self.actor.patch(
                f"/v1/transactions/{transaction['id']}",
                changes,
                headers={"If-Match": f'"{transaction["version"]}"'},
            )
        )
        return edited

    def search(self, q: str, **params: Any) -> dict[str, Any]:
        found: dict[str, Any] = ok(self.actor.get("/v1/search", params={"q": q, **params}))
        return found

    def found(self, q: str, **params: Any) -> list[str]:
        return [hit["description"] for hit in self.search(q, **params)["hits"]]


@pytest.fixture
def books(owner: Actor) -> Books:
    return Books(owner)


def test_given_a_plural_in_capitals_when_searching_the_singular_then_it_is_found(books):
    books.record("RESTAURANTES DO CENTRO", "-80.00", "2026-10-03", "restaurants")
    books.record("POSTO IPIRANGA", "-120.00", "2026-10-04")

    assert books.found("restaurante") == ["RESTAURANTES DO CENTRO"]


def test_given_accents_in_the_text_when_searching_without_them_then_it_is_found(books):
    books.record("Pão de Açúcar", "-35.90", "2026-10-05", "supermarket")

    assert books.found("acucar") == ["Pão de Açúcar"]
    assert books.found("PAO ACUCAR") == ["Pão de Açúcar"]
    assert books.found("açúcares") == ["Pão de Açúcar"]


def test_given_words_in_notes_and_tags_when_searching_them_then_the_transaction_is_found(books):
    books.record(
        "PIX ENVIADO",
        "-50.00",
        "2026-10-06",
        notes="presente de aniversário da vovó",
        tags=["viagem-nordeste"],
    )
    books.record("PIX RECEBIDO", "50.00", "2026-10-06")

    assert books.found("aniversario vovo") == ["PIX ENVIADO"]
    assert books.found("nordeste") == ["PIX ENVIADO"]
    assert books.found("viagem") == ["PIX ENVIADO"]


def test_given_every_word_must_match_when_one_is_missing_then_nothing_is_found(books):
    books.record("FARMACIA SAO JOAO", "-20.00", "2026-10-07")

    assert books.found("farmácias joão") == ["FARMACIA SAO JOAO"]
    assert books.found("farmacia padaria") == []


def test_given_an_edit_a_recategorisation_and_a_delete_then_search_follows(books):
    created = books.record("PADARIA BELA VISTA", "-12.00", "2026-10-08", "bakery")
    assert books.found("padaria") == ["PADARIA BELA VISTA"]

    edited = books.edit(created, description="MERCEARIA BELA VISTA", notes="pão francês")
    assert books.found("padaria") == []
    assert books.found("mercearia") == ["MERCEARIA BELA VISTA"]
    assert books.found("frances") == ["MERCEARIA BELA VISTA"]

    recategorised = books.edit(edited, category_id=books.categories["supermarket"])
    hits = books.search("mercearia")
    assert [hit["category_id"] for hit in hits["hits"]] == [books.categories["supermarket"]]
    assert [b["key"] for b in hits["facets"]["categories"]] == [books.categories["supermarket"]]

    ok(
        books.actor.delete(
            f"/v1/transactions/{recategorised['id']}",
            headers={"If-Match": f'"{recategorised["version"]}"'},
        ),
        204,
    )
    assert books.search("mercearia")["total"] == 0


def test_given_a_known_set_when_searching_then_facets_and_metrics_add_up(books):
    books.record("UBER VIAGEM CENTRO", "-25.50", "2026-09-30", "ride_hailing")
    books.record("UBER VIAGEM AEROPORTO", "-74.50", "2026-10-02", "ride_hailing")
    books.record("UBER REEMBOLSO VIAGEM", "10.00", "2026-10-03", "ride_hailing")
    books.record("UBER SALARIO MOTORISTA VIAGEM", "1000.00", "2026-10-04", "salary")
    books.record("UBER TRANSFERENCIA VIAGEM", "-300.00", "2026-10-05", "own_accounts")
    books.record("UBER VIAGEM SEM CATEGORIA", "-5.00", "2026-10-06")
    books.record("OUTRA COISA", "-999.00", "2026-10-06", "ride_hailing")

    result = books.search("uber viagem")

    assert result["total"] == 6
    categories = {bucket["key"]: bucket for bucket in result["facets"]["categories"]}
    ride = categories[books.categories["ride_hailing"]]
    assert (ride["count"], ride["credits"], ride["debits"]) == (3, 1, 2)
    assert (ride["inflow"], ride["outflow"]) == ("10.00", "-100.00")
    assert categories[None]["count"] == 1
    months = {bucket["key"]: bucket["count"] for bucket in result["facets"]["months"]}
    assert months == {"2026-09": 1, "2026-10": 5}
    [account] = result["facets"]["accounts"]
    assert (account["key"], account["count"]) == (books.account["id"], 6)
    [metrics] = result["metrics"]
    # Income: the salary; expenses: rides net of the refund, plus the uncategorised debit;
    # the transfer between own accounts is neither.
    assert metrics == {
        "currency": "BRL",
        "income": "1000.00",
        "expenses": "95.00",
        "net": "905.00",
        "transactions": 5,
    }


def test_given_filters_and_pages_when_searching_then_hits_are_narrowed_and_newest_first(books):
    for day in ("2026-10-01", "2026-10-02", "2026-10-03", "2026-11-01"):
        books.record(f"IFOOD PEDIDO {day}", "-30.00", day, "food_delivery")
    books.record("IFOOD MERCADO", "-30.00", "2026-10-04", "supermarket")

    first = books.search("ifood", limit=2)
    assert first["total"] == 5
    assert [hit["booked_on"] for hit in first["hits"]] == ["2026-11-01", "2026-10-04"]
    assert first["next_offset"] == 2
    last = books.search("ifood", limit=2, offset=4)
    assert [hit["booked_on"] for hit in last["hits"]] == ["2026-10-01"]
    assert last["next_offset"] is None

    october = books.search("ifood", date_from="2026-10-02", date_to="2026-10-31")
    assert october["total"] == 3
    food = books.search("ifood", category_id=books.categories["supermarket"])
    assert [hit["description"] for hit in food["hits"]] == ["IFOOD MERCADO"]
    # A parent category takes its children: delivery is under restaurants.
    assert books.search("ifood", category_id=books.categories["restaurants"])["total"] == 4
    assert books.search("ifood", account_id=books.account["id"])["total"] == 5

    ranked = books.search("ifood pedido", order="rank")
    assert ranked["total"] == 4
    assert all(hit["score"] is not None for hit in ranked["hits"])


def test_given_another_workspace_when_searching_then_its_transactions_never_appear(
    new_actor,
):
    ana, bruno = Books(new_actor("Ana")), Books(new_actor("Bruno"))
    bruno.record("RESTAURANTE SEGREDO DO BRUNO", "-99.00", "2026-10-01", "restaurants")
    ana.record("RESTAURANTE DA ANA", "-10.00", "2026-10-01", "restaurants")

    result = ana.search("restaurante")
    assert [hit["description"] for hit in result["hits"]] == ["RESTAURANTE DA ANA"]
    assert "BRUNO" not in str(result)
    assert ana.search("segredo")["total"] == 0
    assert ana.search("restaurante", account_id=bruno.account["id"])["total"] == 0


def test_given_a_viewer_when_searching_then_it_may(books, client, container):
    from shared.domain.access import Role
    from tests.support.api import token_for

    books.record("PADARIA", "-5.00", "2026-10-01")
    viewer = Actor(
        client,
        token_for(container, books.actor.user_id, books.actor.tenant_id, Role.VIEWER),
        books.actor.user_id,
        books.actor.tenant_id,
    )
    assert ok(viewer.get("/v1/search", params={"q": "padaria"}))["total"] == 1


LONG = "a" * 10_000

BAD_QUERIES = {
    "missing": None,
    "empty": "",
    "whitespace": "   \t ",
    "too long": LONG,
    "201 characters": "b" * 201,
    "NUL": "padaria\x00",
    "control character": "padaria\x07",
    "invalid UTF-8 (a lone surrogate's bytes)": "padaria%ED%A0%80",
    "only punctuation and operators": "& | ! ( ) : * < -> '",
    "only emoji": "🍕🍔",
    "only a right-to-left mark": "\u200f",
    "only stop words": "de da para",
}


@pytest.mark.parametrize("q", BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_given_bad_search_text_when_searching_then_422_pointing_at_q(books, q):
    if q is None:
        response = books.actor.get("/v1/search")
    elif "%" in q:
        # Sent raw: the bytes of a UTF-16 surrogate, which is not UTF-8.
        response = books.actor.get(f"/v1/search?q={q}")
    else:
        response = books.actor.get("/v1/search", params={"q": q})

    body = problem(response, 422)
    assert {(error["in"], error["pointer"]) for error in body["errors"]} == {("query", "/q")}


SYNTAX = {
    # text → how many of the one transaction it finds, read as plain words
    "tsquery operators": ("padaria & !(pão | bolo)", 1),
    "prefix": ("padaria:* pão:*", 1),
    "phrase operator": ("padaria <-> pão", 1),
    "quotes": ("'padaria' \"pão\"", 1),
    "FTS5 syntax": ('padaria NEAR(pão) OR bolo* -x AND "', 0),
    "SQL": ("padaria'; DROP TABLE transactions; --", 0),
    "emoji around words": ("🍞 padaria 🥖", 1),
    "right-to-left words": ("מאפייה padaria مخبز", 0),
    "bidi override around a word": ("\u202epadaria\u202c", 1),
    "backslashes": ("padaria\\ \\\\ \\'", 1),
}


@pytest.mark.parametrize(("q", "expected"), SYNTAX.values(), ids=SYNTAX.keys())
def test_given_query_syntax_when_searching_then_it_is_plain_words_and_never_a_500(
    books, q, expected
):
    books.record("PADARIA PAO QUENTE", "-5.00", "2026-10-01", notes="bolo")

    assert books.search(q)["total"] == expected


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": 0}, "/limit"),
        ({"limit": 101}, "/limit"),
        ({"offset": -1}, "/offset"),
        ({"order": "price"}, "/order"),
        ({"date_from": "2026-10-31", "date_to": "2026-10-01"}, "/date_to"),
        ({"account_id": "not-a-uuid"}, "/account_id/0"),
    ],
)
def test_given_bad_parameters_when_searching_then_422_pointing_at_them(books, params, pointer):
    body = problem(books.actor.get("/v1/search", params={"q": "padaria", **params}), 422)
    assert pointer in {error["pointer"] for error in body["errors"]}


def test_given_an_import_when_searching_then_its_transactions_are_found(books, container):
    statement = (
        "date,title,amount\n"
        "2026-10-02,Restaurantes Fogo de Chão,-150.00\n"
        "2026-10-03,Açougue Boi Gordo,-80.00\n"
    ).encode()
    response = books.actor.post(
        "/v1/imports",
        files={"file": ("extrato.csv", statement, "text/csv")},
        data={"account_id": books.account["id"]},
    )
    assert response.status_code in (200, 201, 202), response.text

    assert books.found("restaurante") == ["Restaurantes Fogo de Chão"]
    assert books.found("acougue") == ["Açougue Boi Gordo"]


def test_given_a_stale_index_when_reindexed_then_it_matches_the_transactions(books, container):
    created = books.record("LIVRARIA CULTURA", "-60.00", "2026-10-01")
    tenant_id = UUID(str(books.actor.tenant_id))
    with container.unit_of_work(tenant_id, None) as uow:
        container.search_index.clear(uow.session, tenant_id)
        uow.commit()
    assert books.search("livraria")["total"] == 0

    assert container.search.reindex(tenant_id) == 1

    [hit] = books.search("livrarias")["hits"]
    assert hit["id"] == created["id"]
    assert Decimal(hit["amount"]) == Decimal("-60.00")
