"""Routes of savings goals: the goals and their progress. Included by the budgets context's
router (``functions.budgets.router``), whose ``/v1`` prefix they share."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status

from functions.budgets.goal_schemas import (
    GoalIn,
    GoalOut,
    GoalPatch,
    GoalProgressOut,
    MilestoneOut,
)
from shared.db.models import Goal
from shared.http.edge import (
    CallerDep,
    ContainerDep,
    FluxoRoute,
    IdempotencyKeyHeader,
    idempotency,
    mark_replay,
)
from shared.http.versions import etag, expected_version
from shared.services.goals import GoalSpec, GoalView

router = APIRouter(route_class=FluxoRoute, tags=["goals"])

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The strong ETag you read, e.g. "3".')
]


@router.get("/goals", summary="Savings goals of the workspace, by name")
def list_goals(container: ContainerDep, caller: CallerDep) -> list[GoalOut]:
    return [_goal(goal) for goal in container.goals.list(caller)]


@router.post(
    "/goals",
    status_code=status.HTTP_201_CREATED,
    summary="Create a savings goal measured by an account's balance or a category's contributions",
)
def create_goal(
    request: Request,
    response: Response,
    body: GoalIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> GoalOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    spec = GoalSpec(
        name=body.name,
        target_amount=body.target_amount,
        account_id=body.account_id,
        category_id=body.category_id,
        currency=body.currency,
        target_date=body.target_date,
        starts_on=body.starts_on,
        milestones=tuple(body.milestones),
    )
    goal, created = container.goals.create(caller, spec, key)
    mark_replay(response, created)
    response.headers["ETag"] = etag(goal.version)
    return _goal(goal)


@router.get("/goals/{goal_id}", summary="One savings goal")
def get_goal(
    goal_id: UUID, response: Response, container: ContainerDep, caller: CallerDep
) -> GoalOut:
    goal = container.goals.get(caller, goal_id)
    response.headers["ETag"] = etag(goal.version)
    return _goal(goal)


@router.patch("/goals/{goal_id}", summary="Change a savings goal; needs the version you read")
def update_goal(
    goal_id: UUID,
    body: GoalPatch,
    response: Response,
    container: ContainerDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> GoalOut:
    version = expected_version(if_match, body.version, "goal")
    changes: dict[str, Any] = body.changes(exclude=frozenset({"version", "milestones"}))
    if body.milestones is not None:
        changes["milestones"] = tuple(body.milestones)
    goal = container.goals.update(caller, goal_id, changes, version)
    response.headers["ETag"] = etag(goal.version)
    return _goal(goal)


@router.delete(
    "/goals/{goal_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a savings goal"
)
def delete_goal(
    goal_id: UUID, container: ContainerDep, caller: CallerDep, if_match: IfMatch = None
) -> None:
    container.goals.delete(caller, goal_id, expected_version(if_match, None, "goal"))


@router.get(
    "/goals/{goal_id}/progress",
    summary="Saved, remaining, monthly amount needed, pace and projected completion",
)
def goal_progress(goal_id: UUID, container: ContainerDep, caller: CallerDep) -> GoalProgressOut:
    return _progress(container.goals.progress(caller, goal_id))


def _measure(goal: Goal) -> Literal["account", "category"]:
    return "account" if goal.account_id is not None else "category"


def _goal(goal: Goal) -> GoalOut:
    return GoalOut(
        id=goal.id,
        name=goal.name,
        measure=_measure(goal),
        account_id=goal.account_id,
        category_id=goal.category_id,
        target_amount=goal.target_amount,
        currency=goal.currency,
        target_date=goal.target_date,
        starts_on=goal.starts_on,
        milestones=list(goal.milestones),
        version=goal.version,
        created_at=goal.created_at,
        updated_at=goal.updated_at,
    )


def _progress(view: GoalView) -> GoalProgressOut:
    progress = view.progress
    return GoalProgressOut(
        goal_id=view.goal.id,
        measure=_measure(view.goal),
        currency=view.goal.currency,
        as_of=progress.as_of,
        target_amount=progress.target,
        saved=progress.saved,
        remaining=progress.remaining,
        percentage=progress.percentage,
        reached=progress.is_reached,
        target_date=progress.target_date,
        target_date_passed=progress.target_date_passed,
        months_left=progress.months_left,
        monthly_needed=progress.monthly_needed,
        average_monthly_contribution=progress.monthly_pace,
        pace_from=view.pace_from,
        pace_to=view.pace_to,
        projected_completion=progress.projected_completion,
        on_track=progress.on_track,
        milestones=[
            MilestoneOut(milestone=state.milestone, reached=state.reached)
            for state in view.milestones
        ],
    )
