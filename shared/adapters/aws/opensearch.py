"""The search index on AWS: an OpenSearch domain, over its REST API.

One index holds every tenant's transactions: the document id is the transaction id (so writing
a document twice is harmless, and the ``search`` consumer is idempotent by construction), the
tenant id is the routing key (a tenant's documents sit on one shard) and a filter of every query.
The ``fluxo_portuguese`` analyzer folds accents before the Portuguese Snowball stemmer, the
order PostgreSQL's configuration and the SQLite index use too (``shared.domain.search``).

Requests are plain HTTPS signed with SigV4 by botocore (the domain's fine-grained access control
maps the function's role); no OpenSearch client library: opensearch-py imports a top-level
``events`` module that Fluxo's own ``events`` package shadows (docs/decisions.md).

The ``session`` argument of the port is not used: OpenSearch is outside the database
transaction, which is why every write is idempotent by document id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy.orm import Session

from shared.domain.errors import StoreUnavailable
from shared.domain.search import (
    Bucket,
    Facets,
    SearchDocument,
    SearchHit,
    SearchOrder,
    SearchPage,
    SearchQuery,
    month_key,
)

logger = logging.getLogger(__name__)

ANALYZER = "fluxo_portuguese"
NO_CATEGORY = "none"
"""The facet key of uncategorised transactions (``missing`` in a terms aggregation)."""
AMOUNT_SCALE = 4
"""Amounts are indexed as whole ten-thousandths (``long``): sums stay exact, unlike floats."""
BULK_CHUNK = 500
FACET_SIZE = 500
"""Facet values returned at most (categories, accounts, months of the matching set)."""
TEXT_FIELDS = ("title^3", "tags^2", "notes")
"""Description and merchant weigh most, then tags, then notes (PostgreSQL: weights A, B, C)."""

INDEX_BODY: dict[str, Any] = {
    "settings": {
        "analysis": {
            "filter": {
                "fluxo_stop": {"type": "stop", "stopwords": "_portuguese_"},
                "fluxo_stem": {"type": "stemmer", "language": "portuguese"},
            },
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    # Stop words are matched with their accents (não, até), then folded.
                    "filter": ["lowercase", "fluxo_stop", "asciifolding", "fluxo_stem"],
                }
            },
        }
    },
    "mappings": {
        "dynamic": "strict",
        "_routing": {"required": True},
        "properties": {
            "tenant_id": {"type": "keyword"},
            "transaction_id": {"type": "keyword"},
            "account_id": {"type": "keyword"},
            "category_id": {"type": "keyword"},
            "booked_on": {"type": "date", "format": "strict_date"},
            "month": {"type": "keyword"},
            "amount": {"type": "long"},
            "currency": {"type": "keyword"},
            "title": {"type": "text", "analyzer": ANALYZER},
            "tags": {"type": "text", "analyzer": ANALYZER},
            "notes": {"type": "text", "analyzer": ANALYZER},
        },
    },
}


@dataclass(frozen=True)
class Response:
    status: int
    body: Any


Transport = Callable[[str, str, bytes | None, str], Response]
"""(method, path with query string, body, content type) → the answer; raises
``StoreUnavailable`` when the domain cannot be reached."""


class SearchFailed(RuntimeError):
    """OpenSearch refused a request (a 4xx other than "not found"): a bug, not an outage."""


class OpenSearchIndex:
    def __init__(self, transport: Transport, index: str, *, refresh: bool = False) -> None:
        """``refresh``: writes wait until searches see them (tests); off in production, where
        the index's refresh interval (a second) is soon enough."""
        self._transport = transport
        self.index = index
        self._refresh = refresh
        self._ready = False

    def ensure_index(self) -> bool:
        """Creates the index with its mapping if it is not there; True when it was created."""
        if self._call("HEAD", f"/{self._name}").status == 200:
            self._ready = True
            return False
        self._checked(self._call("PUT", f"/{self._name}", INDEX_BODY))
        self._ready = True
        return True

    def upsert(
        self, session: Session, tenant_id: UUID, documents: Sequence[SearchDocument]
    ) -> None:
        actions = [
            line
            for document in documents
            for line in (
                {"index": self._target(tenant_id, document.transaction_id)},
                indexed(tenant_id, document),
            )
        ]
        self._bulk(actions, pairs=2)

    def remove(self, session: Session, tenant_id: UUID, ids: Sequence[UUID]) -> None:
        self._bulk([{"delete": self._target(tenant_id, id_)} for id_ in ids], pairs=1)

    def clear(self, session: Session, tenant_id: UUID) -> None:
        if not self._ready:
            self.ensure_index()
        refresh = "true" if self._refresh else "false"
        path = (
            f"/{self._name}/_delete_by_query?routing={tenant_id}&refresh={refresh}"
            "&conflicts=proceed"
        )
        self._checked(self._call("POST", path, {"query": {"term": {"tenant_id": str(tenant_id)}}}))

    def search(self, session: Session, tenant_id: UUID, query: SearchQuery) -> SearchPage:
        path = f"/{self._name}/_search?routing={tenant_id}"
        answer = self._call("POST", path, search_body(tenant_id, query))
        if answer.status == 404:  # nothing was ever indexed
            return SearchPage([], 0, Facets())
        return parse_search(self._checked(answer), query)

    @property
    def _name(self) -> str:
        return quote(self.index, safe="")

    def _target(self, tenant_id: UUID, transaction_id: UUID) -> dict[str, str]:
        return {"_index": self.index, "_id": str(transaction_id), "routing": str(tenant_id)}

    def _bulk(self, actions: list[dict[str, Any]], *, pairs: int) -> None:
        if not actions:
            return
        if not self._ready:
            self.ensure_index()
        step = BULK_CHUNK * pairs
        # Under the index's path (not /_bulk): IAM can then scope the grant to this index.
        refresh = "wait_for" if self._refresh else "false"
        for start in range(0, len(actions), step):
            body = "".join(json.dumps(action) + "\n" for action in actions[start : start + step])
            answer = self._transport(
                "POST",
                f"/{self._name}/_bulk?refresh={refresh}",
                body.encode(),
                "application/x-ndjson",
            )
            _bulk_errors(self._checked(answer))

    def _call(self, method: str, path: str, body: Any = None) -> Response:
        data = None if body is None else json.dumps(body).encode()
        return self._transport(method, path, data, "application/json")

    def _checked(self, answer: Response) -> Any:
        if answer.status >= 500 or answer.status == 429:
            raise StoreUnavailable(f"OpenSearch answered {answer.status}")
        if answer.status >= 400:
            raise SearchFailed(f"OpenSearch refused the request ({answer.status}): {answer.body}")
        return answer.body


