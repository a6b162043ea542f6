"""Base models for request and response bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator

# Field types more than one context's bodies use.
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
"""What people call a workspace, an account, a category or themselves."""
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

_PLAIN_DECIMAL = re.compile(r"[+-]?\d{1,16}(\.\d{1,16})?")


def plain_decimal(example: str) -> Callable[[object], object]:
    """A check for amounts sent as text: written the way people and banks write them, never
    ``1e3`` (numbers in JSON are left to the field's own validation)."""

    def check(value: object) -> object:
        if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value.strip()):
            raise ValueError(f"write the amount as a plain decimal, such as {example}")
        return value

    return check


"""An ISO 4217 code in capitals, e.g. BRL; whether the code exists is checked by the service."""


class RequestBody(BaseModel):
    """Unknown fields are an error, not silently ignored: a typo must not lose data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000 (SQLite can): a 422 here, on every engine, not a 500.
        if _has_nul(value):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class PatchBody(RequestBody):
    """A partial update: only the fields sent change; ``null`` clears a field that may be empty."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _reject_null_for_required(cls, value: Any, info: ValidationInfo) -> Any:
        # A field validator (not a model validator) so the error points at the field
        # (``/locale``), not at the whole body. It runs only for the fields that were sent.
        if value is None and info.field_name in cls.not_nullable:
            raise ValueError(f"{info.field_name} cannot be null")
        return value

    def changes(self, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set if name not in exclude}


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
