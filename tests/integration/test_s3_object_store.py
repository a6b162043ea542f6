"""The lake on S3, against a moto server over HTTP: streamed multipart puts, metadata, paging."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from shared.adapters.aws.s3_object_store import S3ObjectStore
from shared.adapters.local.object_store import FolderObjectStore
from shared.bootstrap import bootstrap
from shared.domain.errors import NotFound
from shared.settings import Settings
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

MIB = 1024 * 1024
# S3 (and moto) refuse parts under 5 MiB except the last, and boto3 never makes them smaller:
# the smallest multipart upload is therefore one full 5 MiB part and a short last one.
SMALL_TRANSFER = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
KEY = "raw/bank_statements/t1/u1/i1/extrato.csv"


class RecordingReader(io.BytesIO):
    """A file object that remembers how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return super().read(size)


@pytest.fixture
def s3(moto_server: MotoServer) -> Any:
    return moto_server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    name = f"lake-{uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def store(s3: Any, bucket: str) -> S3ObjectStore:
    return S3ObjectStore(bucket, s3, transfer_config=SMALL_TRANSFER)


def test_given_bytes_when_put_then_get_returns_them_with_the_content_type(
    store: S3ObjectStore, s3: Any, bucket: str
):
    store.put(KEY, b"data;valor\n01/11/2026;-5,00\n", content_type="text/csv")

    assert store.get(KEY) == b"data;valor\n01/11/2026;-5,00\n"
    assert s3.head_object(Bucket=bucket, Key=KEY)["ContentType"] == "text/csv"
    assert store.exists(KEY)


def test_given_a_file_larger_than_the_threshold_when_put_then_it_goes_up_in_parts(
    store: S3ObjectStore, s3: Any, bucket: str
):
    content = hashlib.sha256(b"seed").digest() * (6 * MIB // 32 + 5)  # 6 MiB and a bit
    reader = RecordingReader(content)

    store.put(KEY, reader, metadata={"Source": "upload"})

    head = s3.head_object(Bucket=bucket, Key=KEY)
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload of two parts
    assert head["ContentLength"] == len(content)
    assert head["Metadata"] == {"source": "upload"}
    assert reader.reads, "the file object was not read by the transfer"
    assert all(size is not None and 0 <= size <= 5 * MIB for size in reader.reads)
    assert store.get(KEY) == content


def test_metadata_round_trips_through_a_download_into_a_spooled_file(store: S3ObjectStore):
    content = b"x" * (2 * MIB + 3)
    store.put(
        KEY,
        content,
        metadata={"Tenant-Id": "t1", "original-name": "Extrato Novembro.csv"},
    )

    with tempfile.SpooledTemporaryFile(max_size=64 * 1024) as target:
        metadata = store.download(KEY, target)  # type: ignore[arg-type]
        target.seek(0)
        assert target.read() == content
    assert metadata == {"tenant-id": "t1", "original-name": "Extrato Novembro.csv"}


def test_a_file_put_stays_open_for_the_caller_to_read_again(store: S3ObjectStore):
    # The import stores the original, then reads the same file: the upload must not close it.
    source = io.BytesIO(b"date,title,amount\n2024-01-05,Padaria,7.50\n")

    store.put("raw/bank_statements/t/u/a/extrato.csv", source)

    assert not source.closed
    source.seek(0)
    assert source.read() == store.get("raw/bank_statements/t/u/a/extrato.csv")


def test_an_object_without_metadata_downloads_with_none(store: S3ObjectStore):
    store.put(KEY, io.BytesIO(b"small stream"))

    target = io.BytesIO()
    assert store.download(KEY, target) == {}
    assert target.getvalue() == b"small stream"


def test_list_returns_the_prefix_only_across_several_pages(s3: Any, bucket: str):
    calls: list[dict[str, Any]] = []
    s3.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2", lambda params, **_: calls.append(dict(params))
    )
    store = S3ObjectStore(bucket, s3, page_size=2)
    wanted = [f"raw/bank_statements/t1/u1/i{n}/f.csv" for n in range(5)]
    for key in [*wanted, "raw/bank_statements/t2/u1/i9/f.csv", "reports/t1/2026-11.pdf"]:
        store.put(key, key.encode())

    assert list(store.list("raw/bank_statements/t1/")) == wanted
    assert len(calls) == 3  # 2 + 2 + 1 keys
    assert {call["MaxKeys"] for call in calls} == {2}
    assert list(store.list("nothing/")) == []


