"""The one shape of a statement line that features, recurring detection, forecasts and anomaly
rules read, whatever it came from: the database, a demo household or an invocation payload."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

KINDS = ("income", "expense", "transfer", "uncategorised")
"""What a line's category makes it (``shared.domain.analytics``): transfers between own accounts
and card bill payments are ``transfer`` and are neither income nor expense."""


class InvalidLine(ValueError):
    """A line of a payload that is not a statement line; ``where`` points at it."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Line:
    id: str
    booked_on: date
    amount: Decimal
    """Signed: credit > 0, debit < 0."""
    account_id: str
    account_kind: str
    """checking, savings, credit_card, investment, cash…"""
    description: str
    merchant: str | None = None
    category: str | None = None
    """The category's slug, None when uncategorised."""
    kind: str = "uncategorised"
    instalment: tuple[int, int] | None = None
    """(part, parts) of a purchase paid in instalments when the statement said so in its own
    columns (an importer's ``instalment_number``/``instalment_total``); the wording
    ("PARCELA 3/10") is read when this is None."""

    @property
    def counterparty(self) -> str:
        """Who the money went to or came from: the merchant, else the description."""
        return self.merchant or self.description

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.booked_on.isoformat(),
            "amount": str(self.amount),
            "account": self.account_id,
            "account_kind": self.account_kind,
            "description": self.description,
            "merchant": self.merchant,
            "category": self.category,
            "kind": self.kind,
            **(
                {"instalment_number": self.instalment[0], "instalment_total": self.instalment[1]}
                if self.instalment
                else {}
            ),
        }

    @classmethod
    def from_json(cls, raw: object, where: str = "lines[0]") -> Line:
        if not isinstance(raw, Mapping):
            raise InvalidLine(where, "a line is an object")
        booked_on = _date(raw.get("date"), f"{where}.date")
        amount = parse_amount(raw.get("amount"), f"{where}.amount")
        kind = raw.get("kind", "uncategorised")
        if kind not in KINDS:
            raise InvalidLine(f"{where}.kind", f"one of {', '.join(KINDS)}, not {kind!r}")
        return cls(
            id=_text(raw.get("id"), f"{where}.id"),
            booked_on=booked_on,
            amount=amount,
            account_id=_text(raw.get("account", "default"), f"{where}.account"),
            account_kind=_text(raw.get("account_kind", "checking"), f"{where}.account_kind"),
            description=_text(raw.get("description", ""), f"{where}.description", empty=True),
            merchant=_optional_text(raw.get("merchant"), f"{where}.merchant"),
            category=_optional_text(raw.get("category"), f"{where}.category"),
            kind=kind,
            instalment=_instalment(raw, where),
        )


def lines_from_json(raw: object, where: str = "lines") -> list[Line]:
    if not isinstance(raw, list):
        raise InvalidLine(where, "a list of lines")
    return [Line.from_json(item, f"{where}[{index}]") for index, item in enumerate(raw)]


def lines_to_json(lines: Iterable[Line]) -> list[dict[str, Any]]:
    return [line.to_json() for line in lines]


def _date(value: object, where: str) -> date:
    if not isinstance(value, str):
        raise InvalidLine(where, "a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidLine(where, f"not a date: {value!r}") from None


def parse_amount(value: object, where: str) -> Decimal:
    """A finite decimal from a payload's string (or number); ``InvalidLine`` at ``where``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidLine(where, 'a decimal amount as a string, e.g. "-12.50"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidLine(where, f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise InvalidLine(where, f"not a finite amount: {value!r}")
    return amount


def instalment_plan(number: object, total: object) -> tuple[int, int] | None:
    """(part, parts) when the two make one part of a plan: whole numbers, 1 ≤ part ≤ parts,
    parts ≥ 2 (a "1/1" is a purchase paid at once)."""
    if not _whole(number) or not _whole(total):
        return None
    return (number, total) if 1 <= number <= total and total >= 2 else None


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _instalment(raw: Mapping[str, Any], where: str) -> tuple[int, int] | None:
    number, total = raw.get("instalment_number"), raw.get("instalment_total")
    if number is None and total is None:
        return None
    plan = instalment_plan(number, total)
    if plan is None:
        raise InvalidLine(
            f"{where}.instalment_number",
            f"part {number!r} of {total!r}: both whole numbers, 1 ≤ part ≤ parts, parts ≥ 2",
        )
    return plan


def _text(value: object, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise InvalidLine(where, "a non-empty string" if not empty else "a string")
    return value


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where, empty=True)
