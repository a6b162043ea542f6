"""Read a bank's CSV export into a ``ParsedStatement``: detect the layout, then read every row.

The layout comes from a bank profile (``profiles.json``) recognised by its header, or by the shape
of the rows for headerless exports (Itaú), or from a user's ``ColumnMapping``. Ambiguities are
settled from the whole file, never row by row: ``dd/mm`` against ``mm/dd`` (a first field above 12
means day first, a second one above 12 means month first, else the profile's default), and the
decimal separator (a cell such as ``1.234,56`` or ``12,5`` decides; else the profile's default).

Outcomes: a ``ParsedStatement`` whose ``errors`` locate every row that could not be read, or
``FileRejected`` when the file as a whole cannot be read. Nothing else escapes for bad input.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import BinaryIO

from shared.domain.errors import InvalidInput
from shared.domain.money import parse_amount
from shared.imports.encoding import detect_encoding
from shared.imports.model import (
    AccountHint,
    FileRejected,
    ParsedStatement,
    RowError,
    StatementFormat,
    StatementLine,
    StatementStream,
)
from shared.imports.profiles import (
    Column,
    ColumnMapping,
    DateOrder,
    Profile,
    SignConvention,
    get_profile,
    load_profiles,
    normalise_name,
)

__all__ = ["ColumnMapping", "DateOrder", "SignConvention", "open_csv", "read_csv"]

_DELIMITERS = (",", ";", "\t")
_MAX_PREAMBLE = 40
"""Lines searched for the header (or the first headerless data row)."""
_OPTIONAL_ROLES = ("external_id", "value_date", "currency_column", "fee", "status", "type")
_DATE = re.compile(
    r"(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[AaPp][Mm]))?)?"
)
# Balance and total lines: a cell that is exactly one of these, or (when the row has no date) a
# cell that starts with one of the first words.
_BALANCE_CELL = re.compile(
    r"(saldo( anterior| do dia| final| inicial| atual| em conta| disponivel| total)?"
    r"|s a l d o|total( geral| de creditos| de debitos| credits| debits)?|subtotal|sub-total"
    r"|(opening |closing |beginning |ending |available |running )?balance( as of .*)?"
    r"|summe|kontostand|neuer saldo|alter saldo)\s*:?"
)
_BALANCE_WORD = re.compile(r"(saldo|total|subtotal|balance|summe|kontostand)\b")
_CURRENCY = re.compile(r"[A-Z]{3}")
_NOT_BOOKED = frozenset({"declined", "reverted", "failed", "cancelled", "canceled"})


@dataclass
class _Layout:
    """A layout resolved against one file: column positions and the fallbacks to use."""

    name: str | None
    delimiter: str
    date: int
    description: tuple[int, ...]
    amount: int | None
    debit: int | None
    credit: int | None
    optional: dict[str, int] = field(default_factory=dict)
    category: int | None = None
    names: list[str] = field(default_factory=list)
    columns: int | None = None
    date_format: str | None = None
    date_order: DateOrder | None = None
    default_order: DateOrder = DateOrder.DMY
    decimal_separator: str | None = None
    default_decimal: str = ","
    sign: SignConvention = SignConvention.AS_IS
    account_hint: AccountHint = AccountHint.UNKNOWN
    currency: str | None = None

    @cached_property
    def last_required(self) -> int:
        """The rightmost column a row must have."""
        required = (self.date, self.amount, self.debit, self.credit, *self.description)
        return max(i for i in required if i is not None)

    def column_name(self, index: int) -> str:
        if index < len(self.names) and self.names[index]:
            return self.names[index]
        return f"column {index + 1}"


def read_csv(
    data: bytes, *, profile: str | None = None, mapping: ColumnMapping | None = None
) -> ParsedStatement:
    """Read a whole CSV bank export held in memory (see ``open_csv``)."""
    return open_csv(io.BytesIO(data), profile=profile, mapping=mapping).collect()


def open_csv(
    source: BinaryIO, *, profile: str | None = None, mapping: ColumnMapping | None = None
) -> StatementStream:
    """Read a CSV bank export from a seekable binary file, one row at a time: ``profile``
    forces a bank profile, ``mapping`` a user's layout, else the layout is detected.

    The file is read twice and never held whole: once to settle what must be decided from the
    whole file (dd/mm or mm/dd, the decimal separator, whether it has data at all; the first
    pass stops as soon as the rest cannot change that), then row by row as the caller consumes
    ``rows``. A quoted cell may span lines."""
    if profile is not None and mapping is not None:
        raise ValueError("pass a profile or a mapping, not both")
    encoding = detect_encoding(source)
    lines = _head(source, encoding, mapping.skip_rows if mapping else 0)
    if mapping is not None:
        layout, start = _layout_from_mapping(lines, mapping)
    elif profile is not None:
        layout, start = _layout_from_profile(lines, get_profile(profile))
    else:
        layout, start = _detect(lines)
    evidence = _Evidence(layout)
    for row in _records(source, encoding, start, layout):
        if isinstance(row, _Row):
            evidence.add(row)
            if evidence.settled:
                break
    if not evidence.rows:
        raise FileRejected("the file has no data rows (empty, or a header alone)")
    order = layout.date_order or evidence.date_order()
    separator = layout.decimal_separator or evidence.decimal_separator()
    return StatementStream(
        format=StatementFormat.CSV,
        profile=layout.name,
        rows=_read_rows(source, encoding, start, layout, order, separator),
        account_hint=layout.account_hint,
        currency=layout.currency,
    )


_HEAD_LINES = 100
"""Physical lines read for detection: the preamble, the header and a sample of rows."""


def _head(source: BinaryIO, encoding: str, skip: int) -> list[str]:
    """The first lines of the file, without their line endings (any of CRLF, LF, CR)."""
    lines: list[str] = []
    with _text(source, encoding) as text:
        while len(lines) < skip + _HEAD_LINES and (line := text.readline()):
            lines.append(line.rstrip("\r\n"))
    return lines


@contextmanager
def _text(source: BinaryIO, encoding: str) -> Iterator[io.TextIOWrapper]:
    """``source`` as text from its start; the binary file stays open for the next pass."""
    source.seek(0)
    # newline="" keeps line endings for the csv module, which reads quoted line breaks itself.
    text = io.TextIOWrapper(source, encoding=encoding, newline="")
    try:
        yield text
    finally:
        if not source.closed:  # a stream abandoned after its file was closed has nothing to do
            text.detach()


# --------------------------------------------------------------------------------------------------
# Finding the layout
# --------------------------------------------------------------------------------------------------


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        row = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
    return [cell.strip() for cell in row]


def _trimmed(cells: list[str]) -> list[str]:
    """Without the empty cells at the end (exports often end every line with a separator)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _detect(lines: list[str]) -> tuple[_Layout, int]:
    for index, line in enumerate(lines[:_MAX_PREAMBLE]):
        if not line.strip():
            continue
        for delimiter in _DELIMITERS:
            cells = _trimmed(_cells(line, delimiter))
            if len(cells) < 2:
                continue
            for candidate in load_profiles():
                layout = _match_header(candidate, cells, delimiter)
                if layout is not None:
                    return layout, index + 1
    for candidate in load_profiles():
        if not candidate.has_header:
            found = _match_headerless(candidate, lines)
            if found is not None:
                return found
    raise FileRejected(
        "no known bank layout: no header names a date, a description and an amount; "
        "choose a profile or map the columns"
    )


