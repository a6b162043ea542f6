"""Statement import throughput on PostgreSQL, against a bare ``COPY`` of the same rows.

1. Writes a CSV of ``--rows`` lines (a Brazilian bank export: ``Data;Descrição;Valor``,
   ``dd/mm/yyyy``, ``1.234,56``) from the demo generator's checking and card lines.
2. Imports it end to end into an empty account, as ``POST /v1/imports`` and ``fluxo import``
   do: the original into the lake, parsing, de-duplication, categorisation, writing in bulk, the
   events recorded and published, the report. The bus takes the events and hands them to no
   one: what other contexts do with them (the activity rollup, budgets, notifications) is their
   work, done by their own functions on AWS. It is timed next, apart: the product's consumers
   apply the import's events in-process, as the embedded default does after the import.
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
from collections.abc import Iterator, Sequence
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg
from sqlalchemy import select

from bench.support import DEFAULT_SERVER, plain, scratch_database
from events.envelope import DomainEvent
from shared.bootstrap import Container, bootstrap
from shared.db.migrate import upgrade
from shared.db.models import OutboxEvent
from shared.demo.generator import generate_household
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.ports import EventHandler
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


class CountingBus:
    """An event bus that takes every event and delivers it to no one."""

    def __init__(self) -> None:
        self.published = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.published += len(events)

    def subscribe(self, event_type: str, handler: EventHandler) -> None:
        raise TypeError("the import's measurement delivers to no one")


def run(url: str, home: Path, statement: Path, rows: int) -> None:
    bus = CountingBus()
    container = bootstrap(Settings(home=home, database_url=url), bus=bus)
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
        f"({record.duplicates} duplicates, {record.rejected} rejected, "
        f"{bus.published:,} events published)"
    )
    consumers_seconds = apply_consumers(container, record.id)
    print(
        f"then the consumers ({', '.join(c.name for c in container.consumers)}) apply those "
        f"events in {consumers_seconds:.1f} s (not in the ratio)"
    )
    container.close()

    copy_seconds = copy_same_rows(url, home / "rows.copy")
    print(f"copy: {rows:,} rows in {copy_seconds:.1f} s")
    import_rate, copy_rate = rows / import_seconds, rows / copy_seconds
    print(
        f"rows={rows} import_rows_per_s={import_rate:.0f} copy_rows_per_s={copy_rate:.0f} "
        f"ratio={import_rate / copy_rate:.3f} peak_rss_mb={peak_rss_mb:.0f}"
    )


def apply_consumers(container: Container, import_id: UUID) -> float:
    """Seconds for every consumer of the product to apply the import's events, in order."""
    with container.db.relay_session() as session:
        envelopes = session.scalars(
            select(OutboxEvent.envelope)
            .where(OutboxEvent.aggregate_id == import_id)
            .order_by(OutboxEvent.version)
        ).all()
    events = [DomainEvent.model_validate(envelope) for envelope in envelopes]
    runner = container.consumer_runner
    started = time.perf_counter()
    for event in events:
        for consumer in container.consumers:
            runner.apply(consumer, event)
    return time.perf_counter() - started


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
