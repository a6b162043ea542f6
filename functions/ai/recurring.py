"""Recurring series of a workspace (pay, rent, bills, subscriptions, instalments):
``GET /v1/recurring``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from functions.ai.forecast import series_out
from functions.ai.schemas import RecurringOut
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute

router = APIRouter(route_class=FluxoRoute, tags=["ai"])


@router.get(
    "/recurring",
    summary="Charges and credits that come back weekly, monthly or yearly, with the next date",
)
def list_recurring(
    container: ContainerDep,
    caller: CallerDep,
    account: Annotated[
        UUID | None, Query(description="Only this account's series; default: every open account.")
    ] = None,
) -> RecurringOut:
    answer = container.ai.recurring(caller, account)
    return RecurringOut(
        today=answer.today,
        # In find_recurring's order: by next date, then counterparty.
        items=[series_out(item.to_json(), answer.currencies) for item in answer.series],
    )
