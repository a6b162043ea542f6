"""Rules of the Transaction aggregate that need no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shared.domain.pagination import TransactionSort


class TransactionStatus(StrEnum):
    BOOKED = "booked"
    PENDING = "pending"


class CategorySource(StrEnum):
    """Who decided a transaction's category; explains it to the user and ranks overrides."""

    USER = "user"
    RULE = "rule"
    LEARNED = "learned"
    MODEL = "model"
    IMPORT = "import"
    BASE = "base"


_EVIDENCE_OF_SOURCE = {
    CategorySource.USER: "chosen by hand",
    CategorySource.IMPORT: "given with the transaction",
}


def category_evidence(source: CategorySource | str) -> str | None:
    """What explains a category set by whoever recorded the transaction (a person, a loader);
    a categoriser's category comes with its own evidence."""
    return _EVIDENCE_OF_SOURCE.get(CategorySource(source))


class TransactionType(StrEnum):
    """Open Finance Brasil's transaction types, plus the generic ones statements use."""

    PIX = "PIX"
    TED = "TED"
    DOC = "DOC"
    TEF = "TEF"
    BOLETO = "BOLETO"
    CARTAO = "CARTAO"
    DEBITO = "DEBITO"
    SAQUE = "SAQUE"
    DEPOSITO = "DEPOSITO"
    TARIFA = "TARIFA"
    CONVENIO_ARRECADACAO = "CONVENIO_ARRECADACAO"
    PACOTE_TARIFA_SERVICOS = "PACOTE_TARIFA_SERVICOS"
    FOLHA_PAGAMENTO = "FOLHA_PAGAMENTO"
    OPERACAO_CREDITO = "OPERACAO_CREDITO"
    OUTROS = "OUTROS"


class AccountKind(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
    INVESTMENT = "investment"
    CASH = "cash"


MAX_AMOUNT = Decimal("999999999999")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


@dataclass(frozen=True)
class TransactionFilter:
    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[UUID, ...] = ()
    category_ids: tuple[UUID, ...] = ()
    """Matched with all their descendants."""
    uncategorized: bool = False
    needs_review: bool | None = None
    """True: only the review queue (a categoriser was not sure); False: none of it."""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str | None = None
    status: TransactionStatus | None = None


@dataclass(frozen=True)
class TransactionQuery:
    filter: TransactionFilter = field(default_factory=TransactionFilter)
    sort: TransactionSort = TransactionSort.DATE_DESC
    cursor: str | None = None
    limit: int = 50


def instalment_is_coherent(number: int | None, total: int | None) -> bool:
    if number is None and total is None:
        return True
    if number is None or total is None:
        return False
    return 1 <= number <= total <= 999
