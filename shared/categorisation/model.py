"""What a categoriser reads and what it answers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

REVIEW_BELOW = 0.6
"""A verdict less sure than this is not applied: the line stays uncategorised for review."""
EVIDENCE_LENGTH = 200
"""Characters of a verdict's evidence a transaction keeps (``category_evidence``)."""


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
    account_id: UUID | None = None
    """The account the line belongs to: a tenant's rules may depend on it."""
    counterparty_document: str | None = None
    """CPF/CNPJ of the other side, when the bank gives it: a tenant's rules may depend on it."""


@dataclass(frozen=True)
class Verdict:
    """A category (by taxonomy slug) with who decided it, how sure, and why."""

    slug: str | None
    """None: undecided, the line waits for review."""
    merchant: str
    source: str
    confidence: float
    evidence: str
    tags: tuple[str, ...] = ()
    """Tag names a tenant's rule adds to the line (a categoriser of its own adds none)."""
    merchant_override: str | None = None
    """A merchant name a tenant's rule imposes: it wins over the counterparty name the line
    carries, which ``merchant`` never does (a bank's name for the other side is better than
    one read from the descriptor, a person's own name for it better still)."""
    rule_id: UUID | None = None
    """The tenant's rule that decided the category, when one did."""

    @property
    def decided(self) -> bool:
        """Sure enough to be applied: a category at ``REVIEW_BELOW`` confidence or above."""
        return self.slug is not None and self.confidence >= REVIEW_BELOW


def short_evidence(text: str | None) -> str | None:
    """Evidence as a transaction keeps it: at most ``EVIDENCE_LENGTH`` characters, cut at a
    character (never inside an accent's combining mark) and marked with an ellipsis; without
    control characters, which PostgreSQL text cannot always hold; None when nothing is left."""
    if text is None:
        return None
    if len(text) <= EVIDENCE_LENGTH and text.isprintable():  # nearly always: no copy
        return text or None
    clean = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())
    if len(clean) <= EVIDENCE_LENGTH:
        return clean or None
    cut = EVIDENCE_LENGTH - 1
    while cut > 0 and unicodedata.combining(clean[cut]):
        cut -= 1  # the mark belongs to the character before it: cut before both
    return clean[:cut].rstrip() + "…"
