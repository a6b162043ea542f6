"""CSV layouts: the user's ``ColumnMapping`` and the bank profiles loaded from ``profiles.json``.

A profile is data, not code: which columns carry the date, description and amount (by header
name, compared without case, accents or extra spaces, or by position for headerless files), the
date order and decimal separator to fall back on when the file itself does not decide, the sign
convention, and what the file says about the account.

A profile may also declare, each off unless present (what the reader does with them is in
``csv_reader``): ``date_format``; a ``direction`` column with its ``debit_marks`` and
``credit_marks``; an ``instalment`` column; ``end_markers``; ``skip_descriptions``;
``skip_repeated_header``; ``continuation_lines``. A key the loader does not know is an error, so
a misspelt feature fails loudly instead of being silently off.
"""

from __future__ import annotations

import json
import re
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
    "mapping_from_json",
    "mapping_to_json",
    "normalise_name",
    "parse_profile",
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


def mapping_to_json(mapping: ColumnMapping) -> dict[str, Any]:
    """As it is saved for an account: only what differs from the defaults."""
    values = {
        name: getattr(mapping, name)
        for name in ColumnMapping.__dataclass_fields__
        if getattr(mapping, name) != ColumnMapping.__dataclass_fields__[name].default
    }
    if isinstance(values.get("description"), tuple):
        values["description"] = list(values["description"])
    return {
        key: str(value) if isinstance(value, StrEnum) else value for key, value in values.items()
    }


def mapping_from_json(values: dict[str, Any]) -> ColumnMapping:
    """Raises ``ValueError`` (``TypeError`` for unknown fields) for a mapping that cannot be."""
    given = dict(values)
    if isinstance(given.get("description"), list):
        given["description"] = tuple(given["description"])
    if given.get("sign") is not None:
        given["sign"] = SignConvention(given["sign"])
    if given.get("date_order") is not None:
        given["date_order"] = DateOrder(given["date_order"])
    return ColumnMapping(**given)


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
    date_format: str | None = None
    """A ``strptime`` format (``%Y%m%d``) for the date columns; None works the order out."""
    direction_marks: dict[str, int] | None = None
    """Normalised mark of the ``direction`` column → sign of the amount (-1 debit, 1 credit)."""
    end_markers: tuple[str, ...] = ()
    """Normalised text that starts the first non-empty cell of the row where the data ends."""
    skip_description: re.Pattern[str] | None = None
    """Rows whose normalised description cell matches it whole are not movements."""
    skip_repeated_header: bool = False
    continuation_lines: bool = False

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
    "direction",
    "instalment",
)
_KEYS = frozenset(
    {
        *_ROLES,
        "name",
        "header",
        "has_header",
        "columns_count",
        "delimiter",
        "date_order",
        "date_format",
        "decimal_separator",
        "sign",
        "account_hint",
        "currency",
        "debit_marks",
        "credit_marks",
        "end_markers",
        "skip_descriptions",
        "skip_repeated_header",
        "continuation_lines",
    }
)


def normalise_name(name: str) -> str:
    """Header cell → comparable key: no accents, lower case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def parse_profile(raw: dict[str, Any]) -> Profile:
    """One profile from its JSON object; ``ValueError`` names what is wrong with it."""
    name = raw.get("name", "?")
    unknown = sorted(k for k in raw if not k.startswith("_") and k not in _KEYS)
    if unknown:
        raise ValueError(f"profile {name}: unknown keys {', '.join(unknown)}")
    roles: dict[str, tuple[Column, ...]] = {}
    for role in _ROLES:
        values = raw.get(role)
        if values:
            roles[role] = tuple(v if isinstance(v, int) else normalise_name(v) for v in values)
    sign = SignConvention(raw.get("sign", "as_is"))
    date_format = raw.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise ValueError(f"profile {name}: date_format must be a strptime format such as %Y%m%d")
    return Profile(
        name=raw["name"],
        roles=roles,
        header=tuple(normalise_name(h) for h in raw.get("header", [])),
        date_order=DateOrder(raw["date_order"]),
        decimal_separator=raw["decimal_separator"],
        sign=sign,
        account_hint=AccountHint(raw.get("account_hint", "unknown")),
        currency=raw.get("currency"),
        delimiter=raw.get("delimiter"),
        has_header=raw.get("has_header", True),
        columns_count=raw.get("columns_count"),
        date_format=date_format,
        direction_marks=_direction_marks(name, raw, roles, sign),
        end_markers=tuple(normalise_name(m) for m in raw.get("end_markers", ()) if m.strip()),
        skip_description=_one_pattern(name, raw.get("skip_descriptions", ())),
        skip_repeated_header=bool(raw.get("skip_repeated_header", False)),
        continuation_lines=bool(raw.get("continuation_lines", False)),
    )


def _direction_marks(
    name: str, raw: dict[str, Any], roles: dict[str, tuple[Column, ...]], sign: SignConvention
) -> dict[str, int] | None:
    debit = {normalise_name(m) for m in raw.get("debit_marks", ())}
    credit = {normalise_name(m) for m in raw.get("credit_marks", ())}
    if "direction" not in roles:
        if debit or credit:
            raise ValueError(f"profile {name}: debit_marks and credit_marks need a direction role")
        return None
    if "amount" not in roles:
        raise ValueError(f"profile {name}: a direction column signs an amount column")
    if sign is not SignConvention.AS_IS:
        raise ValueError(f"profile {name}: the direction column gives the sign; sign must be as_is")
    if not debit or not credit or "" in debit | credit:
        raise ValueError(f"profile {name}: a direction role needs debit_marks and credit_marks")
    if debit & credit:
        raise ValueError(f"profile {name}: {sorted(debit & credit)} both debit and credit marks")
    return {**dict.fromkeys(debit, -1), **dict.fromkeys(credit, 1)}


def _one_pattern(name: str, patterns: list[str]) -> re.Pattern[str] | None:
    """The patterns as one alternation, matched against whole normalised cells."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise ValueError(f"profile {name}: skip_descriptions: {exc}") from exc


@lru_cache(maxsize=1)
def load_profiles() -> tuple[Profile, ...]:
    """Every bank profile, most specific first (profiles with longer identifying headers)."""
    raw = json.loads((Path(__file__).with_name("profiles.json")).read_text(encoding="utf-8"))
    profiles = [parse_profile(p) for p in raw["profiles"]]
    return tuple(sorted(profiles, key=lambda p: (p.generic, -len(p.header))))


def get_profile(name: str) -> Profile:
    for profile in load_profiles():
        if profile.name == name:
            return profile
    known = ", ".join(p.name for p in load_profiles())
    raise ValueError(f"unknown CSV profile {name!r}; known profiles: {known}")
