"""Payloads of the Transaction aggregate's events (the ``data`` of the envelope)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class TransactionSnapshot(_Payload):
    """The state of a transaction after the change."""

    account_id: UUID
    amount: Decimal
    currency: str
    booked_on: date
    value_on: date | None = None
    booked_at: time | None = None
    description: str
    merchant: str | None = None
    category_id: UUID | None = None
    category_source: str | None = None
    category_confidence: Decimal | None = None
    category_evidence: str | None = None
    """Why the category is what it is, or why a categoriser was not sure."""
    category_rule_id: UUID | None = None
    """The workspace's rule that decided the category, when one did."""
    needs_review: bool = False
    """A categoriser was not sure: the transaction waits for a person to categorise it."""
    notes: str | None = None
    tags: list[str] = []
    type: str | None = None
    counterparty_document: str | None = None
    status: str
    instalment_number: int | None = None
    instalment_total: int | None = None
    external_id: str | None = None


class TransactionCreated(_Payload):
    transaction: TransactionSnapshot


class TransactionUpdated(_Payload):
    transaction: TransactionSnapshot
    changes: dict[str, dict[str, Any]]
    """Wire name of the field (``bookedOn``) → {"from": old, "to": new}, values in wire form."""

    def before(self) -> TransactionSnapshot:
        """The transaction as it was before the change."""
        wire = self.transaction.model_dump(mode="json", by_alias=True)
        old = {name: change["from"] for name, change in self.changes.items()}
        return TransactionSnapshot.model_validate({**wire, **old})


class TransactionCategorized(_Payload):
    transaction_id: UUID
    previous_category_id: UUID | None
    category_id: UUID | None
    source: str
    confidence: Decimal | None = None
    evidence: str | None = None
    rule_id: UUID | None = None
    needs_review: bool = False
    transaction: TransactionSnapshot | None = None
    """The transaction with its new category, as it was then: what rollups move from the
    previous category to the new one. Absent from events written before it existed."""


class TransactionDeleted(_Payload):
    transaction: TransactionSnapshot


PAYLOADS: dict[str, type[BaseModel]] = {
    "TransactionCreated": TransactionCreated,
    "TransactionUpdated": TransactionUpdated,
    "TransactionCategorized": TransactionCategorized,
    "TransactionDeleted": TransactionDeleted,
}
