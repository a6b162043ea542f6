"""What every reader produces: statement lines, located errors, and a file-level verdict.

Readers never touch the database or the clock; the import service (which stores the original,
de-duplicates, categorises and writes) consumes what they yield.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from enum import StrEnum


class StatementFormat(StrEnum):
    CSV = "csv"
    OFX = "ofx"
    OPEN_FINANCE = "open_finance"


class AccountHint(StrEnum):
    """What the file says about the account it came from, when it says anything."""

    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StatementLine:
    """One transaction as the file states it, already in Fluxo's sign: credit > 0, debit < 0."""

    line: int
    """1-based line (CSV/OFX) or 1-based item number (JSON) in the original file."""
    booked_on: date
    amount: Decimal
    description: str
    currency: str | None = None
    value_on: date | None = None
    booked_at: time | None = None
    external_id: str | None = None
    type: str | None = None
    """Open Finance style: PIX, TED, BOLETO, CARTAO…"""
    counterparty_document: str | None = None
    counterparty_name: str | None = None
    status: str = "booked"
    """booked or pending."""
    instalment_number: int | None = None
    instalment_total: int | None = None
    mcc: str | None = None
    category_hint: str | None = None
    """The bank's own category label, if the file carries one."""


@dataclass(frozen=True)
class RowError:
    """A row that could not be read: where, what, and why. Never dropped silently."""

    line: int
    reason: str
    column: str | None = None
    raw: str | None = None


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, binary, unknown layout); nothing is imported."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedStatement:
    format: StatementFormat
    profile: str | None
    """Which bank profile or mapping read the file (CSV), or the bank the file names."""
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    account_hint: AccountHint = AccountHint.UNKNOWN
    currency: str | None = None
    account_id: str | None = None
    """The account number the file names, if any (OFX ACCTID, Open Finance accountId)."""
    rows_read: int = 0
