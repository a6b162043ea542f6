"""Read a bank's CSV export into a ``ParsedStatement``: detect the layout, then read every row.

The layout comes from a bank profile (``profiles.json``) recognised by its header, or by the shape
of the rows for headerless exports (Itaú), or from a user's ``ColumnMapping``. Ambiguities are
settled from the whole file, never row by row: ``dd/mm`` against ``mm/dd`` (a first field above 12
means day first, a second one above 12 means month first, else the profile's default), and the
decimal separator (a cell such as ``1.234,56`` or ``12,5`` decides; else the profile's default).

Outcomes: a ``ParsedStatement`` whose ``errors`` locate every row that could not be read, or
``FileRejected`` when the file as a whole cannot be read. Nothing else escapes for bad input.

For every layout, at no cost to the rows that do not need it: a date cell may start with a
weekday ("Quarta, 24/09/2025", "Seg 01/09/2025": one leading word, unless it is a balance word
such as "Saldo", and an optional comma), and a description built from several columns does not
repeat a cell identical to an earlier one ("X - X" is "X").

What a profile may add, each off unless the profile declares it (``profiles.json``). Which steps a
layout needs is decided once per file, so a file that needs none is read as fast as without them:

- ``date_format``: a ``strptime`` pattern for the date columns (Caixa's ``%Y%m%d``).
- a ``direction`` column whose value, one of ``debit_marks`` or ``credit_marks`` (compared without
  case or accents), signs the ``amount``: a debit is negative and a credit positive, whatever sign
  the amount cell has. A value that is neither is a ``RowError`` naming that column.
- an ``instalment`` column: "3/6", "03/12", "Parcela 3 de 10" and "3 de 10" give the instalment's
  number and total. Decision: "Única", an empty cell or anything else ("0/3", "7/6", text) means
  no instalment, not an error: it is a detail of a line whose date and amount were read, and
  rejecting the line for it would lose a real movement.
- ``end_markers``: normalised text that starts the first non-empty cell of the row where the
  statement ends (Bradesco's "Últimos Lançamentos", the movements after the statement's cut-off
  listed apart, and its "Os dados acima têm como base ..." footer). Decision: nothing from that
  row on is imported, and nothing is dropped silently either: when rows that could be movements
  follow (not blank, not a balance or total, not another marker, not the header repeated), one
  ``RowError`` on the marker's line says how many and on which lines. One for the whole section,
  not one per line: it tells the user the file holds more than its statement, and a later export,
  where those movements are booked, brings them in.
- ``skip_descriptions``: regular expressions; a row whose normalised description cell one of them
  matches whole is not a movement (Bradesco's "COD. LANC. 0" opening balance) and is left out,
  as balance and total lines are.
- ``skip_repeated_header``: a row that holds the header's names in the columns the layout reads
  is the header repeated inside the file, and is left out.
- ``continuation_lines``: a row right below another, with an empty date and text only in
  description columns, continues that row's description (joined with " - "); the merged row
  keeps the number of its first line. The file still streams, with one row of lookahead.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, partial
from operator import itemgetter
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
    r"(saldo( anterior| ant\.?| do dia| dia| final| inicial| atual| em conta| disponivel| total)?"
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
    direction: int | None = None
    direction_marks: dict[str, int] = field(default_factory=dict)
    instalment: int | None = None
    header_keys: list[str] = field(default_factory=list)
    """The header's cells normalised (``normalise_name``), to recognise it repeated."""
    end_markers: tuple[str, ...] = ()
    skip_description: re.Pattern[str] | None = None
    skip_repeated_header: bool = False
    continuation_lines: bool = False

    @cached_property
    def required(self) -> tuple[int, ...]:
        """The columns every data row must fill: date, description, amount, sign."""
        columns = (self.date, self.amount, self.debit, self.credit, self.direction)
        return tuple(i for i in (*columns, *self.description) if i is not None)

    @cached_property
    def last_required(self) -> int:
        """The rightmost column a row must have."""
        return max(self.required)

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
    rows = _rows(source, encoding, start, layout)
    try:
        for row in rows:
            if isinstance(row, _Row):
                evidence.add(row)
                if evidence.settled:
                    break
    finally:
        rows.close()
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
        date_format=profile.date_format,
        direction_marks=profile.direction_marks or {},
        end_markers=profile.end_markers,
        skip_description=profile.skip_description,
        skip_repeated_header=profile.skip_repeated_header,
        continuation_lines=profile.continuation_lines,
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
    direction = find("direction")
    if "direction" in profile.roles and (direction is None or amount is None):
        return None  # an unsigned amount without the column that signs it
    layout = _base_layout(profile, delimiter, cells)
    layout.date, layout.description, layout.columns = day, description, len(cells)
    if amount is not None:
        layout.amount = amount
    else:
        layout.debit, layout.credit = debit, credit
    layout.optional = {r: i for r in _OPTIONAL_ROLES if (i := find(r)) is not None}
    layout.category = find("category")
    layout.direction, layout.instalment = direction, find("instalment")
    layout.header_keys = keys
    return layout