def _layout_from_profile(lines: list[str], profile: Profile) -> tuple[_Layout, int]:
    if not profile.has_header:
        found = _match_headerless(profile, lines)
        if found is None:
            raise FileRejected(f"the rows do not have the {profile.name} layout")
        return found
    delimiters = (profile.delimiter,) if profile.delimiter else _DELIMITERS
    for index, line in enumerate(lines[:_MAX_PREAMBLE]):
        for delimiter in delimiters:
            layout = _match_header(profile, _trimmed(_cells(line, delimiter)), delimiter)
            if layout is not None:
                return layout, index + 1
    raise FileRejected(f"the header of the {profile.name} profile was not found")


def _base_layout(profile: Profile, delimiter: str, names: list[str]) -> _Layout:
    return _Layout(
        name=profile.name,
        delimiter=delimiter,
        date=0,
        description=(),
        amount=None,
        debit=None,
        credit=None,
        names=names,
        default_order=profile.date_order,
        default_decimal=profile.decimal_separator,
        sign=profile.sign,
        account_hint=profile.account_hint,
        currency=profile.currency,
    )


def _match_header(profile: Profile, cells: list[str], delimiter: str) -> _Layout | None:
    if not profile.has_header or len(cells) < 2:
        return None
    keys = [normalise_name(c) for c in cells]
    if any(h not in keys for h in profile.header):
        return None

    def find(role: str) -> int | None:
        for alternative in profile.roles.get(role, ()):
            if isinstance(alternative, str) and alternative in keys:
                return keys.index(alternative)
        return None

    day = find("date")
    description = tuple(
        keys.index(a)
        for a in profile.roles.get("description", ())
        if isinstance(a, str) and a in keys
    )
    amount, debit, credit = find("amount"), find("debit"), find("credit")
    if amount is None and (debit is None or credit is None):
        return None
    if day is None or not description:
        return None
    layout = _base_layout(profile, delimiter, cells)
    layout.date, layout.description, layout.columns = day, description, len(cells)
    if amount is not None:
        layout.amount = amount
    else:
        layout.debit, layout.credit = debit, credit
    layout.optional = {r: i for r in _OPTIONAL_ROLES if (i := find(r)) is not None}
    layout.category = find("category")
    return layout