def indexed(tenant_id: UUID, document: SearchDocument) -> dict[str, Any]:
    """The JSON document of one transaction."""
    return {
        "tenant_id": str(tenant_id),
        "transaction_id": str(document.transaction_id),
        "account_id": str(document.account_id),
        "category_id": None if document.category_id is None else str(document.category_id),
        "booked_on": document.booked_on.isoformat(),
        "month": month_key(document.booked_on),
        "amount": int(document.amount.scaleb(AMOUNT_SCALE)),
        "currency": document.currency,
        "title": document.title,
        "tags": list(document.tags),
        "notes": document.notes or "",
    }


def search_body(tenant_id: UUID, query: SearchQuery) -> dict[str, Any]:
    """The ``_search`` request: the words (all required, in any of the text fields), the
    tenant and the filters, the order, the page and the facets."""
    filters: list[dict[str, Any]] = [{"term": {"tenant_id": str(tenant_id)}}]
    dates = {
        bound: day.isoformat()
        for bound, day in (("gte", query.date_from), ("lte", query.date_to))
        if day is not None
    }
    if dates:
        filters.append({"range": {"booked_on": dates}})
    if query.account_ids:
        filters.append({"terms": {"account_id": [str(id_) for id_ in query.account_ids]}})
    if query.category_ids:
        filters.append({"terms": {"category_id": [str(id_) for id_ in query.category_ids]}})
    newest = [{"booked_on": "desc"}, {"transaction_id": "desc"}]
    return {
        "from": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        "_source": False,
        "query": {
            "bool": {
                "must": [
                    {
                        # The words are plain text to match (the match family has no syntax);
                        # cross_fields: each word in any field, as the SQL engines match.
                        "multi_match": {
                            "query": query.text,
                            "type": "cross_fields",
                            "fields": list(TEXT_FIELDS),
                            "operator": "and",
                        }
                    }
                ],
                "filter": filters,
            }
        },
        "sort": ["_score", *newest] if query.order is SearchOrder.RANK else newest,
        "aggs": {
            "categories": _facet("category_id", missing=NO_CATEGORY),
            "accounts": _facet("account_id"),
            "months": _facet("month"),
        },
    }


