"""Base models for request and response bodies."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class RequestBody(BaseModel):
    """Unknown fields are an error, not silently ignored: a typo must not lose data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatchBody(RequestBody):
    """A partial update: only the fields sent change; ``null`` clears a field that may be empty."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _reject_null_for_required(self) -> PatchBody:
        for name in self.model_fields_set & self.not_nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set if name not in exclude}


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
