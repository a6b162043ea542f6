"""The domain event envelope every bounded context emits.

Field names on the wire are camelCase (``aggregateId``), as consumers in other languages expect;
Python code uses snake_case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class EventMetadata(_Wire):
    user_id: UUID | None = Field(description="Who caused the change; None for system actions.")
    tenant_id: UUID
    correlation_id: str = Field(description="Ties together everything one request caused.")


class DomainEvent(_Wire):
    id: UUID = Field(default_factory=uuid4, description="Unique; consumers de-duplicate on it.")
    type: str = Field(description="e.g. TransactionCreated")
    aggregate_id: UUID
    aggregate_type: str = Field(description="e.g. Transaction")
    version: int = Field(ge=1, description="Per aggregate, one more than the previous event.")
    timestamp: datetime
    data: dict[str, Any]
    metadata: EventMetadata
    schema_version: int = Field(default=1, ge=1, description="Version of the data's schema.")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
