"""Search: the transactions of a workspace by the words of their description, merchant, notes
and tags, with facets and the metrics of everything that matched (docs/search.md).

The index (a :class:`~shared.ports.SearchIndex`) is kept by the ``search`` consumer. Events
arrive at least once and in any order, so the consumer never applies what an event says: it
takes the ids of the transactions the event touched, reads their current rows (with tags) in
one query, writes their documents and removes the documents of those that no longer exist.
Applying any event again, or late, therefore leaves the index as the transactions are.

Tags renamed or deleted change no transaction event: ``fluxo search reindex`` brings such
documents up to date (as it rebuilds anything else).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from events.envelope import DomainEvent
from events.imports import TransactionsImported
from events.registry import payload
from shared.consumers import Consumer
from shared.db.models import Tag, Transaction, TransactionTag
from shared.db.unit_of_work import UnitOfWork
from shared.domain.analytics import Cell, totals
from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.search import (
    DEFAULT_LIMIT,
    Bucket,
    Facets,
    SearchDocument,
    SearchOrder,
    SearchQuery,
    chunked,
    parse_text,
)
from shared.ports import SearchIndex
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize

CONSUMER = "search"
EVENT_TYPES = frozenset(
    {
        "TransactionCreated",
        "TransactionUpdated",
        "TransactionDeleted",
        "TransactionCategorized",
        "TransactionsImported",
    }
)
REINDEX_BATCH = 1000
LOAD_CHUNK = 500


@dataclass(frozen=True)
class SearchRequest:
    """A search as asked; :meth:`SearchService.search` validates it."""

    q: str
    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[UUID, ...] = ()
    category_ids: tuple[UUID, ...] = ()
    """Each with its children."""
    order: SearchOrder = SearchOrder.NEWEST
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class FoundTransaction:
    id: UUID
    account_id: UUID
    category_id: UUID | None
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    merchant: str | None
    notes: str | None
    tags: tuple[str, ...]
    score: float | None


@dataclass(frozen=True)
class Metrics:
    """The matching transactions of one currency, by ``shared.domain.analytics``' rule."""

    currency: str
    income: Decimal
    expenses: Decimal
    net: Decimal
    transactions: int
    """Income and expense transactions (transfers are not counted)."""


@dataclass(frozen=True)
class SearchResults:
    hits: list[FoundTransaction]
    total: int
    """Every matching transaction, not only this page's."""
    limit: int
    offset: int
    facets: Facets
    metrics: list[Metrics]

    @property
    def next_offset(self) -> int | None:
        following = self.offset + self.limit
        return following if following < self.total else None


class SearchService:
    def __init__(self, uow: UnitOfWorkFactory, index: SearchIndex) -> None:
        self._uow = uow
        self.index = index

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=self.apply_event)

    def search(self, caller: Caller, request: SearchRequest) -> SearchResults:
        text = parse_text(request.q)
        _check_dates(request.date_from, request.date_to)
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            categories = uow.categories.all()
            query = SearchQuery(
                text=text,
                date_from=request.date_from,
                date_to=request.date_to,
                account_ids=tuple(dict.fromkeys(request.account_ids)),
                category_ids=tuple(sorted(uow.categories.with_descendants(request.category_ids))),
                order=request.order,
                limit=request.limit,
                offset=request.offset,
            )
            page = self.index.search(uow.session, caller.tenant_id, query)
            kinds = {category.id: category.kind for category in categories}
            return SearchResults(
                hits=_found(uow, [(hit.transaction_id, hit.score) for hit in page.hits]),
                total=page.total,
                limit=query.limit,
                offset=query.offset,
                facets=page.facets,
                metrics=metrics(page.facets.categories, kinds),
            )

    def apply_event(self, uow: UnitOfWork, event: DomainEvent) -> None:
        """The consumer's ``handle``: the touched transactions' documents as they are now."""
        tenant_id = event.metadata.tenant_id
        ids = touched(event)
        documents = load_documents(uow.session, tenant_id, ids)
        present = {document.transaction_id for document in documents}
        self.index.upsert(uow.session, tenant_id, documents)
        self.index.remove(uow.session, tenant_id, [id_ for id_ in ids if id_ not in present])

    def reindex(self, tenant_id: UUID) -> int:
        """Rebuilds the tenant's index from its transactions, in one database transaction (the
        SQL indexes never look empty to a reader); returns how many documents it wrote."""
        written = 0
        with self._uow(tenant_id, None) as uow:
            self.index.clear(uow.session, tenant_id)
            after: UUID | None = None
            while ids := _next_ids(uow.session, tenant_id, after):
                self.index.upsert(
                    uow.session, tenant_id, load_documents(uow.session, tenant_id, ids)
                )
                written += len(ids)
                after = ids[-1]
            uow.commit()
        return written