def _match_headerless(profile: Profile, lines: list[str]) -> tuple[_Layout, int] | None:
    delimiter = profile.delimiter or ";"

    def position(role: str) -> int | None:
        values = [v for v in profile.roles.get(role, ()) if isinstance(v, int)]
        return values[0] if values else None

    day, amount, direction = position("date"), position("amount"), position("direction")
    description = tuple(v for v in profile.roles.get("description", ()) if isinstance(v, int))
    if day is None or amount is None:
        return None
    if "direction" in profile.roles and direction is None:
        return None
    for index, line in enumerate(lines[:_MAX_PREAMBLE]):
        cells = _trimmed(_cells(line, delimiter))
        if len(cells) != profile.columns_count:
            continue
        if _read_date(cells[day], profile.date_format, profile.date_order) is None:
            continue
        try:
            parse_amount(cells[amount], decimal_separator=profile.decimal_separator)
        except (InvalidInput, ValueError):
            continue
        layout = _base_layout(profile, delimiter, [])
        layout.date, layout.amount, layout.description = day, amount, description
        layout.direction, layout.instalment = direction, position("instalment")
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
        header_keys=keys,
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
    """The physical line the row ends on, when a quoted cell (or a continuation line) carries it
    past ``line``."""
    continued: bool = False
    """Continuation lines were merged into it (``continuation_lines``)."""

    def where(self) -> str:
        if self.last <= self.line:
            return ""
        if self.continued:
            return f" (the row and its continuation lines run from line {self.line} to {self.last})"
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
    if _read_date(date_cell, layout.date_format, layout.default_order) is not None:
        return False
    return any(_BALANCE_WORD.match(k) for k in keys)


_RAW_LENGTH = 500
"""Enough of a bad row to recognise it in the report."""
_MAX_FIELD = 64 * 1024
"""A longer cell is a stray quote swallowing the lines after it, not a description."""


_RowStream = Generator["_Row | RowError", None, None]


def _records(source: BinaryIO, encoding: str, start: int, layout: _Layout) -> _RowStream:
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


def _rows(source: BinaryIO, encoding: str, start: int, layout: _Layout) -> _RowStream:
    """The data rows, through the steps the layout's profile declares (none for most files)."""
    rows = _records(source, encoding, start, layout)
    if layout.end_markers:
        rows = _until_end(rows, layout)
    if layout.continuation_lines:
        rows = _continued(rows, layout)
    if layout.skip_description is not None or layout.skip_repeated_header:
        rows = _without_skipped(rows, layout)
    return rows


def _until_end(rows: _RowStream, layout: _Layout) -> _RowStream:
    """The rows before the first end marker; instead of the rest, one ``RowError`` on the
    marker's line counting the rows that could have been movements, if any."""
    try:
        for row in rows:
            if isinstance(row, _Row) and _starts_with(row.cells, layout.end_markers):
                count = first = last = 0
                for after in rows:
                    if isinstance(after, _Row) and (
                        _starts_with(after.cells, layout.end_markers)
                        or _is_header(after.cells, layout)
                    ):
                        continue
                    count, first, last = count + 1, first or after.line, after.line
                if count:
                    yield _ended(row, count, first, last)
                return
            yield row
    finally:
        rows.close()


def _starts_with(cells: list[str], markers: tuple[str, ...]) -> bool:
    """Whether the first non-empty cell, normalised, starts with one of ``markers``."""
    first = next((cell for cell in cells if cell), "")
    return normalise_name(first).startswith(markers)


def _ended(marker: _Row, count: int, first: int, last: int) -> RowError:
    text = next((cell for cell in marker.cells if cell), "")
    after = (
        f"the row after it (line {first}) is"
        if count == 1
        else f"the {count} rows after it (lines {first} to {last}) are"
    )
    return RowError(
        marker.line,
        f"the statement ends on this line: {after} not imported",
        raw=text[:_RAW_LENGTH],
    )


