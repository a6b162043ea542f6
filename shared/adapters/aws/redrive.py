"""Moving a consumer's dead letters back to its queue (``fluxo events redrive``).

The dead-letter queue is found from the queue's ``RedrivePolicy`` (or named). Messages are
received from it ten at a time, sent to the queue with the same body and attributes, and only
then deleted from the dead-letter queue: a crash in between leaves a message in both, which the
consumers' idempotency makes harmless, never in neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BATCH = 10  # SQS's limit for ReceiveMessage, SendMessageBatch and DeleteMessageBatch


class RedriveError(RuntimeError):
    pass


@dataclass(frozen=True)
class Redriven:
    queue_url: str
    dead_letter_url: str
    moved: int


def queue_url(sqs: Any, name_or_url: str) -> str:
    if name_or_url.startswith(("https://", "http://")):
        return name_or_url
    try:
        return str(sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"])
    except Exception as error:  # botocore's QueueDoesNotExist, access denied…
        raise RedriveError(f"no queue {name_or_url!r}: {error}") from error


def dead_letter_url(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        raise RedriveError(f"{url} has no dead-letter queue (no RedrivePolicy); name one")
    arn = json.loads(policy)["deadLetterTargetArn"]
    account, name = arn.split(":")[4], arn.split(":")[5]
    return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def redrive(
    sqs: Any, queue: str, *, dead_letters: str | None = None, limit: int | None = None
) -> Redriven:
    """Moves the messages of ``queue``'s dead-letter queue (or of ``dead_letters``) back to
    ``queue``; at most ``limit`` if given. Stops when a receive comes back empty."""
    url = queue_url(sqs, queue)
    source = queue_url(sqs, dead_letters) if dead_letters else dead_letter_url(sqs, url)
    moved = 0
    while limit is None or moved < limit:
        wanted = BATCH if limit is None else min(BATCH, limit - moved)
        messages = sqs.receive_message(
            QueueUrl=source,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            # Long enough to copy them; a message left behind reappears in the DLQ.
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not messages:
            break
        entries = [
            {
                "Id": str(number),
                "MessageBody": message["Body"],
                **(
                    {"MessageAttributes": message["MessageAttributes"]}
                    if message.get("MessageAttributes")
                    else {}
                ),
            }
            for number, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        ok = {int(entry["Id"]) for entry in sent.get("Successful", [])}
        done = [message for number, message in enumerate(messages) if number in ok]
        if done:
            sqs.delete_message_batch(
                QueueUrl=source,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
        moved += len(done)
        if len(done) < len(messages):
            failed = sent.get("Failed", [])
            raise RedriveError(f"moved {moved}, then SQS refused {len(failed)}: {failed[:1]}")
    return Redriven(url, source, moved)
