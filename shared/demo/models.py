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
