"""The notifications consumer: who is told, once, in their language, never lost; quiet hours
defer; failures are retried, then recorded as failed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from events.registry import validate
from shared.consumers import Outcome
from shared.db.models import Notification, OutboxEvent
from shared.domain.access import Role
from tests.integration.notifications.conftest import NOW, alert
from tests.support.api import categories_by_slug, ok, token_for


def _rows(container: Any) -> list[Notification]:
    with container.db.admin_session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.created_at)))


def _outcomes(container: Any) -> list[tuple[str, dict[str, Any]]]:
    """The notifications' own events in the outbox, each checked against its schema."""
    with container.db.admin_session() as session:
        envelopes = session.scalars(
            select(OutboxEvent.envelope).where(OutboxEvent.aggregate_type == "Notification")
        ).all()
    return [(event.type, event.data) for event, _ in map(validate, envelopes)]


def test_a_notification_ends_with_one_event_sent_or_failed(new_actor, deliver, notifier, container):
    ana = new_actor("Ana")
    deliver(alert(ana))
    (row,) = _rows(container)
    ((kind, data),) = _outcomes(container)
    assert kind == "NotificationSent"
    assert (data["notificationId"], data["channel"], data["attempts"]) == (str(row.id), "email", 1)
    assert data["providerId"] == row.provider_id
    assert data["alertType"] == row.event_type

    bia = new_actor("Bia")
    notifier.failures, notifier.permanent = 1, True
    deliver(alert(bia))
    failed = [data for kind, data in _outcomes(container) if kind == "NotificationFailed"]
    assert [(data["userId"], data["attempts"]) for data in failed] == [(str(bia.user_id), 1)]
    assert failed[0]["reason"]


def test_an_alert_is_sent_by_email_to_the_profile_address_in_portuguese(
    new_actor, deliver, notifier, container
):
    ana = new_actor("Ana")
    assert deliver(alert(ana, exceeded=True)) is Outcome.APPLIED
    (message,) = notifier.sent
    assert message.channel == "email"
    assert message.address.startswith("ana.")
    assert message.subject == "Orçamento Mercado estourado"
    assert "R$ 1.234,56" in message.text
    assert "R$ 1.000,00" in message.text
    assert "R$ 234,56 acima" in message.text
    assert "1 de dezembro de 2026" in message.text
    (row,) = _rows(container)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 1, "fake-1")
    assert row.sent_at == NOW
    listed = ok(ana.get("/v1/notifications"))
    assert [(n["status"], n["channel"], n["event_type"]) for n in listed] == [
        ("sent", "email", "BudgetExceeded")
    ]


def test_every_member_who_wants_it_is_told_on_each_channel_in_their_language(
    new_actor, deliver, notifier, client, container
):
    ana = new_actor("Ana")
    ok(
        ana.put(
            "/v1/notifications/preferences",
            {"channels": ["email", "sms", "push"], "phone": "+5511987654321", "language": "en"},
        )
    )
    arn = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/fluxo/" + str(uuid4())
    ok(ana.post("/v1/notifications/devices", {"endpoint_arn": arn}), 201)
    # A viewer who wants only BudgetExceeded is not told of a threshold.
    invited = ok(
        ana.post(
            f"/v1/workspaces/{ana.tenant_id}/members",
            {"email": "bia@example.com", "role": "viewer"},
        ),
        201,
    )
    from tests.support.api import Actor

    bia_token = token_for(container, invited["user_id"], ana.tenant_id, Role.VIEWER)
    bia = Actor(client, bia_token, invited["user_id"], ana.tenant_id)
    ok(bia.put("/v1/notifications/preferences", {"events": ["BudgetExceeded"]}))

    deliver(alert(ana, spent="850.00", threshold=80))

    assert sorted((m.channel, m.address) for m in notifier.sent) == sorted(
        [("email", ana_email(ana, container)), ("sms", "+5511987654321"), ("push", arn)]
    )
    sms = next(m for m in notifier.sent if m.channel == "sms")
    assert sms.text == "Fluxo: Mercado reached 80% of its limit (R$850.00 of R$1,000.00)."

    deliver(alert(ana, exceeded=True))
    to_bia = [m for m in notifier.sent if m.address == "bia@example.com"]
    assert len(to_bia) == 1
    assert to_bia[0].subject == "Orçamento Mercado estourado"


def ana_email(actor: Any, container: Any) -> str:
    with container.db.admin_session() as session:
        from shared.db.models import User

        user = session.get(User, actor.user_id)
        assert user is not None
        assert user.email
        return str(user.email)


def test_the_same_alert_delivered_twice_or_fired_again_is_sent_once(
    new_actor, deliver, notifier, container
):
    ana = new_actor("Ana")
    event = alert(ana)
    assert deliver(event) is Outcome.APPLIED
    assert deliver(event) is Outcome.DUPLICATE
    # Fired again in the same period (re-armed, then crossed): another event, the same key.
    again = alert(ana, budget_id=event.aggregate_id)
    assert again.id != event.id
    assert deliver(again) is Outcome.APPLIED
    assert len(notifier.sent) == 1
    assert len(_rows(container)) == 1
    # Another threshold of the same period is another alert.
    deliver(alert(ana, budget_id=event.aggregate_id, exceeded=True))
    assert len(notifier.sent) == 2