def _is_header(cells: list[str], layout: _Layout) -> bool:
    """Whether the row holds the header's names in every column the layout reads."""
    keys = layout.header_keys
    return bool(keys) and all(
        i < len(cells) and i < len(keys) and normalise_name(cells[i]) == keys[i]
        for i in layout.required
    )


def _continued(rows: _RowStream, layout: _Layout) -> _RowStream:
    """The rows with their continuation lines merged in; one row is held back until the next
    shows whether it continues it."""
    day, described = layout.date, frozenset(layout.description)
    held: _Row | None = None
    try:
        for row in rows:
            if isinstance(row, RowError):
                if held is not None:
                    yield held
                    held = None
                yield row
            elif held is not None and _continues(row, held, day, described):
                held = _merged(held, row, layout.description)
            else:
                if held is not None:
                    yield held
                held = row
        if held is not None:
            yield held
    finally:
        rows.close()


def _continues(row: _Row, above: _Row, day: int, described: frozenset[int]) -> bool:
    cells = row.cells
    if day < len(cells) and cells[day]:
        return False
    if row.line != (above.last or above.line) + 1:
        return False  # a blank, balance or unreadable line between: not the same transaction
    return all(i in described for i, cell in enumerate(cells) if cell)


def _merged(above: _Row, row: _Row, description: tuple[int, ...]) -> _Row:
    cells = list(above.cells)
    for i in description:
        more = row.cells[i] if i < len(row.cells) else ""
        if more:
            cells.extend([""] * (i + 1 - len(cells)))
            cells[i] = f"{cells[i]} - {more}" if cells[i] else more
    return _Row(above.line, cells, row.last or row.line, continued=True)


def _without_skipped(rows: _RowStream, layout: _Layout) -> _RowStream:
    """The rows but the header repeated and those ``skip_descriptions`` says are not movements."""
    header, pattern = layout.skip_repeated_header, layout.skip_description
    try:
        for row in rows:
            if isinstance(row, _Row) and (
                (header and _is_header(row.cells, layout))
                or (pattern is not None and _described_as(row.cells, layout.description, pattern))
            ):
                continue
            yield row
    finally:
        rows.close()


def _described_as(cells: list[str], description: tuple[int, ...], pattern: re.Pattern[str]) -> bool:
    return any(
        i < len(cells) and cells[i] and pattern.fullmatch(normalise_name(cells[i]))
        for i in description
    )


def _read_rows(
    source: BinaryIO, encoding: str, start: int, layout: _Layout, order: DateOrder, separator: str
) -> Iterator[StatementLine | RowError]:
    read = _row_reader(layout, order, separator)
    for row in _rows(source, encoding, start, layout):
        yield row if isinstance(row, RowError) else read(row)


def _row_reader(
    layout: _Layout, order: DateOrder, separator: str
) -> Callable[[_Row], StatementLine | RowError]:
    """How to read one row of this layout, each of its parts chosen once for the whole file."""
    read_date = _date_reader(layout.date_format, order)
    read_amount = _amount_reader(layout, separator)
    describe = _describer(layout.description)
    columns, last_required, delimiter = layout.columns, layout.last_required, layout.delimiter
    day, category, optional_columns = layout.date, layout.category, layout.optional

    def read(row: _Row) -> StatementLine | RowError:
        cells, line = row.cells, row.line
        if columns is not None and len(cells) > columns:
            used = len(_trimmed(cells))
            if used > columns:
                return RowError(
                    line,
                    f"the row has {used} columns where {columns} are expected{row.where()}",
                    raw=delimiter.join(cells)[:_RAW_LENGTH],
                )
        if last_required >= len(cells):
            return RowError(
                line,
                f"the row has only {len(cells)} column(s){row.where()}",
                raw=delimiter.join(cells)[:_RAW_LENGTH],
            )
        if columns is not None and len(cells) < columns:
            cells = cells + [""] * (columns - len(cells))

        booked_on = read_date(cells[day])
        if booked_on is None:
            return RowError(line, "not a date", column=layout.column_name(day), raw=cells[day])
        amount = read_amount(cells, line)
        if isinstance(amount, RowError):
            return amount

        optional = {role: cells[i] for role, i in optional_columns.items() if i < len(cells)}
        status = "booked"
        state = normalise_name(optional["status"]) if optional.get("status") else ""
        if state in _NOT_BOOKED:
            return RowError(
                line,
                f"the transaction is {state}, no money moved",
                column=layout.column_name(optional_columns["status"]),
                raw=optional.get("status"),
            )
        if state == "pending":
            status = "pending"
        value_on = None
        if optional.get("value_date"):
            value_on = read_date(optional["value_date"])
        currency = layout.currency
        if optional.get("currency_column"):
            given = optional["currency_column"].upper()
            currency = given if _CURRENCY.fullmatch(given) else layout.currency
        hint = cells[category] if category is not None else None
        return StatementLine(
            line=line,
            booked_on=booked_on,
            amount=amount,
            description=describe(cells),
            currency=currency,
            value_on=value_on,
            external_id=optional.get("external_id") or None,
            type=optional.get("type") or None,
            status=status,
            category_hint=hint or None,
        )

    if layout.instalment is not None:
        return _with_instalment(read, layout.instalment)
    return read


