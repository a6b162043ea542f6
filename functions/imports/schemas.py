"""Response bodies of the imports context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared.http.schemas import RequestBody, ResponseBody

IssueKindName = Literal["rejected", "duplicate"]
Column = Annotated[str, Field(min_length=1, max_length=120)] | Annotated[int, Field(ge=0, le=500)]
"""A column by its header name (compared loosely) or by its 0-based position."""


class CsvMapping(RequestBody):
    """How this account's CSV files are read when no bank profile fits."""

    date: Column
    description: Column | list[Column] = Field(
        description="One column, or several joined with ' - '."
    )
    amount: Column | None = Field(default=None, description="Signed amounts; or debit/credit.")
    debit: Column | None = Field(default=None, description="Money out, as positive numbers.")
    credit: Column | None = Field(default=None, description="Money in, as positive numbers.")
    date_format: str | None = Field(
        default=None, max_length=40, description="strptime format, e.g. %d/%m/%Y."
    )
    date_order: Literal["dmy", "mdy", "ymd"] | None = Field(
        default=None, description="Fallback when every date of the file is ambiguous."
    )
    decimal_separator: Literal[".", ","] | None = Field(
        default=None, description="Decided from the whole file when not given."
    )
    sign: Literal["as_is", "inverted"] = Field(
        default="as_is", description="inverted: the file writes money out as positive."
    )
    skip_rows: int = Field(default=0, ge=0, le=1000)
    has_header: bool = True
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    external_id: Column | None = None
    value_date: Column | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    currency_column: Column | None = None
    fee: Column | None = None
    status: Column | None = None
    type: Column | None = None
    category: Column | None = None


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
