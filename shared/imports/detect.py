"""Which reader a file needs, decided from its bytes (the name is only a tie-breaker)."""

from __future__ import annotations

import io
from typing import BinaryIO

from shared.imports.model import FileRejected, ParsedStatement, StatementFormat, StatementStream
from shared.imports.profiles import ColumnMapping

_SNIFF_BYTES = 4096
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""OFX and JSON statements are documents, read whole; no bank sends one this large. CSV files,
read as a stream, have no limit of their own."""


def detect_format(data: bytes, filename: str | None = None) -> StatementFormat:
    head = data[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if not head:
        raise FileRejected("the file is empty")
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head or head.startswith(b"<?XML"):
        return StatementFormat.OFX
    if head[:1] in (b"{", b"["):
        return StatementFormat.OPEN_FINANCE
    if filename and filename.lower().endswith((".ofx", ".qfx")):
        return StatementFormat.OFX
    return StatementFormat.CSV


def open_statement(
    source: BinaryIO,
    *,
    filename: str | None = None,
    profile: str | None = None,
    mapping: ColumnMapping | None = None,
) -> StatementStream:
    """Opens any supported statement from a seekable binary file; a file no reader understands
    raises ``FileRejected``. CSV streams; OFX and JSON documents are read whole. A CSV is read
    with ``profile`` if given, else with the account's saved ``mapping``, else as detected."""
    source.seek(0)
    kind = detect_format(source.read(_SNIFF_BYTES), filename)
    source.seek(0)
    if kind is StatementFormat.CSV:
        from shared.imports.csv_reader import open_csv

        return open_csv(source, profile=profile, mapping=None if profile else mapping)
    data = source.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise FileRejected(
            f"the {kind.value} document is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB"
        )
    if kind is StatementFormat.OFX:
        from shared.imports.ofx_reader import read_ofx

        return read_ofx(data).stream()
    from shared.imports.openfinance_reader import read_open_finance

    return read_open_finance(data).stream()


def read_statement(
    data: bytes, *, filename: str | None = None, profile: str | None = None
) -> ParsedStatement:
    """Reads a whole statement held in memory (see ``open_statement``)."""
    return open_statement(io.BytesIO(data), filename=filename, profile=profile).collect()
