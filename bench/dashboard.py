"""The default dashboard's latency on PostgreSQL at scale, against a GROUP BY over the raw rows.

1. Loads ``--users`` workspaces of one person each with ``--per-user`` transactions over 24
   months (salary, rent, bills, card purchases at ~50 merchants, the card bill, moves between
   own accounts) with ``COPY``, day by day across all users — as rows arrive in a real ledger,
   so one person's rows are spread over the table, not packed together. Every workspace has the
   category tree, three accounts and two budgets.
2. Fills the rollups from the transactions with the set-based statements of
   ``fluxo analytics rebuild``, then ``VACUUM ANALYZE``.
3. For ``--requests`` random people, asks the product for the default dashboard's data
   (``AnalyticsService.dashboard_data``, in-process: server-side latency, no HTTP) in three
   passes, each in the cache state its own reads make: computed from the rollups (no snapshot,
   no cache); computed by a straightforward GROUP BY over the transactions (the same service
   with the transactions as its source); and as the product serves it — from the snapshot the
   person's first opening stored, which the ``activity`` consumer keeps current after every
   change and the scheduled refresh after every midnight (that first opening is not timed). The
   three answers must be equal for every person. Then the consumer's cost of keeping a
   snapshot: computing a workspace's again, as after a change.
   The same is measured for one operator's workspace of ``--operator-rows`` transactions.

Prints the setup's timings, the computed answer's latency and the snapshot's cost, and last
``p50_ms=… p95_ms=… naive_p95_ms=… speedup=…`` of the served answer (speedup: naive p95 over
p95).

Usage: ``python -m bench.dashboard [--users 10000] [--per-user 1000] [--requests 1000]
[--url postgresql://…]``. The full size takes a while (see docs/benchmarks.md): ``--keep NAME``
loads into database NAME and keeps it, ``--reuse NAME`` measures it again without loading.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file: this folder's events.py must not shadow the project's ``events`` package.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from uuid import UUID

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from bench.support import DEFAULT_SERVER, plain, scratch_database
from shared.analytics.query import add_months
from shared.analytics.rollups import fill_statements
from shared.analytics.snapshots import DashboardViews
from shared.analytics.sources import RawSource
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.db.migrate import upgrade
from shared.domain.access import Principal
from shared.domain.taxonomy import TAXONOMY, CategorySeed
from shared.services.access import Caller
from shared.services.analytics import AnalyticsService, DashboardData
from shared.settings import Settings

MONTHS = 24
LAST_DAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
CREATED = "2026-11-20 15:00:00+00"
MERCHANTS: tuple[tuple[str, str, int], ...] = (
    # (merchant, category slug, typical amount in reais)
    ("Pão de Açúcar", "supermarket", 180),
    ("Carrefour", "supermarket", 220),
    ("Assaí Atacadista", "supermarket", 350),
    ("Padaria Real", "bakery", 25),
    ("Hortifruti", "butcher_market", 60),
    ("iFood", "food_delivery", 55),
    ("Rappi", "food_delivery", 48),
    ("Outback", "dining_out", 160),
    ("Coco Bambu", "dining_out", 210),
    ("Starbucks", "coffee", 28),
    ("Bar do Zé", "bars", 90),
    ("Uber", "ride_hailing", 32),
    ("99", "ride_hailing", 24),
    ("Shell", "fuel", 210),
    ("Ipiranga", "fuel", 190),
    ("Sem Parar", "parking_tolls", 45),
    ("Drogasil", "pharmacy", 75),
    ("Raia", "pharmacy", 62),
    ("Smart Fit", "fitness", 120),
    ("Netflix", "streaming", 56),
    ("Spotify", "streaming", 22),
    ("Amazon", "online_marketplaces", 140),
    ("Mercado Livre", "online_marketplaces", 160),
    ("Renner", "clothing", 190),
    ("Centauro", "clothing", 230),
    ("Magazine Luiza", "electronics", 480),
    ("Fast Shop", "electronics", 650),
    ("Leroy Merlin", "home_goods", 260),
    ("Petz", "shopping", 140),
    ("Cinemark", "cinema_shows", 70),
    ("Livraria Cultura", "books", 85),
    ("Decolar", "travel_other", 900),
    ("Azul", "flights", 1100),
    ("Booking", "lodging", 780),
)
BILLS = (("electricity", "ENEL", 180), ("water", "SABESP", 90), ("internet", "VIVO FIBRA", 120))


@dataclass(frozen=True)
class Person:
    index: int
    tenant_id: UUID
    user_id: UUID
    salary: int
    rent: int
    rows: int
    """Transactions over the 24 months, about."""


@dataclass(frozen=True)
class Scale:
    users: int
    per_user: int
    operator_rows: int
    """One more workspace this large (0: none): the rollups' worth where raw rows are many."""
    requests: int
    operator_requests: int
    seed: int

    def people(self) -> list[Person]:
        return [_person(index, self.seed, self.per_user) for index in range(self.users)]

    def operator(self) -> Person | None:
        if not self.operator_rows:
            return None
        return _person(self.users, self.seed, self.operator_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--per-user", type=int, default=1_000)
    parser.add_argument("--operator-rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--operator-requests", type=int, default=20)
    parser.add_argument("--url", default=DEFAULT_SERVER)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", metavar="NAME", help="load into database NAME (made anew) and keep it"
    )
    parser.add_argument(
        "--reuse", metavar="NAME", help="measure database NAME, loaded before with --keep"
    )
    args = parser.parse_args()
    scale = Scale(
        args.users,
        args.per_user,
        args.operator_rows,
        args.requests,
        args.operator_requests,
        args.seed,
    )
    server = make_url(args.url).set(drivername="postgresql+psycopg")
    if args.reuse:
        url = server.set(database=args.reuse).render_as_string(hide_password=False)
        _print(measured(url, scale))
    elif args.keep:
        _print(run(_new_database(server, args.keep), scale))
    else:
        with scratch_database(args.url) as url:
            _print(run(url, scale))


