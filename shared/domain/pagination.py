"""Keyset (cursor) pagination: stable under inserts, O(page) at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from shared.domain.errors import FieldIssue, InvalidInput

T = TypeVar("T")


class TransactionSort(StrEnum):
    DATE_DESC = "-booked_on"
    DATE_ASC = "booked_on"
    AMOUNT_DESC = "-amount"
    AMOUNT_ASC = "amount"

    @property
    def field(self) -> str:
        return self.value.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True)
class Cursor:
    """The position after the last item of a page: its sort value and id (the tie-breaker)."""

    sort: str
    value: str
    id: UUID

    def encode(self) -> str:
        raw = json.dumps(
            {"s": self.sort, "v": self.value, "id": str(self.id)}, separators=(",", ":")
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, *, expected_sort: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            cursor = cls(sort=str(data["s"]), value=str(data["v"]), id=UUID(str(data["id"])))
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise _bad_cursor("the cursor is not one this API issued") from exc
        if cursor.sort != expected_sort:
            raise _bad_cursor("the cursor belongs to another sort order; start again without it")
        return cursor

    def sort_value(self) -> date | Decimal:
        """The sort value as its column holds it; an edited value is a bad cursor, not a 500."""
        try:
            if TransactionSort(self.sort).field == "booked_on":
                return date.fromisoformat(self.value)
            amount = Decimal(self.value)
            storable = (
                amount.is_finite()
                and abs(amount) < _AMOUNT_LIMIT
                and amount == amount.quantize(_AMOUNT_STEP)
            )
        except (ValueError, ArithmeticError) as exc:
            raise _bad_cursor("the cursor is not one this API issued") from exc
        if not storable:
            raise _bad_cursor("the cursor is not one this API issued")
        return amount


_AMOUNT_LIMIT = Decimal(10) ** 12
_AMOUNT_STEP = Decimal("0.0001")
"""Amounts are stored as numeric(16, 4): a cursor value outside that was not issued by us."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _bad_cursor(message: str) -> InvalidInput:
    return InvalidInput(message, issues=[FieldIssue(("query", "cursor"), message)])
