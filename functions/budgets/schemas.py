"""Request and response bodies of the budgets context."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BeforeValidator, Field, field_serializer

from shared.domain.budgets import (
    DEFAULT_THRESHOLDS,
    MAX_THRESHOLD,
    MAX_THRESHOLDS,
    Frequency,
    PeriodRule,
    PeriodStart,
)
from shared.domain.money import Money
from shared.http.schemas import (
    CurrencyCode,
    Name,
    PatchBody,
    RequestBody,
    ResponseBody,
    plain_decimal,
)

Amount = Annotated[
    Decimal,
    BeforeValidator(plain_decimal("800.00")),
    Field(
        allow_inf_nan=False,
        description="What may be spent per period, more than zero.",
        examples=["800.00"],
    ),
]
Threshold = Annotated[int, Field(ge=1, le=MAX_THRESHOLD)]
Thresholds = Annotated[
    list[Threshold],
    Field(
        min_length=1,
        max_length=MAX_THRESHOLDS,
        description="Percentages of the period's limit that raise an alert (each once): "
        "below 100 BudgetThresholdReached, from 100 on BudgetExceeded.",
    ),
]


class PeriodIn(RequestBody):
    frequency: Frequency = Frequency.MONTHLY
    starts: PeriodStart = Field(
        PeriodStart.CALENDAR,
        description="calendar: the 1st (Monday, 1 January); day: a fixed day of the month "
        "(a payday; past the month's end, its last day) or ISO weekday; business_day: the Nth "
        "business day of the month in Brazil (national holidays excluded).",
    )
    day: int | None = Field(None, ge=1, le=31, description="For day and business_day.")

    def to_domain(self) -> PeriodRule:
        return PeriodRule(self.frequency, self.starts, self.day)


class BudgetIn(RequestBody):
    name: Name
    category_id: UUID | None = Field(
        None, description="The category, with its children; omitted: the overall budget."
    )
    amount: Amount
    currency: CurrencyCode | None = Field(None, description="Defaults to the workspace's.")
    period: PeriodIn = Field(default_factory=PeriodIn, description="Monthly from the 1st.")
    rollover: bool = Field(
        False, description="Carry what a period leaves (or overspends) into the next."
    )
    thresholds: Thresholds = list(DEFAULT_THRESHOLDS)
    starts_on: date | None = Field(
        None, description="Counts from the period holding this day; default: the current one."
    )


class BudgetPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {
            "version",
            "name",
            "amount",
            "currency",
            "period",
            "rollover",
            "thresholds",
            "starts_on",
        }
    )
    version: int | None = Field(None, ge=1, description="Or send it in If-Match.")
    name: Name | None = None
    category_id: UUID | None = Field(None, description="null: the overall budget.")
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    period: PeriodIn | None = Field(None, description="Replaces the whole rule.")
    rollover: bool | None = None
    thresholds: Thresholds | None = None
    starts_on: date | None = None


class PeriodOut(ResponseBody):
    frequency: Frequency
    starts: PeriodStart
    day: int | None


class BudgetOut(ResponseBody):
    id: UUID
    name: str
    category_id: UUID | None
    amount: Decimal
    currency: str
    period: PeriodOut
    rollover: bool
    thresholds: list[int]
    starts_on: date
    version: int
    created_at: datetime
    updated_at: datetime

    @field_serializer("amount")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class ThresholdOut(ResponseBody):
    threshold: int
    crossed: bool = Field(description="Spending crosses it now.")


class BudgetProgressOut(ResponseBody):
    budget_id: UUID
    currency: str
    period_start: date
    period_end: date
    as_of: date = Field(description="The day the progress is measured on.")
    amount: Decimal = Field(description="The budget's amount per period.")
    carried_over: Decimal = Field(description="From earlier periods (rollover); may be < 0.")
    limit: Decimal = Field(description="amount + carried_over.")
    spent: Decimal = Field(description="Money out in the period; refunds deducted.")
    remaining: Decimal = Field(description="limit - spent; negative when overspent.")
    percentage: Decimal | None = Field(
        description="spent / limit × 100; null when the limit is not positive."
    )
    projected: Decimal = Field(
        description="Spending at the period's end at the pace so far (per day elapsed)."
    )
    days_in_period: int
    days_elapsed: int = Field(description="Days of the period up to and including as_of.")
    days_left: int = Field(description="Days of the period after as_of.")
    thresholds: list[ThresholdOut]

    @field_serializer("amount", "carried_over", "limit", "spent", "remaining", "projected")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)

    @field_serializer("percentage")
    def _percentage(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)