def _match_headerless(profile: Profile, lines: list[str]) -> tuple[_Layout, int] | None:
    delimiter = profile.delimiter or ";"

    def position(role: str) -> int | None:
        values = [v for v in profile.roles.get(role, ()) if isinstance(v, int)]
        return values[0] if values else None

    day, amount = position("date"), position("amount")
    description = tuple(v for v in profile.roles.get("description", ()) if isinstance(v, int))
    if day is None or amount is None:
        return None
    for index, line in enumerate(lines[:_MAX_PREAMBLE]):
        cells = _trimmed(_cells(line, delimiter))
        if len(cells) != profile.columns_count:
            continue
        if _parse_date(cells[day], profile.date_order) is None:
            continue
        try:
            parse_amount(cells[amount], decimal_separator=profile.decimal_separator)
        except (InvalidInput, ValueError):
            continue
        layout = _base_layout(profile, delimiter, [])
        layout.date, layout.amount, layout.description = day, amount, description
        layout.columns = profile.columns_count
        return layout, index
    return None


def _layout_from_mapping(lines: list[str], mapping: ColumnMapping) -> tuple[_Layout, int]:
    start = mapping.skip_rows
    while start < len(lines) and not lines[start].strip():
        start += 1
    delimiter = mapping.delimiter or _sniff(lines[start : start + 50])
    names: list[str] = []
    if mapping.has_header:
        if start >= len(lines):
            raise FileRejected("the file has no header line after the rows to skip")
        names = _trimmed(_cells(lines[start], delimiter))
        start += 1
    keys = [normalise_name(n) for n in names]

    def resolve(column: Column | None) -> int | None:
        if column is None or isinstance(column, int):
            return column
        key = normalise_name(column)
        if key not in keys:
            raise FileRejected(f"the header has no column {column!r}")
        return keys.index(key)

    described = (
        mapping.description if isinstance(mapping.description, tuple) else (mapping.description,)
    )
    day = resolve(mapping.date)
    assert day is not None
    layout = _Layout(
        name=None,
        delimiter=delimiter,
        date=day,
        description=tuple(i for c in described if (i := resolve(c)) is not None),
        amount=resolve(mapping.amount),
        debit=resolve(mapping.debit),
        credit=resolve(mapping.credit),
        names=names,
        columns=len(names) or None,
        date_format=mapping.date_format,
        date_order=mapping.date_order,
        default_order=mapping.date_order or DateOrder.DMY,
        decimal_separator=mapping.decimal_separator,
        default_decimal=mapping.decimal_separator or ",",
        sign=mapping.sign,
        currency=mapping.currency,
        category=resolve(mapping.category),
    )
    for role in _OPTIONAL_ROLES:
        index = resolve(getattr(mapping, role))
        if index is not None:
            layout.optional[role] = index
    return layout, start


