"""Full-text search over transactions: what a query is, what is indexed, what comes back.

The text of a query is plain words, never a query language: every character that is not a
letter or a digit separates words, so tsquery or FTS5 syntax (``& | ! ( ) : * < -> '``) can
never reach an engine as syntax. Words are matched accent- and stem-insensitively in
Portuguese: ``restaurante`` finds ``RESTAURANTES``, ``acucar`` finds ``Açúcar``.

:func:`terms` is the normalisation the embedded SQLite index applies to documents and queries
alike (FTS5 has no Portuguese stemmer); PostgreSQL (``fluxo_portuguese``: ``unaccent`` then
``portuguese_stem``) and OpenSearch (``asciifolding`` then the Portuguese Snowball stemmer) do
the same work in the engine, in the same order: accents off first, then the stem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from uuid import UUID

from shared.domain.errors import FieldIssue, InvalidInput

MAX_QUERY_LENGTH = 200
"""Characters in ``q``: a search box, not a document (docs/search.md)."""
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 10_000 - MAX_LIMIT
"""OpenSearch answers at most 10,000 hits deep (``index.max_result_window``); the SQL engines
keep the same limit so an API client sees one behaviour."""

# Letters and digits of any script; the underscore is a separator like any punctuation.
_WORD = re.compile(r"[^\W_]+")
# Control characters (NUL among them), lone surrogates and the replacement character (what an
# invalid UTF-8 byte in the URL decodes to) are not text anyone typed.
_NOT_TEXT = frozenset({"Cc", "Cs"})
_WHITESPACE_CONTROLS = frozenset("\t\n\r")
_REPLACEMENT = "\ufffd"

# PostgreSQL's ``portuguese`` stop words (Snowball's list), accents removed like the words
# they are compared with. Dropped from documents and queries on SQLite, as PostgreSQL and
# OpenSearch drop them.
_STOP_WORDS = """
de a o que e do da em um para com nao uma os no se na por mais as dos como mas ao ele das seu
sua ou quando muito nos ja eu tambem so pelo pela ate isso ela entre depois sem mesmo aos seus
quem nas me esse eles voce essa num nem suas meu minha numa pelos elas qual lhe deles essas
esses pelas este dele tu te voces vos lhes meus minhas teu tua teus tuas nosso nossa nossos
nossas dela delas esta estes estas aquele aquela aqueles aquelas isto aquilo estou estamos estao
estive esteve estivemos estiveram estava estavamos estavam estivera estiveramos esteja
estejamos estejam estivesse estivessemos estivessem estiver estivermos estiverem hei ha havemos
hao houve houvemos houveram houvera houveramos haja hajamos hajam houvesse houvessemos
houvessem houver houvermos houverem houverei houvera houveremos houverao houveria houveriamos
houveriam sou somos sao era eramos eram fui foi fomos foram fora foramos seja sejamos sejam
fosse fossemos fossem for formos forem serei sera seremos serao seria seriamos seriam tenho tem
temos tinha tinhamos tinham tive teve tivemos tiveram tivera tiveramos tenha tenhamos tenham
tivesse tivessemos tivessem tiver tivermos tiverem terei tera teremos terao teria teriamos
teriam
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


class SearchOrder(StrEnum):
    NEWEST = "newest"
    """Booking date, newest first (then by id, for a stable order)."""
    RANK = "rank"
    """Best match first (then newest)."""


def _issue(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, issues=[FieldIssue(("query", "q"), message, code)])


def fold(word: str) -> str:
    """Lower case without accents: ``Açúcar`` → ``acucar``."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The words of ``text``, folded; everything else separates them."""
    return [fold(word) for word in _WORD.findall(unicodedata.normalize("NFKC", text))]


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer("portuguese")


def terms(text: str) -> list[str]:
    """What the SQLite index stores and matches: folded words without stop words, stemmed
    (Snowball's Portuguese stemmer, the algorithm of PostgreSQL's ``portuguese_stem``)."""
    kept = [word for word in words(text) if word not in STOP_WORDS]
    stems: list[str] = _stemmer().stemWords(kept)  # type: ignore[attr-defined]
    return stems


def parse_text(q: str) -> str:
    """``q`` checked and tidied (whitespace collapsed), or a 422 pointing at ``q``."""
    if len(q) > MAX_QUERY_LENGTH:
        raise _issue(
            f"q is {len(q)} characters long; a search is at most {MAX_QUERY_LENGTH}", "too_long"
        )
    if any(_is_not_text(char) for char in q):
        raise _issue(
            "q holds control characters or bytes that are not UTF-8 text; send plain words",
            "not_text",
        )
    if not words(q):
        raise _issue("q has no word to search for (letters or digits)", "no_words")
    if not terms(q):
        raise _issue(
            "q has only words too common to search for (such as 'de' or 'para'); add one that "
            "tells transactions apart",
            "only_stop_words",
        )
    return " ".join(q.split())


def _is_not_text(char: str) -> bool:
    if char in _WHITESPACE_CONTROLS:
        return False
    return char == _REPLACEMENT or unicodedata.category(char) in _NOT_TEXT


@dataclass(frozen=True)
class SearchDocument:
    """What the index holds of one transaction: its text, and the fields facets and filters
    need. Built from the transaction's current row, never from an event's snapshot."""

    transaction_id: UUID
    account_id: UUID
    category_id: UUID | None
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    merchant: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The most telling text (ranked highest): description and merchant."""
        return " ".join(part for part in (self.description, self.merchant) if part)

    @property
    def text(self) -> str:
        """Every searchable word of the transaction."""
        return " ".join(part for part in (self.title, " ".join(self.tags), self.notes) if part)


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: ``text`` from :func:`parse_text`; ``category_ids`` already include
    their children. Empty filters do not filter."""

    text: str
    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[UUID, ...] = ()
    category_ids: tuple[UUID, ...] = ()
    order: SearchOrder = SearchOrder.NEWEST
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"offset must be 0..{MAX_OFFSET}")


@dataclass(frozen=True)
class Bucket:
    """Matching transactions of one facet value (a category id, an account id or a month
    ``YYYY-MM``; None: uncategorised) in one currency: how many came in and went out, and how
    much (``outflow`` ≤ 0)."""

    key: str | None
    currency: str
    credits: int
    debits: int
    inflow: Decimal
    outflow: Decimal

    @property
    def count(self) -> int:
        return self.credits + self.debits


@dataclass(frozen=True)
class Facets:
    categories: list[Bucket] = field(default_factory=list)
    accounts: list[Bucket] = field(default_factory=list)
    months: list[Bucket] = field(default_factory=list)


@dataclass(frozen=True)
class SearchHit:
    transaction_id: UUID
    score: float | None = None
    """The engine's relevance (higher is better); None when ordered by date."""


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, the number of matching transactions, and the facets of all of them
    (not only of the page)."""

    hits: list[SearchHit]
    total: int
    facets: Facets


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def chunked(items: Sequence[UUID], size: int) -> list[Sequence[UUID]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
