"""Payloads of the Goal aggregate's events (the ``data`` of the envelope).

A savings goal announces its milestones: ``GoalMilestoneReached`` when what is saved reaches a
milestone below 100 % of the target, ``GoalReached`` when it reaches the target (the 100 %
milestone). Each is emitted once per goal and milestone; a milestone fires again only after
the saved amount went back under it (an edit, a deletion, a recategorisation, a withdrawal).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class GoalMilestone(_Payload):
    goal_id: UUID
    name: str
    measure: Literal["account", "category"] = Field(
        description="account: the account's balance is the saved amount; category: the net "
        "money put into the category since the goal's start."
    )
    account_id: UUID | None = Field(description="The account measured (measure account).")
    category_id: UUID | None = Field(description="The category measured (measure category).")
    currency: str
    milestone: int = Field(description="Percentage of the target that was reached.")
    target: Decimal
    saved: Decimal
    percentage: Decimal = Field(description="Saved as a percentage of the target.")
    target_date: date | None = Field(description="When the goal should be reached, if set.")
    reached_at: datetime = Field(description="When the milestone was found reached.")


class GoalMilestoneReached(GoalMilestone):
    """What is saved reached ``milestone`` percent (below 100) of the target."""


class GoalReached(GoalMilestone):
    """What is saved reached the target (the 100 % milestone)."""


PAYLOADS: dict[str, type[BaseModel]] = {
    "GoalMilestoneReached": GoalMilestoneReached,
    "GoalReached": GoalReached,
}