def _print(lines: Iterator[str]) -> None:
    for line in lines:
        print(line, flush=True)


def run(url: str, scale: Scale) -> Iterator[str]:
    """Yields the report's lines; the last is the summary."""
    with _container(url) as container:
        upgrade(container.db.engine)
        people = scale.people()
        operator = scale.operator()
        started = time.perf_counter()
        rows = load(plain(url), [*people, *([operator] if operator else [])], scale.seed)
        seconds = time.perf_counter() - started
        yield f"loaded {rows:,} transactions for {len(people):,} users in {seconds:,.1f} s"
        if operator:
            yield f"  and one workspace of {operator.rows:,} more (an operator's)"
        started = time.perf_counter()
        roll_up(plain(url))
        yield f"rollups filled and analysed in {time.perf_counter() - started:,.1f} s"
        yield from measure_all(container, scale)


def measured(url: str, scale: Scale) -> Iterator[str]:
    """The measurement alone, on a database loaded before with the same scale and seed."""
    with _container(url) as container:
        upgrade(container.db.engine)  # a database kept before a later migration
        yield from measure_all(container, scale)


def measure_all(container: Container, scale: Scale) -> Iterator[str]:
    operator = scale.operator()
    if operator:
        yield measure_operator(container, operator, scale.operator_requests)
    yield from measure(container, scale.people(), scale.requests, scale.seed)


@contextmanager
def _container(url: str) -> Iterator[Container]:
    with tempfile.TemporaryDirectory(prefix="fluxo-bench-") as home:
        settings = Settings(home=Path(home), database_url=url, analytics_cache_seconds=0)
        container = bootstrap(settings, clock=FixedClock(NOW))
        try:
            yield container
        finally:
            container.close()


def _new_database(server: URL, name: str) -> str:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


# Loading


def _uuid(kind: int, index: int, item: int = 0) -> UUID:
    return UUID(f"{index:08x}-{kind:04x}-4000-8000-{item:012x}")


def _person(index: int, seed: int, rows: int) -> Person:
    rng = random.Random(seed * 1_000_003 + index)
    salary, rent = rng.randint(30, 150) * 100, rng.randint(8, 40) * 100
    return Person(index, _uuid(1, index), _uuid(2, index), salary, rent, rows)


def _flat(seeds: tuple[CategorySeed, ...]) -> list[tuple[CategorySeed, CategorySeed | None]]:
    flat: list[tuple[CategorySeed, CategorySeed | None]] = []
    for root in seeds:
        flat.append((root, None))
        flat.extend((child, root) for child in root.children)
    return flat