def _sniff(sample: Sequence[str]) -> str:
    """The delimiter that splits most lines into the same number (> 1) of fields."""
    best, best_score = ",", (0, 0)
    for delimiter in (";", "\t", ","):
        counts = Counter(len(_trimmed(_cells(line, delimiter))) for line in sample if line.strip())
        counts = Counter({n: c for n, c in counts.items() if n > 1})
        if not counts:
            continue
        width, frequency = counts.most_common(1)[0]
        if (frequency, width) > best_score:
            best, best_score = delimiter, (frequency, width)
    return best


# --------------------------------------------------------------------------------------------------
# Reading the rows
# --------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: list[str]
    last: int = 0
    """The physical line the row ends on, when a quoted cell carries it past ``line``."""

    def where(self) -> str:
        if self.last <= self.line:
            return ""
        return (
            f" (the row runs from line {self.line} to {self.last}: a quoted cell with line "
            "breaks, or a stray quote)"
        )


_BALANCE_HINT = re.compile(r"saldo|s a l d o|total|balance|summe|kontostand", re.IGNORECASE)
"""Every balance or total line holds one of these: rows without them skip the slower test."""


def _is_balance_line(cells: list[str], layout: _Layout) -> bool:
    if not _BALANCE_HINT.search("\x1f".join(cells)):
        return False
    keys = [normalise_name(c) for c in cells if c]
    if any(_BALANCE_CELL.fullmatch(k) for k in keys):
        return True
    date_cell = cells[layout.date] if layout.date < len(cells) else ""
    if _parse_date(date_cell, layout.default_order) is not None:
        return False
    return any(_BALANCE_WORD.match(k) for k in keys)


_RAW_LENGTH = 500
"""Enough of a bad row to recognise it in the report."""
_MAX_FIELD = 64 * 1024
"""A longer cell is a stray quote swallowing the lines after it, not a description."""


def _records(
    source: BinaryIO, encoding: str, start: int, layout: _Layout
) -> Iterator[_Row | RowError]:
    """The data rows from physical line ``start`` (0-based) on, each with the line it starts
    on; blank, balance and total lines are left out, unreadable records reported."""
    with _text(source, encoding) as text:
        for _ in range(start):
            text.readline()
        reader = csv.reader(text, delimiter=layout.delimiter, strict=False)
        consumed = 0
        while True:
            first = start + consumed + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                consumed = reader.line_num
                yield RowError(first, f"the line cannot be read as CSV: {exc}")
                continue
            consumed = reader.line_num
            if any(len(cell) > _MAX_FIELD for cell in cells):
                last = start + consumed
                yield RowError(
                    first,
                    f"a quoted cell opened here runs on to line {last}: a stray quote?",
                    raw=layout.delimiter.join(cells)[:200],
                )
                continue
            cells = [cell.strip() for cell in cells]
            if any(cells) and not _is_balance_line(cells, layout):
                last = start + consumed
                yield _Row(first, cells, last if last > first else 0)


def _read_rows(
    source: BinaryIO, encoding: str, start: int, layout: _Layout, order: DateOrder, separator: str
) -> Iterator[StatementLine | RowError]:
    for row in _records(source, encoding, start, layout):
        yield row if isinstance(row, RowError) else _read_row(row, layout, order, separator)


