"""Notifications on a fixed clock (5 December 2026, 15:00 UTC: 12:00 in São Paulo), with a
notifier that keeps what it is given or fails on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from events.budgets import BudgetExceeded, BudgetThresholdReached
from events.envelope import DomainEvent, EventMetadata
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.http.app import create_app
from shared.identity.local import LocalDevIssuer
from shared.ports import MessageReference, SendFailed
from shared.settings import Settings
from tests.support.api import Actor

NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


@dataclass
class Sent:
    channel: str
    address: str
    subject: str | None
    text: str
    reference: MessageReference


@dataclass
class FakeNotifier:
    """Keeps every message; ``failures`` makes the next sends raise (permanent or not)."""

    sent: list[Sent] = field(default_factory=list)
    failures: int = 0
    permanent: bool = False
    calls: int = 0

    def _take(self, sent: Sent) -> str:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise SendFailed("Throttling: slow down", permanent=self.permanent)
        self.sent.append(sent)
        return f"fake-{len(self.sent)}"

    def send_email(self, to: str, subject: str, text: str, *, reference: MessageReference) -> str:
        return self._take(Sent("email", to, subject, text, reference))

    def send_sms(self, phone: str, text: str, *, reference: MessageReference) -> str:
        return self._take(Sent("sms", phone, None, text, reference))

    def send_push(
        self, endpoint_arn: str, title: str, text: str, *, reference: MessageReference
    ) -> str:
        return self._take(Sent("push", endpoint_arn, title, text, reference))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def container(
    settings: Settings, dev_issuer: LocalDevIssuer, clock: FixedClock, notifier: FakeNotifier
) -> Iterator[Container]:
    built = bootstrap(settings, dev_issuer=dev_issuer, clock=clock, notifier=notifier)
    yield built
    built.close()


@pytest.fixture
def client(
    container: Container, settings: Settings, routers: list[APIRouter]
) -> Iterator[TestClient]:
    app = create_app(routers, settings=settings, container_factory=lambda: container)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def alert(
    actor: Actor,
    *,
    exceeded: bool = False,
    budget_id: UUID | None = None,
    threshold: int | None = None,
    spent: str = "1234.56",
    limit: str = "1000.00",
) -> DomainEvent:
    """A budget alert of the actor's workspace, as the budgets consumer records it."""
    model = BudgetExceeded if exceeded else BudgetThresholdReached
    data = model(
        budget_id=budget_id or uuid4(),
        name="Mercado",
        category_id=None,
        currency="BRL",
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
        threshold=threshold or (100 if exceeded else 80),
        limit=Decimal(limit),
        spent=Decimal(spent),
        percentage=Decimal(spent) / Decimal(limit) * 100,
    )
    assert actor.tenant_id is not None
    return DomainEvent(
        type=model.__name__,
        aggregate_id=data.budget_id,
        aggregate_type="Budget",
        version=1,
        timestamp=NOW,
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=actor.user_id, tenant_id=UUID(str(actor.tenant_id)), correlation_id="test"
        ),
    )


Deliver = Callable[[DomainEvent], Any]


@pytest.fixture
def deliver(container: Container) -> Deliver:
    """Runs the notifications consumer on an event, as its queue or the embedded bus would."""

    def run(event: DomainEvent) -> Any:
        return container.consumer_runner.apply(container.notifications.consumer, event)

    return run
