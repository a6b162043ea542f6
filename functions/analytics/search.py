"""Route of transaction search: ``GET /v1/search`` (mounted under ``/v1`` by the analytics
router), and its response bodies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import Field, field_serializer

from shared.domain.money import Money
from shared.domain.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    Bucket,
    SearchOrder,
)
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.http.schemas import ResponseBody
from shared.services.search import FoundTransaction, Metrics, SearchRequest, SearchResults

router = APIRouter(route_class=FluxoRoute)


class SearchHitOut(ResponseBody):
    id: UUID
    account_id: UUID
    category_id: UUID | None
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    merchant: str | None
    notes: str | None
    tags: list[str]
    score: float | None = Field(
        description="Relevance, higher is better (order=rank); null when ordered by date."
    )

    @field_serializer("amount")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class FacetBucketOut(ResponseBody):
    key: str | None = Field(
        description="The category id (null: uncategorised), the account id, or the month (YYYY-MM)."
    )
    currency: str
    count: int
    credits: int = Field(description="Matching transactions with amount > 0.")
    debits: int = Field(description="Matching transactions with amount ≤ 0.")
    inflow: Decimal = Field(description="Sum of the credits.")
    outflow: Decimal = Field(description="Sum of the debits, ≤ 0.")

    @field_serializer("inflow", "outflow")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class FacetsOut(ResponseBody):
    categories: list[FacetBucketOut]
    accounts: list[FacetBucketOut]
    months: list[FacetBucketOut]


class MetricsOut(ResponseBody):
    currency: str
    income: Decimal
    expenses: Decimal = Field(description="Money spent, positive.")
    net: Decimal = Field(description="income - expenses.")
    transactions: int = Field(description="Income and expense transactions; not transfers.")

    @field_serializer("income", "expenses", "net")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class SearchPageOut(ResponseBody):
    total: int = Field(description="Every matching transaction, not only this page's.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Ask again with this offset; null: last page.")
    hits: list[SearchHitOut]
    facets: FacetsOut = Field(description="Of every matching transaction, per currency.")
    metrics: list[MetricsOut] = Field(
        description="The matching set per currency, counted as metrics and dashboards count "
        "(a category's kind decides income, expense or transfer)."
    )


@router.get(
    "/search",
    tags=["analytics"],
    summary="Search the workspace's transactions by words (Portuguese, accents ignored)",
    description=(
        "Words of the description, merchant, notes and tags, matched without accents and by "
        "their stem (restaurante finds RESTAURANTES, acucar finds Açúcar); every word must "
        "match. Punctuation and operators are plain separators. Facets and metrics cover "
        "every match; hits come a page at a time."
    ),
)
def search(
    container: ContainerDep,
    caller: CallerDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="The words to find; at least one letter or digit.",
            examples=["restaurante"],
        ),
    ],
    date_from: Annotated[date | None, Query(description="Booked on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Booked on or before.")] = None,
    account_id: Annotated[list[UUID] | None, Query()] = None,
    category_id: Annotated[list[UUID] | None, Query(description="With its children.")] = None,
    order: SearchOrder = SearchOrder.NEWEST,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SearchPageOut:
    request = SearchRequest(
        q=q,
        date_from=date_from,
        date_to=date_to,
        account_ids=tuple(account_id or ()),
        category_ids=tuple(category_id or ()),
        order=order,
        limit=limit,
        offset=offset,
    )
    return _page(container.search.search(caller, request))


def _page(results: SearchResults) -> SearchPageOut:
    return SearchPageOut(
        total=results.total,
        limit=results.limit,
        offset=results.offset,
        next_offset=results.next_offset,
        hits=[_hit(hit) for hit in results.hits],
        facets=FacetsOut(
            categories=[_bucket(bucket) for bucket in results.facets.categories],
            accounts=[_bucket(bucket) for bucket in results.facets.accounts],
            months=[_bucket(bucket) for bucket in results.facets.months],
        ),
        metrics=[_metrics(item) for item in results.metrics],
    )


def _hit(hit: FoundTransaction) -> SearchHitOut:
    return SearchHitOut(
        id=hit.id,
        account_id=hit.account_id,
        category_id=hit.category_id,
        booked_on=hit.booked_on,
        amount=hit.amount,
        currency=hit.currency,
        description=hit.description,
        merchant=hit.merchant,
        notes=hit.notes,
        tags=list(hit.tags),
        score=hit.score,
    )


def _bucket(bucket: Bucket) -> FacetBucketOut:
    return FacetBucketOut(
        key=bucket.key,
        currency=bucket.currency,
        count=bucket.count,
        credits=bucket.credits,
        debits=bucket.debits,
        inflow=bucket.inflow,
        outflow=bucket.outflow,
    )


def _metrics(metrics: Metrics) -> MetricsOut:
    return MetricsOut(
        currency=metrics.currency,
        income=metrics.income,
        expenses=metrics.expenses,
        net=metrics.net,
        transactions=metrics.transactions,
    )
