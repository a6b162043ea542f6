"""Training windows for the forecaster: every household of the training split, at many "todays".

At each origin the network sees what serving would see on that day: the lines booked up to it,
the recurring series found in them and the calendar ahead. Finding recurring series is the
costly part, so it runs once every ``refresh`` days and the origins in between reuse the series
found last (their next dates still lie ahead of, or on, the origin: nothing from the future
leaks in). The targets are the residual (net flow minus the projected recurring charges) of the
next ``MAX_HORIZON_DAYS`` days and its running total, both in the household's scale.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ml.households import lines_of
from shared.demo.generator import DemoHousehold
from shared.forecasting.baselines import daily_net, seasonal_naive_mae
from shared.forecasting.forecaster import (
    MAX_HORIZON_DAYS,
    MIN_HISTORY_DAYS,
    Encoded,
    encode,
    recurring_flows,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import RecurringSeries

if TYPE_CHECKING:
    from numpy.typing import NDArray

FIRST_ORIGIN_DAYS = 90
"""Days of history before the first origin: every model, baselines included, has a full
quarter to read (the network's household statistics look back 91 days)."""


@dataclass(frozen=True)
class HouseholdData:
    index: int
    lines: tuple[Line, ...]
    """Sorted by booking date."""
    first: date
    last: date
    net: NDArray[np.float64]
    """Daily net flow from ``first`` to ``last``."""

    @classmethod
    def of(cls, household: DemoHousehold) -> HouseholdData:
        return cls.from_lines(household.index, lines_of(household))

    @classmethod
    def from_lines(cls, index: int, unsorted: Sequence[Line]) -> HouseholdData:
        """A household from its statement lines: a demo household's, or a workspace's."""
        lines = tuple(sorted(unsorted, key=lambda line: (line.booked_on, line.id)))
        first, last = lines[0].booked_on, lines[-1].booked_on
        return cls(index, lines, first, last, daily_net(lines, first, last))

    def upto(self, today: date) -> Sequence[Line]:
        return self.lines[: bisect_right([line.booked_on for line in self.lines], today)]

    def actual(self, today: date, days: int = MAX_HORIZON_DAYS) -> NDArray[np.float64]:
        """Net flow of the ``days`` days after ``today``."""
        offset = (today - self.first).days + 1
        return self.net[offset : offset + days]

    def origins(self, step: int, first_days: int = FIRST_ORIGIN_DAYS) -> list[date]:
        """Todays with ``first_days`` of history before and a whole horizon after them."""
        start = self.first + timedelta(days=max(first_days, MIN_HISTORY_DAYS) - 1)
        stop = self.last - timedelta(days=MAX_HORIZON_DAYS)
        count = (stop - start).days // step + 1 if stop >= start else 0
        return [start + timedelta(days=step * number) for number in range(count)]


def prepare(households: Sequence[DemoHousehold]) -> list[HouseholdData]:
    return [HouseholdData.of(household) for household in households if household.transactions]


@dataclass(frozen=True)
class Windows:
    past: NDArray[np.float32]
    future: NDArray[np.float32]
    static: NDArray[np.float32]
    target: NDArray[np.float32]
    """``[n, 2 * MAX_HORIZON_DAYS]``: daily residuals, then their running totals (scale units)."""
    household: NDArray[np.int32]
    weight: NDArray[np.float32]
    """Per window, the household's scale over its weekly seasonal naive error (mean 1): the
    loss then weighs each window's absolute error as MASE does."""

    def __len__(self) -> int:
        return len(self.target)

    def inputs(self) -> dict[str, Any]:
        return {"past": self.past, "future": self.future, "static": self.static}

    def describe(self) -> dict[str, Any]:
        return {"windows": len(self), "households": len(set(self.household.tolist()))}


def target(encoded: Encoded, actual: NDArray[np.float64]) -> NDArray[np.float32]:
    residual = (actual - encoded.known[: len(actual)]) / encoded.scale
    return np.concatenate([residual, np.cumsum(residual)]).astype(np.float32)


def windows(
    data: Sequence[HouseholdData],
    *,
    step: int = 3,
    refresh: int = 9,
    log: Callable[[str], None] | None = None,
) -> Windows:
    past, future, static, targets, owners, weights = [], [], [], [], [], []
    for number, household in enumerate(data):
        series: list[RecurringSeries] = []
        found_on: date | None = None
        for today in household.origins(step):
            history = household.upto(today)
            if found_on is None or (today - found_on).days >= refresh:
                series = recurring_flows(history, today)
                found_on = today
            encoded = encode(history, today, series, found_on=found_on)
            past.append(encoded.past)
            future.append(encoded.future)
            static.append(encoded.static)
            targets.append(target(encoded, household.actual(today)))
            owners.append(household.index)
            naive = seasonal_naive_mae(encoded.history)
            weights.append(encoded.scale / naive if np.isfinite(naive) and naive > 0 else 1.0)
        if log is not None:
            log(f"windows: household {number + 1}/{len(data)}, {len(targets)} so far")
    return Windows(
        past=np.stack(past),
        future=np.stack(future),
        static=np.stack(static),
        target=np.stack(targets),
        household=np.asarray(owners, dtype=np.int32),
        weight=(np.asarray(weights) / np.mean(weights)).astype(np.float32),
    )