CATEGORIES = _flat(TAXONOMY)
SLUG_INDEX = {seed.slug: position for position, (seed, _) in enumerate(CATEGORIES)}


def load(url: str, people: list[Person], seed: int) -> int:
    counter = _Counter()
    tables: list[tuple[str, tuple[str, ...], Iterator[str]]] = [
        (
            "tenants",
            TENANT_COLUMNS,
            (
                _line(p.tenant_id, f"Casa {p.index}", "BRL", "pt-BR", ZONE, "f", CREATED, CREATED)
                for p in people
            ),
        ),
        (
            "users",
            USER_COLUMNS,
            (
                _line(
                    p.user_id,
                    f"p{p.index}@example.com",
                    f"Pessoa {p.index}",
                    "pt-BR",
                    ZONE,
                    CREATED,
                    CREATED,
                )
                for p in people
            ),
        ),
        (
            "memberships",
            MEMBERSHIP_COLUMNS,
            (_line(p.tenant_id, p.user_id, "owner", CREATED, CREATED) for p in people),
        ),
        ("categories", CATEGORY_COLUMNS, _category_lines(people)),
        ("accounts", ACCOUNT_COLUMNS, _account_lines(people)),
        ("budgets", BUDGET_COLUMNS, _budget_lines(people)),
        ("transactions", TRANSACTION_COLUMNS, _transaction_lines(people, seed, counter)),
    ]
    with psycopg.connect(url) as connection:
        for table, columns, lines in tables:
            _copy(connection, table, columns, lines)
        connection.commit()
    return counter.value


ZONE = "America/Sao_Paulo"
STAMPS = ("created_at", "updated_at")
TENANT_COLUMNS = ("id", "name", "base_currency", "locale", "timezone", "is_demo", *STAMPS)
USER_COLUMNS = ("id", "email", "display_name", "locale", "timezone", *STAMPS)
MEMBERSHIP_COLUMNS = ("tenant_id", "user_id", "role", *STAMPS)
CATEGORY_COLUMNS = (
    "id",
    "tenant_id",
    "parent_id",
    "slug",
    "name",
    "labels",
    "kind",
    "archived",
    "position",
    *STAMPS,
)
ACCOUNT_COLUMNS = (
    "id",
    "tenant_id",
    "name",
    "kind",
    "currency",
    "opening_balance",
    "archived",
    *STAMPS,
)
BUDGET_COLUMNS = (
    "id",
    "tenant_id",
    "name",
    "category_id",
    "amount",
    "currency",
    "frequency",
    "period_starts",
    "rollover",
    "thresholds",
    "starts_on",
    "event_version",
    *STAMPS,
    "version",
)
TRANSACTION_COLUMNS = (
    "id",
    "tenant_id",
    "account_id",
    "amount",
    "currency",
    "booked_on",
    "description",
    "merchant",
    "category_id",
    "category_source",
    "needs_review",
    "status",
    "version",
    *STAMPS,
)
NULL = r"\N"


def _line(*values: object) -> str:
    """One row of COPY's text format."""
    return "\t".join(NULL if value is None else str(value) for value in values) + "\n"


def _copy(
    connection: psycopg.Connection, table: str, columns: tuple[str, ...], lines: Iterator[str]
) -> None:
    with connection.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == 5000:
                copy.write("".join(batch))
                batch.clear()
        copy.write("".join(batch))


def _category_lines(people: list[Person]) -> Iterator[str]:
    for p in people:
        for position, (category, parent) in enumerate(CATEGORIES):
            parent_id = None if parent is None else _uuid(3, p.index, SLUG_INDEX[parent.slug])
            labels = json.dumps({"pt-BR": category.pt_br, "en": category.en}, ensure_ascii=False)
            yield _line(
                _uuid(3, p.index, position),
                p.tenant_id,
                parent_id,
                category.slug,
                category.pt_br,
                labels,
                category.kind,
                "f",
                position,
                CREATED,
                CREATED,
            )


def _account_lines(people: list[Person]) -> Iterator[str]:
    kinds = (("Conta corrente", "checking"), ("Cartão", "credit_card"), ("Poupança", "savings"))
    for p in people:
        for item, (name, kind) in enumerate(kinds):
            opening = "1000.00" if kind == "checking" else "0"
            account = _uuid(4, p.index, item)
            yield _line(account, p.tenant_id, name, kind, "BRL", opening, "f", CREATED, CREATED)


