"""Lambda entry of the ``budgets`` consumer (recomputes budgets from transaction events and
raises their alerts): SQS batches from its EventBridge rule, with partial batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("budgets")
