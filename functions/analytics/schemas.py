"""Request and response bodies of the analytics context."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import Field, field_serializer

from shared.analytics.metrics import Group
from shared.domain.analytics import Totals
from shared.http.schemas import Name, RequestBody, ResponseBody
from shared.services.analytics import DashboardData, MetricsAnswer


def _text(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(value.quantize(Decimal(places)))


class TotalsOut(ResponseBody):
    income: Decimal = Field(description="Money in from income categories (and uncategorised).")
    expenses: Decimal = Field(description="Money out to expense categories, a positive number.")
    net: Decimal
    savings_rate: Decimal | None = Field(description="Net over income; null without income.")
    transactions: int = Field(description="Income and expense transactions (not transfers).")
    average_ticket: Decimal | None = Field(description="Expenses per expense transaction.")

    @classmethod
    def of(cls, totals: Totals) -> TotalsOut:
        return cls(
            income=totals.income,
            expenses=totals.expenses,
            net=totals.net,
            savings_rate=totals.savings_rate,
            transactions=totals.transactions,
            average_ticket=totals.average_ticket,
        )

    @field_serializer("income", "expenses", "net", "average_ticket")
    def _money(self, value: Decimal | None) -> str | None:
        return _text(value)

    @field_serializer("savings_rate")
    def _ratio(self, value: Decimal | None) -> str | None:
        return _text(value, "0.0001")


class GroupOut(TotalsOut):
    period: date | None = Field(description="First day of the time bucket, when grouped by time.")
    key: str | None = Field(
        description="The account, category or tag id, or the merchant, when grouped by one; "
        "null for uncategorised or untagged transactions."
    )
    label: str | None = Field(description="The name of the account, category or tag.")

    @classmethod
    def of_group(cls, group: Group, labels: dict[str, str]) -> GroupOut:
        key = None if group.key is None else str(group.key)
        totals = TotalsOut.of(group.totals).model_dump()
        return cls(period=group.bucket, key=key, label=labels.get(key or ""), **totals)


class MetricsOut(ResponseBody):
    date_from: date
    date_to: date
    currency: str
    group_by: list[str]
    source: str = Field(description="rollups, or transactions for filters rollups do not keep.")
    totals: TotalsOut
    groups: list[GroupOut]

    @classmethod
    def of(cls, answer: MetricsAnswer) -> MetricsOut:
        metrics = answer.metrics
        query = metrics.query
        group_by = [item.value for item in (query.time, query.dimension) if item is not None]
        return cls(
            date_from=query.filters.start,
            date_to=query.filters.end,
            currency=query.filters.currency,
            group_by=group_by,
            source=metrics.source,
            totals=TotalsOut.of(metrics.totals),
            groups=[GroupOut.of_group(group, answer.labels) for group in metrics.groups],
        )


class WidgetIn(RequestBody):
    id: str | None = Field(
        default=None, max_length=40, description="Unique in the dashboard; the type by default."
    )
    type: str = Field(
        description="kpis, income_vs_expenses, category_breakdown, top_merchants, "
        "cash_flow_sankey, balance_over_time, budget_progress, recent_transactions or "
        "largest_transactions."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="months (income_vs_expenses, balance_over_time: 1–36) or limit (lists: 1–50).",
    )


class DashboardIn(RequestBody):
    name: Name
    widgets: list[WidgetIn] = Field(max_length=30)


class WidgetOut(ResponseBody):
    id: str
    type: str
    settings: dict[str, int]


class DashboardOut(ResponseBody):
    id: UUID
    name: str
    widgets: list[WidgetOut]
    version: int = Field(description="0 for the default dashboard until it is saved.")
    updated_at: datetime


class DashboardDataOut(ResponseBody):
    dashboard_id: UUID
    date_from: date
    date_to: date
    currency: str
    generation: int = Field(description="The rollups' generation the data was computed at.")
    cached: bool
    widgets: dict[str, dict[str, Any]] = Field(
        description="Widget id → its data (amounts as decimal strings); docs/analytics.md "
        "describes each widget's shape."
    )

    @staticmethod
    def body(data: DashboardData) -> bytes:
        """This body as JSON, with the widgets' stored JSON text put in as it is: parsing
        and validating what the service wrote would only cost time."""
        head = json.dumps(
            {
                "dashboard_id": str(data.dashboard.id),
                "date_from": data.start.isoformat(),
                "date_to": data.end.isoformat(),
                "currency": data.currency,
                "generation": data.generation,
                "cached": data.cached,
            }
        )
        return f'{head[:-1]}, "widgets": {data.document}}}'.encode()
