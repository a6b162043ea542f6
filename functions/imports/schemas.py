"""Response bodies of the imports context."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.http.schemas import ResponseBody


class RejectedRow(ResponseBody):
    line: int
    column: str | None = None
    raw: str | None = None
    reason: str


class DuplicateDecision(ResponseBody):
    line: int
    reason: str
    matched_transaction_id: UUID | None = None


class ImportOut(ResponseBody):
    id: UUID
    account_id: UUID
    filename: str
    format: str | None = Field(description="csv, ofx or open_finance; null if unreadable.")
    profile: str | None = Field(description="The bank profile or layout that read the file.")
    status: str = Field(description="completed, or failed (the file could not be read).")
    rows_read: int
    imported: int
    duplicates: int
    rejected: list[RejectedRow]
    duplicate_decisions: list[DuplicateDecision]
    error: str | None = Field(description="Why the file as a whole was rejected.")
    started_at: datetime
    finished_at: datetime | None
