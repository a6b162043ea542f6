"""Lambda entry of the ``activity`` consumer (the analytics rollups, kept from transaction
events): SQS batches from its EventBridge rule, with partial batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("activity")
