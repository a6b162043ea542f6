"""The cash-flow forecast of a workspace's accounts: ``POST /v1/ai/forecast``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from functions.ai.schemas import (
    ForecastDayOut,
    ForecastIn,
    ForecastOut,
    RecurringSeriesOut,
    YearlyPaymentOut,
)
from shared.domain.money import Money
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute

router = APIRouter(route_class=FluxoRoute, tags=["ai"])

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "No model could answer (problem+json); try again later."}
}
_DAY_AMOUNTS = (
    "net",
    "net_low80",
    "net_high80",
    "net_low95",
    "net_high95",
    "balance",
    "balance_low80",
    "balance_high80",
    "balance_low95",
    "balance_high95",
)


@router.post(
    "/ai/forecast",
    summary="Daily net flow and balance for the next days, with 80 % and 95 % intervals",
    responses=UNAVAILABLE,
)
def forecast(body: ForecastIn, container: ContainerDep, caller: CallerDep) -> ForecastOut:
    answer = container.ai.forecast(caller, body.horizon_days, body.accounts)
    model, currency = answer.forecast, answer.currency
    currencies = {str(account): currency for account in answer.accounts}
    return ForecastOut(
        model=model["model"],
        reason=model["reason"],
        model_version=model["model_version"],
        today=model["today"],
        horizon_days=model["horizon_days"],
        history_days=model["history_days"],
        currency=currency,
        accounts=list(answer.accounts),
        balance=money(model["balance"], currency),
        days=[
            ForecastDayOut(
                date=day["date"], **{name: money(day[name], currency) for name in _DAY_AMOUNTS}
            )
            for day in model["days"]
        ],
        recurring=[series_out(item, currencies) for item in model["recurring"]],
        yearly=[
            YearlyPaymentOut(**{**item, "amount": money(item["amount"], currency)})
            for item in model.get("yearly", [])  # a model endpoint older than the field
        ],
    )


def money(value: str | Decimal, currency: str) -> Decimal:
    """In the currency's minor unit, as every other amount the API answers."""
    return Money(Decimal(value), currency).quantized().amount


def series_out(series: dict[str, Any], currencies: dict[str, str]) -> RecurringSeriesOut:
    """A series as ``RecurringSeries.to_json`` writes it, with its account's currency."""
    currency = currencies[series["account"]]
    previous = series["previous_amount"]
    return RecurringSeriesOut(
        key=series["key"],
        counterparty=series["counterparty"],
        account_id=series["account"],
        currency=currency,
        kind=series["kind"],
        category=series["category"],
        cadence=series["cadence"],
        amount=money(series["amount"], currency),
        typical_amount=money(series["typical_amount"], currency),
        previous_amount=None if previous is None else money(previous, currency),
        price_changed=series["price_changed"],
        next_date=series["next_date"],
        next_amount=money(series["next_amount"], currency),
        first_date=series["first_date"],
        last_date=series["last_date"],
        transaction_ids=series["line_ids"],
        remaining=series.get("remaining"),
        confidence=series["confidence"],
    )
