"""The Lambda side of an event consumer: an SQS batch (an EventBridge rule's target queue) run
through Powertools' ``BatchProcessor``, one record at a time, reporting the records that failed
(``batchItemFailures``) so SQS delivers only those again; after the queue's maximum receives a
record moves to the dead-letter queue (``fluxo events redrive`` brings it back).

A consumer's function under ``functions/<context>/`` is one line::

    handler = consumer_handler("activity")

Nothing is built at import time: the container is made on the first invocation and kept while
the Lambda is warm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.consumers import Consumer, ConsumerRunner, event_from_message

if TYPE_CHECKING:
    from shared.bootstrap import Container

logger = logging.getLogger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def process_batch(
    event: dict[str, Any], context: Any, *, consumer: Consumer, runner: ConsumerRunner
) -> dict[str, Any]:
    """Applies ``consumer`` to every record of an SQS event; returns the partial-failure
    response. A record fails when its body holds no event (it will end in the dead-letter
    queue) or when applying it raised (rolled back; retried). A repeat is not a failure."""

    def record_handler(record: SQSRecord) -> str:
        domain_event = event_from_message(record.body)
        outcome = runner.apply(consumer, domain_event)
        logger.info(
            "%s %s %s: %s",
            consumer.name,
            domain_event.type,
            domain_event.id,
            outcome.value,
            extra={
                "consumer": consumer.name,
                "event_id": str(domain_event.id),
                "correlation_id": domain_event.metadata.correlation_id,
                "outcome": outcome.value,
            },
        )
        return outcome.value

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )


def consumer_handler(name: str, container: Callable[[], Container] | None = None) -> LambdaHandler:
    """The Lambda handler of the consumer called ``name`` in ``Container.consumers``."""
    build = cache(container or _bootstrap)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        built = build()
        return process_batch(
            event, context, consumer=built.consumer(name), runner=built.consumer_runner
        )

    return handler


def _bootstrap() -> Container:
    from shared.bootstrap import bootstrap

    return bootstrap()
