"""Request and response bodies of savings goals (the budgets context)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, field_serializer

from shared.domain.goals import DEFAULT_MILESTONES, MAX_MILESTONES, REACHED
from shared.domain.money import Money
from shared.http.schemas import (
    CurrencyCode,
    Name,
    PatchBody,
    RequestBody,
    ResponseBody,
    plain_decimal,
)

TargetAmount = Annotated[
    Decimal,
    BeforeValidator(plain_decimal("10000.00")),
    Field(allow_inf_nan=False, description="What to save, more than zero.", examples=["10000.00"]),
]
Milestone = Annotated[int, Field(ge=1, le=REACHED)]
Milestones = Annotated[
    list[Milestone],
    Field(
        min_length=1,
        max_length=MAX_MILESTONES,
        description="Percentages of the target announced when reached (each once): below 100 "
        "GoalMilestoneReached, 100 GoalReached. 100 is always added: reaching the goal is "
        "always announced.",
    ),
]
ACCOUNT_HELP = (
    "Measure the goal by this account's balance (opening balance and every transaction), "
    "e.g. a savings account. Give it or category_id."
)
CATEGORY_HELP = (
    "Measure the goal by the net money put into this category (and its children) since "
    "starts_on, e.g. investment_deposit. Give it or account_id."
)


class GoalIn(RequestBody):
    name: Name
    target_amount: TargetAmount
    currency: CurrencyCode | None = Field(
        None, description="Defaults to the account's, or to the workspace's for a category."
    )
    target_date: date | None = Field(None, description="When to reach it; none: open-ended.")
    account_id: UUID | None = Field(None, description=ACCOUNT_HELP)
    category_id: UUID | None = Field(None, description=CATEGORY_HELP)
    starts_on: date | None = Field(
        None, description="Contributions to a category count from this day; default: today."
    )
    milestones: Milestones = list(DEFAULT_MILESTONES)


class GoalPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"version", "name", "target_amount", "currency", "starts_on", "milestones"}
    )
    version: int | None = Field(None, ge=1, description="Or send it in If-Match.")
    name: Name | None = None
    target_amount: TargetAmount | None = None
    currency: CurrencyCode | None = None
    target_date: date | None = Field(None, description="null: no target date.")
    account_id: UUID | None = Field(None, description="Switches the measure to this account.")
    category_id: UUID | None = Field(None, description="Switches the measure to this category.")
    starts_on: date | None = None
    milestones: Milestones | None = None


class GoalOut(ResponseBody):
    id: UUID
    name: str
    measure: Literal["account", "category"]
    account_id: UUID | None
    category_id: UUID | None
    target_amount: Decimal
    currency: str
    target_date: date | None
    starts_on: date
    milestones: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @field_serializer("target_amount")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class MilestoneOut(ResponseBody):
    milestone: int
    reached: bool = Field(description="The saved amount reaches it now.")


class GoalProgressOut(ResponseBody):
    goal_id: UUID
    measure: Literal["account", "category"]
    currency: str
    as_of: date = Field(description="Today in the workspace: the day the goal is measured on.")
    target_amount: Decimal
    saved: Decimal = Field(
        description="The account's balance, or the net money put into the category since starts_on."
    )
    remaining: Decimal = Field(description="target_amount - saved; zero once reached.")
    percentage: Decimal = Field(description="saved / target_amount × 100; may pass 100.")
    reached: bool
    target_date: date | None
    target_date_passed: bool = Field(description="The target date is before as_of.")
    months_left: int | None = Field(
        description="Calendar months up to the target date, this one included; null without "
        "a date or once it has passed."
    )
    monthly_needed: Decimal | None = Field(
        description="What to put in each month left to reach the target on time (rounded up); "
        "null without a target date or once it has passed."
    )
    average_monthly_contribution: Decimal = Field(
        description="Net contributions from pace_from to pace_to (the last three months), / 3."
    )
    pace_from: date
    pace_to: date
    projected_completion: date | None = Field(
        description="When the target is reached at that pace; null when the pace is not "
        "positive; as_of once reached."
    )
    on_track: bool | None = Field(
        description="Reached, or projected to be by the target date; null without a date."
    )
    milestones: list[MilestoneOut]

    @field_serializer(
        "target_amount", "saved", "remaining", "monthly_needed", "average_monthly_contribution"
    )
    def _to_currency_precision(self, value: Decimal | None) -> str | None:
        return None if value is None else str(Money(value, self.currency).quantized().amount)

    @field_serializer("percentage")
    def _percentage(self, value: Decimal) -> str:
        return str(value)
