"""Bank statements dropped into the lake are imported without the API: an object created under
``raw/bank_statements/{tenant}/{user}/{account}/{file}`` → S3 event notification → an encrypted
queue (:class:`~stacks.constructs.events.ConsumerQueue`: dead-letter queue, alarms) → the
imports function, which processes each batch with Powertools' ``BatchProcessor`` and reports the
records that failed (``batchItemFailures``), so only those are received again.

The primary region only: the standby's lake is the replica, which it reads but does not write,
so nothing there is notified (docs/runbooks/disaster-recovery.md).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from stacks.constructs.events import ConsumerQueue
from stacks.constructs.function import FluxoFunction, Sizing
from stacks.constructs.lake import BANK_STATEMENTS, Lake

IMPORTS_SIZING = Sizing(memory_mb=2048, timeout=Duration.minutes(10))
"""The imports function reads a whole statement (a million rows is ≈ 100 MB of CSV) and parses
it in Python, which is CPU-bound: 2,048 MB gives it more than one full vCPU (Lambda gives one
at 1,769 MB) and room for the file and its rows. Ten minutes for one large file, well under
Lambda's 15. API calls to the same function are still cut at 29 s by API Gateway, whatever
the function's timeout: large files go through the drop path, not the API."""

BATCH_SIZE = 5
"""Few files per invocation: one slow file delays only four others, and a batch fits the
timeout unless several files are very large (a timeout retries the whole batch)."""
BATCHING_WINDOW = Duration.seconds(20)
"""Files of one drop (several accounts, or a month's statements) usually arrive together."""
MAX_CONCURRENCY = 5
"""At most five imports at once, each holding a database connection through RDS Proxy for
minutes; the rest wait in the queue."""
MAX_RECEIVE_COUNT = 3
"""A file that fails three times goes to the dead-letter queue (alarmed). Each failed receive
waits out the visibility timeout (about an hour) before it is retried."""
MAX_MESSAGE_AGE = Duration.minutes(30)
"""A drop is imported within minutes; half an hour means the consumer is failing or stuck."""
RETENTION = Duration.days(7)
"""A week: drops wait out a long weekend with the consumer stopped (a failover fences it), and
still keep at least a week in the dead-letter queue (14 days from when S3 sent them)."""


def visibility_timeout(function_timeout: Duration) -> Duration:
    """AWS's advice for an SQS event source: at least six times the function's timeout, plus
    the batching window, so a batch still being processed is not received a second time."""
    return Duration.seconds(6 * function_timeout.to_seconds() + BATCHING_WINDOW.to_seconds())


class StatementDrops(Construct):
    """The queue of statements dropped into ``lake`` under ``raw/bank_statements/``, and
    ``consumer`` (the imports function) reading it. What the function may do in the lake is
    granted by the stack (it needs the same for files uploaded through the API)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        lake: Lake,
        key: kms.IKey,
        consumer: FluxoFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = consumer.function.timeout or Duration.seconds(3)
        self.queue = ConsumerQueue(
            self,
            "Queue",
            key=key,
            visibility_timeout=visibility_timeout(timeout),
            max_receive_count=MAX_RECEIVE_COUNT,
            max_message_age=MAX_MESSAGE_AGE,
            retention_period=RETENTION,
        )
        lake.notify_queue(self.queue.queue, prefix=BANK_STATEMENTS)
        # Grants the function ReceiveMessage/DeleteMessage/ChangeMessageVisibility on this
        # queue and kms:Decrypt on its key.
        consumer.function.add_event_source(
            sources.SqsEventSource(
                self.queue.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                report_batch_item_failures=True,
                max_concurrency=MAX_CONCURRENCY,
            )
        )