def _budget_lines(people: list[Person]) -> Iterator[str]:
    for p in people:
        for item, (slug, amount) in enumerate((("groceries", 1500), ("restaurants", 800))):
            yield _line(
                _uuid(5, p.index, item),
                p.tenant_id,
                f"Orçamento {slug}",
                _uuid(3, p.index, SLUG_INDEX[slug]),
                amount,
                "BRL",
                "monthly",
                "calendar",
                "f",
                "[80, 100]",
                "2024-12-01",
                0,
                CREATED,
                CREATED,
                1,
            )


class _Counter:
    value = 0


def _transaction_lines(people: list[Person], seed: int, counter: _Counter) -> Iterator[str]:
    """Month by month, every person's rows of the month sorted by day: a ledger in the order
    its rows arrived."""
    purchases = {p.index: max(1, round(p.rows / MONTHS) - 9) for p in people}
    rng = random.Random(seed)
    for offset in range(MONTHS):
        start = add_months(LAST_DAY, offset - MONTHS + 1)
        year, month = start.year, start.month
        rows: list[tuple[int, str]] = []
        for p in people:
            rows.extend(_month(p, year, month, purchases[p.index], rng))
        rows.sort(key=lambda row: row[0])
        for _, line in rows:
            counter.value += 1
            yield f"{_uuid(6, counter.value >> 24, counter.value & 0xFFFFFF)}\t{line}"


def _month(
    p: Person, year: int, month: int, purchases: int, rng: random.Random
) -> Iterator[tuple[int, str]]:
    checking, card, savings = (_uuid(4, p.index, item) for item in range(3))

    def row(
        day: int, account: UUID, cents: int, text: str, merchant: str | None, slug: str
    ) -> tuple[int, str]:
        category = _uuid(3, p.index, SLUG_INDEX[slug])
        amount = (
            f"{cents // 100}.{cents % 100:02d}"
            if cents >= 0
            else f"-{-cents // 100}.{-cents % 100:02d}"
        )
        booked = f"{year:04d}-{month:02d}-{day:02d}"
        values = (p.tenant_id, account, amount, "BRL", booked, text, merchant, category, "rule")
        return day, _line(*values, "f", "booked", 1, CREATED, CREATED)

    yield row(5, checking, p.salary * 100, "SALARIO ACME LTDA", "ACME", "salary")
    yield row(10, checking, -p.rent * 100, "ALUGUEL", None, "rent")
    for slug, biller, typical in BILLS:
        yield row(rng.randint(8, 20), checking, -_cents(rng, typical), biller, biller, slug)
    bill = 0
    for _ in range(purchases):
        merchant, slug, typical = MERCHANTS[rng.randrange(len(MERCHANTS))]
        cents = _cents(rng, typical)
        on_card = rng.random() < 0.7
        bill += cents if on_card else 0
        yield row(
            rng.randint(1, 28),
            card if on_card else checking,
            -cents,
            merchant.upper(),
            merchant,
            slug,
        )
    yield row(12, checking, -bill, "PAGAMENTO FATURA CARTAO", None, "card_payment")
    yield row(12, card, bill, "PAGAMENTO RECEBIDO", None, "card_payment")
    saved = rng.randint(1, 10) * 10_000
    yield row(6, checking, -saved, "TRANSF ENTRE CONTAS", None, "own_accounts")
    yield row(6, savings, saved, "TRANSF ENTRE CONTAS", None, "own_accounts")


def _cents(rng: random.Random, typical: int) -> int:
    return max(100, int(rng.lognormvariate(0, 0.5) * typical * 100))


