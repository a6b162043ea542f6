"""CSV layouts: the user's ``ColumnMapping`` and the bank profiles loaded from ``profiles.json``.

A profile is data, not code: which columns carry the date, description and amount (by header
name, compared without case, accents or extra spaces, or by position for headerless files), the
date order and decimal separator to fall back on when the file itself does not decide, the sign
convention, and what the file says about the account.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.imports.model import AccountHint

__all__ = [
    "Column",
    "ColumnMapping",
    "DateOrder",
    "Profile",
    "SignConvention",
    "get_profile",
    "load_profiles",
    "normalise_name",
]

Column = str | int
"""A column by header name (matched loosely) or by 0-based position."""


class SignConvention(StrEnum):
    AS_IS = "as_is"
    """Money out is negative in the file, as Fluxo stores it."""
    INVERTED = "inverted"
    """Money out is positive in the file (credit-card exports): every amount is negated."""


class DateOrder(StrEnum):
    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


@dataclass(frozen=True)
class ColumnMapping:
    """How to read one CSV layout; what a user saves per account when no profile fits."""

    date: Column
    description: Column | tuple[Column, ...]
    amount: Column | None = None
    debit: Column | None = None
    """Money out, written as a positive number (a negative one is taken by its absolute value)."""
    credit: Column | None = None
    date_format: str | None = None
    """A ``strptime`` format such as ``%d/%m/%Y``, or None to work the order out from the file."""
    date_order: DateOrder | None = None
    """Fallback when the whole file is ambiguous (every day and month ≤ 12)."""
    decimal_separator: str | None = None
    """``.`` or ``,``; None decides from the whole file."""
    sign: SignConvention = SignConvention.AS_IS
    skip_rows: int = 0
    """Lines to skip before the header (or before the data when there is no header)."""
    has_header: bool = True
    delimiter: str | None = None
    external_id: Column | None = None
    value_date: Column | None = None
    currency: str | None = None
    currency_column: Column | None = None
    fee: Column | None = None
    status: Column | None = None
    type: Column | None = None
    category: Column | None = None

    def __post_init__(self) -> None:
        has_amount = self.amount is not None
        has_split = self.debit is not None or self.credit is not None
        if has_amount == has_split:
            raise ValueError("a mapping needs either an amount column or debit/credit columns")
        if self.decimal_separator not in (None, ".", ","):
            raise ValueError("decimal_separator must be '.' or ','")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        if self.skip_rows < 0:
            raise ValueError("skip_rows must not be negative")
        if not self.has_header:
            for name in ("date", "description", "amount", "debit", "credit"):
                refs = getattr(self, name)
                refs = refs if isinstance(refs, tuple) else (refs,)
                if any(isinstance(r, str) for r in refs):
                    raise ValueError(f"{name}: a file without header needs column positions")


@dataclass(frozen=True)
class Profile:
    """A bank's export layout: role → alternative column names (description joins all present)."""

    name: str
    roles: dict[str, tuple[Column, ...]]
    header: tuple[str, ...]
    date_order: DateOrder
    decimal_separator: str
    sign: SignConvention
    account_hint: AccountHint
    currency: str | None
    delimiter: str | None
    has_header: bool = True
    columns_count: int | None = None

    @property
    def generic(self) -> bool:
        return self.has_header and not self.header


_ROLES = (
    "date",
    "description",
    "amount",
    "debit",
    "credit",
    "external_id",
    "value_date",
    "currency_column",
    "fee",
    "status",
    "type",
    "category",
)


def normalise_name(name: str) -> str:
    """Header cell → comparable key: no accents, lower case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def _profile(raw: dict[str, Any]) -> Profile:
    roles: dict[str, tuple[Column, ...]] = {}
    for role in _ROLES:
        values = raw.get(role)
        if values:
            roles[role] = tuple(v if isinstance(v, int) else normalise_name(v) for v in values)
    return Profile(
        name=raw["name"],
        roles=roles,
        header=tuple(normalise_name(h) for h in raw.get("header", [])),
        date_order=DateOrder(raw["date_order"]),
        decimal_separator=raw["decimal_separator"],
        sign=SignConvention(raw.get("sign", "as_is")),
        account_hint=AccountHint(raw.get("account_hint", "unknown")),
        currency=raw.get("currency"),
        delimiter=raw.get("delimiter"),
        has_header=raw.get("has_header", True),
        columns_count=raw.get("columns_count"),
    )


@lru_cache(maxsize=1)
def load_profiles() -> tuple[Profile, ...]:
    """Every bank profile, most specific first (profiles with longer identifying headers)."""
    raw = json.loads((Path(__file__).with_name("profiles.json")).read_text(encoding="utf-8"))
    profiles = [_profile(p) for p in raw["profiles"]]
    return tuple(sorted(profiles, key=lambda p: (p.generic, -len(p.header))))


def get_profile(name: str) -> Profile:
    for profile in load_profiles():
        if profile.name == name:
            return profile
    known = ", ".join(p.name for p in load_profiles())
    raise ValueError(f"unknown CSV profile {name!r}; known profiles: {known}")
