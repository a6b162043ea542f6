"""What the detector answers: one flagged line, why, and the numbers behind the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class AnomalyKind(StrEnum):
    OUTLIER = "outlier"
    NEW_MERCHANT_LARGE = "new_merchant_large"
    DUPLICATE = "duplicate"
    CARD_SPIKE = "card_spike"
    PRICE_RISE = "price_rise"


LANGUAGES = ("pt-BR", "en")


@dataclass(frozen=True)
class Anomaly:
    kind: AnomalyKind
    line_id: str
    booked_on: date
    score: float
    """How far from the usual, comparable across kinds: 1.0 is the threshold, higher is stranger."""
    reason: str
    """One sentence in the asked language."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """JSON-able: the numbers and line ids behind the reason, enough to render it again in
    another language (``shared.anomalies.reasons.render``)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "line_id": self.line_id,
            "date": self.booked_on.isoformat(),
            "score": round(self.score, 4),
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }
