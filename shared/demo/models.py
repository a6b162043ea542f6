"""The shapes the demo generator hands out: households, their accounts and statement lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class AnomalyKind(StrEnum):
    DUPLICATE = "duplicate"
    OUTLIER = "outlier"
    NEW_MERCHANT_LARGE = "new_merchant_large"
    CARD_SPIKE = "card_spike"
    """Every purchase of a burst on the credit card carries it (the rest of the day does not)."""
    PRICE_RISE = "price_rise"
    """The first charge of a fixed monthly plan, rent or health plan at its new, higher price."""


@dataclass(frozen=True)
class DemoAccount:
    key: str
    name: str
    kind: str
    institution: str
    currency: str = "BRL"


@dataclass(frozen=True)
class DemoTransaction:
    account_key: str
    booked_on: date
    amount: Decimal
    description: str
    merchant: str
    category_slug: str
    type: str
    external_id: str
    counterparty_document: str | None = None
    instalment_number: int | None = None
    instalment_total: int | None = None
    anomaly: AnomalyKind | None = None


@dataclass(frozen=True)
class DemoHousehold:
    index: int
    name: str
    owner_name: str
    owner_email: str
    accounts: tuple[DemoAccount, ...]
    transactions: tuple[DemoTransaction, ...]
