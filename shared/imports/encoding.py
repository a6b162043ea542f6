"""Decide the text encoding of an uploaded file from its bytes alone, as a stream.

UTF-8 (with or without a BOM) first, then cp1252, then Latin-1: a Brazilian export saved by
Excel on Windows is cp1252, and the locale of the machine that reads it must not matter. Binary
files (NUL bytes, ZIP/PDF/XLS signatures, a high share of control characters) are rejected as a
whole. The whole file is checked, one chunk at a time, so a file of any size is decided in
constant memory and a cp1252 byte on the last line still counts.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO

from shared.imports.model import FileRejected

__all__ = ["decode", "detect_encoding"]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or a zipped export?), not a text file"),
    (b"PK\x05\x06", "an empty ZIP archive, not a text file"),
    (b"%PDF", "a PDF document, not a text file"),
    (b"\x1f\x8b", "a gzip archive, not a text file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel/Office document, not a text file"),
)
_CHUNK = 256 * 1024
# Unicode's Cc category without the four a text file may hold (tab, line feed, form feed, CR).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01
_FALLBACKS = ("utf-8", "cp1252", "latin-1")
"""Tried in order; cp1252 leaves five bytes undefined, Latin-1 takes any byte."""


def detect_encoding(source: BinaryIO) -> str:
    """The Python codec that reads ``source`` (seekable; left at its start). Raises
    ``FileRejected`` for an empty or binary file, or one whose BOM lies about its bytes."""
    source.seek(0)
    head = source.read(len(codecs.BOM_UTF8))
    source.seek(0)
    for signature, what in _SIGNATURES:
        if _starts_with(source, signature):
            raise FileRejected(f"the file is {what}")
    if head.startswith(codecs.BOM_UTF8):
        return _checked(source, "utf-8-sig", bom="UTF-8")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(source, "utf-16", bom="UTF-16")
    for encoding in _FALLBACKS:
        try:
            return _scan(source, encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("Latin-1 decodes any byte")  # pragma: no cover


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of a whole file held in memory, line endings made ``\\n``."""
    encoding = detect_encoding(io.BytesIO(data))
    text = data.decode(encoding)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _starts_with(source: BinaryIO, signature: bytes) -> bool:
    source.seek(0)
    found = source.read(len(signature)) == signature
    source.seek(0)
    return found


def _checked(source: BinaryIO, encoding: str, *, bom: str) -> str:
    try:
        return _scan(source, encoding)
    except UnicodeDecodeError as exc:
        raise FileRejected(f"the file starts with a {bom} BOM but is not {bom}: {exc}") from exc


def _scan(source: BinaryIO, encoding: str) -> str:
    """Decodes the whole file strictly (``UnicodeDecodeError`` if it is not ``encoding``),
    counting what a text export should not contain."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    characters = controls = 0
    blank = True
    source.seek(0)
    try:
        while chunk := source.read(_CHUNK):
            if b"\x00" in chunk and not encoding.startswith("utf-16"):
                raise FileRejected("the file contains NUL bytes: it is binary, not a text export")
            text = decoder.decode(chunk)
            characters += len(text)
            controls += len(_CONTROLS.findall(text))
            blank = blank and not text.strip()
        text = decoder.decode(b"", final=True)
        characters += len(text)
        blank = blank and not text.strip()
    finally:
        source.seek(0)
    if blank:
        raise FileRejected("the file is empty")
    if controls > max(2, characters * _MAX_CONTROL_SHARE):
        raise FileRejected(
            f"the file contains {controls} control characters: it is binary, not a text export"
        )
    return encoding