def _read_row(
    row: _Row, layout: _Layout, order: DateOrder, separator: str
) -> StatementLine | RowError:
    cells, line = row.cells, row.line
    if layout.columns is not None and len(cells) > layout.columns:
        used = len(_trimmed(cells))
        if used > layout.columns:
            return RowError(
                line,
                f"the row has {used} columns where {layout.columns} are expected{row.where()}",
                raw=layout.delimiter.join(cells)[:_RAW_LENGTH],
            )
    if layout.last_required >= len(cells):
        return RowError(
            line,
            f"the row has only {len(cells)} column(s){row.where()}",
            raw=layout.delimiter.join(cells)[:_RAW_LENGTH],
        )
    if layout.columns is not None and len(cells) < layout.columns:
        cells = cells + [""] * (layout.columns - len(cells))

    booked_on = _read_date(cells[layout.date], layout, order)
    if booked_on is None:
        return RowError(
            line, "not a date", column=layout.column_name(layout.date), raw=cells[layout.date]
        )
    amount = _read_amount(cells, layout, separator, line)
    if isinstance(amount, RowError):
        return amount

    optional = {role: cells[i] for role, i in layout.optional.items() if i < len(cells)}
    status = "booked"
    state = normalise_name(optional["status"]) if optional.get("status") else ""
    if state in _NOT_BOOKED:
        return RowError(
            line,
            f"the transaction is {state}, no money moved",
            column=layout.column_name(layout.optional["status"]),
            raw=optional.get("status"),
        )
    if state == "pending":
        status = "pending"
    value_on = None
    if optional.get("value_date"):
        value_on = _read_date(optional["value_date"], layout, order)
    currency = layout.currency
    if optional.get("currency_column"):
        given = optional["currency_column"].upper()
        currency = given if _CURRENCY.fullmatch(given) else layout.currency
    description = " - ".join(cells[i] for i in layout.description if cells[i])
    category = cells[layout.category] if layout.category is not None else None
    return StatementLine(
        line=line,
        booked_on=booked_on,
        amount=amount,
        description=description,
        currency=currency,
        value_on=value_on,
        external_id=optional.get("external_id") or None,
        type=optional.get("type") or None,
        status=status,
        category_hint=category or None,
    )


_PLAIN_AMOUNT = {
    ",": re.compile(r"-?\d{1,3}(?:\.?\d{3})*(?:,\d{1,4})?"),
    ".": re.compile(r"-?\d{1,3}(?:,?\d{3})*(?:\.\d{1,4})?"),
}
"""What nearly every amount cell looks like (``-1.234,56``): read without the general parser."""
_TO_POINT: dict[str, dict[int, str | None]] = {
    ",": {ord(","): ".", ord("."): None},
    ".": {ord(","): None},
}


def _parse(cell: str, separator: str) -> Decimal:
    if _PLAIN_AMOUNT[separator].fullmatch(cell):
        return Decimal(cell.translate(_TO_POINT[separator]))
    return parse_amount(cell, decimal_separator=separator)


def _read_amount(
    cells: list[str], layout: _Layout, separator: str, line: int
) -> Decimal | RowError:
    def error(index: int, reason: str) -> RowError:
        return RowError(line, reason, column=layout.column_name(index), raw=cells[index])

    if layout.amount is not None:
        cell = cells[layout.amount]
        if not cell:
            return error(layout.amount, "the amount is empty")
        try:
            amount = _parse(cell, separator)
        except InvalidInput as exc:
            return error(layout.amount, str(exc))
        if layout.sign is SignConvention.INVERTED:
            amount = -amount
    else:
        assert layout.debit is not None
        assert layout.credit is not None
        debit_cell, credit_cell = cells[layout.debit], cells[layout.credit]
        if not debit_cell and not credit_cell:
            return error(layout.debit, "both the debit and the credit are empty")
        amount = Decimal(0)
        for index, cell, sign in ((layout.debit, debit_cell, -1), (layout.credit, credit_cell, 1)):
            if cell:
                try:
                    amount += sign * abs(_parse(cell, separator))
                except InvalidInput as exc:
                    return error(index, str(exc))
        if layout.sign is SignConvention.INVERTED:
            amount = -amount
    fee_index = layout.optional.get("fee")
    if fee_index is not None and fee_index < len(cells) and cells[fee_index]:
        try:
            amount -= _parse(cells[fee_index], separator)
        except InvalidInput as exc:
            return error(fee_index, str(exc))
    return amount


