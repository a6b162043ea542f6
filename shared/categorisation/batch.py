"""Categorise a CSV of statement lines: ``fluxo ml categorise --csv IN [--out OUT]``.

The rows come out in order, as they came in, with six columns added: ``category`` (the top-level
slug), ``subcategory`` (the slug under it, empty when the category is top level), ``merchant``,
``source``, ``confidence`` and ``evidence``. Rows stream through in chunks: any size of file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice
from typing import TextIO

from shared.categorisation.model import REVIEW_BELOW, LineToCategorise, Verdict
from shared.domain.errors import InvalidInput
from shared.domain.money import parse_amount
from shared.domain.taxonomy import PARENT_OF
from shared.ports import Categoriser

ADDED = ("category", "subcategory", "merchant", "source", "confidence", "evidence")
CHUNK = 5_000


class BadCsv(ValueError):
    """The input cannot be categorised: what is wrong and where."""


def categorise_csv(source: TextIO, out: TextIO, categoriser: Categoriser) -> int:
    """Writes ``source``'s rows with the added columns to ``out``; returns how many rows."""
    reader = csv.DictReader(source)
    names = list(reader.fieldnames or [])
    if "description" not in names:
        raise BadCsv("the CSV needs a 'description' column (and may have an 'amount' one)")
    taken = [name for name in ADDED if name in names]
    if taken:
        raise BadCsv(f"the CSV already has the column(s) {', '.join(taken)}")
    writer = csv.DictWriter(out, fieldnames=[*names, *ADDED], lineterminator="\n")
    writer.writeheader()
    count = 0
    rows = _numbered(reader)
    while chunk := list(islice(rows, CHUNK)):
        lines = [_line(row, number) for number, row in chunk]
        for (_, row), verdict in zip(chunk, categoriser.categorise(lines), strict=True):
            writer.writerow({**row, **_columns(verdict)})
        count += len(chunk)
    return count


def _numbered(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for row in reader:
        yield reader.line_num, row


def _line(row: dict[str, str], number: int) -> LineToCategorise:
    text = (row.get("amount") or "").strip()
    try:
        amount = parse_amount(text) if text else Decimal(0)
    except InvalidInput as exc:
        raise BadCsv(f"line {number}: {exc.detail}") from exc
    return LineToCategorise(description=row.get("description") or "", amount=amount)


def _columns(verdict: Verdict) -> dict[str, str]:
    decided = verdict.slug is not None and verdict.confidence >= REVIEW_BELOW
    slug = verdict.slug if decided else None
    parent = PARENT_OF.get(slug) if slug else None
    return {
        "category": (parent or slug or ""),
        "subcategory": (slug or "") if parent else "",
        "merchant": verdict.merchant,
        "source": verdict.source if decided else "",
        "confidence": f"{verdict.confidence:.2f}",
        "evidence": verdict.evidence,
    }
