"""Anomaly detection over statement lines: robust per-merchant and per-category statistics,
first visits with a large amount, duplicated charges, card-activity spikes and subscription
price rises. Pure Python (no numpy) so that an event consumer runs it without the models layer."""

from shared.anomalies.detector import detect, zscore_baseline
from shared.anomalies.model import LANGUAGES, Anomaly, AnomalyKind

__all__ = ["LANGUAGES", "Anomaly", "AnomalyKind", "detect", "zscore_baseline"]
