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
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from shared.domain.errors import InvalidInput
from shared.domain.money import parse_amount
from shared.imports.encoding import decode
from shared.imports.model import (
    AccountHint,
    FileRejected,
    ParsedStatement,
    RowError,
    StatementFormat,
    StatementLine,
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

__all__ = ["ColumnMapping", "DateOrder", "SignConvention", "read_csv"]

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

    def column_name(self, index: int) -> str:
        if index < len(self.names) and self.names[index]:
            return self.names[index]
        return f"column {index + 1}"


def read_csv(
    data: bytes, *, profile: str | None = None, mapping: ColumnMapping | None = None
) -> ParsedStatement:
    """Read a CSV bank export. ``profile`` forces a bank profile, ``mapping`` a user's layout."""
    if profile is not None and mapping is not None:
        raise ValueError("pass a profile or a mapping, not both")
    text, _encoding = decode(data)
    lines = text.split("\n")
    if mapping is not None:
        layout, start = _layout_from_mapping(lines, mapping)
    elif profile is not None:
        layout, start = _layout_from_profile(lines, get_profile(profile))
    else:
        layout, start = _detect(lines)
    return _read_rows(lines, start, layout)


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


def _is_balance_line(cells: list[str], layout: _Layout) -> bool:
    keys = [normalise_name(c) for c in cells if c]
    if any(_BALANCE_CELL.fullmatch(k) for k in keys):
        return True
    date_cell = cells[layout.date] if layout.date < len(cells) else ""
    if _parse_date(date_cell, layout.default_order) is not None:
        return False
    return any(_BALANCE_WORD.match(k) for k in keys)


def _read_rows(lines: list[str], start: int, layout: _Layout) -> ParsedStatement:
    rows: list[_Row] = []
    for index in range(start, len(lines)):
        cells = _cells(lines[index], layout.delimiter)
        if not any(cells) or _is_balance_line(cells, layout):
            continue
        rows.append(_Row(index + 1, cells))
    if not rows:
        raise FileRejected("the file has no data rows (empty, or a header alone)")
    order = layout.date_order or _resolve_date_order(rows, layout)
    separator = layout.decimal_separator or _resolve_decimal(rows, layout)
    statement = ParsedStatement(
        format=StatementFormat.CSV,
        profile=layout.name,
        account_hint=layout.account_hint,
        currency=layout.currency,
        rows_read=len(rows),
    )
    for row in rows:
        result = _read_row(row, layout, order, separator)
        if isinstance(result, RowError):
            statement.errors.append(result)
        else:
            statement.lines.append(result)
    currencies = {line.currency for line in statement.lines}
    if len(currencies) == 1:
        statement.currency = currencies.pop()
    return statement


def _required_columns(layout: _Layout) -> list[int]:
    return [
        i
        for i in (layout.date, layout.amount, layout.debit, layout.credit, *layout.description)
        if i is not None
    ]


def _read_row(
    row: _Row, layout: _Layout, order: DateOrder, separator: str
) -> StatementLine | RowError:
    cells, line = row.cells, row.line
    raw = layout.delimiter.join(cells)
    used = len(_trimmed(cells))
    if layout.columns is not None and used > layout.columns:
        return RowError(
            line, f"the row has {used} columns where {layout.columns} are expected", raw=raw
        )
    if max(_required_columns(layout)) >= len(cells):
        return RowError(line, f"the row has only {len(cells)} column(s)", raw=raw)
    cells = cells + [""] * ((layout.columns or len(cells)) - len(cells))

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
    state = normalise_name(optional.get("status", ""))
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
    currency = optional.get("currency_column", "").upper() or layout.currency
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        currency = layout.currency
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


def _parse(cell: str, separator: str) -> Decimal:
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


def _resolve_date_order(rows: list[_Row], layout: _Layout) -> DateOrder:
    day_first = month_first = False
    for row in rows:
        if layout.date >= len(row.cells):
            continue
        match = _DATE.fullmatch(row.cells[layout.date])
        if match is None or len(match.group(1)) > 2:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        day_first = day_first or (first > 12 and second <= 12)
        month_first = month_first or (second > 12 and first <= 12)
    if day_first and not month_first:
        return DateOrder.DMY
    if month_first and not day_first:
        return DateOrder.MDY
    return DateOrder.DMY if layout.default_order is DateOrder.YMD else layout.default_order


def _resolve_decimal(rows: list[_Row], layout: _Layout) -> str:
    """The decimal separator most cells prove ("1.234,56", "12,5"), else the layout's default."""
    columns = [
        i
        for i in (layout.amount, layout.debit, layout.credit, layout.optional.get("fee"))
        if i is not None
    ]
    votes: Counter[str] = Counter()
    for row in rows:
        for index in columns:
            if index < len(row.cells):
                vote = _decimal_vote(row.cells[index])
                if vote:
                    votes[vote] += 1
    if votes:
        return votes.most_common(1)[0][0]
    return layout.default_decimal


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
