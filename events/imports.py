"""Payloads of the Import aggregate's events (the ``data`` of the envelope).

One ``ImportCompleted`` per import summarises it; the transactions it wrote carry their own
``TransactionCreated`` events, so downstream consumers need not react to every row.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


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


PAYLOADS: dict[str, type[BaseModel]] = {"ImportCompleted": ImportCompleted}
