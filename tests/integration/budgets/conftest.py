"""Budgets are measured against a fixed day: 5 December 2026, in São Paulo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from events.envelope import DomainEvent
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.identity.local import LocalDevIssuer
from shared.settings import Settings
from tests.support.api import Actor, categories_by_slug, ok

NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
ALERT_TYPES = ("BudgetThresholdReached", "BudgetExceeded")


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


@pytest.fixture
def alerts(container: Container) -> list[DomainEvent]:
    """Every budget alert published on the embedded bus, in order."""
    heard: list[DomainEvent] = []
    for event_type in ALERT_TYPES:
        container.bus.subscribe(event_type, heard.append)
    return heard


class Books:
    """An owner's workspace through the API: an account, categories by slug, and helpers."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.account = ok(actor.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
        self.categories = categories_by_slug(actor)

    def budget(self, **body: Any) -> dict[str, Any]:
        if "category" in body:
            body["category_id"] = self.categories[body.pop("category")]
        return ok(self.actor.post("/v1/budgets", {"name": "Orçamento", **body}), 201)  # type: ignore[no-any-return]

    def spend(self, amount: str, day: str, category: str | None, text: str = "COMPRA") -> Any:
        created = ok(
            self.actor.post(
                "/v1/transactions",
                {
                    "account_id": self.account["id"],
                    "amount": amount,
                    "booked_on": day,
                    "description": text,
                    **({"category_id": self.categories[category]} if category else {}),
                },
            ),
            201,
        )
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

    def progress(self, budget: dict[str, Any], on: str | None = None) -> Any:
        params = {"on": on} if on else {}
        return ok(self.actor.get(f"/v1/budgets/{budget['id']}/progress", params=params))


@pytest.fixture
def books(owner: Actor) -> Books:
    return Books(owner)


def fired(alerts: list[DomainEvent]) -> list[tuple[str, str, int]]:
    """(type, period start, threshold) of each alert heard."""
    return [(event.type, event.data["periodStart"], event.data["threshold"]) for event in alerts]
