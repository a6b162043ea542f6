"""The search index in the database (``search_documents``): PostgreSQL full-text search or
SQLite FTS5, behind one :class:`~shared.ports.SearchIndex`.

Both write the documents in the caller's session, so the ``search`` consumer's claim and its
effect commit together, and read them there under row-level security. Filters, ordering,
paging and facets are shared; only how text becomes a document, how a query matches and how
it scores differ (migration 0010 made the tables).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    column,
    delete,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from shared.db.models import SearchDocument as Row
from shared.db.types import Money
from shared.domain.search import (
    Bucket,
    Facets,
    SearchDocument,
    SearchHit,
    SearchOrder,
    SearchPage,
    SearchQuery,
    chunked,
    terms,
)

CONFIGURATION = "fluxo_portuguese"
"""PostgreSQL's text search configuration of migration 0010: ``portuguese`` after ``unaccent``."""
CHUNK = 500
"""Rows per statement: well under SQLite's bound-variable limit, and one round trip each."""

_FTS = table("search_fts", column("rowid"), column("document"))


class SqlSearchIndex(ABC):
    """What both engines share; subclasses say how text is stored, matched and scored."""

    def upsert(
        self, session: Session, tenant_id: UUID, documents: Sequence[SearchDocument]
    ) -> None:
        # In id order: two deliveries touching the same transactions lock them in one order.
        ordered = sorted(documents, key=lambda document: document.transaction_id)
        for start in range(0, len(ordered), CHUNK):
            rows = [self._row(tenant_id, doc) for doc in ordered[start : start + CHUNK]]
            session.execute(self._upsert(rows))

    def remove(self, session: Session, tenant_id: UUID, ids: Sequence[UUID]) -> None:
        for chunk in chunked(sorted(ids), CHUNK):
            session.execute(
                delete(Row).where(Row.tenant_id == tenant_id, Row.transaction_id.in_(chunk))
            )

    def clear(self, session: Session, tenant_id: UUID) -> None:
        session.execute(delete(Row).where(Row.tenant_id == tenant_id))

    def search(self, session: Session, tenant_id: UUID, query: SearchQuery) -> SearchPage:
        conditions = [Row.tenant_id == tenant_id, self._matches(query.text), *_filters(query)]
        facets = Facets(
            categories=_buckets(session, Row.category_id.expression, conditions),
            accounts=_buckets(session, Row.account_id.expression, conditions),
            months=_buckets(session, self._month(), conditions),
        )
        total = sum(bucket.count for bucket in facets.categories)
        if total <= query.offset:
            return SearchPage([], total, facets)
        return SearchPage(self._hits(session, conditions, query), total, facets)

    def _hits(
        self, session: Session, conditions: list[ColumnElement[bool]], query: SearchQuery
    ) -> list[SearchHit]:
        newest = (Row.booked_on.desc(), Row.transaction_id.desc())
        if query.order is SearchOrder.RANK:
            score = self._score(query.text).label("score")
            statement: Select[Any] = select(Row.transaction_id, score).order_by(  # type: ignore[assignment]
                score.desc(), *newest
            )
        else:
            statement = select(Row.transaction_id, null()).order_by(*newest)  # type: ignore[assignment]
        statement = statement.where(*conditions).limit(query.limit).offset(query.offset)
        return [
            SearchHit(transaction_id, None if score is None else float(score))
            for transaction_id, score in session.execute(statement)
        ]

    def _row(self, tenant_id: UUID, document: SearchDocument) -> dict[str, Any]:
        return {
            "tenant_id": tenant_id,
            "transaction_id": document.transaction_id,
            "account_id": document.account_id,
            "category_id": document.category_id,
            "booked_on": document.booked_on,
            "amount": document.amount,
            "currency": document.currency,
            "document": self._document(document),
        }

    @abstractmethod
    def _upsert(self, rows: list[dict[str, Any]]) -> Any:
        """The rows written or replaced, in the engine's dialect (INSERT … ON CONFLICT)."""

    @abstractmethod
    def _document(self, document: SearchDocument) -> Any:
        """A document's indexed form: a tsvector, or the FTS5 text of its stems."""

    @abstractmethod
    def _matches(self, text: str) -> ColumnElement[bool]:
        """The condition that a row holds every word of ``text``."""

    @abstractmethod
    def _score(self, text: str) -> ColumnElement[float]:
        """How well a matching row matches (higher is better)."""

    @abstractmethod
    def _month(self) -> ColumnElement[str]:
        """The first day of a row's month, as text (the month facet's key)."""


