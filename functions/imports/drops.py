"""Statement files dropped in the lake: S3 event notifications, delivered through SQS.

Each SQS message carries one S3 notification (S3 → SQS), whose records name the objects created.
Keys arrive URL-encoded (a space as ``+``). A message that is not such a notification fails its
record, so SQS retries it and then parks it in the dead-letter queue, where an alarm sees it. A
drop that can never import — the object is gone, the key is not a drop, the user or account is
not the tenant's — is logged and acknowledged: retrying cannot change it, and the file, if it is
there, stays in the lake.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.domain.errors import InvalidInput, NotFound, PermissionDenied
from shared.services.imports import ImportService

logger = logging.getLogger(__name__)

_PERMANENT = (InvalidInput, NotFound, PermissionDenied)


class MalformedMessage(ValueError):
    """The SQS message is not an S3 event notification."""


def created_keys(body: str) -> Iterator[str]:
    """The object keys an S3 notification announces, decoded; nothing for S3's test event."""
    try:
        message: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedMessage(f"the message is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise MalformedMessage("the message is not an S3 event notification")
    if message.get("Event") == "s3:TestEvent":
        return
    records = message.get("Records")
    if not isinstance(records, list):
        raise MalformedMessage("the message has no Records: not an S3 event notification")
    for record in records:
        try:
            key = record["s3"]["object"]["key"]
        except (KeyError, TypeError) as exc:
            raise MalformedMessage(f"a record names no object: {exc!r}") from exc
        if not isinstance(key, str) or not key:
            raise MalformedMessage("a record names no object")
        if str(record.get("eventName", "")).startswith("ObjectCreated"):
            yield unquote_plus(key)


def import_drops(imports: ImportService, record: SQSRecord) -> None:
    """Imports every file the message announces; raises to have the message retried."""
    for key in created_keys(record.body):
        try:
            result = imports.import_drop(key)
        except _PERMANENT as refused:
            logger.error("drop %s not imported: %s", key, refused.detail)
            continue
        if result is None:
            logger.info("drop %s is an upload's original, imported with the upload", key)
        else:
            logger.info(
                "drop %s imported as %s: %s, %d imported, %d duplicates, %d rejected",
                key,
                result.id,
                result.status,
                result.imported,
                result.duplicates,
                result.rejected,
            )
