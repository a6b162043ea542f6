"""Anomalies end to end: the consumer judges new transactions (one by one and by import),
stores each anomaly once with its event, and ``/v1/ai/anomalies`` lists them in the caller's
language, filtered and paged, refusing bad filters with pointers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from events.envelope import DomainEvent
from events.registry import validate
from shared.bootstrap import Container
from shared.consumers import Outcome
from shared.db.models import Anomaly, OutboxEvent
from tests.support.api import Actor, ok, problem

DAY = date(2026, 10, 1)


def _account(actor: Actor) -> str:
    account: str = ok(actor.post("/v1/accounts", {"name": "Cartão", "kind": "checking"}), 201)["id"]
    return account


def _spend(actor: Actor, account: str, amount: str, day: date, text: str) -> str:
    body = {"account_id": account, "amount": amount, "booked_on": day.isoformat()}
    created: str = ok(actor.post("/v1/transactions", {**body, "description": text}), 201)["id"]
    return created


def _twice(actor: Actor, account: str, day: date = DAY, text: str = "LOJA DO ZE") -> str:
    _spend(actor, account, "-89.90", day, text)
    return _spend(actor, account, "-89.90", day, text)


def _rows(container: Container) -> list[Anomaly]:
    with container.db.admin_session() as session:
        return list(session.scalars(select(Anomaly)))


def _detected(container: Container) -> list[dict[str, Any]]:
    with container.db.admin_session() as session:
        return [
            row.envelope
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "AnomalyDetected")
            )
        ]


def test_given_the_same_charge_twice_when_listed_then_the_copy_is_a_duplicate_in_pt_br(
    owner: Actor, container: Container
) -> None:
    account = _account(owner)
    copy = _twice(owner, account)

    page = ok(owner.get("/v1/ai/anomalies"))

    assert page["language"] == "pt-BR"
    assert page["next_cursor"] is None
    [item] = page["items"]
    assert (item["transaction_id"], item["kind"], item["account_id"]) == (
        copy,
        "duplicate",
        account,
    )
    assert item["amount"] == "-89.90"
    assert item["currency"] == "BRL"
    assert item["booked_on"] == "2026-10-01"
    assert (
        item["reason"]
        == "Cobrança repetida: R$ 89,90 em LOJA DO ZE, igual à de 1 de outubro de 2026."
    )
    assert item["dismissed_at"] is None
    # Stored once, with its event in the same transaction, and the event matches its schema.
    [row] = _rows(container)
    [envelope] = _detected(container)
    event, data = validate(envelope)
    assert event.aggregate_id == row.id
    assert data.model_dump()["transaction_id"] == row.transaction_id


def test_given_an_english_profile_when_listed_then_reasons_are_in_english(
    owner: Actor,
) -> None:
    _twice(owner, _account(owner))
    ok(owner.patch("/v1/profile", {"locale": "en-US"}))

    page = ok(owner.get("/v1/ai/anomalies"))

    assert page["language"] == "en"
    assert page["items"][0]["reason"].startswith("Repeated charge: R$89.90 at LOJA DO ZE")


def test_given_an_event_delivered_again_or_a_line_judged_again_then_nothing_is_flagged_twice(
    owner: Actor, container: Container
) -> None:
    _twice(owner, _account(owner))
    [row] = _rows(container)
    with container.db.admin_session() as session:
        envelope = session.scalars(
            select(OutboxEvent.envelope).where(
                OutboxEvent.type == "TransactionCreated",
                OutboxEvent.aggregate_id == row.transaction_id,
            )
        ).one()
    created = DomainEvent.model_validate(envelope)
    consumer = container.consumer("anomalies")

    assert container.consumer_runner.apply(consumer, created) is Outcome.DUPLICATE
    # The same transaction in another event (a replay under a new id): judged, not stored again.
    again = created.model_copy(update={"id": uuid4()})
    assert container.consumer_runner.apply(consumer, again) is Outcome.APPLIED

    assert len(_rows(container)) == 1
    assert len(_detected(container)) == 1


def test_filters_pick_by_kind_dates_and_account_and_pages_follow_the_cursor(
    owner: Actor,
) -> None:
    first, second = _account(owner), _account(owner)
    older = _twice(owner, first, DAY, "PADARIA")
    newer = _twice(owner, second, DAY + timedelta(days=10), "FARMACIA")

    def listed(**params: Any) -> list[str]:
        return [
            item["transaction_id"]
            for item in ok(owner.get("/v1/ai/anomalies", params=params))["items"]
        ]

    assert listed() == [newer, older]
    assert listed(kind="outlier") == []
    assert listed(kind=["duplicate", "outlier"]) == [newer, older]
    assert listed(date_from="2026-10-05") == [newer]
    assert listed(date_to="2026-10-05") == [older]
    assert listed(account=first) == [older]
    page = ok(owner.get("/v1/ai/anomalies", params={"limit": 1}))
    assert [item["transaction_id"] for item in page["items"]] == [newer]
    rest = ok(owner.get("/v1/ai/anomalies", params={"limit": 1, "cursor": page["next_cursor"]}))
    assert [item["transaction_id"] for item in rest["items"]] == [older]
    assert rest["next_cursor"] is None


def test_bad_filters_are_refused_with_pointers(owner: Actor) -> None:
    def pointers(params: dict[str, Any]) -> set[str]:
        body = problem(owner.get("/v1/ai/anomalies", params=params), 422)
        return {error["pointer"] for error in body["errors"]}

    assert "/date_from" in pointers({"date_from": "2026-10-05", "date_to": "2026-10-01"})
    assert "/kind/0" in pointers({"kind": "fraud"})
    assert "/date_from" in pointers({"date_from": "yesterday"})
    assert "/limit" in pointers({"limit": 0})
    assert "/cursor" in pointers({"cursor": "not-ours"})
    assert "/account" in pointers({"account": "6f1e0c1e-0000-4000-8000-000000000000"})


def test_a_dismissed_anomaly_leaves_the_open_list(owner: Actor) -> None:
    _twice(owner, _account(owner))
    [item] = ok(owner.get("/v1/ai/anomalies"))["items"]

    dismissed = ok(owner.post(f"/v1/ai/anomalies/{item['id']}/dismiss"))

    assert dismissed["dismissed_at"] is not None
    assert ok(owner.get("/v1/ai/anomalies"))["items"] == []
    [kept] = ok(owner.get("/v1/ai/anomalies", params={"dismissed": True}))["items"]
    assert kept["id"] == item["id"]
    problem(owner.post(f"/v1/ai/anomalies/{uuid4()}/dismiss"), 404)


def test_given_an_imported_statement_then_its_lines_are_judged_against_the_history(
    owner: Actor,
) -> None:
    account = _account(owner)
    # A card statement's layout (Nubank's): a purchase is a positive amount.
    rows = ["date,title,amount"]
    day = date(2026, 6, 1)
    for week in range(16):
        rows.append(f"{day + timedelta(days=7 * week)},MERCADO BOM PRECO,{110 + week % 4 * 5}.00")
    rows.append("2026-10-20,MERCADO BOM PRECO,1480.00")
    statement = ("\n".join(rows) + "\n").encode()

    report = ok(
        owner.client.post(
            "/v1/imports",
            headers=owner.headers(),
            data={"account_id": account},
            files={"file": ("extrato.csv", statement, "text/csv")},
        ),
        201,
    )

    assert report["imported"] == 17
    [item] = ok(owner.get("/v1/ai/anomalies"))["items"]
    assert item["kind"] == "outlier"
    assert item["amount"] == "-1480.00"
    assert item["evidence"]["count"] >= 3


def test_a_person_who_asked_for_anomalies_is_notified_and_the_others_are_not(
    owner: Actor,
) -> None:
    _twice(owner, _account(owner))
    assert ok(owner.get("/v1/notifications")) == []

    ok(owner.put("/v1/notifications/preferences", {"events": ["AnomalyDetected"]}))
    _twice(owner, _account(owner), DAY, "POSTO IPIRANGA")

    [notification] = ok(owner.get("/v1/notifications"))
    assert notification["event_type"] == "AnomalyDetected"
    assert notification["channel"] == "email"


def test_a_transaction_moved_after_it_was_flagged_is_listed_where_it_is_now(
    owner: Actor,
) -> None:
    first, second = _account(owner), _account(owner)
    flagged = _twice(owner, first, DAY, "PADARIA")
    moved_to = DAY + timedelta(days=20)
    transaction = ok(owner.get(f"/v1/transactions/{flagged}"))
    ok(
        owner.patch(
            f"/v1/transactions/{flagged}",
            {"booked_on": moved_to.isoformat(), "account_id": second},
            headers={"If-Match": f'"{transaction["version"]}"'},
        )
    )

    def listed(**params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = ok(owner.get("/v1/ai/anomalies", params=params))["items"]
        return items

    [item] = listed(date_from=moved_to.isoformat(), account=second)
    assert (item["transaction_id"], item["booked_on"], item["account_id"]) == (
        flagged,
        moved_to.isoformat(),
        second,
    )
    assert listed(date_to=DAY.isoformat()) == []
    assert listed(account=first) == []


def test_a_charge_is_judged_against_the_history_of_its_own_currency(owner: Actor) -> None:
    reais = _account(owner)
    dollars: str = ok(
        owner.post("/v1/accounts", {"name": "Conta global", "kind": "checking", "currency": "USD"}),
        201,
    )["id"]
    for week in range(10):
        _spend(owner, reais, f"-{20 + week % 3}.00", DAY + timedelta(days=7 * week), "PADARIA")
    late = DAY + timedelta(days=75)
    abroad = _spend(owner, dollars, "-250.00", late, "PADARIA")
    at_home = _spend(owner, reais, "-250.00", late + timedelta(days=1), "PADARIA")

    outliers = {
        item["transaction_id"]
        for item in ok(owner.get("/v1/ai/anomalies", params={"kind": "outlier"}))["items"]
    }

    assert at_home in outliers  # twelve times the usual bakery bill, in reais
    assert abroad not in outliers  # no history in dollars to call it unusual
