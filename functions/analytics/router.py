"""Routes of the analytics context: metrics, dashboards, insights, reports and search."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import StringConstraints

from functions.analytics.insights import router as insights_router
from functions.analytics.reports import router as reports_router
from functions.analytics.schemas import (
    DashboardDataOut,
    DashboardIn,
    DashboardOut,
    MetricsOut,
    WidgetOut,
)
from functions.analytics.search import router as search_router
from shared.db.models import Dashboard
from shared.domain.transactions import TransactionType
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.http.versions import etag, expected_version
from shared.services.analytics import MetricsRequest

router = APIRouter(prefix="/v1", route_class=FluxoRoute)
router.include_router(search_router)
router.include_router(insights_router)
router.include_router(reports_router)

QueryText = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=200)]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The strong ETag you read, e.g. "3".')
]
Grouping = Annotated[
    list[str] | None,
    Query(
        max_length=2,
        description="Up to one time grain (day, week, month, year) and one dimension "
        "(category, merchant, account, tag), repeated or comma-separated.",
    ),
]


@router.get(
    "/analytics/metrics",
    tags=["analytics"],
    summary="Income, expenses, net, savings rate, count and average ticket, filtered and grouped",
)
def metrics(
    container: ContainerDep,
    caller: CallerDep,
    date_from: Annotated[date, Query(description="Booked on or after.")],
    date_to: Annotated[date, Query(description="Booked on or before.")],
    group_by: Grouping = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    account_id: Annotated[list[UUID] | None, Query(max_length=100)] = None,
    category_id: Annotated[
        list[UUID] | None, Query(max_length=100, description="With its children.")
    ] = None,
    tag: Annotated[list[QueryText] | None, Query(max_length=100)] = None,
    merchant: Annotated[list[QueryText] | None, Query(max_length=100)] = None,
    type: Annotated[list[TransactionType] | None, Query()] = None,
) -> MetricsOut:
    groupings = [part.strip() for item in group_by or () for part in item.split(",") if part]
    request = MetricsRequest(
        start=date_from,
        end=date_to,
        group_by=tuple(groupings),
        currency=currency,
        accounts=frozenset(account_id or ()),
        categories=frozenset(category_id or ()),
        tags=frozenset(tag or ()),
        merchants=frozenset(merchant or ()),
        types=frozenset(item.value for item in type or ()),
    )
    return MetricsOut.of(container.analytics.metrics(caller, request))


@router.get(
    "/analytics/dashboards",
    tags=["analytics"],
    summary="The caller's dashboards; the default one until they save their own",
)
def list_dashboards(container: ContainerDep, caller: CallerDep) -> list[DashboardOut]:
    return [_dashboard(item) for item in container.analytics.dashboards(caller)]


@router.get("/analytics/dashboards/{dashboard_id}", tags=["analytics"], summary="One dashboard")
def get_dashboard(
    dashboard_id: UUID, response: Response, container: ContainerDep, caller: CallerDep
) -> DashboardOut:
    dashboard = container.analytics.dashboard(caller, dashboard_id)
    response.headers["ETag"] = etag(dashboard.version)
    return _dashboard(dashboard)


@router.put(
    "/analytics/dashboards/{dashboard_id}",
    tags=["analytics"],
    summary="Save a dashboard: create it (201), or replace it with If-Match (200)",
    responses={201: {"description": "Created"}},
)
def put_dashboard(
    dashboard_id: UUID,
    body: DashboardIn,
    response: Response,
    container: ContainerDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> DashboardOut:
    widgets = [widget.model_dump() for widget in body.widgets]
    version = expected_version(if_match, None, "dashboard")
    dashboard, created = container.analytics.save_dashboard(
        caller, dashboard_id, body.name, widgets, version
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["ETag"] = etag(dashboard.version)
    return _dashboard(dashboard)


@router.delete(
    "/analytics/dashboards/{dashboard_id}",
    tags=["analytics"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a saved dashboard (If-Match)",
)
def delete_dashboard(
    dashboard_id: UUID, container: ContainerDep, caller: CallerDep, if_match: IfMatch = None
) -> None:
    version = expected_version(if_match, None, "dashboard")
    container.analytics.delete_dashboard(caller, dashboard_id, version)


@router.get(
    "/analytics/dashboards/{dashboard_id}/data",
    tags=["analytics"],
    summary="Every widget's data in one call (default period: this month)",
    response_model=DashboardDataOut,
)
def dashboard_data(
    dashboard_id: UUID,
    container: ContainerDep,
    caller: CallerDep,
    date_from: Annotated[date | None, Query(description="Default: the month's first day.")] = None,
    date_to: Annotated[date | None, Query(description="Default: the month's last day.")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> Response:
    data = container.analytics.dashboard_data(caller, dashboard_id, date_from, date_to, currency)
    return Response(DashboardDataOut.body(data), media_type="application/json")


def _dashboard(dashboard: Dashboard) -> DashboardOut:
    return DashboardOut(
        id=dashboard.id,
        name=dashboard.name,
        widgets=[WidgetOut(**widget) for widget in dashboard.widgets],
        version=dashboard.version,
        updated_at=dashboard.updated_at,
    )
