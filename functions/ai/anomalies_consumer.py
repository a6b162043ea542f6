"""Lambda entry of the ``anomalies`` consumer (judges new transactions against the workspace's
history and raises ``AnomalyDetected``): SQS batches from its EventBridge rule, with partial
batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("anomalies")
