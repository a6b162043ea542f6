"""Request and response bodies of forecasts and recurring series (the ai context)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.http.schemas import RequestBody, ResponseBody
from shared.services.ai import MAX_HORIZON_DAYS

Cadence = Literal["weekly", "biweekly", "monthly", "yearly"]
Kind = Literal["income", "expense", "transfer", "uncategorised"]


class ForecastIn(RequestBody):
    horizon_days: int = Field(
        30,
        ge=1,
        le=MAX_HORIZON_DAYS,
        strict=True,  # true is no number of days
        description="Days to forecast after today.",
    )
    accounts: list[UUID] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Forecast these accounts' combined balance (one currency); default: every "
        "open account in the workspace's base currency.",
    )


class RecurringSeriesOut(ResponseBody):
    key: str = Field(description="Stable while the series lasts: the same charge, next month.")
    counterparty: str = Field(description="The merchant, else the statement's description.")
    account_id: UUID
    currency: str
    kind: Kind
    category: str | None = Field(description="The category's slug; null when uncategorised.")
    cadence: Cadence
    amount: Decimal = Field(description="The latest amount, signed (a charge is negative).")
    typical_amount: Decimal = Field(description="The median amount of the series.")
    previous_amount: Decimal | None = Field(
        description="The amount before the latest price change; null if it never changed."
    )
    price_changed: bool
    next_date: date = Field(description="When it is next expected (moved to a business day).")
    next_amount: Decimal
    first_date: date
    last_date: date
    transaction_ids: list[UUID] = Field(description="The transactions of the series, oldest first.")
    remaining: int | None = Field(
        None,
        ge=0,
        description="Occurrences still to come (instalments: the parts not yet booked); null "
        "when open-ended.",
    )
    confidence: float = Field(ge=0, le=1)


class YearlyPaymentOut(ResponseBody):
    date: date
    amount: Decimal = Field(description="Expected amount, positive: money coming in.")
    kind: Literal["thirteenth_salary", "profit_sharing"] = Field(
        description="When it is expected (date) and what: the 13th salary or profit sharing."
    )
    part: int = Field(ge=1, le=2, description="The 13th salary's part (1 or 2); 1 otherwise.")
    basis: str = Field(description="Why it is expected, e.g. as last year, or by law.")


class ForecastDayOut(ResponseBody):
    date: date
    net: Decimal = Field(description="Expected net flow of the day (transfers excluded).")
    net_low80: Decimal
    net_high80: Decimal
    net_low95: Decimal
    net_high95: Decimal
    balance: Decimal = Field(description="Expected balance at the end of the day.")
    balance_low80: Decimal = Field(description="80 % of outcomes fall between low80 and high80.")
    balance_high80: Decimal
    balance_low95: Decimal
    balance_high95: Decimal


class ForecastOut(ResponseBody):
    model: str = Field(
        description="lstm+recurring, or the baseline that answered for a short history "
        "(seasonal_naive_7, moving_average_28, recurring_only)."
    )
    reason: str = Field(description="Why this model answered.")
    model_version: str
    today: date = Field(description="Today in the workspace; the forecast starts tomorrow.")
    horizon_days: int
    history_days: int = Field(description="Days of history the forecast read.")
    currency: str
    accounts: list[UUID]
    balance: Decimal = Field(description="The accounts' balance now.")
    days: list[ForecastDayOut]
    recurring: list[RecurringSeriesOut] = Field(
        description="The known charges and credits projected onto their expected days."
    )
    yearly: list[YearlyPaymentOut] = Field(
        description="Payments made once a year (13th salary, profit sharing) the forecast counts "
        "on; empty when a baseline answered."
    )


class RecurringOut(ResponseBody):
    today: date
    items: list[RecurringSeriesOut] = Field(description="Active series, by next date.")
