"""Routes of the budgets context: budgets and their progress; savings goals
(``functions.budgets.goals``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response, status

from functions.budgets import goals
from functions.budgets.schemas import (
    BudgetIn,
    BudgetOut,
    BudgetPatch,
    BudgetProgressOut,
    PeriodOut,
    ThresholdOut,
)
from shared.db.models import Budget
from shared.http.edge import (
    CallerDep,
    ContainerDep,
    FluxoRoute,
    IdempotencyKeyHeader,
    idempotency,
    mark_replay,
)
from shared.http.versions import etag, expected_version
from shared.services.budgets import BudgetProgress, BudgetSpec, rule_of

router = APIRouter(prefix="/v1", route_class=FluxoRoute)
router.include_router(goals.router)

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The strong ETag you read, e.g. "3".')
]


@router.get("/budgets", tags=["budgets"], summary="Budgets of the workspace, by name")
def list_budgets(container: ContainerDep, caller: CallerDep) -> list[BudgetOut]:
    return [_budget(budget) for budget in container.budgets.list(caller)]


@router.post(
    "/budgets",
    tags=["budgets"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a budget for a category (with its children) or for everything spent",
)
def create_budget(
    request: Request,
    response: Response,
    body: BudgetIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BudgetOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    spec = BudgetSpec(
        name=body.name,
        amount=body.amount,
        category_id=body.category_id,
        currency=body.currency,
        period=body.period.to_domain(),
        rollover=body.rollover,
        thresholds=tuple(body.thresholds),
        starts_on=body.starts_on,
    )
    budget, created = container.budgets.create(caller, spec, key)
    mark_replay(response, created)
    response.headers["ETag"] = etag(budget.version)
    return _budget(budget)


@router.get("/budgets/{budget_id}", tags=["budgets"], summary="One budget")
def get_budget(
    budget_id: UUID, response: Response, container: ContainerDep, caller: CallerDep
) -> BudgetOut:
    budget = container.budgets.get(caller, budget_id)
    response.headers["ETag"] = etag(budget.version)
    return _budget(budget)


@router.patch(
    "/budgets/{budget_id}",
    tags=["budgets"],
    summary="Change a budget; needs the version you read",
)
def update_budget(
    budget_id: UUID,
    body: BudgetPatch,
    response: Response,
    container: ContainerDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> BudgetOut:
    version = expected_version(if_match, body.version, "budget")
    changes: dict[str, Any] = body.changes(exclude=frozenset({"version", "period", "thresholds"}))
    if body.period is not None:
        changes["period"] = body.period.to_domain()
    if body.thresholds is not None:
        changes["thresholds"] = tuple(body.thresholds)
    budget = container.budgets.update(caller, budget_id, changes, version)
    response.headers["ETag"] = etag(budget.version)
    return _budget(budget)


@router.delete(
    "/budgets/{budget_id}",
    tags=["budgets"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a budget",
)
def delete_budget(
    budget_id: UUID, container: ContainerDep, caller: CallerDep, if_match: IfMatch = None
) -> None:
    container.budgets.delete(caller, budget_id, expected_version(if_match, None, "budget"))


@router.get(
    "/budgets/{budget_id}/progress",
    tags=["budgets"],
    summary="Spent, remaining, percentage, projection and days left in a period",
)
def budget_progress(
    budget_id: UUID,
    container: ContainerDep,
    caller: CallerDep,
    on: Annotated[
        date | None,
        Query(description="A day of the period wanted; default: today in the workspace."),
    ] = None,
) -> BudgetProgressOut:
    return _progress(container.budgets.progress(caller, budget_id, on))


def _budget(budget: Budget) -> BudgetOut:
    rule = rule_of(budget)
    return BudgetOut(
        id=budget.id,
        name=budget.name,
        category_id=budget.category_id,
        amount=budget.amount,
        currency=budget.currency,
        period=PeriodOut(frequency=rule.frequency, starts=rule.starts, day=rule.day),
        rollover=budget.rollover,
        thresholds=list(budget.thresholds),
        starts_on=budget.starts_on,
        version=budget.version,
        created_at=budget.created_at,
        updated_at=budget.updated_at,
    )


def _progress(view: BudgetProgress) -> BudgetProgressOut:
    progress = view.progress
    return BudgetProgressOut(
        budget_id=view.budget.id,
        currency=view.currency,
        period_start=progress.period.start,
        period_end=progress.period.end,
        as_of=progress.as_of,
        amount=progress.amount,
        carried_over=progress.carried,
        limit=progress.limit,
        spent=progress.spent,
        remaining=progress.remaining,
        percentage=progress.percentage,
        projected=progress.projected,
        days_in_period=progress.period.days,
        days_elapsed=progress.days_elapsed,
        days_left=progress.days_left,
        thresholds=[
            ThresholdOut(threshold=state.threshold, crossed=state.crossed)
            for state in view.thresholds
        ],
    )
