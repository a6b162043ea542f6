"""What every reader produces: statement lines, located errors, and a file-level verdict.

Readers never touch the database or the clock; the import service (which stores the original,
de-duplicates, categorises and writes) consumes what they yield.
"""

from __future__ import annotations

from collections.abc import Iterator
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

    def stream(self) -> StatementStream:
        """The same statement as a stream: lines and errors in the order of the file."""
        rows: list[StatementLine | RowError] = [*self.lines, *self.errors]
        rows.sort(key=lambda row: row.line)
        return StatementStream(
            format=self.format,
            profile=self.profile,
            rows=iter(rows),
            account_hint=self.account_hint,
            currency=self.currency,
            account_id=self.account_id,
        )


@dataclass
class StatementStream:
    """A statement read one row at a time, so that a file of any size is imported in constant
    memory: what the file says about itself first, then its rows in file order. Each row is a
    line or the located error of a line that could not be read; ``rows_read`` counts both."""

    format: StatementFormat
    profile: str | None
    rows: Iterator[StatementLine | RowError]
    account_hint: AccountHint = AccountHint.UNKNOWN
    currency: str | None = None
    """The statement's currency when the file states one for every line."""
    account_id: str | None = None

    def collect(self) -> ParsedStatement:
        statement = ParsedStatement(
            format=self.format,
            profile=self.profile,
            account_hint=self.account_hint,
            currency=self.currency,
            account_id=self.account_id,
        )
        for row in self.rows:
            statement.rows_read += 1
            if isinstance(row, RowError):
                statement.errors.append(row)
            else:
                statement.lines.append(row)
        currencies = {line.currency for line in statement.lines}
        if statement.currency is None and len(currencies) == 1:
            statement.currency = currencies.pop()
        return statement
