"""The embedded lake: streamed puts, metadata in a hidden sidecar, S3's rules for keys and order."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest

from shared.adapters.local.object_store import FolderObjectStore
from shared.domain.errors import InvalidInput, NotFound

KEY = "raw/bank_statements/t1/u1/i1/extrato.csv"


class ChunkedReader(io.RawIOBase):
    """A binary stream that refuses to be read whole and records every read it serves."""

    def __init__(self, data: bytes, *, fail_after: int | None = None) -> None:
        self._data = io.BytesIO(data)
        self._fail_after = fail_after
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the store read the whole stream at once")
        if self._fail_after is not None and self._data.tell() >= self._fail_after:
            raise OSError("connection reset while reading the upload")
        self.reads.append(size)
        return self._data.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def store(tmp_path: Path) -> FolderObjectStore:
    return FolderObjectStore(tmp_path / "lake")


def _files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_given_bytes_when_put_then_get_returns_them(store: FolderObjectStore):
    """What ImportService does today: positional bytes, no metadata."""
    store.put(KEY, b"data;valor\n01/11/2026;-5,00\n")

    assert store.get(KEY) == b"data;valor\n01/11/2026;-5,00\n"
    assert store.exists(KEY)


def test_given_a_file_object_when_put_then_it_is_copied_in_chunks_not_read_whole(
    store: FolderObjectStore,
):
    content = bytes(range(256)) * (12 * 1024 + 7)  # ≈ 3 MiB, not a multiple of the chunk
    reader = ChunkedReader(content)

    store.put(KEY, reader)  # type: ignore[arg-type]

    assert store.get(KEY) == content
    assert len(reader.reads) > 2
    assert max(reader.reads) <= 1024 * 1024


def test_given_a_stream_that_fails_midway_then_the_previous_object_is_kept_and_no_litter(
    store: FolderObjectStore,
):
    store.put(KEY, b"previous", metadata={"source": "upload"})

    with pytest.raises(OSError, match="connection reset"):
        store.put(KEY, ChunkedReader(b"x" * 3_000_000, fail_after=1_048_576))  # type: ignore[arg-type]

    target = io.BytesIO()
    assert store.download(KEY, target) == {"source": "upload"}
    assert target.getvalue() == b"previous"
    assert not [name for name in _files(store.root) if ".partial-" in name]


def test_metadata_round_trips_with_names_folded_to_lower_case(store: FolderObjectStore):
    store.put(
        KEY,
        io.BytesIO(b"conteudo"),
        content_type="text/csv",
        metadata={"Tenant-Id": "t1", "original-name": "Extrato Novembro.csv"},
    )

    with tempfile.SpooledTemporaryFile(max_size=4) as target:
        metadata = store.download(KEY, target)  # type: ignore[arg-type]
        target.seek(0)
        assert target.read() == b"conteudo"
    assert metadata == {"tenant-id": "t1", "original-name": "Extrato Novembro.csv"}


def test_an_object_put_without_metadata_does_not_keep_the_previous_metadata(
    store: FolderObjectStore,
):
    store.put(KEY, b"one", metadata={"version": "1"})
    store.put(KEY, b"two")

    target = io.BytesIO()
    assert store.download(KEY, target) == {}
    assert target.getvalue() == b"two"


def test_the_sidecar_exists_on_disk_but_is_never_listed(store: FolderObjectStore):
    store.put(KEY, b"a", metadata={"source": "upload"})
    store.put("raw/bank_statements/t1/u1/i2/b.ofx", b"b", content_type="application/x-ofx")

    on_disk = _files(store.root)
    assert len(on_disk) == 4  # two objects, two sidecars
    assert list(store.list("")) == [KEY, "raw/bank_statements/t1/u1/i2/b.ofx"]


def test_delete_removes_the_object_and_its_sidecar(store: FolderObjectStore):
    store.put(KEY, b"a", metadata={"source": "upload"})
    store.put("raw/other.csv", b"b")

    store.delete(KEY)
    store.delete(KEY)  # deleting twice is fine, as on S3

    assert not store.exists(KEY)
    assert _files(store.root) == ["raw/other.csv"]


def test_a_missing_key_is_not_found_for_get_and_download(store: FolderObjectStore):
    store.put("raw/folder/inside.csv", b"x")
    target = io.BytesIO()

    for key in ("raw/nothing.csv", "raw/folder"):
        with pytest.raises(NotFound):
            store.download(key, target)
        with pytest.raises(NotFound):
            store.get(key)
    assert target.getvalue() == b""


@pytest.mark.parametrize(
    "key",
    ["../outside.csv", "raw/../../outside.csv", "/etc/passwd", "", "raw/./a.csv", "raw//a.csv",
     "raw/", "raw/.meta-a.csv.json", "raw/.partial-abc"],
)  # fmt: skip
def test_keys_that_leave_the_lake_or_use_the_store_names_are_refused(
    store: FolderObjectStore, tmp_path: Path, key: str
):
    with pytest.raises(InvalidInput):
        store.put(key, b"x")
    with pytest.raises(InvalidInput):
        store.download(key, io.BytesIO())
    assert not (tmp_path / "outside.csv").exists()


@pytest.mark.parametrize(
    "metadata",
    [{"name": "Açúcar"}, {"bad name": "x"}, {"Source": "a", "source": "b"}, {"big": "x" * 2048}],
)
def test_metadata_s3_would_refuse_is_refused_and_nothing_is_written(
    store: FolderObjectStore, metadata: dict[str, str]
):
    with pytest.raises(InvalidInput):
        store.put(KEY, b"x", metadata=metadata)
    assert not store.exists(KEY)
    assert _files(store.root) == []


def test_list_filters_by_prefix_in_plain_string_order(store: FolderObjectStore):
    for key in ("raw/a/2.csv", "raw/a/1.csv", "raw/a-b/3.csv", "raw/ab.csv", "reports/x.pdf"):
        store.put(key, b"x")

    assert list(store.list("raw/a")) == [
        "raw/a-b/3.csv",
        "raw/a/1.csv",
        "raw/a/2.csv",
        "raw/ab.csv",
    ]
    assert list(store.list("raw/a/")) == ["raw/a/1.csv", "raw/a/2.csv"]
    assert list(store.list("raw/zzz/")) == []
    assert list(store.list("../")) == []


def test_the_url_of_a_stored_object_is_a_file_uri_that_reads_it(tmp_path: Path):
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    store = FolderObjectStore(tmp_path / "lake")
    store.put("reports/t1/u1/2026-10/report.html", b"<p>ol\xc3\xa1</p>")

    url = store.url("reports/t1/u1/2026-10/report.html", 3600)

    assert url.startswith("file://")
    assert Path(url2pathname(urlparse(url).path)).read_bytes() == b"<p>ol\xc3\xa1</p>"


def test_the_url_of_a_key_the_store_refuses_is_refused_too(tmp_path: Path):
    with pytest.raises(InvalidInput):
        FolderObjectStore(tmp_path).url("reports/../secret", 60)
