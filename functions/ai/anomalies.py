"""Anomalies the detector found in a workspace's transactions: ``GET /v1/ai/anomalies`` and
``POST /v1/ai/anomalies/{id}/dismiss``."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from functions.ai.anomaly_schemas import AnomalyOut, AnomalyPage
from shared.anomalies import AnomalyKind
from shared.domain.money import Money
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.services.anomalies import AnomalyFilter, AnomalyView

router = APIRouter(route_class=FluxoRoute, tags=["ai"])


@router.get("/ai/anomalies", summary="Unusual transactions, newest first, with their reasons")
def list_anomalies(
    container: ContainerDep,
    caller: CallerDep,
    date_from: Annotated[date | None, Query(description="Booked on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Booked on or before.")] = None,
    kind: Annotated[list[AnomalyKind] | None, Query(description="Any of these kinds.")] = None,
    account: Annotated[list[UUID] | None, Query(description="Any of these accounts.")] = None,
    dismissed: Annotated[
        bool, Query(description="false (default): the open ones; true: the dismissed ones.")
    ] = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AnomalyPage:
    answer = container.anomalies.list(
        caller,
        AnomalyFilter(
            date_from=date_from,
            date_to=date_to,
            kinds=tuple(kind or ()),
            account_ids=tuple(account or ()),
            dismissed=dismissed,
        ),
        cursor=cursor,
        limit=limit,
    )
    return AnomalyPage(
        language=str(answer.language),
        items=[_out(view) for view in answer.page.items],
        next_cursor=answer.page.next_cursor,
    )


@router.post(
    "/ai/anomalies/{anomaly_id}/dismiss",
    summary="Mark an anomaly as known: it leaves the open list and is never raised again",
)
def dismiss_anomaly(anomaly_id: UUID, container: ContainerDep, caller: CallerDep) -> AnomalyOut:
    return _out(container.anomalies.dismiss(caller, anomaly_id))


def _out(view: AnomalyView) -> AnomalyOut:
    row = view.anomaly
    return AnomalyOut(
        id=row.id,
        transaction_id=row.transaction_id,
        account_id=view.account_id,
        kind=row.kind,
        booked_on=view.booked_on,
        amount=Money(view.amount, view.currency).quantized().amount,
        currency=view.currency,
        counterparty=view.counterparty,
        score=row.score,
        reason=view.reason,
        evidence=row.evidence,
        detected_at=row.detected_at,
        dismissed_at=row.dismissed_at,
    )
