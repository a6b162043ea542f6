"""Listing transactions: every filter, the sort orders, and cursor pagination.

Thirty transactions are seeded through the API; each test compares what the API returns with
what the same filter computes in Python over the seeded rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.bootstrap import Container
from shared.domain.access import Principal, Role
from shared.domain.pagination import Cursor
from shared.domain.transactions import TransactionStatus
from shared.services.access import Caller
from shared.services.transactions import NewTransaction
from tests.support.api import Actor, ok, problem

Row = dict[str, Any]

# account | booked_on | amount | description | merchant | notes | category | tags | type | status
SEED_TABLE = """
nubank | 2026-01-03 | -42.50   | IFD*IFOOD            | iFood      |                          | food_delivery | jantar         | CARTAO          | booked
nubank | 2026-01-03 | -42.50   | IFD*RAPPI            | Rappi      |                          | food_delivery |                | CARTAO          | booked
nubank | 2026-01-05 | -18.00   | AÇAÍ DO PARÁ         |            |                          | restaurants   |                | PIX             | booked
nubank | 2026-01-07 | -25.90   | PAG*LANCHONETE       | Açaí Mania |                          | coffee        |                | CARTAO          | booked
nubank | 2026-01-10 | 5000.00  | SALARIO EMPRESA X    |            |                          | salary        | trabalho       | FOLHA_PAGAMENTO | booked
nubank | 2026-01-12 | -150.00  | PIX ENVIADO JOAO     |            | comprei açaí na praia    |               |                | PIX             | booked
nubank | 2026-01-15 | -89.90   | RESTAURANTE SABOR    | Sabor      |                          | dining_out    | jantar,viagem  | CARTAO          | booked
nubank | 2026-01-15 | -10.00   | PADARIA PÃO QUENTE   | Pão Quente |                          | bakery        |                | DEBITO          | booked
nubank | 2026-01-20 | -250.00  | POSTO SHELL          |            |                          | fuel          | viagem         | CARTAO          | pending
nubank | 2026-01-31 | -10.00   | TARIFA PACOTE        |            |                          | bank_fees     |                | TARIFA          | booked
itau   | 2026-02-01 | -1200.00 | ALUGUEL FEVEREIRO    |            |                          | rent          |                | BOLETO          | booked
itau   | 2026-02-01 | -10.00   | PADARIA DO BAIRRO    |            | pão e leite              | bakery        |                | PIX             | booked
itau   | 2026-02-03 | -42.50   | IFD*IFOOD            | iFood      |                          | food_delivery |                | CARTAO          | pending
itau   | 2026-02-05 | -320.45  | SUPERMERCADO DIA     |            |                          | supermarket   |                | DEBITO          | booked
itau   | 2026-02-10 | 100.00   | PIX RECEBIDO MARIA   |            |                          |               |                | PIX             | booked
itau   | 2026-02-10 | -100.00  | TED ENVIADA          |            |                          | transfer_sent |                | TED             | booked
itau   | 2026-02-14 | -230.00  | RESTAURANTE DOM      | Dom        | aniversário de casamento | dining_out    | jantar         | CARTAO          | booked
itau   | 2026-02-20 | -59.90   | NETFLIX.COM          | Netflix    |                          | streaming     |                | CARTAO          | booked
itau   | 2026-02-25 | -0.01    | IOF COMPRA EXTERIOR  |            |                          | iof           | viagem         | TARIFA          | booked
itau   | 2026-02-28 | -75.00   | LOJA 50% OFF         |            |                          |               |                |                 | booked
inter  | 2026-03-01 | -42.50   | BAR DO ZÉ            |            |                          | bars          |                | PIX             | booked
inter  | 2026-03-02 | -18.00   | UBER *TRIP           | Uber       |                          | ride_hailing  | trabalho       | CARTAO          | booked
inter  | 2026-03-02 | -18.00   | 99 *POP              | 99         |                          | ride_hailing  |                | CARTAO          | booked
inter  | 2026-03-05 | 1500.00  | FREELA SITE          |            | nota fiscal 123          | freelance     | trabalho       | PIX             | booked
inter  | 2026-03-08 | -64.00   | FARMACIA PAGUE MENOS |            |                          | pharmacy      |                | DEBITO          | pending
inter  | 2026-03-10 | -999.99  | PASSAGEM AEREA GOL   | Gol        |                          | flights       | viagem         | CARTAO          | booked
inter  | 2026-03-15 | -42.50   | CAFE COM AÇAÍ        |            |                          |               |                | PIX             | booked
inter  | 2026-03-20 | -5.00    | ESTACIONAMENTO       |            |                          | parking_tolls |                | OUTROS          | booked
inter  | 2026-03-31 | -10.00   | BOLETO LUZ           |            |                          | electricity   |                | BOLETO          | booked
inter  | 2026-03-31 | 2.50     | CASHBACK             |            |                          |               |                |                 | booked
"""  # noqa: E501


def _seed_rows() -> list[list[str | None]]:
    rows = []
    for line in SEED_TABLE.strip().splitlines():
        rows.append([cell.strip() or None for cell in line.split("|")])
    return rows


SEED = _seed_rows()

SORTS = ("-booked_on", "booked_on", "-amount", "amount")


@dataclass
class Book:
    actor: Actor
    accounts: dict[str, str]
    categories: dict[str, str]
    children: dict[str, list[str]]
    rows: list[Row]

    def where(self, keep: Callable[[Row], bool]) -> set[str]:
        return {row["id"] for row in self.rows if keep(row)}

    def category(self, slug: str) -> str:
        return self.categories[slug]


@pytest.fixture
def book(owner: Actor, container: Container) -> Book:
    accounts = {
        key: ok(owner.post("/v1/accounts", {"name": name, "kind": "checking"}), 201)["id"]
        for key, name in (("nubank", "Nubank"), ("itau", "Itaú"), ("inter", "Inter"))
    }
    categories: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    for node in ok(owner.get("/v1/categories")):
        categories[node["slug"]] = node["id"]
        children[node["id"]] = [child["id"] for child in node["children"]]
        for child in node["children"]:
            categories[child["slug"]] = child["id"]
    # One unit of work for the thirty (the bulk path loaders use): seeding through thirty POSTs
    # would dominate the run on PostgreSQL. What the API reads back is what the tests compare.
    tenant_id = UUID(str(owner.tenant_id))
    caller = Caller(Principal(owner.user_id, tenant_id, frozenset({Role.OWNER})), tenant_id)
    specs = [
        NewTransaction(
            account_id=UUID(accounts[account]),
            booked_on=date.fromisoformat(day),
            amount=Decimal(amount),
            description=description,
            merchant=merchant,
            notes=notes,
            category_id=UUID(categories[slug]) if slug else None,
            tags=tuple(tags.split(",")) if tags else (),
            type=kind,
            status=TransactionStatus(status),
        )
        for account, day, amount, description, merchant, notes, slug, tags, kind, status in SEED
    ]
    ids = container.transactions.create_many(caller, specs)
    listed = {row["id"]: row for row in ok(owner.get("/v1/transactions?limit=500"))["items"]}
    rows = [listed[str(transaction_id)] for transaction_id in ids]
    return Book(owner, accounts, categories, children, rows)


def _ids(actor: Actor, **params: Any) -> set[str]:
    page = ok(actor.get("/v1/transactions", params={"limit": 500, **params}))
    assert page["next_cursor"] is None
    ids = [item["id"] for item in page["items"]]
    assert len(ids) == len(set(ids))
    return set(ids)


def _day(row: Row) -> date:
    return date.fromisoformat(row["booked_on"])


def _amount(row: Row) -> Decimal:
    return Decimal(row["amount"])


def _expected_order(rows: list[Row], sort: str) -> list[str]:
    field = sort.lstrip("-")
    key = (
        (lambda row: (_day(row), UUID(row["id"])))
        if field == "booked_on"
        else (lambda row: (_amount(row), UUID(row["id"])))
    )
    return [row["id"] for row in sorted(rows, key=key, reverse=sort.startswith("-"))]


def _walk(actor: Actor, limit: int, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = ok(actor.get("/v1/transactions", params=query))
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= 100, "pagination does not end"


# -- the seed itself ---------------------------------------------------------------------------


def test_given_thirty_transactions_when_listed_without_filters_then_all_are_returned(book):
    assert len(book.rows) == 30
    assert _ids(book.actor) == {row["id"] for row in book.rows}


def test_given_no_sort_when_listed_then_the_newest_come_first(book):
    page = ok(book.actor.get("/v1/transactions", params={"limit": 500}))
    assert [item["id"] for item in page["items"]] == _expected_order(book.rows, "-booked_on")


# -- filters -----------------------------------------------------------------------------------


def test_when_filtered_by_a_date_range_then_both_ends_are_included(book):
    found = _ids(book.actor, date_from="2026-01-15", date_to="2026-02-01")
    expected = book.where(lambda row: date(2026, 1, 15) <= _day(row) <= date(2026, 2, 1))
    assert found == expected
    assert len(expected) == 6


def test_when_filtered_by_date_from_only_then_later_ones_are_returned(book):
    found = _ids(book.actor, date_from="2026-03-10")
    assert found == book.where(lambda row: _day(row) >= date(2026, 3, 10))


def test_when_filtered_by_two_accounts_then_the_third_is_left_out(book):
    wanted = [book.accounts["nubank"], book.accounts["inter"]]
    found = _ids(book.actor, account_id=wanted)
    assert found == book.where(lambda row: row["account_id"] in wanted)
    assert len(found) == 20


def test_when_filtered_by_a_top_category_then_its_children_are_included(book):
    restaurants = book.category("restaurants")
    family = {restaurants, *book.children[restaurants]}

    found = _ids(book.actor, category_id=restaurants)

    assert found == book.where(lambda row: row["category_id"] in family)
    delivery = book.category("food_delivery")
    assert {row["id"] for row in book.rows if row["category_id"] == delivery} <= found
    assert len(found) == 8


def test_when_filtered_by_a_child_category_then_only_it_is_returned(book):
    delivery = book.category("food_delivery")
    assert _ids(book.actor, category_id=delivery) == book.where(
        lambda row: row["category_id"] == delivery
    )


def test_when_filtered_by_two_categories_then_either_matches(book):
    wanted = [book.category("bakery"), book.category("rent")]
    found = _ids(book.actor, category_id=wanted)
    assert found == book.where(lambda row: row["category_id"] in wanted)
    assert len(found) == 3


def test_when_filtered_by_an_unknown_category_then_nothing_is_returned(book):
    assert _ids(book.actor, category_id=str(uuid4())) == set()


def test_when_filtered_as_uncategorized_then_only_those_without_category_return(book):
    found = _ids(book.actor, uncategorized="true")
    assert found == book.where(lambda row: row["category_id"] is None)
    assert len(found) == 5


def test_when_filtered_by_an_amount_range_then_both_bounds_are_included(book):
    found = _ids(book.actor, amount_min="-100.00", amount_max="-10")
    expected = book.where(lambda row: Decimal(-100) <= _amount(row) <= Decimal(-10))
    assert found == expected
    assert {_amount(row) for row in book.rows if row["id"] in found} >= {
        Decimal("-100.00"),
        Decimal("-10.00"),
    }


def test_when_filtered_by_a_minimum_amount_then_only_credits_above_it_return(book):
    found = _ids(book.actor, amount_min="2.50")
    assert found == book.where(lambda row: _amount(row) >= Decimal("2.50"))
    assert len(found) == 4


def test_when_filtered_by_a_tiny_maximum_then_cents_count(book):
    found = _ids(book.actor, amount_min="-0.01", amount_max="-0.01")
    assert found == book.where(lambda row: row["amount"] == "-0.01")
    assert len(found) == 1


def test_when_filtered_by_type_then_only_that_type_returns(book):
    found = _ids(book.actor, type="PIX")
    assert found == book.where(lambda row: row["type"] == "PIX")
    assert len(found) == 7


def test_when_filtered_by_two_types_then_either_matches(book):
    found = _ids(book.actor, type=["BOLETO", "TED"])
    assert found == book.where(lambda row: row["type"] in {"BOLETO", "TED"})
    assert len(found) == 3


def test_when_filtered_by_an_unknown_type_then_422(book):
    problem(book.actor.get("/v1/transactions", params={"type": "BITCOIN"}), 422)


def test_when_filtered_by_a_tag_then_only_tagged_ones_return(book):
    found = _ids(book.actor, tag="viagem")
    assert found == book.where(lambda row: "viagem" in row["tags"])
    assert len(found) == 4


def test_when_filtered_by_two_tags_then_either_matches(book):
    found = _ids(book.actor, tag=["viagem", "trabalho"])
    assert found == book.where(lambda row: {"viagem", "trabalho"} & set(row["tags"]))
    assert len(found) == 7


def test_when_filtered_by_status_then_only_pending_ones_return(book):
    found = _ids(book.actor, status="pending")
    assert found == book.where(lambda row: row["status"] == "pending")
    assert len(found) == 3


def test_when_several_filters_combine_then_all_must_hold(book):
    found = _ids(
        book.actor,
        account_id=book.accounts["nubank"],
        type="CARTAO",
        amount_max="-40",
        date_to="2026-01-15",
    )
    expected = book.where(
        lambda row: (
            row["account_id"] == book.accounts["nubank"]
            and row["type"] == "CARTAO"
            and _amount(row) <= -40
            and _day(row) <= date(2026, 1, 15)
        )
    )
    assert found == expected
    assert len(expected) == 3


# -- free text ---------------------------------------------------------------------------------


def _text(row: Row) -> str:
    return " ".join(filter(None, (row["description"], row["merchant"], row["notes"]))).lower()


def test_when_searching_lower_case_then_upper_case_descriptions_match(book):
    found = _ids(book.actor, q="padaria")
    assert found == book.where(lambda row: "padaria" in _text(row))
    assert len(found) == 2


def test_when_searching_upper_case_then_lower_case_text_matches(book):
    assert _ids(book.actor, q="NETFLIX") == book.where(lambda row: "netflix" in _text(row))
    assert _ids(book.actor, q="ANIVERSÁRIO") == book.where(lambda row: "aniversário" in _text(row))


def test_when_searching_accented_text_then_description_merchant_and_notes_match(book):
    found = _ids(book.actor, q="açaí")
    descriptions = {row["description"] for row in book.rows if row["id"] in found}
    # "AÇAÍ DO PARÁ" and "CAFE COM AÇAÍ" by description, "Açaí Mania" by merchant,
    # "comprei açaí na praia" by notes.
    assert descriptions == {
        "AÇAÍ DO PARÁ",
        "CAFE COM AÇAÍ",
        "PAG*LANCHONETE",
        "PIX ENVIADO JOAO",
    }


def test_when_searching_upper_case_accented_text_then_lower_case_notes_match(book):
    found = _ids(book.actor, q="AÇAÍ PRAIA")
    assert {row["description"] for row in book.rows if row["id"] in found} == {"PIX ENVIADO JOAO"}


def test_when_searching_several_words_then_all_must_appear(book):
    found = _ids(book.actor, q="padaria quente")
    assert {row["description"] for row in book.rows if row["id"] in found} == {"PADARIA PÃO QUENTE"}


def test_when_searching_the_merchant_then_it_matches(book):
    found = _ids(book.actor, q="ifood")
    assert found == book.where(lambda row: "ifood" in _text(row))
    assert len(found) == 2


def test_when_searching_a_percent_sign_then_it_is_literal_not_a_wildcard(book):
    found = _ids(book.actor, q="50%")
    assert {row["description"] for row in book.rows if row["id"] in found} == {"LOJA 50% OFF"}
    assert _ids(book.actor, q="%") == found
    assert _ids(book.actor, q="_") == set()


def test_when_searching_text_that_is_nowhere_then_nothing_returns(book):
    assert _ids(book.actor, q="inexistente") == set()


def test_when_searching_more_than_200_characters_then_422(book):
    problem(book.actor.get("/v1/transactions", params={"q": "a" * 201}), 422)


# -- sorting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_when_sorted_then_ties_are_broken_by_id_in_the_same_direction(book, sort):
    page = ok(book.actor.get("/v1/transactions", params={"sort": sort, "limit": 500}))
    assert [item["id"] for item in page["items"]] == _expected_order(book.rows, sort)


def test_given_equal_amounts_when_sorted_by_amount_then_the_tied_rows_are_adjacent(book):
    page = ok(book.actor.get("/v1/transactions", params={"sort": "amount", "limit": 500}))
    amounts = [item["amount"] for item in page["items"]]
    assert amounts == sorted(amounts, key=Decimal)
    tied = [index for index, amount in enumerate(amounts) if amount == "-42.50"]
    assert tied == list(range(tied[0], tied[0] + 5))


def test_when_sorted_by_an_unknown_field_then_422(book):
    problem(book.actor.get("/v1/transactions", params={"sort": "description"}), 422)


# -- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_when_walking_pages_of_seven_then_every_item_comes_exactly_once_in_order(book, sort):
    pages = _walk(book.actor, 7, sort=sort)

    assert [len(page) for page in pages] == [7, 7, 7, 7, 2]
    assert [item for page in pages for item in page] == _expected_order(book.rows, sort)


@pytest.mark.parametrize("sort", ["-booked_on", "amount"])
def test_when_walking_filtered_pages_then_the_filter_holds_on_every_page(book, sort):
    pages = _walk(book.actor, 3, sort=sort, type="CARTAO")
    expected_rows = [row for row in book.rows if row["type"] == "CARTAO"]
    assert [item for page in pages for item in page] == _expected_order(expected_rows, sort)
    assert all(len(page) == 3 for page in pages[:-1])


def test_given_an_exact_multiple_of_the_limit_then_the_last_full_page_has_no_cursor(book):
    pages = _walk(book.actor, 10)
    assert [len(page) for page in pages] == [10, 10, 10]


def test_given_a_cursor_when_a_row_is_added_before_it_then_the_walk_neither_repeats_nor_skips(
    book,
):
    first = ok(book.actor.get("/v1/transactions", params={"limit": 7}))
    earlier = {
        "account_id": book.accounts["nubank"],
        "booked_on": "2026-03-31",  # among the first page in date-descending order
        "amount": "-1.00",
        "description": "INSERIDA DEPOIS",
    }
    ok(book.actor.post("/v1/transactions", earlier), 201)
    rest = _walk(book.actor, 7, cursor=first["next_cursor"])
    seen = [item["id"] for item in first["items"]] + [item for page in rest for item in page]
    assert len(seen) == len(set(seen))
    assert set(seen) == {row["id"] for row in book.rows}


def test_when_a_cursor_from_another_sort_is_used_then_422(book):
    cursor = ok(book.actor.get("/v1/transactions", params={"limit": 7, "sort": "amount"}))[
        "next_cursor"
    ]
    response = book.actor.get(
        "/v1/transactions", params={"limit": 7, "sort": "-booked_on", "cursor": cursor}
    )
    errors = problem(response, 422)["errors"]
    assert [(error["in"], error["pointer"]) for error in errors] == [("query", "/cursor")]


@pytest.mark.parametrize("cursor", ["garbage", "%%%", "eyJzIjoiYW1vdW50In0", "a" * 500])
def test_when_a_garbage_cursor_is_used_then_422(book, cursor):
    response = book.actor.get("/v1/transactions", params={"sort": "amount", "cursor": cursor})
    problem(response, 422)


def _forged(sort: str, value: str) -> str:
    return Cursor(sort=sort, value=value, id=uuid4()).encode()


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("amount", "not-a-number"),
        ("amount", "NaN"),
        ("amount", "Infinity"),
        ("amount", "1E+999999"),
        ("amount", "0.000001"),
        ("-booked_on", "yesterday"),
        ("booked_on", "2026-02-30"),
    ],
)
def test_when_a_cursor_is_tampered_with_then_422_not_500(book, sort, value):
    response = book.actor.get(
        "/v1/transactions", params={"sort": sort, "cursor": _forged(sort, value)}
    )
    problem(response, 422)


def test_when_a_cursor_is_not_json_inside_then_422(book):
    token = base64.urlsafe_b64encode(b"[1, 2, 3]").decode().rstrip("=")
    problem(book.actor.get("/v1/transactions", params={"cursor": token}), 422)
    token = base64.urlsafe_b64encode(json.dumps({"s": "-booked_on"}).encode()).decode()
    problem(book.actor.get("/v1/transactions", params={"cursor": token}), 422)


# -- bad query parameters ----------------------------------------------------------------------


def test_when_date_from_is_after_date_to_then_422(book):
    response = book.actor.get(
        "/v1/transactions", params={"date_from": "2026-03-01", "date_to": "2026-02-01"}
    )
    errors = problem(response, 422)["errors"]
    assert [(error["in"], error["pointer"]) for error in errors] == [("query", "/date_from")]


def test_when_amount_min_is_above_amount_max_then_422(book):
    response = book.actor.get("/v1/transactions", params={"amount_min": "10", "amount_max": "-10"})
    problem(response, 422)


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_when_the_limit_is_out_of_range_then_422(book, limit):
    errors = problem(book.actor.get("/v1/transactions", params={"limit": limit}), 422)["errors"]
    assert [(error["in"], error["pointer"]) for error in errors] == [("query", "/limit")]


@pytest.mark.parametrize("limit", ["1", "500"])
def test_when_the_limit_is_at_a_bound_then_it_is_honoured(book, limit):
    page = ok(book.actor.get("/v1/transactions", params={"limit": limit}))
    assert len(page["items"]) == min(int(limit), 30)


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"account_id": "not-a-uuid"},
        {"amount_min": "abc"},
        {"amount_min": "NaN"},
        {"amount_max": "Infinity"},
        {"amount_min": "0.00001"},
        {"amount_min": "1e20"},
        {"amount_max": "-123456789012345678901234567890"},
        {"status": "cancelled"},
    ],
)
def test_when_a_query_parameter_is_malformed_then_422_not_500(book, params):
    problem(book.actor.get("/v1/transactions", params=params), 422)
