"""Forecasts and recurring series through the API: which lines and balance reach the model,
what the answer looks like, and every way a request is refused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.adapters.local.models import InProcessModelClient
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.demo.loader import load_demo
from shared.domain.access import Role
from shared.forecasting.errors import ModelUnavailable
from shared.forecasting.forecaster import Forecast, ForecastDay
from shared.forecasting.recurring import RecurringSeries
from shared.forecasting.yearly import YearlyPayment
from shared.identity.local import LocalDevIssuer
from shared.settings import Settings
from tests.support.api import Actor, categories_by_slug, ok, problem, token_for

NOW = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # noon in São Paulo
TODAY = date(2026, 10, 31)


@dataclass
class RecordingModelClient:
    """Keeps every payload; answers with a canned forecast, raises ``error``, or hands the
    payload to ``inner`` (the real models)."""

    inner: InProcessModelClient | None = None
    error: Exception | None = None
    payloads: list[Mapping[str, Any]] = field(default_factory=list)

    def invoke(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        if self.error is not None:
            raise self.error
        if self.inner is not None:
            return self.inner.invoke(payload)
        return _canned(payload)


def _canned(payload: Mapping[str, Any]) -> dict[str, Any]:
    today = date.fromisoformat(payload["today"])
    balance = Decimal(payload["balance"])
    account = payload["lines"][0]["account"]
    days = tuple(
        ForecastDay(
            day=today + timedelta(days=step),
            net=Decimal("-10.00"),
            net_low80=Decimal("-30.00"),
            net_high80=Decimal("5.00"),
            net_low95=Decimal("-60.00"),
            net_high95=Decimal("20.00"),
            balance=balance - 10 * step,
            balance_low80=balance - 20 * step,
            balance_high80=balance,
            balance_low95=balance - 40 * step,
            balance_high95=balance + 5,
        )
        for step in range(1, payload["horizon_days"] + 1)
    )
    netflix = RecurringSeries(
        key="abc123",
        counterparty="Netflix",
        account_id=account,
        kind="expense",
        category="streaming",
        cadence="monthly",
        amount=Decimal("-55.90"),
        typical_amount=Decimal("-55.90"),
        previous_amount=Decimal("-44.90"),
        line_ids=(str(uuid4()),),
        first_date=date(2026, 7, 5),
        last_date=date(2026, 10, 5),
        next_date=date(2026, 11, 5),
        next_amount=Decimal("-55.90"),
        confidence=0.9,
    )
    return Forecast(
        model="lstm+recurring",
        reason="canned",
        model_version="test",
        today=today,
        horizon_days=payload["horizon_days"],
        history_days=120,
        balance=balance,
        days=days,
        recurring=(netflix,),
        yearly=(
            YearlyPayment(date(2026, 11, 30), Decimal("2500.1"), "thirteenth_salary", 1, "law"),
        ),
    ).to_json()


@pytest.fixture
def models() -> RecordingModelClient:
    return RecordingModelClient()


@pytest.fixture
def container(
    settings: Settings, dev_issuer: LocalDevIssuer, models: RecordingModelClient
) -> Iterator[Container]:
    built = bootstrap(settings, dev_issuer=dev_issuer, clock=FixedClock(NOW), model_client=models)
    yield built
    built.close()


def _account(actor: Actor, name: str, **extra: Any) -> str:
    body = {"name": name, "kind": "checking", **extra}
    account_id: str = ok(actor.post("/v1/accounts", body), 201)["id"]
    return account_id


def _spend(actor: Actor, account: str, amount: str, day: date, category: str | None = None) -> str:
    body: dict[str, Any] = {
        "account_id": account,
        "amount": amount,
        "booked_on": day.isoformat(),
        "description": f"COMPRA {amount}",
    }
    if category is not None:
        body["category_id"] = category
    transaction_id: str = ok(actor.post("/v1/transactions", body), 201)["id"]
    return transaction_id


def test_given_open_accounts_when_forecasting_then_their_lines_and_balance_reach_the_model(
    new_actor, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    main = _account(ana, "Corrente", opening_balance="1000.00")
    savings = _account(ana, "Poupança", opening_balance="500.00")
    dollars = _account(ana, "Dólar", currency="USD", opening_balance="70.00")
    closed = _account(ana, "Antiga", opening_balance="9.00")
    expected = {
        _spend(ana, main, "-35.50", TODAY - timedelta(days=3)),
        _spend(ana, savings, "200.00", TODAY - timedelta(days=20)),
    }
    _spend(ana, dollars, "-12.00", TODAY - timedelta(days=2))
    _spend(ana, closed, "-1.00", TODAY - timedelta(days=200))
    _spend(ana, main, "-99.00", TODAY - timedelta(days=401))  # before the history read
    _spend(ana, main, "-80.00", TODAY + timedelta(days=30))  # an instalment not yet due
    ok(ana.patch(f"/v1/accounts/{closed}", {"archived": True}))

    answer = ok(ana.post("/v1/ai/forecast", {"horizon_days": 14}))

    [payload] = models.payloads
    assert payload["model"] == "forecast"
    assert payload["today"] == "2026-10-31"
    assert payload["horizon_days"] == 14
    # Opening balances plus every transaction up to today, the one older than the history
    # included, the future instalment not.
    assert Decimal(payload["balance"]) == Decimal("1000.00") + Decimal("500.00") - Decimal(
        "35.50"
    ) + Decimal("200.00") - Decimal("99.00")
    assert {line["id"] for line in payload["lines"]} == expected
    assert answer["currency"] == "BRL"
    assert set(answer["accounts"]) == {main, savings}
    assert answer["today"] == "2026-10-31"
    assert Decimal(answer["balance"]) == Decimal(payload["balance"])
    assert answer["balance"] == "1565.50"
    assert [day["date"] for day in answer["days"]] == [
        (TODAY + timedelta(days=step)).isoformat() for step in range(1, 15)
    ]
    assert answer["days"][0]["net_low95"] == "-60.00"
    [netflix] = answer["recurring"]
    assert netflix["counterparty"] == "Netflix"
    assert netflix["currency"] == "BRL"
    assert netflix["previous_amount"] == "-44.90"
    assert netflix["price_changed"] is True
    assert netflix["next_date"] == "2026-11-05"
    assert answer["yearly"] == [
        {
            "date": "2026-11-30",
            "amount": "2500.10",
            "kind": "thirteenth_salary",
            "part": 1,
            "basis": "law",
        }
    ]


def test_given_named_accounts_when_forecasting_then_only_theirs_in_their_currency(
    new_actor, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    _spend(ana, _account(ana, "Corrente"), "-5.00", TODAY)
    dollars = _account(ana, "Dólar", currency="USD", opening_balance="70.00")
    only = _spend(ana, dollars, "-12.00", TODAY - timedelta(days=2))

    answer = ok(ana.post("/v1/ai/forecast", {"horizon_days": 7, "accounts": [dollars]}))

    assert [line["id"] for line in models.payloads[0]["lines"]] == [only]
    assert Decimal(models.payloads[0]["balance"]) == Decimal("58.00")
    assert answer["currency"] == "USD"
    assert answer["accounts"] == [dollars]


@pytest.mark.parametrize("horizon", [0, 91, -3, True, "30", 7.5])
def test_given_a_horizon_out_of_range_or_not_whole_when_forecasting_then_422_at_horizon_days(
    new_actor, models: RecordingModelClient, horizon: int
) -> None:
    ana = new_actor("Ana")
    _spend(ana, _account(ana, "Corrente"), "-5.00", TODAY)

    body = problem(ana.post("/v1/ai/forecast", {"horizon_days": horizon}), 422)

    assert "/horizon_days" in {error["pointer"] for error in body["errors"]}
    assert models.payloads == []


def test_given_accounts_in_two_currencies_when_forecasting_then_422_at_accounts(
    new_actor, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    reais = _account(ana, "Corrente")
    dollars = _account(ana, "Dólar", currency="USD")
    _spend(ana, reais, "-5.00", TODAY)

    body = problem(ana.post("/v1/ai/forecast", {"accounts": [reais, dollars]}), 422)

    assert [error["pointer"] for error in body["errors"]] == ["/accounts"]
    assert "USD" in body["detail"]
    assert models.payloads == []


def test_given_an_unknown_account_when_forecasting_then_422_at_accounts(
    new_actor, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    _spend(ana, _account(ana, "Corrente"), "-5.00", TODAY)
    stranger = str(uuid4())

    body = problem(ana.post("/v1/ai/forecast", {"accounts": [stranger]}), 422)

    assert [error["pointer"] for error in body["errors"]] == ["/accounts"]
    assert stranger in body["detail"]
    assert models.payloads == []


def test_given_only_transfers_when_forecasting_then_422_nothing_to_forecast(
    new_actor, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    main = _account(ana, "Corrente")
    _spend(ana, main, "-300.00", TODAY - timedelta(days=4), categories_by_slug(ana)["own_accounts"])

    body = problem(ana.post("/v1/ai/forecast", {}), 422)

    assert body["errors"][0]["code"] == "no_history"
    assert models.payloads == []


def test_given_no_account_when_forecasting_then_422_nothing_to_forecast(
    new_actor, models: RecordingModelClient
) -> None:
    body = problem(new_actor("Ana").post("/v1/ai/forecast", {}), 422)

    assert body["errors"][0]["code"] == "no_history"
    assert models.payloads == []


def test_given_the_models_are_unavailable_when_forecasting_then_503_problem(
    new_actor, models: RecordingModelClient
) -> None:
    models.error = ModelUnavailable("forecast", "us-east-1: timeout; sa-east-1: timeout")
    ana = new_actor("Ana")
    _spend(ana, _account(ana, "Corrente"), "-5.00", TODAY)

    response = ana.post("/v1/ai/forecast", {"horizon_days": 30})

    body = problem(response, 503)
    assert "sa-east-1" not in body["detail"]  # the reason is logged, not shown
    assert len(models.payloads) == 1


def test_given_a_viewer_when_forecasting_then_allowed(
    new_actor, container: Container, client, models: RecordingModelClient
) -> None:
    ana = new_actor("Ana")
    _spend(ana, _account(ana, "Corrente"), "-5.00", TODAY)
    viewer = Actor(
        client,
        token_for(container, ana.user_id, ana.tenant_id, Role.VIEWER),
        ana.user_id,
        ana.tenant_id,
    )

    ok(viewer.post("/v1/ai/forecast", {"horizon_days": 3}))


def test_given_monthly_charges_when_listing_recurring_then_the_series_and_its_next_date(
    new_actor,
) -> None:
    ana = new_actor("Ana")
    main = _account(ana, "Corrente")
    other = _account(ana, "Cartão")
    streaming = categories_by_slug(ana)["streaming"]
    charges = []
    for month in (6, 7, 8, 9, 10):
        charges.append(
            ok(
                ana.post(
                    "/v1/transactions",
                    {
                        "account_id": main,
                        "amount": "-55.90",
                        "booked_on": date(2026, month, 12).isoformat(),
                        "description": "NETFLIX.COM",
                        "merchant": "Netflix",
                        "category_id": streaming,
                    },
                ),
                201,
            )["id"]
        )
    _spend(ana, other, "-17.00", TODAY - timedelta(days=9))

    listed = ok(ana.get("/v1/recurring"))

    assert listed["today"] == "2026-10-31"
    [netflix] = [item for item in listed["items"] if item["counterparty"].lower() == "netflix"]
    assert netflix["cadence"] == "monthly"
    assert netflix["account_id"] == main
    assert netflix["currency"] == "BRL"
    assert netflix["amount"] == "-55.90"
    assert netflix["next_date"] == "2026-11-12"
    assert set(netflix["transaction_ids"]) == set(charges)
    only_other = ok(ana.get("/v1/recurring", params={"account": other}))
    assert only_other["items"] == []


def test_given_instalment_columns_without_wording_when_listing_recurring_then_the_parts_left(
    new_actor,
) -> None:
    ana = new_actor("Ana")
    card = _account(ana, "Cartão", kind="credit_card")
    for part, day in ((1, date(2026, 9, 2)), (2, date(2026, 10, 2))):
        body = {
            "account_id": card,
            "amount": "-199.90",
            "booked_on": day.isoformat(),
            "description": "MERCADOLIVRE*ELETRO",
            "instalment_number": part,
            "instalment_total": 6,
        }
        ok(ana.post("/v1/transactions", body), 201)

    [plan] = ok(ana.get("/v1/recurring"))["items"]

    # A card's part is billed on its day, holiday or not (2 November is Finados).
    assert (plan["remaining"], plan["next_date"]) == (4, "2026-11-02")
    assert plan["next_amount"] == "-199.90"


def test_given_an_unknown_account_when_listing_recurring_then_422_at_account(new_actor) -> None:
    body = problem(new_actor("Ana").get("/v1/recurring", params={"account": str(uuid4())}), 422)

    assert [(error["in"], error["pointer"]) for error in body["errors"]] == [("query", "/account")]


def test_given_a_demo_household_when_forecasting_with_the_shipped_model_then_a_full_forecast(
    container: Container, client, models: RecordingModelClient
) -> None:
    models.inner = InProcessModelClient(container.settings.model_directory)
    [demo] = load_demo(container, households=1, months=4)
    ana = Actor(
        client, token_for(container, demo.user_id, demo.tenant_id), demo.user_id, demo.tenant_id
    )

    answer = ok(ana.post("/v1/ai/forecast", {"horizon_days": 30}))

    assert answer["history_days"] >= 60
    assert answer["model"] == "lstm+recurring"
    assert len(answer["days"]) == 30
    for day in answer["days"]:
        low95, low80 = Decimal(day["balance_low95"]), Decimal(day["balance_low80"])
        high80, high95 = Decimal(day["balance_high80"]), Decimal(day["balance_high95"])
        assert low95 <= low80 <= high80 <= high95
    assert any(series["kind"] == "income" for series in answer["recurring"])
    # Four months of pay and no December in them: half the salary by the 13th's first deadline.
    [thirteenth] = answer["yearly"]
    assert (thirteenth["kind"], thirteenth["part"]) == ("thirteenth_salary", 1)
    assert thirteenth["date"] == "2026-11-30"
    assert Decimal(thirteenth["amount"]) > 0
    recurring = ok(ana.get("/v1/recurring"))
    assert {item["key"] for item in recurring["items"]} >= {
        series["key"] for series in answer["recurring"]
    }
    assert UUID(answer["accounts"][0])
