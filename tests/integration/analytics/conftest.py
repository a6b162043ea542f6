"""A workspace with a month of known money: each test reads it through the analytics API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.domain.access import Role
from shared.identity.local import LocalDevIssuer
from shared.settings import Settings
from tests.support.api import Actor, categories_by_slug, ok, token_for

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def container(
    settings: Settings, dev_issuer: LocalDevIssuer, clock: FixedClock
) -> Iterator[Container]:
    built = bootstrap(settings, dev_issuer=dev_issuer, clock=clock)
    yield built
    built.close()


class Books:
    """An owner's workspace through the API: a checking account, a card, categories by slug."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.checking = ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
        self.card = ok(actor.post("/v1/accounts", {"name": "Cartão", "kind": "credit_card"}), 201)
        self.categories = categories_by_slug(actor)

    def add(
        self,
        amount: str,
        day: str,
        category: str | None,
        text: str = "COMPRA",
        *,
        account: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Any:
        body = {
            "account_id": (account or self.checking)["id"],
            "amount": amount,
            "booked_on": day,
            "description": text,
            **extra,
        }
        if category:
            body["category_id"] = self.categories[category]
        created = ok(self.actor.post("/v1/transactions", body), 201)
        if category is None and created["category_id"] is not None:
            created = self.edit(created, category_id=None)
        return created

    def edit(self, transaction: dict[str, Any], **changes: Any) -> Any:
        if "category" in changes:
            changes["category_id"] = self.categories[changes.pop("category")]
        return ok(
            self.actor.patch(
                f"/v1/transactions/{transaction['id']}",
                changes,
                headers={"If-Match": f'"{transaction["version"]}"'},
            )
        )

    def delete(self, transaction: dict[str, Any]) -> None:
        ok(self.actor.delete(f"/v1/transactions/{transaction['id']}"), 204)

    def invite_viewer(self, container: Container, email: str = "vera@example.com") -> Actor:
        """A viewer of this workspace, acting through the API with a token of their own."""
        workspace = self.actor.tenant_id
        invitation = {"email": email, "role": "viewer"}
        ok(self.actor.post(f"/v1/workspaces/{workspace}/members", invitation), 201)
        members = ok(self.actor.get(f"/v1/workspaces/{workspace}/members"))
        user_id = UUID(next(m["user_id"] for m in members if m["email"] == email))
        token = token_for(container, user_id, workspace, Role.VIEWER)
        return Actor(self.actor.client, token, user_id, workspace)

    def metrics(self, **params: Any) -> Any:
        return ok(self.actor.get("/v1/analytics/metrics", params=params))


@pytest.fixture
def books(owner: Actor) -> Books:
    return Books(owner)


@pytest.fixture
def november(books: Books) -> Books:
    """November 2026: salary 5,000; groceries 300; a restaurant 200 with 50 refunded; 100 of
    something uncategorised; a card purchase of 1,000 and the card bill paying it; 500 moved
    between own accounts. Income 5,000, expenses 300 + 200 − 50 + 100 + 1,000 = 1,550."""
    books.add("5000.00", "2026-11-05", "salary", "SALARIO ACME", merchant="ACME")
    books.add("-300.00", "2026-11-07", "supermarket", "PAO DE ACUCAR", merchant="Pão de Açúcar")
    books.add("-200.00", "2026-11-10", "restaurants", "REST SABOR", merchant="Sabor")
    books.add("50.00", "2026-11-12", "restaurants", "ESTORNO REST SABOR", merchant="Sabor")
    books.add("-100.00", "2026-11-14", None, "PIX ALGO")
    books.add(
        "-1000.00", "2026-11-03", "electronics", "LOJA TECH", account=books.card, merchant="Tech"
    )
    books.add("-1000.00", "2026-11-15", "card_payment", "PAGAMENTO FATURA")
    books.add("1000.00", "2026-11-15", "card_payment", "PAGAMENTO RECEBIDO", account=books.card)
    books.add("-500.00", "2026-11-16", "own_accounts", "TRANSF ENTRE CONTAS")
    books.add("500.00", "2026-11-16", "own_accounts", "TRANSF ENTRE CONTAS", account=books.card)
    return books
