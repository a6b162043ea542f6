"""Payloads of the Anomaly aggregate's events (the ``data`` of the envelope).

``AnomalyDetected`` is raised once per transaction and kind of anomaly (``shared.services.
anomalies``): a charge far above the usual at its merchant, a first purchase somewhere with a
large amount, the same charge twice, a burst of card purchases, a fixed charge's price rise.
``evidence`` holds the numbers behind it, enough to word the reason in any language
(``shared.anomalies.reasons.render``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Kind = Literal["outlier", "new_merchant_large", "duplicate", "card_spike", "price_rise"]


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class AnomalyDetected(_Payload):
    """A transaction looks unusual for its workspace."""

    anomaly_id: UUID
    transaction_id: UUID
    account_id: UUID
    kind: Kind
    booked_on: date
    amount: Decimal = Field(description="The transaction's signed amount.")
    currency: str
    counterparty: str = Field(description="The merchant, else the description.")
    score: float = Field(description="1 at the detector's threshold; higher is stranger.")
    evidence: dict[str, Any] = Field(
        description="The numbers and transaction ids behind the reason (keys in snake_case)."
    )


PAYLOADS: dict[str, type[BaseModel]] = {"AnomalyDetected": AnomalyDetected}
