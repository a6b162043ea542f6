"""Bulk writes of whole rows, overlapped with the caller's work where the database allows.

On PostgreSQL rows go through ``COPY``. PostgreSQL refuses ``COPY FROM`` into a table with
row-level security for a role its policies bind, which the application role is; so the rows are
copied into a temporary staging table of the same columns (no constraints, no indexes, no WAL),
then moved with one ``INSERT … SELECT``, which checks every row against the table's policies and
constraints like any insert. That work runs on one background thread, on the session's own
connection and inside its transaction, while the caller prepares the next batch: the database
writes one batch while Python reads the next. Until ``wait()`` returns, the caller must not use
the session.

Elsewhere (SQLite) ``write`` inserts at once, through the session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self
from uuid import UUID

from psycopg import sql
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

Batch = Mapping[Table, Sequence[dict[str, Any]]]
"""Rows per table, each row with the values it has: a column it omits is NULL, unless the
writer has a constant for it."""


class BulkWriter(Protocol):
    def write(self, batch: Batch) -> None:
        """Writes the batch, table after table in the batch's order; on PostgreSQL after the
        previous batch is written, in the background."""

    def wait(self) -> None:
        """Returns once everything written so far is in; raises what writing it raised."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def bulk_writer(session: Session, constants: Mapping[Table, Mapping[str, Any]]) -> BulkWriter:
    """``constants`` are, per table, the values every row shares (its tenant, its import…):
    sent once, not once per row. Only these tables can be written."""
    if session.get_bind().dialect.name == "postgresql":
        return _CopyWriter(session, constants)
    return _InsertWriter(session, constants)


class _InsertWriter:
    def __init__(self, session: Session, constants: Mapping[Table, Mapping[str, Any]]) -> None:
        self._session = session
        # One statement per table and batch: every row carries every column.
        self._blank = {
            table: {column.name: None for column in table.columns} | dict(values)
            for table, values in constants.items()
        }

    def write(self, batch: Batch) -> None:
        for table, rows in batch.items():
            if rows:
                blank = self._blank[table]
                self._session.execute(insert(table), [blank | row for row in rows])

    def wait(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class _CopyWriter:
    def __init__(self, session: Session, constants: Mapping[Table, Mapping[str, Any]]) -> None:
        self._constants = {table.name: dict(values) for table, values in constants.items()}
        connection: Any = session.connection().connection.driver_connection
        self._connection = connection
        self._encoding: str = connection.info.encoding
        for table in self._constants:
            # The table's columns and types, none of its constraints: the constant columns are
            # filled by the INSERT, not in the staging rows.
            connection.execute(
                sql.SQL(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS {} ON COMMIT DROP "
                    "AS SELECT * FROM {} WITH NO DATA"
                ).format(sql.Identifier(_staging(table)), sql.Identifier(table))
            )
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")
        self._pending: Future[None] | None = None

    def write(self, batch: Batch) -> None:
        # Formatted here, on the caller's thread: the writer thread then only waits on the
        # database, and never competes for the interpreter with the caller.
        work = [self._formatted(table.name, rows) for table, rows in batch.items() if rows]
        self.wait()
        if work:
            self._pending = self._pool.submit(self._write, work)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _formatted(self, table: str, rows: Sequence[dict[str, Any]]) -> _Formatted:
        # Only the columns some row has a value for travel: most optional ones are NULL.
        columns = sorted(set().union(*rows))
        lines = ["\t".join([_text(row.get(column)) for column in columns]) for row in rows]
        data = ("\n".join(lines) + "\n").encode(self._encoding)
        return _Formatted(table, columns, data)

    def _write(self, work: list[_Formatted]) -> None:
        for formatted in work:
            self._copy(formatted)

    def _copy(self, formatted: _Formatted) -> None:
        table, columns = formatted.table, formatted.columns
        constants = self._constants[table]
        names = sql.SQL(", ").join(sql.Identifier(column) for column in columns)
        every = sql.SQL(", ").join(sql.Identifier(column) for column in [*columns, *constants])
        values = sql.SQL(", ").join([names, *(sql.Placeholder() for _ in constants)])
        staging = sql.Identifier(_staging(table))
        with self._connection.cursor() as cursor:
            with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, names)) as copy:
                copy.write(formatted.data)
            cursor.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                    sql.Identifier(table), every, values, staging
                ),
                list(constants.values()),
            )
            cursor.execute(sql.SQL("TRUNCATE {}").format(staging))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True)


@dataclass(frozen=True)
class _Formatted:
    table: str
    columns: list[str]
    data: bytes
    """The rows in COPY's text format."""


_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _json(value: Any) -> str:
    return _escaped(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


# By exact type: a dictionary lookup per value instead of a chain of isinstance checks (the
# import formats millions of values). Other types fall back to ``_text_of``.
_FORMATS: dict[type, Callable[[Any], str]] = {
    str: _escaped,
    UUID: str,
    Decimal: str,
    int: str,
    bool: lambda value: "t" if value else "f",
    date: date.isoformat,
    datetime: datetime.isoformat,
    time: time.isoformat,
    dict: _json,
    list: _json,
}


def _text(value: Any) -> str:
    """One value in COPY's text format: NULL as \\N; backslash, tab and line breaks escaped."""
    if value is None:
        return "\\N"
    format_ = _FORMATS.get(type(value))
    return format_(value) if format_ is not None else _text_of(value)


def _text_of(value: Any) -> str:
    """Subclasses of the types above, by what they are."""
    if isinstance(value, str):
        return _escaped(value)
    if isinstance(value, dict | list):
        return _json(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)  # UUID, Decimal, int: their str() is what PostgreSQL reads


def _staging(table: str) -> str:
    return f"staging_{table}"
