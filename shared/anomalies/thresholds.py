"""The detector's thresholds: built-in defaults, or the ones ``fluxo ml train --model anomalies``
tuned on the training households (``ml/artifacts/anomalies.json``) when that file is there."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

DEFAULT_ARTEFACT = Path(__file__).resolve().parents[2] / "ml" / "artifacts" / "anomalies.json"


@dataclass(frozen=True)
class Thresholds:
    history_days: int = 365
    """How far back a line's usual is read."""
    settled_days: int = 60
    """History a workspace needs before a first visit or a busy day can be called unusual."""

    outlier_ratio: float = 4.0
    """An amount this many times the merchant's (or category's) median…"""
    outlier_z: float = 5.0
    """…and this many robust standard deviations (1.4826 × MAD) above it."""
    outlier_min_lines: int = 3
    """Earlier lines a merchant needs before its usual amount is trusted."""
    outlier_spread_floor: float = 0.1
    """The spread never counts as less than this share of the median: a fixed-price habit has a
    MAD of zero, and any change would otherwise be infinitely unusual."""

    peak_factor: float = 2.0
    """In December and on Black Friday's weekend an amount must be this much more unusual."""

    new_merchant_income_share: float = 0.2
    """A first visit is large at this share of the usual monthly income or more…"""
    new_merchant_spend_multiple: float = 2.0
    """…and at this many times the largest single purchase of the history's 95th percentile."""

    new_merchant_category_share: float = 1.0
    """…and larger than this share of the category's largest purchase of the history (an
    instalment plan counts whole): a first visit in a kind of shop the household already spends
    that much in is not a new habit."""

    duplicate_days: int = 1
    """Same account, counterparty and amount this many days apart or less: the same charge
    twice (dates carry no time, so one day apart is within 48 hours)."""

    duplicate_fare_up_to: float = 20.0
    """Fares and tolls up to this amount repeat legitimately (two rides); above it, top-ups."""

    spike_window_days: int = 91
    """The card's usual day is read over this many days before the one judged."""
    spike_min_purchases: int = 6
    """A day needs at least this many card purchases to be a spike…"""
    spike_ratio: float = 2.0
    """…and this many times the usual busy day (the window's 95th percentile of purchases a day,
    at least one)…"""
    spike_amount_ratio: float = 1.5
    """…and this many times the usual busy day's amount."""

    price_rise_steady: int = 3
    """Charges at one exact price a series needs before the rise."""
    price_rise_min: float = 0.02
    """A fixed charge that grew by less than this share is rounding, not a price rise."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Thresholds:
        known = {f.name: f.type for f in fields(cls)}
        values = {name: raw[name] for name in known if name in raw}
        return replace(cls(), **values)


@lru_cache(maxsize=4)
def load_thresholds(path: Path = DEFAULT_ARTEFACT) -> Thresholds:
    """The tuned thresholds in ``path`` (``{"thresholds": {...}}``); the defaults when it is
    missing or unreadable, which the log says once per process."""
    try:
        document = json.loads(path.read_text())
        return Thresholds.from_json(document["thresholds"])
    except FileNotFoundError:
        return Thresholds()
    except (OSError, ValueError, KeyError, TypeError) as error:
        _log.warning("ignoring the anomaly thresholds in %s: %s", path, error)
        return Thresholds()