class PostgresSearchIndex(SqlSearchIndex):
    """``tsvector`` documents weighted A (description, merchant), B (tags), C (notes); queries
    through ``plainto_tsquery``, which reads any text as plain words (no operator survives)."""

    def _document(self, document: SearchDocument) -> Any:
        parts = (
            (document.title, "A"),
            (" ".join(document.tags), "B"),
            (document.notes or "", "C"),
        )
        vectors = [
            func.setweight(
                func.to_tsvector(_configuration(), literal(text)), literal_column(f"'{weight}'")
            )
            for text, weight in parts
        ]
        combined: ColumnElement[Any] = vectors[0]
        for vector in vectors[1:]:
            combined = combined.op("||", return_type=TSVECTOR())(vector)
        return combined

    def _upsert(self, rows: list[dict[str, Any]]) -> Any:
        statement = postgresql.insert(Row).values(rows)
        return statement.on_conflict_do_update(
            index_elements=["tenant_id", "transaction_id"], set_=_replaced(statement)
        )

    def _matches(self, text: str) -> ColumnElement[bool]:
        return Row.document.bool_op("@@")(_tsquery(text))

    def _score(self, text: str) -> ColumnElement[float]:
        return func.ts_rank(Row.document, _tsquery(text))

    def _month(self) -> ColumnElement[str]:
        # A literal, not a parameter: PostgreSQL must see the GROUP BY and the select list as the
        # same expression.
        return func.to_char(Row.booked_on, literal_column("'YYYY-MM'"))


class SqliteSearchIndex(SqlSearchIndex):
    """Documents are the stemmed, accent-free words (``shared.domain.search.terms``) that the
    FTS5 table ``search_fts`` indexes; a query is those terms of the text, each quoted, all
    required, so FTS5 syntax in the text is never syntax."""

    def _document(self, document: SearchDocument) -> Any:
        return " ".join(terms(document.text))

    def _upsert(self, rows: list[dict[str, Any]]) -> Any:
        statement = sqlite.insert(Row).values(rows)
        return statement.on_conflict_do_update(
            index_elements=["tenant_id", "transaction_id"], set_=_replaced(statement)
        )

    def _matches(self, text: str) -> ColumnElement[bool]:
        matching = select(_FTS.c.rowid).where(_fts_match(text))
        return Row.id.in_(matching.scalar_subquery())

    def _score(self, text: str) -> ColumnElement[float]:
        # bm25 is lower for better matches; negated so that higher is better on both engines.
        bm25 = func.bm25(literal_column("search_fts"))
        score = select(-bm25).where(_fts_match(text), _FTS.c.rowid == Row.id)
        return score.scalar_subquery()

    def _month(self) -> ColumnElement[str]:
        return func.strftime(literal_column("'%Y-%m'"), Row.booked_on)


def _configuration() -> ColumnElement[Any]:
    return literal_column(f"'{CONFIGURATION}'::regconfig")


def _tsquery(text: str) -> ColumnElement[Any]:
    return func.plainto_tsquery(_configuration(), literal(text))


def _fts_match(text: str) -> ColumnElement[bool]:
    expression = " ".join('"' + term.replace('"', '""') + '"' for term in terms(text))
    return literal_column("search_fts").bool_op("MATCH")(literal(expression))


def _replaced(statement: Any) -> dict[str, Any]:
    excluded = statement.excluded
    return {
        name: excluded[name]
        for name in ("account_id", "category_id", "booked_on", "amount", "currency", "document")
    }


def _filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.date_from is not None:
        conditions.append(Row.booked_on >= query.date_from)
    if query.date_to is not None:
        conditions.append(Row.booked_on <= query.date_to)
    if query.account_ids:
        conditions.append(Row.account_id.in_(query.account_ids))
    if query.category_ids:
        conditions.append(Row.category_id.in_(query.category_ids))
    return conditions


def _buckets(
    session: Session, key: ColumnElement[Any], conditions: list[ColumnElement[bool]]
) -> list[Bucket]:
    """The matching documents grouped by ``key`` and currency, largest first."""
    credit = Row.amount > 0
    count = func.count(Row.id)
    statement = (
        select(
            key,
            Row.currency,
            func.count(case((credit, 1))),
            count,
            type_coerce(func.sum(case((credit, Row.amount), else_=0)), Money()),
            type_coerce(func.sum(case((credit, 0), else_=Row.amount)), Money()),
        )
        .where(*conditions)
        .group_by(key, Row.currency)
        .order_by(count.desc(), key, Row.currency)
    )
    return [
        Bucket(_key(value), currency, credits, total - credits, inflow, outflow)
        for value, currency, credits, total, inflow, outflow in session.execute(statement)
    ]


def _key(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
