"""Lambda entry of the ``search`` consumer (the transactions' search index, kept from
transaction events): SQS batches from its EventBridge rule, with partial batch failures."""

from __future__ import annotations

from shared.consumer_entry import consumer_handler

handler = consumer_handler("search")