def _describer(columns: tuple[int, ...]) -> Callable[[list[str]], str]:
    """The description from its columns: one cell, or the non-empty ones joined by " - ", each
    only once (Título and Descrição often repeat each other)."""
    if len(columns) == 1:
        return itemgetter(columns[0])

    def describe(cells: list[str]) -> str:
        parts: list[str] = []
        for i in columns:
            cell = cells[i]
            if cell and cell not in parts:
                parts.append(cell)
        return " - ".join(parts)

    return describe


_INSTALMENT = re.compile(r"(?:parc(?:ela)?\.?\s*)?([0-9]{1,3})\s*(?:/|de|of)\s*([0-9]{1,3})")


def _instalment(cell: str) -> tuple[int, int] | None:
    """``(number, total)`` from "3/6", "03/12", "Parcela 3 de 10", "3 de 10"; None for "Única",
    an empty cell, or anything else, including an incoherent pair such as "0/3" or "7/6"."""
    match = _INSTALMENT.fullmatch(normalise_name(cell)) if cell else None
    if match is None:
        return None
    number, total = int(match[1]), int(match[2])
    return (number, total) if 1 <= number <= total else None


def _with_instalment(
    read: Callable[[_Row], StatementLine | RowError], column: int
) -> Callable[[_Row], StatementLine | RowError]:
    def read_with_instalment(row: _Row) -> StatementLine | RowError:
        line = read(row)
        if isinstance(line, StatementLine) and column < len(row.cells):
            instalment = _instalment(row.cells[column])
            if instalment is not None:
                number, total = instalment
                return replace(line, instalment_number=number, instalment_total=total)
        return line

    return read_with_instalment


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


_AmountReader = Callable[[list[str], int], "Decimal | RowError"]
"""Cells and line number → the amount in Fluxo's sign, or the error of the cell at fault."""


def _amount_reader(layout: _Layout, separator: str) -> _AmountReader:
    def error(cells: list[str], line: int, index: int, reason: str) -> RowError:
        return RowError(line, reason, column=layout.column_name(index), raw=cells[index])

    read = (
        _signed(layout.amount, layout, separator, error)
        if layout.amount is not None
        else _split(layout, separator, error)
    )
    if layout.direction is not None:
        read = _directed(read, layout)
    fee = layout.optional.get("fee")
    if fee is not None:
        read = _with_fee(read, fee, separator, error)
    return read


_CellError = Callable[[list[str], int, int, str], RowError]
"""Cells, line, column, reason → the error that locates them."""


def _signed(column: int, layout: _Layout, separator: str, error: _CellError) -> _AmountReader:
    """One amount column, signed as Fluxo signs (or negated for an inverted profile)."""
    negate = layout.sign is SignConvention.INVERTED

    def signed(cells: list[str], line: int) -> Decimal | RowError:
        cell = cells[column]
        if not cell:
            return error(cells, line, column, "the amount is empty")
        try:
            amount = _parse(cell, separator)
        except InvalidInput as exc:
            return error(cells, line, column, str(exc))
        return -amount if negate else amount

    return signed


