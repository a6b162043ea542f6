"""What a categoriser reads and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

REVIEW_BELOW = 0.6
"""A verdict less sure than this is not applied: the line stays uncategorised for review."""


@dataclass(frozen=True)
class LineToCategorise:
    description: str
    amount: Decimal
    type: str | None = None
    """Open Finance style: PIX, TED, BOLETO, CARTAO…"""
    mcc: str | None = None
    counterparty_name: str | None = None
    category_hint: str | None = None
    """The bank's own label, if the file has one."""


@dataclass(frozen=True)
class Verdict:
    """A category (by taxonomy slug) with who decided it, how sure, and why."""

    slug: str | None
    """None: undecided, the line waits for review."""
    merchant: str
    source: str
    confidence: float
    evidence: str
