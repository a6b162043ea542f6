"""Route of insights: ``GET /v1/analytics/insights`` (mounted under ``/v1`` by the analytics
router), and its response bodies. The rules are in ``shared/analytics/insights.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import ConfigDict, Field

from shared.analytics.insights import Insight, InsightKind
from shared.domain.notifications import Language
from shared.http.edge import CallerDep, ContainerDep, FluxoRoute
from shared.http.schemas import ResponseBody
from shared.services.insights import ExplainedInsight, InsightAnswer

router = APIRouter(route_class=FluxoRoute)

MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


class InsightPeriodOut(ResponseBody):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from", description="First day, inclusive.")
    end: date = Field(alias="to", description="Last day, inclusive.")


class InsightMonthOut(ResponseBody):
    month: str = Field(description="YYYY-MM.")
    net: str = Field(description="Income − expenses of the month, a decimal string.")


class InsightOut(ResponseBody):
    kind: InsightKind
    title: str
    text: str = Field(description="One plain sentence with the numbers, in `language`.")
    language: Language
    period: InsightPeriodOut
    amounts: dict[str, str] = Field(
        description="The numbers behind the sentence, as decimal strings: money with 2 places "
        "(current, average, previous, change, median, yearly, total, worst), ratios with 4 "
        "(names ending in _ratio: 0.2500 is 25 %)."
    )
    months: list[InsightMonthOut] = Field(
        description="negative_net_month: every month in the red; empty for the other kinds."
    )
    category_id: UUID | None = Field(description="The top-level category, when about one.")
    merchant: str | None = Field(description="The merchant, for a new recurring charge.")
    transaction_ids: list[UUID] = Field(
        description="The evidence, at most 10: a category's debits in the period (largest "
        "first), a merchant's charges (oldest first), or the worst red month's largest expenses."
    )
    score: float = Field(description="How much the insight matters; the list is ordered by it.")

    @classmethod
    def of(cls, explained: ExplainedInsight, language: Language) -> InsightOut:
        insight = explained.insight
        return cls(
            kind=insight.kind,
            title=explained.title,
            text=explained.text,
            language=language,
            period=InsightPeriodOut(start=insight.start, end=insight.end),
            amounts=_amounts(insight),
            months=[
                InsightMonthOut(month=f"{month:%Y-%m}", net=str(net.quantize(CENT)))
                for month, net in insight.months
            ],
            category_id=insight.category_id,
            merchant=insight.merchant,
            transaction_ids=list(insight.transaction_ids),
            score=float(insight.score),
        )


class InsightsOut(ResponseBody):
    month: str = Field(description="The month the insights are about, YYYY-MM.")
    currency: str = Field(description="The workspace's base currency: every amount is in it.")
    language: Language = Field(description="Of the texts: the caller's profile locale.")
    insights: list[InsightOut] = Field(description="The strongest first; at most 8.")

    @classmethod
    def of(cls, answer: InsightAnswer) -> InsightsOut:
        return cls(
            month=f"{answer.month:%Y-%m}",
            currency=answer.currency,
            language=answer.language,
            insights=[InsightOut.of(item, answer.language) for item in answer.insights],
        )


def _amounts(insight: Insight) -> dict[str, str]:
    return {
        name: str(value.quantize(RATIO if name.endswith("_ratio") else CENT))
        for name, value in insight.amounts.items()
    }


@router.get(
    "/analytics/insights",
    tags=["analytics"],
    summary="A few explainable statements about a month's money, with their numbers and evidence",
)
def insights(
    container: ContainerDep,
    caller: CallerDep,
    month: Annotated[
        str | None,
        Query(
            pattern=MONTH_PATTERN,
            description="YYYY-MM; default: this month in the workspace's time zone. At most "
            "10 years back, never in the future.",
            examples=["2026-11"],
        ),
    ] = None,
) -> InsightsOut:
    asked = date(int(month[:4]), int(month[5:7]), 1) if month else None
    return InsightsOut.of(container.insights.insights(caller, asked))