# --------------------------------------------------------------------------------------------------
# Dates and numbers, decided from the whole file
# --------------------------------------------------------------------------------------------------


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _parse_date(text: str, order: DateOrder) -> date | None:
    if len(text) == 10 and text[2] == text[5] and text[2] in "/.-" and order is not DateOrder.YMD:
        # dd/mm/yyyy or mm/dd/yyyy, what nearly every row holds: without the general pattern.
        first, second, year = text[:2], text[3:5], text[6:]
        if first.isdigit() and second.isdigit() and year.isdigit():
            day, month = (second, first) if order is DateOrder.MDY else (first, second)
            try:
                return date(int(year), int(month), int(day))
            except ValueError:
                return None
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    first, _, second, third = match.groups()
    try:
        if len(first) == 4:
            if len(third) > 2:
                return None
            return date(int(first), int(second), int(third))
        if len(first) > 2 or len(third) == 3:
            return None
        if order is DateOrder.MDY:
            return date(_year(third), int(first), int(second))
        return date(_year(third), int(second), int(first))
    except ValueError:
        return None


def _read_date(text: str, layout: _Layout, order: DateOrder) -> date | None:
    if layout.date_format:
        try:
            return datetime.strptime(text.strip(), layout.date_format).date()
        except ValueError:
            return None
    return _parse_date(text, order)


_SETTLING_VOTES = 1_000


class _Evidence:
    """What the whole file says about its dates and numbers, gathered row by row."""

    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.rows = 0
        self.day_first = self.month_first = False
        self.votes: Counter[str] = Counter()
        self.amount_columns = [
            i
            for i in (layout.amount, layout.debit, layout.credit, layout.optional.get("fee"))
            if i is not None
        ]

    def add(self, row: _Row) -> None:
        self.rows += 1
        layout, cells = self.layout, row.cells
        if layout.date_order is None and layout.date < len(cells):
            self._date(cells[layout.date])
        if layout.decimal_separator is None:
            for index in self.amount_columns:
                if index < len(cells) and (vote := _decimal_vote(cells[index])):
                    self.votes[vote] += 1

    def _date(self, cell: str) -> None:
        if self.day_first and self.month_first:
            return
        match = _DATE.fullmatch(cell)
        if match is None or len(match.group(1)) > 2:
            return
        first, second = int(match.group(1)), int(match.group(3))
        self.day_first = self.day_first or (first > 12 and second <= 12)
        self.month_first = self.month_first or (second > 12 and first <= 12)

    @property
    def settled(self) -> bool:
        """True once the rest of the file cannot change the verdicts, so reading can stop: the
        dates already prove the order the layout defaults to (a contrary row later would only
        make the file ambiguous, which falls back to that same default), and a thousand cells
        prove one decimal separator and none the other."""
        return self._dates_settled() and self._decimals_settled()

    def _dates_settled(self) -> bool:
        if self.layout.date_order is not None or (self.day_first and self.month_first):
            return True
        default = self.date_order_default()
        return (default is DateOrder.DMY and self.day_first) or (
            default is DateOrder.MDY and self.month_first
        )

    def _decimals_settled(self) -> bool:
        if self.layout.decimal_separator is not None:
            return True
        return len(self.votes) == 1 and next(iter(self.votes.values())) >= _SETTLING_VOTES

    def date_order_default(self) -> DateOrder:
        default = self.layout.default_order
        return DateOrder.DMY if default is DateOrder.YMD else default

    def date_order(self) -> DateOrder:
        if self.day_first and not self.month_first:
            return DateOrder.DMY
        if self.month_first and not self.day_first:
            return DateOrder.MDY
        return self.date_order_default()

    def decimal_separator(self) -> str:
        """The separator most cells prove ("1.234,56", "12,5"), else the layout's default."""
        if self.votes:
            return self.votes.most_common(1)[0][0]
        return self.layout.default_decimal


def _decimal_vote(cell: str) -> str | None:
    number = re.sub(r"[^0-9.,]", "", cell)
    last = max(number.rfind("."), number.rfind(","))
    if last < 0:
        return None
    separator = number[last]
    other = "," if separator == "." else "."
    if other in number[:last]:
        return separator
    if number.count(separator) > 1:
        return other  # repeated, so it groups thousands: "1.234.567"
    fraction = number[last + 1 :]
    if fraction.isdigit() and len(fraction) != 3:
        return separator
    return None
