"""The OpenSearch adapter against a live cluster: its mapping, analyzer and queries.

No OpenSearch server runs in the default test environment: these tests run only when
``FLUXO_TEST_OPENSEARCH_URL`` names one (e.g. ``http://127.0.0.1:9200``, security plugin off,
requests unsigned), and are skipped otherwise. The request bodies themselves are unit-tested
(tests/unit/test_search.py) everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from shared.adapters.aws.opensearch import HttpTransport, OpenSearchIndex
from shared.domain.search import SearchDocument, SearchQuery

URL = os.environ.get("FLUXO_TEST_OPENSEARCH_URL")

pytestmark = pytest.mark.skipif(
    not URL, reason="FLUXO_TEST_OPENSEARCH_URL is not set: no OpenSearch cluster to test against"
)

ACCOUNT = uuid4()


@pytest.fixture
def index() -> Iterator[OpenSearchIndex]:
    assert URL is not None
    transport = HttpTransport(URL, region=None, sign=False)
    made = OpenSearchIndex(transport, f"fluxo-test-{uuid4().hex[:12]}", refresh=True)
    made.ensure_index()
    try:
        yield made
    finally:
        transport("DELETE", f"/{made.index}", None, "application/json")


def _document(description: str, amount: str, **changes: object) -> SearchDocument:
    values: dict[str, object] = {
        "transaction_id": uuid4(),
        "account_id": ACCOUNT,
        "category_id": None,
        "booked_on": date(2026, 10, 3),
        "amount": Decimal(amount),
        "currency": "BRL",
        "description": description,
    }
    return SearchDocument(**(values | changes))  # type: ignore[arg-type]


def _found(index: OpenSearchIndex, tenant: UUID, text: str) -> list[UUID]:
    page = index.search(None, tenant, SearchQuery(text=text))  # type: ignore[arg-type]
    return [hit.transaction_id for hit in page.hits]


def test_stems_accents_notes_tags_and_tenants(index: OpenSearchIndex) -> None:
    mine, theirs = uuid4(), uuid4()
    restaurant = _document("RESTAURANTES DO CENTRO", "-80")
    sugar = _document("Pão de Açúcar", "-35.90", notes="compras do mês", tags=("casa",))
    secret = _document("RESTAURANTE SECRETO", "-1")
    index.upsert(None, mine, [restaurant, sugar])  # type: ignore[arg-type]
    index.upsert(None, theirs, [secret])  # type: ignore[arg-type]

    assert _found(index, mine, "restaurante") == [restaurant.transaction_id]
    assert _found(index, mine, "acucar") == [sugar.transaction_id]
    assert _found(index, mine, "compra casa") == [sugar.transaction_id]
    assert _found(index, mine, "secreto") == []
    assert _found(index, mine, "restaurante & (centro") == [restaurant.transaction_id]

    index.remove(None, mine, [restaurant.transaction_id, uuid4()])  # type: ignore[arg-type]
    assert _found(index, mine, "restaurante") == []


def test_facets_of_the_matching_set(index: OpenSearchIndex) -> None:
    tenant, groceries = uuid4(), uuid4()
    index.upsert(
        None,  # type: ignore[arg-type]
        tenant,
        [
            _document("MERCADO A", "-100.00", category_id=groceries),
            _document("MERCADO B", "10.00", category_id=groceries),
            _document("MERCADO C", "-5.00", booked_on=date(2026, 9, 1)),
        ],
    )

    page = index.search(None, tenant, SearchQuery(text="mercado"))  # type: ignore[arg-type]

    assert page.total == 3
    by_category = {bucket.key: bucket for bucket in page.facets.categories}
    assert (by_category[str(groceries)].inflow, by_category[str(groceries)].outflow) == (
        Decimal("10"),
        Decimal("-100"),
    )
    assert by_category[None].debits == 1
    assert {bucket.key: bucket.count for bucket in page.facets.months} == {
        "2026-10": 2,
        "2026-09": 1,
    }