def touched(event: DomainEvent) -> list[UUID]:
    """The transactions an event is about: its aggregate, or an import part's items."""
    if event.type == "TransactionsImported":
        data = payload(event)
        assert isinstance(data, TransactionsImported)
        return list(dict.fromkeys(item.id for item in data.transactions))
    return [event.aggregate_id]


def load_documents(session: Session, tenant_id: UUID, ids: Sequence[UUID]) -> list[SearchDocument]:
    """The current documents of those of ``ids`` that exist, with their tags: one query (per
    500 ids)."""
    documents: list[SearchDocument] = []
    for chunk in chunked(list(ids), LOAD_CHUNK):
        statement = (
            select(
                Transaction.id,
                Transaction.account_id,
                Transaction.category_id,
                Transaction.booked_on,
                Transaction.amount,
                Transaction.currency,
                Transaction.description,
                Transaction.merchant,
                Transaction.notes,
                Tag.name,
            )
            .outerjoin(
                TransactionTag,
                and_(
                    TransactionTag.tenant_id == Transaction.tenant_id,
                    TransactionTag.transaction_id == Transaction.id,
                ),
            )
            .outerjoin(
                Tag,
                and_(Tag.tenant_id == TransactionTag.tenant_id, Tag.id == TransactionTag.tag_id),
            )
            .where(Transaction.tenant_id == tenant_id, Transaction.id.in_(chunk))
            .order_by(Transaction.id, Tag.name)
        )
        documents.extend(_grouped(session.execute(statement)))
    return documents


def _grouped(rows: Iterable[Any]) -> list[SearchDocument]:
    """One document per transaction from its rows (one per tag, or one without)."""
    documents: dict[UUID, SearchDocument] = {}
    tags: dict[UUID, list[str]] = defaultdict(list)
    for row in rows:
        (
            id_,
            account_id,
            category_id,
            booked_on,
            amount,
            currency,
            description,
            merchant,
            notes,
            tag,
        ) = row
        if id_ not in documents:
            documents[id_] = SearchDocument(
                id_,
                account_id,
                category_id,
                booked_on,
                amount,
                currency,
                description,
                merchant,
                notes,
            )
        if tag is not None:
            tags[id_].append(tag)
    return [replace(document, tags=tuple(tags[id_])) for id_, document in documents.items()]


def metrics(buckets: Sequence[Bucket], kinds: dict[UUID, str]) -> list[Metrics]:
    """Income, expenses, net and count of the matching set per currency, from its category
    facet (``shared.domain.analytics.totals``: one rule for every figure Fluxo shows)."""
    cells: dict[str, list[Cell]] = defaultdict(list)
    for bucket in buckets:
        category_id = None if bucket.key is None else UUID(bucket.key)
        cells[bucket.currency].append(
            Cell(category_id, bucket.credits, bucket.debits, bucket.inflow, bucket.outflow)
        )
    result: list[Metrics] = []
    for currency in sorted(cells):
        sums = totals(cells[currency], kinds)
        result.append(Metrics(currency, sums.income, sums.expenses, sums.net, sums.transactions))
    return result


def _found(uow: UnitOfWork, hits: list[tuple[UUID, float | None]]) -> list[FoundTransaction]:
    """The hits as the transactions are now, in the index's order; a hit whose transaction is
    already gone (its delete not yet indexed) is left out."""
    rows = {row.id: row for row in uow.transactions.with_ids([id_ for id_, _ in hits])}
    return [
        FoundTransaction(
            id=row.id,
            account_id=row.account_id,
            category_id=row.category_id,
            booked_on=row.booked_on,
            amount=row.amount,
            currency=row.currency,
            description=row.description,
            merchant=row.merchant,
            notes=row.notes,
            tags=tuple(sorted(link.tag.name for link in row.tag_links)),
            score=score,
        )
        for id_, score in hits
        if (row := rows.get(id_)) is not None
    ]


def _next_ids(session: Session, tenant_id: UUID, after: UUID | None) -> list[UUID]:
    statement = select(Transaction.id).where(Transaction.tenant_id == tenant_id)
    if after is not None:
        statement = statement.where(Transaction.id > after)
    return list(session.scalars(statement.order_by(Transaction.id).limit(REINDEX_BATCH)))


def _check_dates(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        message = "date_to is before date_from"
        raise InvalidInput(message, issues=[FieldIssue(("query", "date_to"), message)])
