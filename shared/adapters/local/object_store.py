"""The embedded lake: a folder with the same keys S3 would hold.

An object's content type and user metadata live in a sidecar dot-file beside it
(``.meta-{name}.json``), so the object file itself stays byte-for-byte what was put. Names that
start with ``.partial-`` or ``.meta-`` belong to the store: no key may use them, and ``list``
never returns them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from shared.domain.errors import InvalidInput, NotFound

PARTIAL_PREFIX = ".partial-"
SIDECAR_PREFIX = ".meta-"
_RESERVED = (PARTIAL_PREFIX, SIDECAR_PREFIX)
_CHUNK = 1024 * 1024
# S3 sends user metadata as HTTP headers: names are header tokens, values printable ASCII, and
# the names and values together may not exceed 2 KB. Checked here so that the embedded lake
# refuses what the real one would, instead of a deploy finding out.
_METADATA_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_METADATA_VALUE = re.compile(r"[\x20-\x7e]*")
_METADATA_MAX_BYTES = 2048


class FolderObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        # Split by hand: a path would quietly fold "a//b", "a/./b" and "a/" into keys that S3
        # keeps apart, so two objects there would be one file here.
        parts = key.split("/")
        if any(part in ("", ".", "..") or part.startswith(_RESERVED) for part in parts):
            raise InvalidInput(f"invalid object key {key!r}")
        return self.root.joinpath(*parts)

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(f"{SIDECAR_PREFIX}{path.name}.json")

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        path = self._path(key)
        user_metadata = _checked_metadata(metadata or {})
        path.parent.mkdir(parents=True, exist_ok=True)
        sidecar = self._sidecar(path)
        # Write then rename, so a reader never sees half a file.
        temporary = _write_temporary(path.parent, data)
        try:
            # The sidecar goes first: once the new object is visible its metadata already is,
            # and an object put without metadata must not keep the previous object's.
            if user_metadata or content_type is not None:
                document = json.dumps(
                    {"content_type": content_type, "metadata": user_metadata}, sort_keys=True
                ).encode()
                _replace(_write_temporary(path.parent, document), sidecar)
            else:
                sidecar.unlink(missing_ok=True)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _not_found(key) from None

    def download(self, key: str, target: BinaryIO) -> dict[str, str]:
        path = self._path(key)
        try:
            source = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _not_found(key) from None
        with source:
            # Read right after opening: the open handle keeps this version's bytes even if a
            # put replaces the file meanwhile, and its sidecar is the one written with it.
            metadata = self._metadata(path)
            shutil.copyfileobj(source, target, _CHUNK)
        return metadata

    def _metadata(self, path: Path) -> dict[str, str]:
        try:
            document = json.loads(self._sidecar(path).read_bytes())
        except FileNotFoundError:
            return {}
        return {str(name): str(value) for name, value in document.get("metadata", {}).items()}

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        # The object first: a reader in between finds nothing rather than an object without
        # its metadata.
        path.unlink(missing_ok=True)
        self._sidecar(path).unlink(missing_ok=True)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys in S3's order (plain string order), walking only the prefix's folder."""
        start = self._walk_root(prefix)
        if not start.is_dir():
            return
        keys = [
            key
            for path in start.rglob("*")
            if path.is_file()
            and not path.name.startswith(_RESERVED)
            and (key := path.relative_to(self.root).as_posix()).startswith(prefix)
        ]
        yield from sorted(keys)

    def url(self, key: str, expires_seconds: int) -> str:
        """The stored file's ``file://`` URI: a link that opens on this machine only, and for
        as long as the file is there (nothing expires locally)."""
        return self._path(key).resolve().as_uri()

    def _walk_root(self, prefix: str) -> Path:
        folders = prefix.split("/")[:-1]
        if any(part in ("", ".", "..") for part in folders):
            return self.root  # an odd prefix: filter the whole lake rather than leave it
        return self.root.joinpath(*folders)


def _write_temporary(folder: Path, data: bytes | BinaryIO) -> Path:
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if isinstance(data, bytes | bytearray | memoryview):
                handle.write(data)
            else:
                shutil.copyfileobj(data, handle, _CHUNK)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise
    return temporary


def _replace(temporary: Path, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _checked_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in metadata.items():
        if not _METADATA_NAME.fullmatch(name) or not _METADATA_VALUE.fullmatch(value):
            raise InvalidInput(f"metadata {name!r} must be an ASCII token and printable ASCII")
        folded = name.lower()
        if folded in checked:
            raise InvalidInput(f"metadata {name!r} is given twice (names ignore case)")
        checked[folded] = value
    if sum(len(name) + len(value) for name, value in checked.items()) > _METADATA_MAX_BYTES:
        raise InvalidInput(f"metadata exceeds {_METADATA_MAX_BYTES} bytes")
    return checked


def _not_found(key: str) -> NotFound:
    return NotFound(f"object {key} not found", resource="object")
