"""Payloads of the Budget aggregate's events (the ``data`` of the envelope).

A budget's alerts: ``BudgetThresholdReached`` when a period's spending reaches a threshold
below 100 % of its limit, ``BudgetExceeded`` when it goes beyond a threshold of 100 % or more.
Each is emitted once per budget, period and threshold; a threshold fires again only after
spending went back under it (an edit, a deletion, a recategorisation).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class BudgetAlert(_Payload):
    budget_id: UUID
    name: str
    category_id: UUID | None = Field(description="None: the overall budget.")
    currency: str
    period_start: date
    period_end: date = Field(description="Inclusive.")
    threshold: int = Field(description="Percentage of the period's limit that was crossed.")
    limit: Decimal = Field(description="The period's amount plus what rolled over into it.")
    spent: Decimal = Field(description="Money out in the period (refunds deducted).")
    percentage: Decimal | None = Field(
        description="Spent as a percentage of the limit; None when the limit is not positive."
    )


class BudgetThresholdReached(BudgetAlert):
    """Spending reached ``threshold`` percent (below 100) of the period's limit."""


class BudgetExceeded(BudgetAlert):
    """Spending went beyond ``threshold`` percent (100 or more) of the period's limit."""


PAYLOADS: dict[str, type[BaseModel]] = {
    "BudgetThresholdReached": BudgetThresholdReached,
    "BudgetExceeded": BudgetExceeded,
}
