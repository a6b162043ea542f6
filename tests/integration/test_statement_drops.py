"""A statement dropped in the lake is imported: S3 notification → SQS → the imports function →
the database, on a moto server over HTTP. Malformed messages are retried (then dead-lettered),
drops that can never import are acknowledged and logged, an upload's original is left alone."""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.bootstrap import Container
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.workspaces import NewWorkspace
from shared.settings import get_settings
from tests.support.aws_events import FakeLambdaContext, s3_event, sqs_event, sqs_record
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

STATEMENT = b"date,title,amount\n2024-03-05,Padaria,7.50\n2024-03-06,Mercado,120.00\n"


@dataclass
class Lake:
    s3: Any
    sqs: Any
    bucket: str
    queue_url: str
    handler: ModuleType
    container: Container
    caller: Caller
    account_id: UUID

    def drop_key(self, filename: str) -> str:
        tenant, user = self.caller.tenant_id, self.caller.user_id
        return f"raw/bank_statements/{tenant}/{user}/{self.account_id}/{filename}"

    def messages(self, expected: int) -> list[dict[str, Any]]:
        """The notifications S3 sent, without S3's test event."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        while len(received) < expected and time.monotonic() < deadline:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in batch:
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                if "s3:TestEvent" not in message["Body"]:
                    received.append(message)
        return received

    def invoke(self, *records: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.handler(sqs_event(*records), FakeLambdaContext())
        return result

    def transactions(self) -> list[Any]:
        from sqlalchemy import select

        from shared.db.models import Transaction

        with self.container.db.admin_session() as session:
            return list(session.scalars(select(Transaction)))

    def imports(self) -> list[Any]:
        from sqlalchemy import select

        from shared.db.models import ImportRecord

        with self.container.db.admin_session() as session:
            return list(session.scalars(select(ImportRecord).order_by(ImportRecord.started_at)))


def as_lambda_record(message: dict[str, Any]) -> dict[str, Any]:
    return sqs_record(message["Body"], message_id=message["MessageId"])


@pytest.fixture
def lake(
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
) -> Iterator[Lake]:
    s3, sqs = moto_server.client("s3"), moto_server.client("sqs")
    bucket = f"lake-{uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=f"drops-{uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/bank_statements/"}]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": rule}
            ]
        },
    )
    for name, value in {
        **moto_server.environment(),
        "FLUXO_HOME": str(tmp_path),
        "FLUXO_DATABASE_URL": database_url,
        "FLUXO_LAKE_BUCKET": bucket,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    handler = importlib.import_module("functions.imports.handler")
    handler._container.cache_clear()
    container: Container = handler._container()  # the function's own composition root
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}), email="ana@example.com")
    view, _ = container.workspaces.create(owner, NewWorkspace(name="Casa"))
    caller = Caller(
        Principal(owner.user_id, view.tenant.id, frozenset({Role.OWNER})), view.tenant.id
    )
    account, _ = container.accounts.create(caller, NewAccount("Cartão", AccountKind.CREDIT_CARD))
    try:
        yield Lake(s3, sqs, bucket, queue_url, handler, container, caller, account.id)
    finally:
        container.close()
        handler._container.cache_clear()
        get_settings.cache_clear()


def test_given_a_file_dropped_under_an_account_then_it_is_imported_with_a_report(lake: Lake):
    key = lake.drop_key("extrato março 2024.csv")  # a space and an accent: URL-encoded in events

    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=STATEMENT)
    [message] = lake.messages(expected=1)
    result = lake.invoke(as_lambda_record(message))

    assert result == {"batchItemFailures": []}
    [record] = lake.imports()
    assert (record.status, record.imported, record.lake_key) == ("completed", 2, key)
    assert record.user_id == lake.caller.user_id
    assert sorted(t.amount for t in lake.transactions()) == [Decimal("-120.00"), Decimal("-7.50")]
    reports = lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix="processed/import_reports/")
    [report_key] = [item["Key"] for item in reports["Contents"]]
    assert report_key.startswith(
        f"processed/import_reports/{lake.caller.tenant_id}/{lake.caller.user_id}/{lake.account_id}/"
    )
    report = json.loads(lake.s3.get_object(Bucket=lake.bucket, Key=report_key)["Body"].read())
    assert (report["import_id"], report["imported"], report["issues"]) == (str(record.id), 2, [])
    # The original is where it was dropped, untouched.
    assert lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read() == STATEMENT


def test_given_the_same_notification_twice_then_the_second_creates_nothing(lake: Lake):
    key = lake.drop_key("extrato.csv")
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=STATEMENT)
    [message] = lake.messages(expected=1)

    lake.invoke(as_lambda_record(message))
    lake.invoke(as_lambda_record(message))  # SQS delivers at least once

    first, second = lake.imports()
    assert (first.imported, second.imported, second.duplicates) == (2, 0, 2)


def test_given_a_malformed_message_in_a_batch_then_only_that_message_is_retried(lake: Lake):
    key = lake.drop_key("extrato.csv")
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=STATEMENT)
    [message] = lake.messages(expected=1)
    broken = sqs_record("{not json", message_id="broken-1")
    not_s3 = sqs_record({"hello": "world"}, message_id="broken-2")

    result = lake.invoke(broken, as_lambda_record(message), not_s3)

    assert result == {
        "batchItemFailures": [{"itemIdentifier": "broken-1"}, {"itemIdentifier": "broken-2"}]
    }
    assert [record.imported for record in lake.imports()] == [2]


def test_given_an_object_gone_before_its_message_then_it_is_acknowledged_and_logged(
    lake: Lake, caplog: pytest.LogCaptureFixture
):
    key = lake.drop_key("apagado.csv")
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=STATEMENT)
    [message] = lake.messages(expected=1)
    lake.s3.delete_object(Bucket=lake.bucket, Key=key)

    with caplog.at_level(logging.ERROR, logger="functions.imports.drops"):
        result = lake.invoke(as_lambda_record(message))

    assert result == {"batchItemFailures": []}  # retrying cannot bring it back
    assert lake.imports() == []
    assert any(key in line and "not found" in line for line in caplog.messages)


@pytest.mark.parametrize(
    "make_key",
    [
        lambda lake: f"raw/bank_statements/{lake.caller.tenant_id}/loose-file.csv",
        lambda lake: lake.drop_key("x.csv").replace(str(lake.caller.user_id), str(uuid4())),
        lambda lake: lake.drop_key("x.csv").replace(str(lake.account_id), str(uuid4())),
    ],
    ids=["not-a-drop-key", "user-not-a-member", "account-of-no-one"],
)
def test_given_a_drop_that_can_never_import_then_it_is_logged_and_nothing_is_written(
    lake: Lake, caplog: pytest.LogCaptureFixture, make_key: Any
):
    key = make_key(lake)
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=STATEMENT)

    with caplog.at_level(logging.ERROR, logger="functions.imports.drops"):
        result = lake.invoke(sqs_record(s3_event(lake.bucket, key)))

    assert result == {"batchItemFailures": []}
    assert lake.imports() == []
    assert any(key in line for line in caplog.messages)


def test_given_an_upload_through_the_api_then_its_stored_original_is_not_imported_again(
    lake: Lake,
):
    record = lake.container.imports.import_file(
        lake.caller, lake.account_id, STATEMENT, filename="upload.csv"
    )
    [message] = lake.messages(expected=1)  # the original landed under the drop prefix
    assert record.lake_key in json.dumps(json.loads(message["Body"])).replace("%2F", "/")

    result = lake.invoke(as_lambda_record(message))

    assert result == {"batchItemFailures": []}
    assert [item.id for item in lake.imports()] == [record.id]
