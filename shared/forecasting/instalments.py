"""Purchases paid in instalments, from the statement's own columns when it has them (an
importer's ``instalment_number``/``instalment_total``), else from a line's wording ("PARCELA 3/10
LOJA", "PARC 03/10", "LOJA 03/10"): recurring series project the parts left, anomaly rules judge
the whole purchase. Standard library only."""

from __future__ import annotations

import re
from datetime import date, timedelta

from shared.forecasting.lines import Line

INSTALMENT_EXPLICIT = re.compile(r"\bPARC(?:ELA)?\.?\s*(\d{1,2})\s*(?:/|DE)\s*(\d{1,2})\b")
INSTALMENT_SUFFIX = re.compile(r"\s(\d{1,2})/(\d{1,2})\s*$")


def instalment_parts(description: str) -> tuple[int, int, bool] | None:
    """(part, parts, explicit) from "PARCELA 3/10 LOJA", "PARC 03/10" or "LOJA 03/10"."""
    text = description.upper()
    match = INSTALMENT_EXPLICIT.search(text)
    explicit = match is not None
    if match is None:
        match = INSTALMENT_SUFFIX.search(text)
    if match is None:
        return None
    number, total = int(match.group(1)), int(match.group(2))
    if not 1 <= number <= total or not 2 <= total <= 48:
        return None
    return number, total, explicit


def line_parts(line: Line) -> tuple[int, int, bool] | None:
    """(part, parts, explicit): the statement's columns (explicit), else the wording."""
    if line.instalment is not None:
        return line.instalment[0], line.instalment[1], True
    return instalment_parts(line.description)


def instalment_of(line: Line) -> tuple[int, int] | None:
    """(part, parts) when ``line`` is one part of a purchase paid in instalments: the
    statement's columns say so, or its wording: "PARCELA 3/10", "PARC 03/10", or a trailing
    "03/10" that is not the purchase's date ("UBER 05/10")."""
    part = line_parts(line)
    if part is None or (not part[2] and is_posting_date(line.booked_on, part)):
        return None
    return part[0], part[1]


def is_posting_date(booked_on: date, part: tuple[int, int, bool]) -> bool:
    """Whether a bare "dd/mm" suffix is the purchase date, a few days before the booking."""
    return any(
        (day.day, day.month) == part[:2]
        for day in (booked_on - timedelta(days=back) for back in range(4))
    )
