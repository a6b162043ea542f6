"""The rollups against the transactions they sum: after any mix of creates, edits, moves,
recategorisations and deletes, every question gets the same answer from both sources, and a
rebuild gives back exactly the rows the events kept."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from shared.analytics.metrics import compute
from shared.analytics.query import Dimension, Filters, MetricsQuery, TimeGrain
from shared.analytics.sources import RawSource, RollupSource
from shared.bootstrap import Container
from shared.db.models import MerchantRollup, Rollup
from shared.domain.access import Principal
from shared.services.access import Caller
from tests.integration.analytics.conftest import Books

SLUGS = ("salary", "supermarket", "dining_out", "card_payment", "own_accounts", None)
MERCHANTS = ("Padaria Real", "Uber", None, "Posto Shell")
START = date(2026, 8, 25)


def _random_books(books: Books, seed: int, steps: int = 40) -> None:
    rng = random.Random(seed)
    alive: list[dict[str, Any]] = []
    accounts = (books.checking, books.card)
    for _ in range(steps):
        action = rng.choice(("add", "add", "add", "edit", "recategorise", "delete"))
        if action == "add" or not alive:
            cents = rng.randint(-90_000, 60_000) or 1
            day = START + timedelta(days=rng.randint(0, 80))
            merchant = rng.choice(MERCHANTS)
            extra = {"merchant": merchant} if merchant else {}
            alive.append(
                books.add(
                    str(Decimal(cents) / 100),
                    day.isoformat(),
                    rng.choice(SLUGS),
                    f"COMPRA {rng.randint(1, 3)}",
                    account=rng.choice(accounts),
                    **extra,
                )
            )
            continue
        index = rng.randrange(len(alive))
        target = alive[index]
        if action == "delete":
            books.delete(alive.pop(index))
        elif action == "recategorise":
            slug = rng.choice(SLUGS)
            alive[index] = books.edit(target, category_id=books.categories[slug] if slug else None)
        else:
            changes = rng.choice(
                (
                    {"amount": str(Decimal(rng.randint(-50_000, 50_000) or 7) / 100)},
                    {"booked_on": (START + timedelta(days=rng.randint(0, 80))).isoformat()},
                    {"account_id": rng.choice(accounts)["id"]},
                    {"merchant": rng.choice(MERCHANTS)},
                    {"amount": "-12.34", "category_id": books.categories["supermarket"]},
                    {"description": "OUTRA COISA", "booked_on": "2026-09-30"},
                )
            )
            alive[index] = books.edit(target, **changes)


QUESTIONS = [
    (date(2026, 8, 1), date(2026, 11, 30), TimeGrain.MONTH, None),
    (date(2026, 8, 27), date(2026, 11, 3), TimeGrain.MONTH, Dimension.CATEGORY),
    (date(2026, 9, 1), date(2026, 10, 31), None, Dimension.MERCHANT),
    (date(2026, 8, 25), date(2026, 11, 20), TimeGrain.WEEK, Dimension.ACCOUNT),
    (date(2026, 9, 10), date(2026, 9, 20), TimeGrain.DAY, None),
    (date(2026, 8, 1), date(2026, 12, 31), TimeGrain.YEAR, Dimension.ACCOUNT),
    (date(1900, 1, 1), date(2026, 12, 31), None, None),
]


def _answers(container: Container, caller: Caller, source: Any) -> list[Any]:
    with container.unit_of_work(caller.tenant_id, caller.user_id) as uow:
        answers = []
        for start, end, time, dimension in QUESTIONS:
            query = MetricsQuery(Filters(start, end, "BRL"), time=time, dimension=dimension)
            rows = source.rows(uow.session, caller.tenant_id, query)
            metrics = compute(query, rows, "")
            answers.append((metrics.totals, sorted(metrics.groups, key=repr)))
        return answers


def _stored(container: Container, tenant_id: UUID) -> tuple[set[Any], set[Any]]:
    """The rows that hold anything (a delete can leave a row of zeros behind)."""
    with container.db.admin_session() as session:
        rollups = {
            (r.grain, r.period_start, r.account_id, r.category_id, r.currency, r.credits,
             r.debits, r.inflow, r.outflow)
            for r in session.scalars(select(Rollup).where(Rollup.tenant_id == tenant_id))
            if r.credits or r.debits
        }  # fmt: skip
        merchants = {
            (m.month, m.merchant, m.category_id, m.currency, m.credits, m.debits, m.inflow,
             m.outflow)
            for m in session.scalars(
                select(MerchantRollup).where(MerchantRollup.tenant_id == tenant_id)
            )
            if m.credits or m.debits
        }  # fmt: skip
        return rollups, merchants


def _caller(books: Books) -> Caller:
    tenant_id = UUID(str(books.actor.tenant_id))
    return Caller(Principal(books.actor.user_id, tenant_id, frozenset()), tenant_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollups_answer_as_the_transactions_do(books: Books, container: Container, seed):
    _random_books(books, seed)
    caller = _caller(books)

    assert _answers(container, caller, RollupSource()) == _answers(container, caller, RawSource())


def test_a_rebuild_gives_back_what_the_events_kept(books: Books, container: Container):
    _random_books(books, seed=4)
    tenant_id = UUID(str(books.actor.tenant_id))
    kept = _stored(container, tenant_id)

    rows = container.analytics.rebuild(tenant_id)

    assert _stored(container, tenant_id) == kept
    assert rows == len(kept[0])
    # What the transactions already held was marked applied: a replay adds nothing.
    container.relay.replay(since=datetime(2000, 1, 1, tzinfo=UTC))
    assert _stored(container, tenant_id) == kept
