"""Route of custom reports: ``POST /v1/reports`` (mounted under ``/v1`` by the analytics router).

The file format is the body's ``format`` (json, csv or xlsx), not the Accept header: a report
definition is a document a client keeps and sends again, and the same document should give the
same file whoever sends it (a browser's download, a spreadsheet's web query, curl).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints

from shared.domain.transactions import TransactionType
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.http.schemas import CurrencyCode, RequestBody, ResponseBody
from shared.reports.definition import (
    ALL_MEASURES,
    Kind,
    ReportFilters,
    ReportFormat,
    ReportTable,
    definition,
)
from shared.reports.render import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_json, to_xlsx

router = APIRouter(route_class=FluxoRoute)

FilterText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MEASURES = ", ".join(ALL_MEASURES)


class ReportFiltersIn(RequestBody):
    currency: CurrencyCode | None = Field(
        default=None, description="Amounts in this currency; the workspace's base by default."
    )
    account_ids: list[UUID] = Field(default_factory=list, max_length=100)
    category_ids: list[UUID] = Field(
        default_factory=list, max_length=100, description="Each with its children."
    )
    tags: list[FilterText] = Field(default_factory=list, max_length=100)
    merchants: list[FilterText] = Field(default_factory=list, max_length=100)
    types: list[TransactionType] = Field(default_factory=list, max_length=20)

    def domain(self) -> ReportFilters:
        return ReportFilters(
            currency=self.currency,
            accounts=frozenset(self.account_ids),
            categories=frozenset(self.category_ids),
            tags=frozenset(self.tags),
            merchants=frozenset(self.merchants),
            types=frozenset(item.value for item in self.types),
        )


class ReportIn(RequestBody):
    """A custom report: its period, how to group it, what to show, and as what file."""

    date_from: date = Field(description="Booked on or after.")
    date_to: date = Field(description="Booked on or before.")
    dimensions: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        default_factory=list,
        max_length=2,
        description="Up to one time grain (day, week, month, year) and one dimension "
        "(category, merchant, account, tag); none: one row of totals.",
    )
    measures: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        default_factory=list,
        max_length=len(ALL_MEASURES),
        description=f"Columns, in this order, of: {MEASURES}; none: all of them.",
    )
    filters: ReportFiltersIn = Field(default_factory=ReportFiltersIn)
    format: ReportFormat = Field(
        default=ReportFormat.JSON,
        description="json (this body's answer), csv (UTF-8 with BOM, dot decimals) or xlsx.",
    )


class ReportColumnOut(ResponseBody):
    name: str
    kind: Kind


class ReportOut(ResponseBody):
    """The JSON answer; amounts and ratios are decimal strings, counts numbers."""

    date_from: date
    date_to: date
    currency: str
    dimensions: list[str]
    measures: list[str]
    columns: list[ReportColumnOut]
    rows: list[dict[str, Any]] = Field(description="One per group: column name → value.")
    totals: dict[str, Any] = Field(description="Each measure over the whole report.")


_FILES = {
    ReportFormat.CSV: (CSV_MEDIA_TYPE, "csv", to_csv),
    ReportFormat.XLSX: (XLSX_MEDIA_TYPE, "xlsx", to_xlsx),
}


@router.post(
    "/reports",
    tags=["reports"],
    summary="Run a custom report: figures grouped and filtered, as JSON, CSV or XLSX",
    response_model=ReportOut,
    responses={
        200: {
            "content": {
                CSV_MEDIA_TYPE.split(";")[0]: {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "The report, as the body's format asks; CSV and XLSX as a download.",
        }
    },
)
def run_report(body: ReportIn, container: ContainerDep, caller: CallerDep) -> Response:
    report = definition(
        body.date_from, body.date_to, body.dimensions, body.measures, body.filters.domain()
    )
    answer = container.reports.run(caller, report)
    if body.format is ReportFormat.JSON:
        return Response(
            json.dumps(to_json(answer), ensure_ascii=False), media_type="application/json"
        )
    media_type, extension, render = _FILES[body.format]
    return Response(
        render(answer),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{_file_name(answer, extension)}"'},
    )


def _file_name(answer: ReportTable, extension: str) -> str:
    report = answer.definition
    return f"fluxo-report-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{extension}"
