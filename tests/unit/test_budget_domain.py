"""Budget rules without a database: periods (calendar, payday, Nth business day in Brazil,
weekly, yearly), rollover, thresholds and projection."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.budgets import (
    Frequency,
    Period,
    PeriodRule,
    PeriodStart,
    Progress,
    alert_type,
    carried_over,
    crossed,
    is_business_day,
    nth_business_day,
    plan_alerts,
)

MONTHLY_DAY = PeriodStart.DAY
RULES = [
    PeriodRule(),
    *(PeriodRule(starts=MONTHLY_DAY, day=day) for day in (1, 5, 15, 28, 29, 30, 31)),
    *(PeriodRule(starts=PeriodStart.BUSINESS_DAY, day=day) for day in (1, 5, 15)),
    PeriodRule(Frequency.WEEKLY),
    *(PeriodRule(Frequency.WEEKLY, MONTHLY_DAY, day) for day in (1, 3, 7)),
    PeriodRule(Frequency.YEARLY),
]
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def test_calendar_months():
    assert PeriodRule().period_of(date(2026, 2, 14)) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert PeriodRule().period_of(date(2028, 2, 29)).days == 29


def test_a_payday_past_the_months_end_is_its_last_day():
    rule = PeriodRule(starts=MONTHLY_DAY, day=31)
    assert rule.period_of(date(2026, 3, 15)) == Period(date(2026, 2, 28), date(2026, 3, 30))
    assert rule.period_of(date(2026, 3, 31)) == Period(date(2026, 3, 31), date(2026, 4, 29))
    assert rule.period_of(date(2028, 2, 29)).start == date(2028, 2, 29)


def test_a_payday_before_the_day_belongs_to_the_previous_month():
    rule = PeriodRule(starts=MONTHLY_DAY, day=5)
    assert rule.period_of(date(2026, 1, 4)) == Period(date(2025, 12, 5), date(2026, 1, 4))
    assert rule.period_of(date(2026, 1, 5)) == Period(date(2026, 1, 5), date(2026, 2, 4))


@pytest.mark.parametrize(
    ("year", "month", "n", "expected"),
    [
        (2026, 1, 1, date(2026, 1, 2)),  # 1 January is a holiday
        (2026, 1, 5, date(2026, 1, 8)),
        (2026, 4, 3, date(2026, 4, 6)),  # Good Friday, the 3rd
        (2026, 11, 1, date(2026, 11, 3)),  # All Souls' Day, Monday the 2nd
        (2026, 12, 5, date(2026, 12, 7)),
        (2026, 2, 1, date(2026, 2, 2)),  # Carnival is not a national holiday
    ],
)
def test_nth_business_day_in_brazil(year, month, n, expected):
    assert nth_business_day(year, month, n) == expected


def test_business_days_skip_weekends_and_national_holidays():
    assert not is_business_day(date(2026, 12, 25))
    assert not is_business_day(date(2026, 12, 26))  # Saturday
    assert is_business_day(date(2026, 12, 24))
    assert not is_business_day(date(2026, 11, 20))  # Black Awareness Day, national since 2024


def test_weekly_and_yearly():
    assert PeriodRule(Frequency.WEEKLY).period_of(date(2026, 12, 5)) == Period(
        date(2026, 11, 30), date(2026, 12, 6)
    )
    wednesday = PeriodRule(Frequency.WEEKLY, MONTHLY_DAY, 3)
    assert wednesday.period_of(date(2026, 12, 2)).start == date(2026, 12, 2)
    assert PeriodRule(Frequency.YEARLY).period_of(date(2026, 7, 1)).days == 365


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (PeriodRule(day=3), "day"),
        (PeriodRule(starts=MONTHLY_DAY), "day"),
        (PeriodRule(starts=MONTHLY_DAY, day=0), "day"),
        (PeriodRule(starts=PeriodStart.BUSINESS_DAY, day=16), "day"),
        (PeriodRule(Frequency.WEEKLY, PeriodStart.BUSINESS_DAY, 1), "starts"),
        (PeriodRule(Frequency.WEEKLY, MONTHLY_DAY, 8), "day"),
        (PeriodRule(Frequency.YEARLY, MONTHLY_DAY, 1), "starts"),
    ],
)
def test_invalid_rules_say_which_field(rule, field):
    assert [name for name, _ in rule.issues()] == [field]


@pytest.mark.parametrize("rule", RULES, ids=repr)
@given(day=DAYS)
def test_every_day_falls_in_its_period_and_periods_follow_each_other(rule, day):
    period = rule.period_of(day)
    assert day in period
    assert rule.period_of(period.start) == period
    assert rule.period_of(period.end) == period
    following = rule.following(period)
    assert following.start == period.end + timedelta(days=1)
    assert rule.period_of(period.start - timedelta(days=1)).end == period.start - timedelta(days=1)


def test_periods_between_two_days():
    rule = PeriodRule()
    starts = [period.start for period in rule.periods(date(2026, 10, 15), date(2026, 12, 1))]
    assert starts == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]


def test_rollover_carries_unspent_and_overspent_money():
    assert carried_over(Decimal(500), 0, Decimal(900)) == 0
    assert carried_over(Decimal(500), 1, Decimal(300)) == Decimal(200)
    assert carried_over(Decimal(500), 2, Decimal(1200)) == Decimal(-200)


@pytest.mark.parametrize(
    ("threshold", "spent", "limit", "expected"),
    [
        (80, "79.99", "100", False),
        (80, "80", "100", True),
        (100, "100", "100", False),  # at the limit is not beyond it
        (100, "100.01", "100", True),
        (150, "150.01", "100", True),
        (80, "0", "100", False),
        (80, "-5", "100", False),  # refunds only
        (80, "0.01", "0", True),  # a limit rolled down to nothing
        (100, "0.01", "-50", True),
    ],
)
def test_crossing_a_threshold(threshold, spent, limit, expected):
    assert crossed(threshold, Decimal(spent), Decimal(limit)) is expected


def test_alert_types():
    assert alert_type(50) == alert_type(99) == "BudgetThresholdReached"
    assert alert_type(100) == alert_type(120) == "BudgetExceeded"


def test_alerts_fire_once_and_re_arm_under_the_threshold():
    thresholds = (80, 100)
    plan = plan_alerts(thresholds, frozenset(), Decimal(120), Decimal(100))
    assert (plan.fire, plan.rearm) == ((80, 100), ())
    plan = plan_alerts(thresholds, frozenset({80, 100}), Decimal(130), Decimal(100))
    assert (plan.fire, plan.rearm) == ((), ())
    plan = plan_alerts(thresholds, frozenset({80, 100}), Decimal(90), Decimal(100))
    assert (plan.fire, plan.rearm) == ((), (100,))
    plan = plan_alerts((100,), frozenset({80}), Decimal(10), Decimal(100))
    assert (plan.fire, plan.rearm) == ((), ())  # 80 is no longer a threshold: left alone


def test_progress_and_projection():
    december = Period(date(2026, 12, 1), date(2026, 12, 31))
    progress = Progress(december, Decimal(1000), Decimal(0), Decimal(250), date(2026, 12, 5))
    assert progress.remaining == Decimal(750)
    assert progress.percentage == Decimal("25.00")
    assert (progress.days_elapsed, progress.days_left) == (5, 26)
    assert progress.projected == Decimal("1550.00")
    over = Progress(december, Decimal(100), Decimal(0), Decimal(50), date(2027, 1, 10))
    assert (over.days_elapsed, over.days_left, over.projected) == (31, 0, Decimal(50))
    ahead = Progress(december, Decimal(100), Decimal(0), Decimal(50), date(2026, 11, 10))
    assert (ahead.days_elapsed, ahead.days_left, ahead.projected) == (0, 31, Decimal(50))
    broke = Progress(december, Decimal(100), Decimal(-150), Decimal(10), date(2026, 12, 5))
    assert (broke.limit, broke.percentage, broke.remaining) == (-50, None, Decimal(-60))
    third = Progress(december, Decimal(100), Decimal(0), Decimal(10), date(2026, 12, 3))
    assert third.projected == Decimal("103.33")
