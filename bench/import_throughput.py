"""Statement import throughput on PostgreSQL, against a bare ``COPY`` of the same rows.

1. Writes a CSV of ``--rows`` lines (a Brazilian bank export: ``Data;Descrição;Valor``,
   ``dd/mm/yyyy``, ``1.234,56``) from the demo generator's checking and card lines.
2. Imports it end to end into an empty account, as ``POST /v1/imports`` and ``fluxo import``
   do: the original into the lake, parsing, de-duplication, writing in bulk, events, the report.
3. Empties the table and copies the very rows the import wrote back into it with psycopg's
   ``COPY`` from the client — the fastest way into PostgreSQL, the physical limit. (As the
   database owner: ``COPY`` is refused to the application role, bound by row-level security.)

Prints, last, ``rows=… import_rows_per_s=… copy_rows_per_s=… ratio=… peak_rss_mb=…`` where
``ratio`` is import speed over COPY speed and ``peak_rss_mb`` the process's peak resident memory
after the import (the CSV is never held whole, so it does not grow with the file).

Usage: ``python -m bench.import_throughput [--rows 1000000] [--url postgresql://…]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import resource
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from uuid import uuid4

import psycopg

from bench.support import DEFAULT_SERVER, plain, scratch_database
from shared.bootstrap import bootstrap
from shared.db.migrate import upgrade
from shared.demo.generator import generate_household
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings

MONTHS = 60
_PT_BR = str.maketrans(",.", ".,")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_SERVER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fluxo-bench-") as folder:
        statement = Path(folder) / "extrato.csv"
        written = write_statement(statement, args.rows)
        print(f"statement: {written:,} rows, {statement.stat().st_size / 2**20:,.1f} MiB")
        with scratch_database(args.url) as url:
            run(url, Path(folder), statement, written)


def write_statement(path: Path, rows: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Data;Descrição;Valor\r\n")
        count = 0
        for booked_on, description, amount in demo_lines():
            if count == rows:
                break
            out.write(f"{booked_on:%d/%m/%Y};{description};{amount}\r\n")
            count += 1
    return count


def demo_lines() -> Iterator[tuple[object, str, str]]:
    """The demo households' lines one household at a time, amounts written as in pt-BR."""
    index = 0
    while True:
        for line in generate_household(index, MONTHS).transactions:
            yield line.booked_on, line.description, _pt_br(line.amount)
        index += 1


def _pt_br(amount: Decimal) -> str:
    """``-1234.5`` → ``-1.234,50``, as Brazilian banks write amounts."""
    return f"{amount:,.2f}".translate(_PT_BR)


def run(url: str, home: Path, statement: Path, rows: int) -> None:
    container = bootstrap(Settings(home=home, database_url=url))
    upgrade(container.db.engine)
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}), email="bench@example.com")
    view, _ = container.workspaces.create(owner, NewWorkspace(name="Bench"))
    caller = Caller(
        Principal(owner.user_id, view.tenant.id, frozenset({Role.OWNER})), view.tenant.id
    )
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))

    started = time.perf_counter()
    with statement.open("rb") as source:
        record = container.imports.import_file(caller, account.id, source, filename=statement.name)
    import_seconds = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if (record.status, record.imported, record.rejected) != ("completed", rows, 0):
        raise SystemExit(f"the import did not take every row: {record.status} {record.imported}")
    print(
        f"import: {record.imported:,} rows in {import_seconds:.1f} s "
        f"({record.duplicates} duplicates, {record.rejected} rejected)"
    )
    container.close()

    copy_seconds = copy_same_rows(url, home / "rows.copy")
    print(f"copy: {rows:,} rows in {copy_seconds:.1f} s")
    import_rate, copy_rate = rows / import_seconds, rows / copy_seconds
    print(
        f"rows={rows} import_rows_per_s={import_rate:.0f} copy_rows_per_s={copy_rate:.0f} "
        f"ratio={import_rate / copy_rate:.3f} peak_rss_mb={peak_rss_mb:.0f}"
    )


def copy_same_rows(url: str, dump: Path) -> float:
    """Times ``COPY … FROM STDIN`` of the imported rows back into ``transactions``, emptied
    first: the same rows into the same table, with its constraints and indexes. The rows are
    dumped to a file beforehand (untimed) and sent as they are, so the client does no work."""
    with psycopg.connect(plain(url), autocommit=True) as connection:
        with (
            dump.open("wb") as out,
            connection.cursor() as cursor,
            cursor.copy("COPY transactions TO STDOUT") as copy,
        ):
            for block in copy:
                out.write(block)
        connection.execute("TRUNCATE transactions CASCADE")
        connection.execute("VACUUM ANALYZE transactions")
        started = time.perf_counter()
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            dump.open("rb") as source,
            cursor.copy("COPY transactions FROM STDIN") as copy,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
