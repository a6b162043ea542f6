"""Turn the bytes of an uploaded text file into text, deciding the encoding from the bytes alone.

UTF-8 (with or without a BOM) first, then cp1252, then Latin-1: a Brazilian export saved by
Excel on Windows is cp1252, and the locale of the machine that reads it must not matter. Binary
files (NUL bytes, ZIP/PDF/XLS signatures, a high share of control characters) are rejected as a
whole; line endings come out as ``\\n`` whatever the file used.
"""

from __future__ import annotations

import codecs
import unicodedata

from shared.imports.model import FileRejected

__all__ = ["decode"]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or a zipped export?), not a text file"),
    (b"PK\x05\x06", "an empty ZIP archive, not a text file"),
    (b"%PDF", "a PDF document, not a text file"),
    (b"\x1f\x8b", "a gzip archive, not a text file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel/Office document, not a text file"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f")
_MAX_CONTROL_SHARE = 0.01


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise ``FileRejected`` for empty or binary content."""
    if not data.strip():
        raise FileRejected("the file is empty")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise FileRejected(f"the file is {what}")
    text, encoding = _decode_text(data)
    _reject_binary(text)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode_text(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileRejected(f"the file starts with a UTF-8 BOM but is not UTF-8: {exc}") from exc
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name), "utf-16"
            except UnicodeDecodeError as exc:
                raise FileRejected(f"the file has a UTF-16 BOM but is not UTF-16: {exc}") from exc
    if b"\x00" in data:
        raise FileRejected("the file contains NUL bytes: it is binary, not a text export")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 leaves five bytes undefined (0x81 0x8D 0x8F 0x90 0x9D); Latin-1 takes any byte.
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _reject_binary(text: str) -> None:
    controls = sum(
        1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    if "\x00" in text or controls > max(2, len(text) * _MAX_CONTROL_SHARE):
        raise FileRejected(
            f"the file contains {controls} control characters: it is binary, not a text export"
        )
