"""Transactions on PostgreSQL: Fluxo's service layer against the database itself.

1. Writing: ``TransactionService.create_many`` (validation, tags, outbox event per row, one unit
   of work) against psycopg ``COPY`` of the same rows, the fastest way into PostgreSQL.
2. Reading: one page of ``GET /v1/transactions`` through the service layer against the same keyset
   query sent straight through psycopg (the database's own time).

Usage: ``python -m bench.ledger [--households 20] [--months 12] [--url postgresql://…]``.
A fresh database is created on the server and dropped afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import psycopg

from bench.support import DEFAULT_SERVER, plain, scratch_database
from shared.bootstrap import bootstrap
from shared.db.migrate import upgrade
from shared.demo.generator import generate_household
from shared.demo.loader import load_demo
from shared.domain.access import Principal, Role
from shared.domain.pagination import TransactionSort
from shared.domain.transactions import TransactionQuery
from shared.services.access import Caller
from shared.settings import Settings

PAGE_SQL = """
SELECT * FROM transactions WHERE tenant_id = %s
ORDER BY booked_on DESC, id DESC LIMIT 51
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--url", default=DEFAULT_SERVER)
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        _run(url, args.households, args.months)


def _run(url: str, households: int, months: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="fluxo-bench-"))
    container = bootstrap(Settings(home=home, database_url=url))
    upgrade(container.db.engine)
    rows = sum(len(generate_household(i, months).transactions) for i in range(households))

    started = time.perf_counter()
    loaded = load_demo(container, households=households, months=months)
    fluxo_write = time.perf_counter() - started
    copy_write = _copy_same_rows(url)
    print(
        f"write: {rows} rows; fluxo create_many {rows / fluxo_write:,.0f} rows/s, "
        f"COPY {rows / copy_write:,.0f} rows/s, ratio {copy_write / fluxo_write:.3f} of COPY"
    )

    tenant = loaded[0].tenant_id
    caller = Caller(Principal(loaded[0].user_id, tenant, frozenset({Role.OWNER})), tenant)
    query = TransactionQuery(sort=TransactionSort.DATE_DESC, limit=50)
    service_ms = _median_ms(lambda: container.transactions.list(caller, query))
    with psycopg.connect(plain(url)) as connection:
        raw_ms = _median_ms(lambda: connection.execute(PAGE_SQL, (tenant,)).fetchall())
    print(
        f"read: one page of 50; service {service_ms:.2f} ms, raw SQL {raw_ms:.2f} ms, "
        f"overhead ×{service_ms / raw_ms:.1f}"
    )
    container.close()


def _copy_same_rows(url: str) -> float:
    """Copies every transaction row into an empty clone of the table: the write floor."""
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE copy_target (LIKE transactions INCLUDING ALL)")
        rows = connection.execute("SELECT * FROM transactions").fetchall()
        started = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy("COPY copy_target FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return time.perf_counter() - started


def _median_ms(action: Callable[[], object], runs: int = 30) -> float:
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    main()
