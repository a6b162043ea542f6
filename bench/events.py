"""Domain events on PostgreSQL through the embedded bus: relay and consumers, and a budget alert.

1. Throughput: ``--events`` transactions are written through the service layer with nothing
   delivered (the outbox holds their ``TransactionCreated`` events), then the relay's sweep
   publishes them to the in-process bus, where every consumer of the product applies each one
   exactly once (its claim and its effect in one transaction). ``events_per_s`` is events
   published and applied per second.
2. Latency: a monthly budget sits just under its 80 % threshold; a transaction that crosses it is
   posted through the HTTP API (FastAPI in-process, bearer token, JSON), and the time from the
   request to the ``BudgetThresholdReached`` event published is measured (the embedded relay
   delivers right after each commit, so the alert is out when the response is); the transaction
   is then deleted, which re-arms the threshold, and the next round starts. ``e2e_p50_ms``.

Usage: ``python -m bench.events [--events 5000] [--rounds 200] [--url postgresql://…]``.
A fresh database is created on the server and dropped afterwards. Last line:
``events_per_s=… e2e_p50_ms=… e2e_p95_ms=…``.
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
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from bench.support import DEFAULT_SERVER, scratch_database
from events.envelope import DomainEvent
from shared.bootstrap import Container, bootstrap
from shared.db.migrate import upgrade
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind
from shared.http.app import create_app, discover_routers
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.transactions import NewTransaction, TransactionService
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings

ALERT = "BudgetThresholdReached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--url", default=DEFAULT_SERVER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, scratch_database(args.url) as url:
        container = bootstrap(Settings(home=Path(home), database_url=url))
        try:
            upgrade(container.db.engine)
            events_per_s = throughput(container, args.events)
            latencies = alert_latencies(container, args.rounds)
        finally:
            container.close()
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"consumers: {', '.join(consumer.name for consumer in container.consumers)}; "
        f"{args.rounds} alerts, fastest {min(latencies):.1f} ms, slowest {max(latencies):.1f} ms"
    )
    print(f"events_per_s={events_per_s:.0f} e2e_p50_ms={p50:.1f} e2e_p95_ms={p95:.1f}")


def throughput(container: Container, count: int) -> float:
    caller, account = _workspace(container, "Throughput")

    def undelivered(tenant_id: UUID | None, user_id: UUID | None) -> UnitOfWork:
        return UnitOfWork(container.db, tenant_id, user_id)  # no relay after the commit

    writer = TransactionService(undelivered, container.clock, lambda: container.categoriser)
    specs = [
        NewTransaction(
            account_id=account,
            amount=Decimal(-(10 + number % 500)),
            booked_on=date(2026, 1 + number % 12, 1 + number % 28),
            description=f"PADARIA DO BAIRRO {number % 50}",
        )
        for number in range(count)
    ]
    for start in range(0, count, 500):
        writer.create_many(caller, specs[start : start + 500])
    started = time.perf_counter()
    published = 0
    while batch := container.relay.sweep(older_than=timedelta(0)):
        published += batch
    seconds = time.perf_counter() - started
    if published < count:
        raise SystemExit(f"only {published} of {count} events were published")
    print(f"relay + consumers: {published:,} events in {seconds:.1f} s")
    return published / seconds


def alert_latencies(container: Container, rounds: int) -> list[float]:
    caller, account = _workspace(container, "Latency")
    token = _token(container, caller)
    heard: dict[str, float] = {}
    container.bus.subscribe(ALERT, lambda event: _heard(event, heard))
    client = TestClient(create_app(discover_routers(), container_factory=lambda: container))
    headers = {"Authorization": f"Bearer {token}"}
    today = container.clock.today()
    budget = client.post(
        "/v1/budgets",
        json={"name": "Mês", "amount": "1000.00", "thresholds": [80, 100]},
        headers=headers,
    )
    budget.raise_for_status()
    spent = client.post(
        "/v1/transactions",
        json=_transaction(account, "-790.00", today, "SUPERMERCADO"),
        headers=headers,
    )
    spent.raise_for_status()
    latencies = []
    for _ in range(rounds):
        heard.clear()
        started = time.perf_counter()
        crossing = client.post(
            "/v1/transactions",
            json=_transaction(account, "-20.00", today, "PADARIA"),
            headers=headers,
        )
        crossing.raise_for_status()
        if ALERT not in heard:
            raise SystemExit("the threshold was crossed but no alert was published")
        latencies.append((heard[ALERT] - started) * 1000)
        created = crossing.json()
        client.delete(
            f"/v1/transactions/{created['id']}",
            headers={**headers, "If-Match": f'"{created["version"]}"'},
        ).raise_for_status()
    return latencies


def _heard(event: DomainEvent, heard: dict[str, float]) -> None:
    heard.setdefault(event.type, time.perf_counter())


def _transaction(account: UUID, amount: str, day: date, description: str) -> dict[str, str]:
    return {
        "account_id": str(account),
        "amount": amount,
        "booked_on": day.isoformat(),
        "description": description,
    }


def _workspace(container: Container, name: str) -> tuple[Caller, UUID]:
    owner = Principal(uuid4(), None, frozenset({Role.OWNER}), email=f"{name}@example.com")
    view, _ = container.workspaces.create(owner, NewWorkspace(name=name))
    caller = Caller(
        Principal(owner.user_id, view.tenant.id, frozenset({Role.OWNER})), view.tenant.id
    )
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    return caller, account.id


def _token(container: Container, caller: Caller) -> str:
    assert container.dev_issuer is not None
    return container.dev_issuer.issue(
        caller.user_id, caller.tenant_id, [Role.OWNER], email="latency@example.com"
    )


if __name__ == "__main__":
    main()
