"""Response bodies of the anomalies list (the ai context)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from shared.http.schemas import ResponseBody

Kind = Literal["outlier", "new_merchant_large", "duplicate", "card_spike", "price_rise"]
Language = Literal["pt-BR", "en"]


class AnomalyOut(ResponseBody):
    id: UUID
    transaction_id: UUID
    account_id: UUID
    kind: Kind = Field(
        description="outlier: far above the usual amount at the merchant; new_merchant_large: a "
        "first purchase somewhere, large for the household; duplicate: the same charge again "
        "within 48 h; card_spike: a day of card purchases far busier than usual; price_rise: a "
        "fixed recurring charge went up."
    )
    booked_on: date
    amount: Decimal = Field(description="The transaction's signed amount.")
    currency: str
    counterparty: str = Field(description="The merchant, else the statement's description.")
    score: Decimal = Field(description="1 at the detector's threshold; higher is stranger.")
    reason: str = Field(description="One sentence with the numbers, in `language`.")
    evidence: dict[str, Any] = Field(
        description="The numbers and transaction ids behind the reason."
    )
    detected_at: datetime
    dismissed_at: datetime | None


class AnomalyPage(ResponseBody):
    language: Language = Field(description="Of the reasons: the caller's profile locale.")
    items: list[AnomalyOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
