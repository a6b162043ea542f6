"""Learning from corrections: the category a person keeps choosing for a merchant.

When someone recategorises a transaction by hand, the choice is remembered under the
transaction's merchant, keyed the way categorisers compare merchants (``merchant_key``: the
stored merchant folded, or, when the transaction has none, the merchant read from its
description). A merchant keeps its last ``KEPT_CHOICES`` choices with their time, one per
transaction (a transaction recategorised again replaces its earlier choice), and only choices
of the last ``WINDOW`` count.

The most frequent of those recent choices wins; a tie goes to the one chosen last. How sure
that is grows with the agreement of the choices and with how many agree::

    confidence = agreement × (1 − 0.2 ** agreeing)        (at most MAX_CONFIDENCE)

    1 of 1 → 0.80    2 of 2 → 0.96    3 of 3 → 0.99
    2 of 3 → 0.64    3 of 4 → 0.74    4 of 5 → 0.80
    1 of 2 → 0.40    2 of 4 → 0.48    3 of 5 → 0.595   (under 0.6: review)

so one correction is enough to categorise the merchant's next lines, while choices that
disagree (a merchant the person files under two categories) put its lines up for review
(below ``REVIEW_BELOW``) instead of guessing.

``LearnedCategoriser`` answers, for a batch of lines, with the learned category of each line's
merchant (source ``learned``), and hands every line whose merchant was never corrected (or
whose learning is switched off) to its ``fallback`` in one call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.categorisation.merchant import fold, normalise_merchant
from shared.categorisation.model import LineToCategorise, Verdict
from shared.ports import Categoriser

SOURCE = "learned"
KEPT_CHOICES = 5
"""Choices a merchant remembers, the newest; an older one is forgotten when a new one comes."""
WINDOW = timedelta(days=365)
"""Choices older than this no longer count: habits change, a year covers yearly purchases."""
MAX_CONFIDENCE = 0.99
"""A learned category is never as sure as a rule the person wrote (1.0)."""
KEY_LENGTH = 200


def merchant_key(merchant: str | None, description: str) -> str:
    """The key a transaction's merchant is learned under: its stored merchant, or the merchant
    read from the description when it has none, folded (accents, case and punctuation ignored).
    Empty when it has no letter or digit (nothing is learned then)."""
    if merchant and merchant.strip():
        return key_of(merchant)
    return key_of(normalise_merchant(description).name)


def key_of(name: str) -> str:
    """A merchant's name as a key: ``"Pão de Açúcar"`` → ``"pao de acucar"``."""
    return fold(name[:KEY_LENGTH])[:KEY_LENGTH]


def line_merchant(line: LineToCategorise) -> str:
    """The merchant's name for a statement line, as an import would store it when no rule
    renames it: the bank's name for the other side, or the one read from the descriptor."""
    return _named(line.description, line.counterparty_name)[0]


@lru_cache(maxsize=65_536)
def _named(description: str, counterparty: str | None) -> tuple[str, str]:
    """The line's merchant and its key; statements repeat merchants, so each is read once."""
    if counterparty and counterparty.strip():
        return counterparty, key_of(counterparty)
    name = normalise_merchant(description).name
    return name, key_of(name)


@dataclass(frozen=True)
class Choice:
    """A category a person chose by hand for one of the merchant's transactions."""

    category_id: UUID
    chosen_at: datetime
    transaction_id: UUID | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category_id": str(self.category_id),
            "chosen_at": self.chosen_at.isoformat(),
        }
        if self.transaction_id is not None:
            data["transaction_id"] = str(self.transaction_id)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Choice:
        transaction = data.get("transaction_id")
        return cls(
            category_id=UUID(str(data["category_id"])),
            chosen_at=datetime.fromisoformat(str(data["chosen_at"])),
            transaction_id=None if transaction is None else UUID(str(transaction)),
        )


def remembered(choices: Sequence[Choice], new: Choice, now: datetime) -> list[Choice]:
    """The choices to keep once ``new`` is made: the newest ``KEPT_CHOICES`` within the
    window, one per transaction (its latest), oldest first."""
    kept = [
        choice
        for choice in choices
        if now - choice.chosen_at <= WINDOW
        and (new.transaction_id is None or choice.transaction_id != new.transaction_id)
    ]
    kept.append(new)
    kept.sort(key=lambda choice: choice.chosen_at)
    return kept[-KEPT_CHOICES:]


