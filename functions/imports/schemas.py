"""Response bodies of the imports context."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.http.schemas import ResponseBody

IssueKindName = Literal["rejected", "duplicate"]


class ImportIssueOut(ResponseBody):
    kind: IssueKindName = Field(
        description="rejected: the line could not be read or stored; duplicate: it matched "
        "what the account holds (or an earlier line), so nothing new was written."
    )
    line: int = Field(description="1-based line (CSV/OFX) or item (JSON) of the file.")
    reason: str
    column: str | None = None
    raw: str | None = Field(default=None, description="The value as the file has it.")
    matched_transaction_id: UUID | None = None


class ImportIssuePage(ResponseBody):
    items: list[ImportIssueOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


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
    rejected: int
    issues: list[ImportIssueOut] = Field(
        description="The first rejected and duplicate lines, in file order; "
        "GET /v1/imports/{id}/issues pages through all of them."
    )
    error: str | None = Field(description="Why the file as a whole was rejected.")
    started_at: datetime
    finished_at: datetime | None
