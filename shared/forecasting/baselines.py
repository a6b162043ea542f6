"""The forecasts any model has to beat, and the daily net flow they all read.

A day's net flow is the sum of its non-transfer lines: transfers between own accounts and card
bill payments move money without making anyone richer or poorer. Each baseline takes the history
of daily net flows (oldest first, the last element is ``today``) and answers one value per future
day; ``recurring_only`` instead answers the known recurring charges and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from shared.forecasting.lines import Line

if TYPE_CHECKING:
    from numpy.typing import NDArray

SEASONAL_NAIVE_7: Final = "seasonal_naive_7"
MOVING_AVERAGE_28: Final = "moving_average_28"
RECURRING_ONLY: Final = "recurring_only"
BASELINES: Final = (SEASONAL_NAIVE_7, MOVING_AVERAGE_28, RECURRING_ONLY)


def daily_net(lines: Sequence[Line], start: date, end: date) -> NDArray[np.float64]:
    """Net flow per day from ``start`` to ``end`` inclusive (0 on a day without lines)."""
    days = (end - start).days + 1
    net = np.zeros(max(days, 0), dtype=np.float64)
    for line in lines:
        if line.kind == "transfer":
            continue
        offset = (line.booked_on - start).days
        if 0 <= offset < days:
            net[offset] += float(line.amount)
    return net


def seasonal_naive_7(history: NDArray[Any], horizon: int) -> NDArray[np.float64]:
    """Each future day repeats the same weekday of the last observed week."""
    history = np.asarray(history, dtype=np.float64)
    if len(history) == 0:
        return np.zeros(horizon)
    week = history[-7:]
    if len(week) < 7:
        week = np.concatenate([np.full(7 - len(week), float(np.mean(week))), week])
    return np.resize(week, horizon)


def moving_average_28(history: NDArray[Any], horizon: int) -> NDArray[np.float64]:
    """Every future day is the mean of the last 28 days."""
    history = np.asarray(history, dtype=np.float64)
    level = float(np.mean(history[-28:])) if len(history) else 0.0
    return np.full(horizon, level)


def recurring_only(projected: Sequence[Any], horizon: int) -> NDArray[np.float64]:
    """The recurring charges expected on each future day, nothing for everything else."""
    values = np.asarray([float(value) for value in projected[:horizon]], dtype=np.float64)
    if len(values) < horizon:
        values = np.concatenate([values, np.zeros(horizon - len(values))])
    return values


def seasonal_naive_mae(history: NDArray[Any], season: int = 7) -> float:
    """The in-sample error of the weekly seasonal naive forecast: the scale MASE divides by."""
    history = np.asarray(history, dtype=np.float64)
    if len(history) <= season:
        return float("nan")
    return float(np.mean(np.abs(history[season:] - history[:-season])))


def history_window(lines: Sequence[Line], today: date) -> tuple[date, int]:
    """The first day of the history (the first non-transfer line) and its length in days up
    to and including ``today``; ``(today, 0)`` with no such line."""
    booked = [
        line.booked_on for line in lines if line.kind != "transfer" and line.booked_on <= today
    ]
    if not booked:
        return today, 0
    first = min(booked)
    return first, (today - first).days + 1


def day_range(start: date, days: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(days)]
