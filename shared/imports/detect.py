"""Which reader a file needs, decided from its bytes (the name is only a tie-breaker)."""

from __future__ import annotations

from shared.imports.model import FileRejected, ParsedStatement, StatementFormat

_SNIFF_BYTES = 4096


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


def read_statement(
    data: bytes, *, filename: str | None = None, profile: str | None = None
) -> ParsedStatement:
    """Reads any supported statement; a file no reader understands raises ``FileRejected``."""
    kind = detect_format(data, filename)
    if kind is StatementFormat.OFX:
        from shared.imports.ofx_reader import read_ofx

        return read_ofx(data)
    if kind is StatementFormat.OPEN_FINANCE:
        from shared.imports.openfinance_reader import read_open_finance

        return read_open_finance(data)
    from shared.imports.csv_reader import read_csv

    return read_csv(data, profile=profile)
