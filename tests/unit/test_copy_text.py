"""Values in PostgreSQL's COPY text format, as the bulk writer sends them."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

import pytest

from shared.db.bulk import _text


class _Kind(enum.StrEnum):
    CARD = "card"


class _Size(enum.IntEnum):
    TEN = 10


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        ("PADARIA SÃO JOÃO", "PADARIA SÃO JOÃO"),
        ("a\tb\nc\rd\\e", "a\\tb\\nc\\rd\\\\e"),
        ("", ""),
        (UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (Decimal("-1234.50"), "-1234.50"),
        (42, "42"),
        (True, "t"),
        (False, "f"),
        (date(2024, 2, 29), "2024-02-29"),
        (datetime(2024, 2, 29, 13, 5, 1), "2024-02-29T13:05:01"),
        (time(8, 30), "08:30:00"),
        ({"a": "x\ty", "b": [1, "ç"]}, '{"a":"x\\\\ty","b":[1,"ç"]}'),
        (["tag\\one"], '["tag\\\\\\\\one"]'),
        (_Kind.CARD, "card"),
        (_Size.TEN, "10"),
    ],
)
def test_each_value_is_written_as_copy_reads_it(value: object, text: str) -> None:
    assert str(_text(value)) == text
