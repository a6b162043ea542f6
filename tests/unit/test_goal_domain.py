"""Savings goals without a database: milestones, months left, pace and projection, and the words
of their notifications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from events.goals import GoalMilestoneReached, GoalReached
from shared.domain.goals import (
    GoalProgress,
    add_months,
    normalised,
    pace_window,
    plan_milestones,
    reached,
)
from shared.domain.notification_templates import period_key, render
from shared.domain.notifications import Language

MILESTONES = (25, 50, 75, 100)


def _progress(**overrides: object) -> GoalProgress:
    values: dict[str, object] = {
        "target": Decimal("10000"),
        "saved": Decimal("2250"),
        "as_of": date(2026, 12, 5),
        "target_date": date(2027, 6, 30),
        "contributed_recently": Decimal("750"),
        **overrides,
    }
    return GoalProgress(**values)  # type: ignore[arg-type]


def test_a_milestone_is_reached_at_its_level_and_nothing_saved_reaches_nothing():
    assert reached(50, Decimal("500"), Decimal("1000"))
    assert not reached(50, Decimal("499.99"), Decimal("1000"))
    assert not reached(1, Decimal("0"), Decimal("1000"))


def test_milestones_are_ordered_once_with_the_goal_itself():
    assert normalised((50, 10)) == (10, 50, 100)
    assert normalised((100, 25)) == (25, 100)


@given(
    st.frozensets(st.sampled_from(MILESTONES)),
    st.decimals(min_value=-2000, max_value=3000, places=2),
)
def test_a_plan_leaves_fired_exactly_what_is_reached(fired: frozenset[int], saved: Decimal):
    plan = plan_milestones(MILESTONES, fired, saved, Decimal(1000))
    after = (fired - set(plan.rearm)) | set(plan.fire)
    assert after == {m for m in MILESTONES if reached(m, saved, Decimal(1000))}
    assert not set(plan.fire) & fired
    assert set(plan.rearm) <= fired


def test_months_are_added_on_the_same_day_clamped_to_the_month():
    assert add_months(date(2026, 12, 5), -3) == date(2026, 9, 5)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)
    assert pace_window(date(2026, 12, 5)) == (date(2026, 9, 6), date(2026, 12, 5))


def test_the_monthly_amount_needed_spreads_what_remains_over_the_months_left_rounded_up():
    progress = _progress()
    assert (progress.remaining, progress.percentage) == (Decimal("7750"), Decimal("22.50"))
    assert progress.months_left == 7  # December to June
    assert progress.monthly_needed == Decimal("1107.15")
    assert progress.monthly_pace == Decimal("250.00")
    assert progress.projected_completion == date(2029, 7, 6)
    assert progress.on_track is False


def test_a_goal_reached_needs_nothing_more_and_is_on_track():
    progress = _progress(saved=Decimal("10500"))
    assert (progress.remaining, progress.monthly_needed) == (Decimal(0), Decimal("0.00"))
    assert progress.is_reached
    assert progress.on_track is True
    assert progress.projected_completion == date(2026, 12, 5)


def test_a_passed_target_date_and_no_pace():
    progress = _progress(target_date=date(2026, 11, 30), contributed_recently=Decimal("-30"))
    assert progress.target_date_passed
    assert (progress.months_left, progress.monthly_needed) == (None, None)
    assert progress.projected_completion is None
    assert progress.on_track is False
    assert _progress(target_date=None).on_track is None


def _milestone(model: type, milestone: int, saved: str) -> GoalMilestoneReached:
    return model(  # type: ignore[no-any-return]
        goal_id=uuid4(),
        name="Viagem",
        measure="account",
        account_id=uuid4(),
        category_id=None,
        currency="BRL",
        milestone=milestone,
        target=Decimal("10000.00"),
        saved=Decimal(saved),
        percentage=Decimal(saved) / 100,
        target_date=None,
        reached_at=datetime(2026, 12, 5, tzinfo=UTC),
    )


def test_a_milestone_in_portuguese_and_english():
    event = _milestone(GoalMilestoneReached, 50, "5000.00")
    pt = render("GoalMilestoneReached", event, Language.PT_BR)
    assert pt.text == "Você chegou a 50% da meta Viagem: R$ 5.000,00 de R$ 10.000,00."
    assert pt.subject == "Meta Viagem: 50% alcançados"
    en = render("GoalMilestoneReached", event, Language.EN)
    assert en.text == "You reached 50% of the goal Viagem: R$5,000.00 of R$10,000.00."
    reached_goal = _milestone(GoalReached, 100, "10000.00")
    assert render("GoalReached", reached_goal, Language.PT_BR).subject == "Meta Viagem alcançada!"


def test_the_period_key_of_a_goal_is_the_goal_and_the_milestone():
    event = _milestone(GoalReached, 100, "10000.00")
    assert period_key(event) == f"goal:{event.goal_id}:100"
