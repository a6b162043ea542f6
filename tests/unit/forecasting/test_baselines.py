"""The baselines every forecast is measured against, and the daily net flow they read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from shared.forecasting.baselines import (
    daily_net,
    history_window,
    moving_average_28,
    recurring_only,
    seasonal_naive_7,
    seasonal_naive_mae,
)
from shared.forecasting.lines import Line


def _line(day: date, amount: str, kind: str = "expense", number: int = 0) -> Line:
    return Line(
        id=f"{day.isoformat()}-{number}",
        booked_on=day,
        amount=Decimal(amount),
        account_id="checking",
        account_kind="checking",
        description="X",
        kind=kind,
    )


def test_daily_net_sums_each_day_and_leaves_transfers_out() -> None:
    lines = [
        _line(date(2026, 3, 1), "-10.50"),
        _line(date(2026, 3, 1), "100", kind="income", number=1),
        _line(date(2026, 3, 2), "-999", kind="transfer"),
        _line(date(2026, 3, 3), "-4", kind="uncategorised"),
        _line(date(2026, 3, 9), "-1"),  # after the end: not counted
    ]

    net = daily_net(lines, date(2026, 3, 1), date(2026, 3, 4))

    assert net.tolist() == [89.5, 0.0, -4.0, 0.0]


def test_seasonal_naive_repeats_the_last_week_day_by_day() -> None:
    history = np.arange(1.0, 15.0)  # two weeks: 1..14

    forecast = seasonal_naive_7(history, 10)

    assert forecast.tolist() == [8, 9, 10, 11, 12, 13, 14, 8, 9, 10]


def test_seasonal_naive_with_less_than_a_week_fills_the_missing_days_with_the_mean() -> None:
    forecast = seasonal_naive_7(np.array([2.0, 4.0]), 7)

    assert forecast.tolist() == [3, 3, 3, 3, 3, 2, 4]


def test_moving_average_is_the_mean_of_the_last_28_days() -> None:
    history = np.concatenate([np.full(10, 1000.0), np.full(28, -5.0)])

    assert moving_average_28(history, 3).tolist() == [-5.0, -5.0, -5.0]
    assert moving_average_28(np.array([]), 2).tolist() == [0.0, 0.0]


def test_recurring_only_answers_the_projection_and_zero_beyond_it() -> None:
    forecast = recurring_only([Decimal("-10"), Decimal("0"), Decimal("2500.5")], 5)

    assert forecast.tolist() == [-10.0, 0.0, 2500.5, 0.0, 0.0]


def test_seasonal_naive_error_is_the_mean_absolute_weekly_difference() -> None:
    history = np.array([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, -7], dtype=float)

    assert seasonal_naive_mae(history) == pytest.approx(2.0)
    assert np.isnan(seasonal_naive_mae(history[:7]))


def test_history_starts_at_the_first_line_that_is_not_a_transfer() -> None:
    lines = [
        _line(date(2026, 1, 1), "-5", kind="transfer"),
        _line(date(2026, 1, 11), "-5"),
        _line(date(2026, 2, 1), "-5", number=1),  # after today
    ]

    assert history_window(lines, date(2026, 1, 20)) == (date(2026, 1, 11), 10)
    assert history_window(lines[:1], date(2026, 1, 20)) == (date(2026, 1, 20), 0)
