"""Payloads of the Import aggregate's events (the ``data`` of the envelope).

The transactions an import creates are announced in parts, ``TransactionsImported`` events of
at most ``IMPORTED_PER_EVENT`` transactions each (a million-row statement is thousands of events,
not a million), then one ``ImportCompleted`` summarises the import. A pending entry that an
import finds booked changes through the Transaction aggregate's own ``TransactionUpdated``.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from events.transactions import TransactionSnapshot

IMPORTED_PER_EVENT = 200
"""Keeps an event well under EventBridge's 256 KB entry limit."""


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ImportCompleted(_Payload):
    import_id: UUID
    account_id: UUID
    filename: str
    lake_key: str
    format: str | None = None
    profile: str | None = None
    status: str
    """completed, or failed when the file as a whole could not be read (see ``error``)."""
    rows_read: int
    imported: int
    duplicates: int
    rejected: int
    """How many rows could not be read or stored; the import report lists them."""
    error: str | None = None


class ImportedTransaction(TransactionSnapshot):
    """A transaction created by an import, as it was written (version 1)."""

    id: UUID


class TransactionsImported(_Payload):
    import_id: UUID
    account_id: UUID
    part: int
    """1-based; the parts of one import are its events' versions in order."""
    transactions: list[ImportedTransaction]


PAYLOADS: dict[str, type[BaseModel]] = {
    "ImportCompleted": ImportCompleted,
    "TransactionsImported": TransactionsImported,
}