def roll_up(url: str) -> None:
    """The rebuild's set-based statements over every workspace at once (as the database owner:
    row-level security would keep each statement to one workspace)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        for statement in fill_statements(None, "postgresql", NOW):
            connection.execute(statement)
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


# Measuring


@dataclass
class Timings:
    computed: list[float]
    naive: list[float]
    served: list[float]
    refresh: list[float]


def compare(container: Container, asked: list[Person], warm_up: int) -> Timings:
    """The default dashboard's data for each person asked, in three passes over the same
    people: computed by the product from the rollups (no snapshot, no cache), computed by a
    GROUP BY over the transactions — each pass in the cache state its own reads make, as each
    design would run — and served by the product as it runs: from the snapshots the people's
    first openings stored, in a pass of its own before (the ``activity`` consumer keeps them
    current after changes; the first openings are not timed). All three must agree. Then
    what keeping a snapshot costs the consumer: computing it again after a change."""
    views = DashboardViews(container.db)
    computed = AnalyticsService(
        container.unit_of_work, container.clock, None, views=views, snapshots=False
    )
    naive = AnalyticsService(
        container.unit_of_work,
        container.clock,
        None,
        source=RawSource(),
        views=views,
        snapshots=False,
    )
    served = container.analytics
    requests = [_request(computed, person) for person in asked]
    timings = Timings([], [], [], [])
    answers: list[list[dict[str, object]]] = []
    for service, kept in (
        (computed, timings.computed),
        (naive, timings.naive),
        (served, timings.served),
    ):
        answered = []
        if service is served:  # each person's first opening stores their snapshot
            for caller, dashboard_id in requests:
                service.dashboard_data(caller, dashboard_id)
        for number, (caller, dashboard_id) in enumerate(requests):
            elapsed, data = _timed(partial(service.dashboard_data, caller, dashboard_id))
            answered.append(data.widgets)
            if number >= warm_up:  # the first requests warm caches and plans
                kept.append(elapsed)
        answers.append(answered)
    for person, *found in zip(asked, *answers, strict=True):
        if not found[0] == found[1] == found[2]:
            raise AssertionError(f"rollups, transactions and snapshot disagree: {person.index}")
    for caller, _ in requests[: max(warm_up * 2, 20)]:
        with container.unit_of_work(caller.tenant_id, None) as uow:  # rolled back
            started = time.perf_counter()
            served.refresh_snapshots(uow, caller.tenant_id)
            timings.refresh.append((time.perf_counter() - started) * 1000)
    return timings


def _request(service: AnalyticsService, person: Person) -> tuple[Caller, UUID]:
    caller = Caller(Principal(person.user_id, person.tenant_id, frozenset()), person.tenant_id)
    return caller, service.dashboards(caller)[0].id


def measure_operator(container: Container, operator: Person, requests: int) -> str:
    """One workspace with many transactions: where a GROUP BY over raw rows has the most to
    read, and the rollups the least."""
    timings = compare(container, [operator] * requests, warm_up=min(3, requests - 1))
    return (
        f"operator workspace ({operator.rows:,} transactions): "
        f"served_p95_ms={_percentile(timings.served, 95):.2f} "
        f"computed_p50_ms={_percentile(timings.computed, 50):.2f} "
        f"computed_p95_ms={_percentile(timings.computed, 95):.2f} "
        f"naive_p50_ms={_percentile(timings.naive, 50):.2f} "
        f"naive_p95_ms={_percentile(timings.naive, 95):.2f}"
    )


def measure(container: Container, people: list[Person], requests: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    asked = [rng.choice(people) for _ in range(requests)]
    timings = compare(container, asked, warm_up=min(50, requests // 10))
    p50, p95 = _percentile(timings.served, 50), _percentile(timings.served, 95)
    naive_p50, naive_p95 = _percentile(timings.naive, 50), _percentile(timings.naive, 95)
    yield f"naive (GROUP BY over the transactions): p50_ms={naive_p50:.2f} p95_ms={naive_p95:.2f}"
    yield (
        "computed from the rollups (no snapshot: first opening of the day, or after an edit "
        f"of categories, accounts or budgets): p50_ms={_percentile(timings.computed, 50):.2f} "
        f"p95_ms={_percentile(timings.computed, 95):.2f}"
    )
    yield (
        "snapshot refreshed by the consumer after a change (per workspace): "
        f"p50_ms={_percentile(timings.refresh, 50):.2f} "
        f"p95_ms={_percentile(timings.refresh, 95):.2f}"
    )
    yield f"answers compared: {len(asked)} (all equal)"
    speedup = naive_p95 / p95
    yield f"p50_ms={p50:.2f} p95_ms={p95:.2f} naive_p95_ms={naive_p95:.2f} speedup={speedup:.1f}"


def _timed(call: Callable[[], DashboardData]) -> tuple[float, DashboardData]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _percentile(values: list[float], percent: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
        if len(values) > 1
        else values[0]
    )


if __name__ == "__main__":
    main()