def test_a_failing_send_is_retried_with_backoff_then_recorded_as_failed(
    new_actor, deliver, notifier, container, clock
):
    ana = new_actor("Ana")
    notifier.failures = 99
    deliver(alert(ana))
    (row,) = _rows(container)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error == "Throttling: slow down"
    assert row.not_before == NOW + timedelta(seconds=60)

    # Not due yet: the sweep leaves it.
    assert container.notifications.deliver_due().skipped == 0
    assert notifier.calls == 1
    delays = []
    for _ in range(4):
        (row,) = _rows(container)
        delays.append(row.not_before - clock.now())
        clock.set(row.not_before)
        container.notifications.deliver_due()
    assert delays == [timedelta(seconds=s) for s in (60, 120, 240, 480)]
    (row,) = _rows(container)
    assert (row.status, row.attempts) == ("failed", 5)
    assert notifier.calls == 5
    # Never lost silently: listed for the person and for the operator.
    failed = ok(ana.get("/v1/notifications", params={"status": "failed"}))
    assert [(n["attempts"], n["last_error"]) for n in failed] == [(5, "Throttling: slow down")]
    assert [r.id for r in container.notifications.failed()] == [row.id]
    clock.set(clock.now() + timedelta(days=1))
    container.notifications.deliver_due()
    assert notifier.calls == 5


def test_a_permanent_failure_fails_at_once(new_actor, deliver, notifier, container):
    ana = new_actor("Ana")
    notifier.failures, notifier.permanent = 1, True
    deliver(alert(ana))
    (row,) = _rows(container)
    assert (row.status, row.attempts) == ("failed", 1)


def test_a_retry_that_then_succeeds_is_sent(new_actor, deliver, notifier, container, clock):
    ana = new_actor("Ana")
    notifier.failures = 1
    deliver(alert(ana))
    clock.set(NOW + timedelta(minutes=1))
    report = container.notifications.deliver_due()
    assert report.sent == 1
    (row,) = _rows(container)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "Throttling: slow down")


def test_quiet_hours_defer_the_message_until_they_end_in_the_persons_time_zone(
    new_actor, deliver, notifier, container, clock
):
    # 15:00 UTC is 12:00 in São Paulo: a lunch-time quiet window holds the message.
    ana = new_actor("Ana")
    ok(
        ana.put(
            "/v1/notifications/preferences",
            {"quiet_hours": {"start": "11:30", "end": "13:00"}},
        )
    )
    deliver(alert(ana))
    assert notifier.sent == []
    (row,) = _rows(container)
    assert row.status == "deferred"
    assert row.not_before == NOW + timedelta(hours=1)  # 13:00 in São Paulo = 16:00 UTC
    assert container.notifications.deliver_due().sent == 0
    clock.set(NOW + timedelta(hours=1))
    assert container.notifications.deliver_due().sent == 1
    assert len(notifier.sent) == 1


def test_an_attempt_that_died_is_taken_again_after_the_lease(
    new_actor, deliver, notifier, container, clock
):
    ana = new_actor("Ana")
    ok(
        ana.put(
            "/v1/notifications/preferences", {"quiet_hours": {"start": "11:30", "end": "13:00"}}
        )
    )
    deliver(alert(ana))
    (row,) = _rows(container)
    clock.set(NOW + timedelta(hours=1))
    # An attempt began at 16:00 UTC and its process died before it could mark the row.
    with container.db.admin_session() as session:
        stored = session.get(Notification, row.id)
        assert stored is not None
        stored.status, stored.attempts = "sending", 1
        session.commit()
    clock.set(NOW + timedelta(hours=1, minutes=1))
    assert container.notifications.deliver_due().sent == 0  # within the lease: under way
    clock.set(NOW + timedelta(hours=1, minutes=6))
    assert container.notifications.deliver_due().sent == 1
    (row,) = _rows(container)
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.last_error is not None
    assert "may be out" in row.last_error


def test_a_budget_crossed_through_the_api_notifies_its_owner(new_actor, notifier, container):
    ana = new_actor("Ana")
    groceries = categories_by_slug(ana)["groceries"]
    budget = {"name": "Mercado", "amount": "100.00", "thresholds": [50], "category_id": groceries}
    ok(ana.post("/v1/budgets", {**budget, "starts_on": "2026-12-01"}), 201)
    account = ok(ana.post("/v1/accounts", {"name": "Conta", "kind": "checking"}), 201)
    purchase = {
        "account_id": account["id"],
        "amount": "-60.00",
        "booked_on": "2026-12-04",
        "description": "SUPERMERCADO",
        "category_id": groceries,
    }
    ok(ana.post("/v1/transactions", purchase), 201)
    assert [m.subject for m in notifier.sent] == ["Orçamento Mercado: 50% do limite atingido"]
    assert "R$ 60,00 de R$ 100,00" in notifier.sent[0].text
