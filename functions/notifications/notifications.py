"""Lambda entry of the ``notifications`` consumer (records and sends the alerts people asked
for): SQS batches from its EventBridge rule, with partial batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("notifications")
