"""Lambda entry of the ``goals`` consumer (recomputes savings goals from transaction events and
announces their milestones): SQS batches from its EventBridge rule, with partial batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("goals")