def test_a_missing_key_is_not_found(store: S3ObjectStore):
    target = io.BytesIO()

    with pytest.raises(NotFound):
        store.get("raw/missing.csv")
    with pytest.raises(NotFound):
        store.download("raw/missing.csv", target)
    assert not store.exists("raw/missing.csv")
    assert target.getvalue() == b""


def test_delete_removes_the_object_and_tolerates_a_missing_one(store: S3ObjectStore):
    store.put(KEY, b"a")
    store.put("raw/other.csv", b"b")

    store.delete(KEY)
    store.delete(KEY)

    assert not store.exists(KEY)
    assert list(store.list("raw/")) == ["raw/other.csv"]


def test_errors_other_than_a_missing_key_are_not_disguised_as_not_found(s3: Any):
    store = S3ObjectStore(f"no-such-bucket-{uuid4().hex[:8]}", s3)

    with pytest.raises(ClientError) as on_get:
        store.get(KEY)
    with pytest.raises(ClientError) as on_download:
        store.download(KEY, io.BytesIO())

    assert on_get.value.response["Error"]["Code"] == "NoSuchBucket"
    assert on_download.value.response["Error"]["Code"] == "NoSuchBucket"


def test_bootstrap_puts_the_lake_in_the_bucket_when_one_is_set(
    moto_server: MotoServer,
    s3: Any,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_template_path: Path,
):
    from tests.support.databases import sqlite_copy

    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        home=tmp_path, database_url=sqlite_copy(sqlite_template_path, tmp_path), lake_bucket=bucket
    )
    container = bootstrap(settings)
    try:
        assert isinstance(container.object_store, S3ObjectStore)
        container.object_store.put(KEY, b"via bootstrap", metadata={"source": "test"})
    finally:
        container.close()

    stored = s3.get_object(Bucket=bucket, Key=KEY)
    assert stored["Body"].read() == b"via bootstrap"
    assert stored["Metadata"] == {"source": "test"}
    assert not (tmp_path / "lake").exists()


def test_bootstrap_keeps_the_folder_lake_without_a_bucket(
    tmp_path: Path, sqlite_template_path: Path
):
    from tests.support.databases import sqlite_copy

    settings = Settings(home=tmp_path, database_url=sqlite_copy(sqlite_template_path, tmp_path))
    container = bootstrap(settings)
    try:
        assert isinstance(container.object_store, FolderObjectStore)
        assert container.object_store.root == tmp_path / "lake"
    finally:
        container.close()


def test_a_presigned_url_reads_the_object_without_credentials(store: S3ObjectStore):
    import requests

    store.put("reports/t1/u1/2026-10/report.html", b"<p>ok</p>", content_type="text/html")

    url = store.url("reports/t1/u1/2026-10/report.html", 3600)

    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    assert answer.content == b"<p>ok</p>"


def test_a_presigned_url_lasts_seven_days_at_most():
    asked: dict[str, Any] = {}

    class Signer:
        def generate_presigned_url(self, operation: str, **kwargs: Any) -> str:
            asked.update(kwargs, operation=operation)
            return "https://signed"

    store = S3ObjectStore("lake", Signer())

    assert store.url("reports/x.html", 30 * 24 * 3600) == "https://signed"
    assert asked == {
        "operation": "get_object",
        "Params": {"Bucket": "lake", "Key": "reports/x.html"},
        "ExpiresIn": 7 * 24 * 3600,
    }
