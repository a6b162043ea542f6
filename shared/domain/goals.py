"""Savings goals as plain rules: milestones, and where a goal stands on a day.

A goal is a target amount in one currency, reached when what is saved gets there. What is saved
is measured elsewhere (``shared.services.goals``), by an account's balance or by the net money
put into a category since the goal's start; here it is only a ``Decimal`` in the goal's
currency. Milestones are percentages of the target (25, 50, 75 and 100 by default); 100, the
goal reached, is always one of them.

The figures a person plans with, on a day ``as_of``:

- the monthly amount still needed: what remains, spread over the calendar months left up to
  the target date, this month included (on 5 December with a target in June, seven months);
  rounded up to the currency's minor unit, so paying it reaches the target;
- the pace: the net contributions of the last three months (the day three months before
  ``as_of`` excluded, ``as_of`` included) divided by three, whatever the goal's start: it
  measures a habit, and a goal created today still has one;
- the projected completion: ``as_of`` plus what remains at that pace, in days of an average
  month (30.436875, a Gregorian year over twelve); none when the pace is not positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

DEFAULT_MILESTONES: tuple[int, ...] = (25, 50, 75, 100)
REACHED = 100
"""The milestone that is the goal itself: it raises ``GoalReached``."""
MAX_MILESTONES = 10
PACE_MONTHS = 3
AVERAGE_MONTH_DAYS = Decimal("30.436875")
HUNDREDTH = Decimal("0.01")


def normalised(milestones: tuple[int, ...]) -> tuple[int, ...]:
    """Ascending, each once, with 100: reaching the goal is always announced."""
    return tuple(sorted({*milestones, REACHED}))


def reached(milestone: int, saved: Decimal, target: Decimal) -> bool:
    """Whether ``saved`` has reached ``milestone`` percent of ``target`` (at the level counts;
    nothing saved reaches nothing)."""
    return saved > 0 and saved * 100 >= target * milestone


def milestone_event(milestone: int) -> str:
    """The event a milestone raises."""
    return "GoalReached" if milestone >= REACHED else "GoalMilestoneReached"


@dataclass(frozen=True)
class MilestonePlan:
    fire: tuple[int, ...]
    """Milestones reached now that had not fired: each raises its event."""
    rearm: tuple[int, ...]
    """Milestones that had fired and are no longer reached: they may fire again."""


def plan_milestones(
    milestones: tuple[int, ...], fired: frozenset[int], saved: Decimal, target: Decimal
) -> MilestonePlan:
    """Compares what the saved amount reaches now with what has already fired."""
    now = {milestone for milestone in milestones if reached(milestone, saved, target)}
    return MilestonePlan(
        fire=tuple(sorted(now - fired)),
        rearm=tuple(sorted((fired & set(milestones)) - now)),
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` away, clamped to the month's last day (31 Jan + 1 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def pace_window(as_of: date) -> tuple[date, date]:
    """The days (both inclusive) whose contributions make the pace."""
    return add_months(as_of, -PACE_MONTHS) + timedelta(days=1), as_of


@dataclass(frozen=True)
class GoalProgress:
    """Where a goal stands on ``as_of``."""

    target: Decimal
    saved: Decimal
    as_of: date
    target_date: date | None
    contributed_recently: Decimal
    """Net contributions in the ``pace_window`` of ``as_of``."""
    exponent: int = 2
    """Decimals of the currency: computed money is rounded to them."""

    @property
    def remaining(self) -> Decimal:
        """Zero once reached (saving beyond the target leaves nothing to save)."""
        return max(self.target - self.saved, Decimal(0))

    @property
    def percentage(self) -> Decimal:
        """Saved as a percentage of the target, two decimals; beyond 100 when saved beyond
        it, negative for an account in the red."""
        return (self.saved * 100 / self.target).quantize(HUNDREDTH, ROUND_HALF_EVEN)

    @property
    def is_reached(self) -> bool:
        return reached(REACHED, self.saved, self.target)

    @property
    def target_date_passed(self) -> bool:
        return self.target_date is not None and self.target_date < self.as_of

    @property
    def months_left(self) -> int | None:
        """Calendar months up to the target date, this one included; None without a date or
        once it has passed."""
        if self.target_date is None or self.target_date_passed:
            return None
        return _month_index(self.target_date) - _month_index(self.as_of) + 1

    @property
    def monthly_needed(self) -> Decimal | None:
        """What to put in each month left to reach the target on time; None without a target
        date or once it has passed, zero once reached."""
        months = self.months_left
        if months is None:
            return None
        return (self.remaining / months).quantize(self._minor, ROUND_CEILING)

    @property
    def monthly_pace(self) -> Decimal:
        """The average monthly contribution of the last three months."""
        return (self.contributed_recently / PACE_MONTHS).quantize(self._minor, ROUND_HALF_EVEN)

    @property
    def projected_completion(self) -> date | None:
        """When the target is reached at the pace: ``as_of`` once reached, None when the pace
        is not positive (at that pace it never is)."""
        if self.is_reached:
            return self.as_of
        pace = self.monthly_pace
        if pace <= 0:
            return None
        days = (self.remaining / pace * AVERAGE_MONTH_DAYS).to_integral_value(ROUND_CEILING)
        return self.as_of + timedelta(days=int(days))

    @property
    def on_track(self) -> bool | None:
        """Reached, or projected to be by the target date; None without a target date."""
        if self.is_reached:
            return True
        if self.target_date is None:
            return None
        projected = self.projected_completion
        return projected is not None and projected <= self.target_date

    @property
    def _minor(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1
