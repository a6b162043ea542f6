"""Search without a database: query text checks, the words and stems, and the requests the
OpenSearch adapter sends (a fake transport records them)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.aws.opensearch import (
    INDEX_BODY,
    OpenSearchIndex,
    Response,
    SearchFailed,
    indexed,
    parse_search,
    search_body,
)
from shared.domain.errors import InvalidInput, StoreUnavailable
from shared.domain.search import (
    MAX_QUERY_LENGTH,
    SearchDocument,
    SearchOrder,
    SearchQuery,
    fold,
    parse_text,
    terms,
    words,
)
from shared.services.search import metrics

TENANT = UUID("00000000-0000-4000-8000-00000000000a")
ACCOUNT = UUID("00000000-0000-4000-8000-0000000000ac")
GROCERIES = UUID("00000000-0000-4000-8000-0000000000c1")

# Query text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Açúcar", "acucar"),
        ("RESTAURANTES", "restaurantes"),
        ("São João", "sao joao"),
        ("ﬁ Straße", "fi strasse"),
    ],
)
def test_fold_takes_case_and_accents_off(text: str, expected: str) -> None:
    assert " ".join(fold(word) for word in text.split()) == expected


def test_words_split_on_everything_that_is_not_a_letter_or_a_digit() -> None:
    assert words("padaria & !(pão | bolo_2):* <-> 'x'") == ["padaria", "pao", "bolo", "2", "x"]


def test_terms_drop_stop_words_and_share_a_stem_whatever_the_accents_and_number() -> None:
    assert terms("Pão de Açúcar") == terms("pao acucar")
    assert terms("RESTAURANTES") == terms("restaurante")
    assert terms("farmácias") == terms("farmacia")
    assert terms("de da para com") == []


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("", "no_words"),
        ("   ", "no_words"),
        ("a" * (MAX_QUERY_LENGTH + 1), "too_long"),
        ("a" * 10_000, "too_long"),
        ("pão\x00", "not_text"),
        ("pão\x1b[31m", "not_text"),
        ("pão\ud800", "not_text"),
        ("& | ! ( ) : * < -> '", "no_words"),
        ("🍕🍔", "no_words"),
        ("\u200f\u202e", "no_words"),
        ("de para com", "only_stop_words"),
    ],
)
def test_bad_text_is_a_422_pointing_at_q(q: str, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_text(q)

    [issue] = raised.value.issues
    assert (issue.location, issue.code) == (("query", "q"), code)


def test_good_text_comes_back_with_its_whitespace_collapsed() -> None:
    assert parse_text("  pão \t de  açúcar\n") == "pão de açúcar"
    assert parse_text("a" * MAX_QUERY_LENGTH) == "a" * MAX_QUERY_LENGTH


@given(st.text(max_size=MAX_QUERY_LENGTH))
def test_any_text_is_either_accepted_or_refused_as_invalid_input(q: str) -> None:
    try:
        checked = parse_text(q)
    except InvalidInput:
        return
    assert terms(checked)
    assert "\x00" not in checked


@given(st.text(max_size=60))
def test_terms_are_never_fts5_syntax(text: str) -> None:
    for term in terms(text):
        assert term
        assert '"' not in term
        assert not any(char.isspace() for char in term)


def test_a_query_limits_its_page() -> None:
    with pytest.raises(ValueError, match="limit"):
        SearchQuery(text="x", limit=101)
    with pytest.raises(ValueError, match="offset"):
        SearchQuery(text="x", offset=-1)


# Metrics from the category facet


def test_metrics_count_by_the_kind_of_each_category_and_never_mix_currencies() -> None:
    from shared.domain.search import Bucket

    salary, transfer = uuid4(), uuid4()
    kinds = {GROCERIES: "expense", salary: "income", transfer: "transfer"}
    buckets = [
        Bucket(str(GROCERIES), "BRL", 1, 2, Decimal("10"), Decimal("-100")),
        Bucket(str(salary), "BRL", 1, 0, Decimal("1000"), Decimal("0")),
        Bucket(str(transfer), "BRL", 0, 1, Decimal("0"), Decimal("-300")),
        Bucket(None, "BRL", 0, 1, Decimal("0"), Decimal("-5")),
        Bucket(None, "USD", 1, 0, Decimal("7"), Decimal("0")),
    ]

    brl, usd = metrics(buckets, kinds)

    assert (brl.currency, brl.income, brl.expenses, brl.net, brl.transactions) == (
        "BRL",
        Decimal("1000"),
        Decimal("95"),
        Decimal("905"),
        5,
    )
    assert (usd.currency, usd.income, usd.expenses, usd.transactions) == (
        "USD",
        Decimal("7"),
        Decimal("0"),
        1,
    )


# OpenSearch requests


class FakeTransport:
    """Records every request; answers from a queue (default: 200 with an empty body)."""

    def __init__(self, *answers: Response) -> None:
        self.requests: list[tuple[str, str, Any, str]] = []
        self.answers = list(answers)

    def __call__(self, method: str, path: str, body: bytes | None, content_type: str) -> Response:
        decoded: Any = None
        if body is not None:
            text = body.decode()
            lines = text.splitlines()
            ndjson = content_type == "application/x-ndjson"
            decoded = [json.loads(line) for line in lines] if ndjson else json.loads(text)
        self.requests.append((method, path, decoded, content_type))
        return self.answers.pop(0) if self.answers else Response(200, {})


def _document(**changes: Any) -> SearchDocument:
    values: dict[str, Any] = {
        "transaction_id": UUID("00000000-0000-4000-8000-000000000001"),
        "account_id": ACCOUNT,
        "category_id": GROCERIES,
        "booked_on": date(2026, 10, 3),
        "amount": Decimal("-35.9"),
        "currency": "BRL",
        "description": "Pão de Açúcar",
        "merchant": "GPA",
        "notes": "compras do mês",
        "tags": ("casa", "mercado"),
    }
    return SearchDocument(**(values | changes))


def test_the_index_folds_accents_after_stop_words_and_before_the_portuguese_stemmer() -> None:
    analyzer = INDEX_BODY["settings"]["analysis"]["analyzer"]["fluxo_portuguese"]
    filters = INDEX_BODY["settings"]["analysis"]["filter"]

    assert analyzer["filter"] == ["lowercase", "fluxo_stop", "asciifolding", "fluxo_stem"]
    assert filters["fluxo_stem"] == {"type": "stemmer", "language": "portuguese"}
    assert filters["fluxo_stop"]["stopwords"] == "_portuguese_"
    properties = INDEX_BODY["mappings"]["properties"]
    assert {properties[name]["analyzer"] for name in ("title", "tags", "notes")} == {
        "fluxo_portuguese"
    }
    assert properties["amount"]["type"] == "long"
    assert INDEX_BODY["mappings"]["dynamic"] == "strict"


def test_a_document_holds_exact_amounts_as_ten_thousandths_and_its_month() -> None:
    body = indexed(TENANT, _document())

    assert body["amount"] == -359_000
    assert body["month"] == "2026-10"
    assert body["title"] == "Pão de Açúcar GPA"
    assert body["tags"] == ["casa", "mercado"]
    assert body["tenant_id"] == str(TENANT)


def test_upsert_creates_the_index_once_then_bulk_indexes_by_transaction_id_and_tenant() -> None:
    transport = FakeTransport(Response(404, None), Response(200, {"acknowledged": True}))
    index = OpenSearchIndex(transport, "fluxo-transactions")

    index.upsert(None, TENANT, [_document()])  # type: ignore[arg-type]
    index.upsert(None, TENANT, [_document(description="Outro")])  # type: ignore[arg-type]

    methods = [(method, path) for method, path, _, _ in transport.requests]
    assert methods == [
        ("HEAD", "/fluxo-transactions"),
        ("PUT", "/fluxo-transactions"),
        ("POST", "/fluxo-transactions/_bulk?refresh=false"),
        ("POST", "/fluxo-transactions/_bulk?refresh=false"),
    ]
    assert transport.requests[1][2] == INDEX_BODY
    action, source = transport.requests[2][2]
    assert action == {
        "index": {
            "_index": "fluxo-transactions",
            "_id": "00000000-0000-4000-8000-000000000001",
            "routing": str(TENANT),
        }
    }
    assert source == indexed(TENANT, _document())
    assert transport.requests[2][3] == "application/x-ndjson"


def test_remove_deletes_by_id_and_a_document_already_gone_is_no_error() -> None:
    gone = {"errors": True, "items": [{"delete": {"status": 404, "result": "not_found"}}]}
    transport = FakeTransport(Response(200, {}), Response(200, gone))
    index = OpenSearchIndex(transport, "fluxo-transactions")
    removed = uuid4()

    index.remove(None, TENANT, [removed])  # type: ignore[arg-type]

    _, path, body, _ = transport.requests[-1]
    assert path == "/fluxo-transactions/_bulk?refresh=false"
    assert body == [
        {"delete": {"_index": "fluxo-transactions", "_id": str(removed), "routing": str(TENANT)}}
    ]


@pytest.mark.parametrize(
    ("status", "error"), [(429, StoreUnavailable), (503, StoreUnavailable), (400, SearchFailed)]
)
def test_a_refused_bulk_item_fails_the_write(status: int, error: type[Exception]) -> None:
    refused = {"errors": True, "items": [{"index": {"status": status, "error": {"type": "x"}}}]}
    transport = FakeTransport(Response(200, {}), Response(200, refused))

    with pytest.raises(error):
        OpenSearchIndex(transport, "i").upsert(None, TENANT, [_document()])  # type: ignore[arg-type]


def test_the_search_body_matches_plain_words_in_every_text_field_within_the_tenant() -> None:
    other = uuid4()
    query = SearchQuery(
        text="restaurante & (centro",
        date_from=date(2026, 10, 1),
        date_to=date(2026, 10, 31),
        account_ids=(ACCOUNT,),
        category_ids=(GROCERIES, other),
        limit=10,
        offset=20,
    )

    body = search_body(TENANT, query)

    assert body["from"] == 20
    assert body["size"] == 10
    assert body["track_total_hits"] is True
    [match] = body["query"]["bool"]["must"]
    assert match == {
        "multi_match": {
            "query": "restaurante & (centro",
            "type": "cross_fields",
            "fields": ["title^3", "tags^2", "notes"],
            "operator": "and",
        }
    }
    assert body["query"]["bool"]["filter"] == [
        {"term": {"tenant_id": str(TENANT)}},
        {"range": {"booked_on": {"gte": "2026-10-01", "lte": "2026-10-31"}}},
        {"terms": {"account_id": [str(ACCOUNT)]}},
        {"terms": {"category_id": [str(GROCERIES), str(other)]}},
    ]
    assert body["sort"] == [{"booked_on": "desc"}, {"transaction_id": "desc"}]
    assert set(body["aggs"]) == {"categories", "accounts", "months"}
    assert body["aggs"]["categories"]["terms"]["missing"] == "none"


def test_ranked_searches_sort_by_score_first_and_unfiltered_ones_only_by_tenant() -> None:
    body = search_body(TENANT, SearchQuery(text="x", order=SearchOrder.RANK))

    assert body["sort"][0] == "_score"
    assert body["query"]["bool"]["filter"] == [{"term": {"tenant_id": str(TENANT)}}]


def test_search_goes_to_the_tenants_shard_and_an_index_never_made_finds_nothing() -> None:
    transport = FakeTransport(Response(404, {"error": "index_not_found_exception"}))

    page = OpenSearchIndex(transport, "fluxo-transactions").search(
        None,  # type: ignore[arg-type]
        TENANT,
        SearchQuery(text="x"),
    )

    assert transport.requests[0][1] == f"/fluxo-transactions/_search?routing={TENANT}"
    assert (page.hits, page.total) == ([], 0)


def _currency(key: str, count: int, credits: int, inflow: float, total: float) -> dict[str, Any]:
    return {
        "key": key,
        "doc_count": count,
        "total": {"value": total},
        "credits": {"doc_count": credits, "total": {"value": inflow}},
    }


def test_an_answer_becomes_hits_a_total_and_exact_buckets() -> None:
    hit = UUID("00000000-0000-4000-8000-000000000001")
    answer = {
        "hits": {"total": {"value": 3}, "hits": [{"_id": str(hit), "_score": 2.5}]},
        "aggregations": {
            "categories": {
                "buckets": [
                    {
                        "key": str(GROCERIES),
                        "currencies": {"buckets": [_currency("BRL", 2, 1, 100_000.0, -259_000.0)]},
                    },
                    {
                        "key": "none",
                        "currencies": {"buckets": [_currency("BRL", 1, 0, 0, -50_000)]},
                    },
                ]
            },
            "accounts": {"buckets": []},
            "months": {
                "buckets": [
                    {
                        "key": "2026-10",
                        "currencies": {"buckets": [_currency("BRL", 3, 1, 100_000.0, -309_000.0)]},
                    }
                ]
            },
        },
    }

    page = parse_search(answer, SearchQuery(text="x", order=SearchOrder.RANK))

    assert page.total == 3
    assert [(h.transaction_id, h.score) for h in page.hits] == [(hit, 2.5)]
    groceries, uncategorised = page.facets.categories
    assert (groceries.key, groceries.credits, groceries.debits) == (str(GROCERIES), 1, 1)
    assert (groceries.inflow, groceries.outflow) == (Decimal("10"), Decimal("-35.9"))
    assert uncategorised.key is None
    assert page.facets.months[0].key == "2026-10"