def _split(layout: _Layout, separator: str, error: _CellError) -> _AmountReader:
    """Debit and credit columns: money out and money in, whatever sign each cell has."""
    assert layout.debit is not None
    assert layout.credit is not None
    debit, credit = layout.debit, layout.credit
    negate = layout.sign is SignConvention.INVERTED

    def split(cells: list[str], line: int) -> Decimal | RowError:
        debit_cell, credit_cell = cells[debit], cells[credit]
        if not debit_cell and not credit_cell:
            return error(cells, line, debit, "both the debit and the credit are empty")
        amount = Decimal(0)
        for index, cell, sign in ((debit, debit_cell, -1), (credit, credit_cell, 1)):
            if cell:
                try:
                    amount += sign * abs(_parse(cell, separator))
                except InvalidInput as exc:
                    return error(cells, line, index, str(exc))
        return -amount if negate else amount

    return split


def _directed(read: _AmountReader, layout: _Layout) -> _AmountReader:
    """The amount signed by the direction column: debit negative, credit positive."""
    assert layout.direction is not None
    column, marks = layout.direction, layout.direction_marks
    name = layout.column_name(column)
    debits = ", ".join(sorted(m for m, sign in marks.items() if sign < 0))
    credits = ", ".join(sorted(m for m, sign in marks.items() if sign > 0))
    known: dict[str, int] = {}  # marks as the file writes them ("D", "C"), normalised once each

    def directed(cells: list[str], line: int) -> Decimal | RowError:
        amount = read(cells, line)
        if isinstance(amount, RowError):
            return amount
        cell = cells[column]
        sign = known.get(cell)
        if sign is None:
            sign = marks.get(normalise_name(cell))
            if sign is None:
                what = repr(cell) if cell else "an empty cell"
                reason = f"{what} is neither a debit ({debits}) nor a credit ({credits}) mark"
                return RowError(line, reason, column=name, raw=cell)
            known[cell] = sign
        return sign * abs(amount)

    return directed


def _with_fee(read: _AmountReader, fee: int, separator: str, error: _CellError) -> _AmountReader:
    def with_fee(cells: list[str], line: int) -> Decimal | RowError:
        amount = read(cells, line)
        if isinstance(amount, RowError) or fee >= len(cells) or not cells[fee]:
            return amount
        try:
            return amount - _parse(cells[fee], separator)
        except InvalidInput as exc:
            return error(cells, line, fee, str(exc))

    return with_fee


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
        rest = _without_weekday(text)
        return None if rest is None else _parse_date(rest, order)
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


_WEEKDAY = re.compile(r"\s*([^\W\d_]+(?:-[^\W\d_]+)?)\.?(?:\s*,\s*|\s+)(?=\d)")
"""A leading word before a date: "Quarta, ", "Seg ", "Quarta-feira, ", "Mon. "."""


def _without_weekday(text: str) -> str | None:
    """The date after a leading weekday, or None (no such word, or a balance word: "Saldo
    31/05/2024" stays a balance line, not a dated row)."""
    match = _WEEKDAY.match(text)
    if match is None or _BALANCE_HINT.search(match.group(1)):
        return None
    return text[match.end() :].strip()


def _strptime(text: str, date_format: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), date_format).date()
    except ValueError:
        pass
    rest = _without_weekday(text)
    if rest is None:
        return None
    try:
        return datetime.strptime(rest, date_format).date()
    except ValueError:
        return None


def _read_date(text: str, date_format: str | None, order: DateOrder) -> date | None:
    return _parse_date(text, order) if date_format is None else _strptime(text, date_format)


def _date_reader(date_format: str | None, order: DateOrder) -> Callable[[str], date | None]:
    if date_format is None:
        return partial(_parse_date, order=order)
    return partial(_strptime, date_format=date_format)


_SETTLING_VOTES = 1_000


class _Evidence:
    """What the whole file says about its dates and numbers, gathered row by row."""

    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.rows = 0
        self.dates = layout.date_order is None and layout.date_format is None
        """Whether the file must decide the date order (a date format or a fixed order does)."""
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
        if self.dates and layout.date < len(cells):
            self._date(cells[layout.date])
        if layout.decimal_separator is None:
            for index in self.amount_columns:
                if index < len(cells) and (vote := _decimal_vote(cells[index])):
                    self.votes[vote] += 1

    def _date(self, cell: str) -> None:
        if self.day_first and self.month_first:
            return
        match = _DATE.fullmatch(cell)
        if match is None and (rest := _without_weekday(cell)) is not None:
            match = _DATE.fullmatch(rest)
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
        if not self.dates or (self.day_first and self.month_first):
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