@dataclass(frozen=True)
class Decision:
    """What a merchant's recent choices say."""

    category_id: UUID
    agreeing: int
    """Recent choices of ``category_id``."""
    considered: int
    """Recent choices in all."""
    confidence: float

    def evidence(self, category_name: str, merchant: str) -> str:
        times = "time" if self.considered == 1 else "times"
        return (
            f"you chose {category_name} for {merchant} {self.agreeing} of the last "
            f"{self.considered} {times}"
        )


def decide(choices: Iterable[Choice], now: datetime) -> Decision | None:
    """The most frequent recent choice (a tie: the one chosen last), or None when there is
    no choice within the window."""
    recent = sorted(
        (choice for choice in choices if now - choice.chosen_at <= WINDOW),
        key=lambda choice: choice.chosen_at,
    )[-KEPT_CHOICES:]
    if not recent:
        return None
    counts = Counter(choice.category_id for choice in recent)
    last = {choice.category_id: index for index, choice in enumerate(recent)}
    winner = max(counts, key=lambda category: (counts[category], last[category]))
    agreeing = counts[winner]
    return Decision(winner, agreeing, len(recent), confidence(agreeing, len(recent)))


def confidence(agreeing: int, considered: int) -> float:
    """See the module's docstring."""
    if agreeing <= 0 or considered <= 0:
        return 0.0
    value = agreeing / considered * (1 - 0.2**agreeing)
    return round(min(value, MAX_CONFIDENCE), 4)


@dataclass(frozen=True)
class LearnedMerchant:
    """A merchant's learning as a categoriser reads it."""

    key: str
    name: str
    enabled: bool
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class _Known:
    slug: str
    confidence: float
    evidence: str


class LearnedCategoriser:
    """A tenant's learned merchants ahead of another categoriser (the ``fallback``).

    ``category_slugs`` turns a category id into the slug a verdict carries, and
    ``category_names`` names it in the evidence; a learned category that is not there
    (archived since) decides nothing. Merchants whose learning is switched off are ignored.
    Every decision is made once, when the categoriser is built, at ``now``.
    """

    def __init__(
        self,
        merchants: Iterable[LearnedMerchant],
        category_slugs: Mapping[UUID, str],
        category_names: Mapping[UUID, str],
        now: datetime,
        fallback: Categoriser | None = None,
    ) -> None:
        self._known: dict[str, _Known] = {}
        for merchant in merchants:
            if not merchant.enabled or not merchant.key:
                continue
            decision = decide(merchant.choices, now)
            if decision is None or decision.category_id not in category_slugs:
                continue
            name = category_names.get(decision.category_id) or category_slugs[decision.category_id]
            self._known[merchant.key] = _Known(
                category_slugs[decision.category_id],
                decision.confidence,
                decision.evidence(name, merchant.name),
            )
        self._fallback = fallback

    def __len__(self) -> int:
        """How many merchants it can decide."""
        return len(self._known)

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        decided: list[Verdict | None] = []
        pending: list[tuple[int, str]] = []
        for index, line in enumerate(lines):
            merchant, key = _named(line.description, line.counterparty_name)
            known = self._known.get(key)
            if known is None:
                decided.append(None)
                pending.append((index, merchant))
            else:
                decided.append(
                    Verdict(known.slug, merchant, SOURCE, known.confidence, known.evidence)
                )
        if pending:
            others = self._others([lines[index] for index, _ in pending])
            for (index, merchant), other in zip(pending, others, strict=True):
                decided[index] = other or Verdict(
                    None, merchant, SOURCE, 0.0, "nothing learned for this merchant"
                )
        return [verdict for verdict in decided if verdict is not None]

    def _others(self, lines: Sequence[LineToCategorise]) -> Sequence[Verdict | None]:
        if self._fallback is None:
            return [None] * len(lines)
        return self._fallback.categorise(lines)
