"""Lambda entry of the imports context: API Gateway proxy events (uploads and reports) and SQS
batches of S3 notifications (statement files dropped in the lake)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.imports.drops import import_drops
from functions.imports.router import router
from shared.bootstrap import Container, bootstrap
from shared.http.lambda_entry import api_handler

_api = api_handler(router)


@cache
def _container() -> Container:
    return bootstrap()


def _drop(record: SQSRecord) -> None:
    import_drops(_container().imports, record)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if _is_sqs_batch(event):
        # Only the messages that failed are retried (the function reports batch item failures).
        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(
            process_partial_response(
                event=event, record_handler=_drop, processor=processor, context=context
            )
        )
    return _api(event, context)


def _is_sqs_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and isinstance(records[0], dict)
        and records[0].get("eventSource") == "aws:sqs"
    )