def _facet(field: str, *, missing: str | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": field, "size": FACET_SIZE}
    if missing is not None:
        terms["missing"] = missing
    return {
        "terms": terms,
        "aggs": {
            "currencies": {
                "terms": {"field": "currency", "size": 50},
                "aggs": {
                    "total": {"sum": {"field": "amount"}},
                    "credits": {
                        "filter": {"range": {"amount": {"gt": 0}}},
                        "aggs": {"total": {"sum": {"field": "amount"}}},
                    },
                },
            }
        },
    }


def parse_search(body: dict[str, Any], query: SearchQuery) -> SearchPage:
    ranked = query.order is SearchOrder.RANK
    hits = [
        SearchHit(UUID(hit["_id"]), float(hit["_score"]) if ranked and hit.get("_score") else None)
        for hit in body["hits"]["hits"]
    ]
    aggregations = body.get("aggregations", {})
    facets = Facets(
        categories=_buckets(aggregations.get("categories"), missing=NO_CATEGORY),
        accounts=_buckets(aggregations.get("accounts")),
        months=_buckets(aggregations.get("months")),
    )
    return SearchPage(hits, int(body["hits"]["total"]["value"]), facets)


def _buckets(aggregation: dict[str, Any] | None, *, missing: str | None = None) -> list[Bucket]:
    if not aggregation:
        return []
    buckets: list[Bucket] = []
    for outer in aggregation["buckets"]:
        key = None if outer["key"] == missing else str(outer["key"])
        for inner in outer["currencies"]["buckets"]:
            credits = inner["credits"]
            inflow = _money(credits["total"]["value"])
            buckets.append(
                Bucket(
                    key=key,
                    currency=str(inner["key"]),
                    credits=int(credits["doc_count"]),
                    debits=int(inner["doc_count"]) - int(credits["doc_count"]),
                    inflow=inflow,
                    outflow=_money(inner["total"]["value"]) - inflow,
                )
            )
    return buckets


def _money(ten_thousandths: float) -> Decimal:
    # A sum of whole numbers is exact in a double up to 2**53: round away the float's form.
    return Decimal(round(ten_thousandths)).scaleb(-AMOUNT_SCALE)


def _bulk_errors(body: dict[str, Any]) -> None:
    if not body.get("errors"):
        return
    for item in body.get("items", []):
        for action, result in item.items():
            status = int(result.get("status", 200))
            if action == "delete" and status == 404:
                continue  # already gone: what a removal wants
            if status >= 300:
                if status >= 500 or status == 429:
                    raise StoreUnavailable(f"OpenSearch could not {action} a document: {status}")
                raise SearchFailed(f"OpenSearch refused to {action} a document: {result}")


class HttpTransport:
    """HTTPS to the domain with urllib3 (botocore's own dependency), each request signed with
    SigV4 for ``es`` when ``sign`` (the Lambda role's credentials, refreshed by botocore)."""

    def __init__(
        self, url: str, *, region: str | None, sign: bool = True, timeout: float = 10
    ) -> None:
        import urllib3

        self._url = url.rstrip("/")
        self._region = region
        self._sign = sign
        self._session: Any = None
        """botocore's session, made on the first signed request and kept (warm Lambdas)."""
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=timeout),
            retries=urllib3.Retry(total=2, backoff_factor=0.2),
        )

    def __call__(self, method: str, path: str, body: bytes | None, content_type: str) -> Response:
        import urllib3

        url = self._url + path
        headers = {"Content-Type": content_type}
        if self._sign:
            headers = self._signed(method, url, body, headers)
        try:
            answer = self._pool.request(method, url, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as error:
            logger.warning("OpenSearch unreachable: %s", error)
            raise StoreUnavailable("the search service cannot be reached") from error
        data = answer.data
        return Response(answer.status, json.loads(data) if data else None)

    def _signed(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> dict[str, str]:
        import botocore.session
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        if self._session is None:
            self._session = botocore.session.get_session()
        session = self._session
        credentials = session.get_credentials()
        if credentials is None:
            raise StoreUnavailable("no AWS credentials to sign search requests with")
        region = self._region or session.get_config_variable("region")
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "es", region).add_auth(request)
        return dict(request.headers.items())
