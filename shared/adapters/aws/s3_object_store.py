"""The lake on AWS: one S3 bucket.

Requests never name an encryption algorithm or key: the bucket's default encryption (SSE-KMS,
set by the CDK stack) applies to every object, and a request that named something else could
only weaken it. A missing object becomes ``NotFound``; any other S3 error propagates unchanged,
so throttling or a missing grant is not mistaken for an absent file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

from shared.domain.errors import NotFound

_CHUNK = 1024 * 1024
MAX_LINK_SECONDS = 7 * 24 * 3600
"""The longest a SigV4 presigned URL may last."""
# ``NoSuchKey`` from GetObject; a bare ``404`` from HeadObject, which has no body to name it.
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3ObjectStore:
    """``client`` is a boto3 ``s3`` client (typed ``Any``: boto3-stubs is not a dependency).

    ``transfer_config`` (a ``boto3.s3.transfer.TransferConfig``) tunes the managed upload of
    file objects, multipart above its threshold; boto3's defaults when ``None``. ``page_size``
    is how many keys one ListObjectsV2 call asks for (S3 returns at most 1000).
    """

    def __init__(
        self,
        bucket: str,
        client: Any,
        *,
        transfer_config: Any | None = None,
        page_size: int = 1000,
    ) -> None:
        self.bucket = bucket
        self._client = client
        self._transfer = transfer_config
        self._page_size = page_size

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        extra: dict[str, Any] = {}
        if content_type is not None:
            extra["ContentType"] = content_type
        if metadata:
            extra["Metadata"] = dict(metadata)
        if isinstance(data, bytes | bytearray | memoryview):
            # Already in memory: one PutObject, without the transfer manager's thread pool.
            self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data), **extra)
            return
        # Read part by part and sent as a multipart upload above the threshold, so a large
        # file is never held whole in memory.
        self._client.upload_fileobj(
            _Lent(data), self.bucket, key, ExtraArgs=extra or None, Config=self._transfer
        )

    def get(self, key: str) -> bytes:
        response = self._get_object(key)
        body = response["Body"]
        try:
            content: bytes = body.read()
        finally:
            body.close()
        return content

    def download(self, key: str, target: BinaryIO) -> dict[str, str]:
        # One GetObject rather than a HEAD plus ranged GETs: the metadata returned is that of
        # the very version whose bytes were written, even if the key is replaced meanwhile.
        response = self._get_object(key)
        body = response["Body"]
        try:
            for chunk in body.iter_chunks(_CHUNK):
                target.write(chunk)
        finally:
            body.close()
        return {name.lower(): value for name, value in response.get("Metadata", {}).items()}

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` in S3's order, fetched a page at a time as they are consumed."""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self._page_size}
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"]

    def url(self, key: str, expires_seconds: int) -> str:
        """A presigned GetObject URL. S3 caps SigV4 links at seven days, and a link signed with
        a role's temporary credentials (a Lambda's) stops working when they expire, whichever
        comes first; the signer must keep ``s3:GetObject`` on the key for the link to work."""
        expires = max(1, min(expires_seconds, MAX_LINK_SECONDS))
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
        )
        return url

    def _get_object(self, key: str) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _is_missing(error):
                raise NotFound(f"object {key} not found", resource="object") from error
            raise
        return response


class _Lent:
    """The caller's file, lent to the transfer manager: it closes the files it has read (its
    chunk readers close their source), and the caller still has to read this one."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    def read(self, size: int = -1) -> bytes:
        return self._source.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._source.seekable()

    def close(self) -> None:
        """Left open: the file belongs to the caller."""


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING
