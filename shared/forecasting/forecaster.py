"""Daily cash-flow forecasts with intervals: the exported network plus the known recurring charges.

A forecast splits the future into what is known and what is not. Recurring series (pay, rent,
bills, subscriptions, instalments) are projected exactly onto their expected days, and so are
the payments payroll makes once a year (the 13th salary, profit sharing:
``shared.forecasting.yearly``); the network
(a Keras LSTM trained by ``fluxo ml train``, run here by onnxruntime) predicts the rest, the
*residual*: everyday spending and whatever the series do not explain. It reads the last
``WINDOW_DAYS`` days of per-day features, the calendar and recurring charges of the next
``MAX_HORIZON_DAYS`` days and a few statistics of the household's history, all money divided by
the household's scale (its mean daily spending), so one model serves a student and a family.

It answers two things per future day: the day's residual (read as "a typical day": the network is
trained on absolute error, so this is a median) and the residual summed from tomorrow to that day
(the running total the balance needs; the median of a sum is not the sum of daily medians when
spending is skewed). The 80 % and 95 % intervals are the quantiles of the errors the same model
made, step by step, on households it was not fitted on (split conformal, in units of the
household's scale) — no normal distribution is assumed.

With fewer than ``MIN_HISTORY_DAYS`` days of history, the network's window and the household's
statistics mean little, so the baseline that did best in the recorded back-test answers instead,
and ``reason`` says so.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from shared.forecasting import baselines
from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.features import (
    FEATURES,
    PAYDAY_HORIZON,
    daily_features,
    household_summary,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import RecurringSeries, find_recurring, project
from shared.forecasting.yearly import YearlyPayment, daily, yearly_payments

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_DIRECTORY",
    "ENCODING_VERSION",
    "FUTURE",
    "MAX_HORIZON_DAYS",
    "MIN_HISTORY_DAYS",
    "MODEL",
    "NAME",
    "PAST",
    "RECURRING_LOOKBACK_DAYS",
    "STATIC",
    "WINDOW_DAYS",
    "Encoded",
    "Forecast",
    "ForecastDay",
    "Forecaster",
    "baseline_forecast",
    "encode",
    "error_quantiles",
    "recurring_flows",
]

NAME: Final = "forecaster"
MODEL: Final = "lstm+recurring"
MIN_HISTORY_DAYS: Final = 60
MAX_HORIZON_DAYS: Final = 90
WINDOW_DAYS: Final = 30
"""Days of history the network reads."""
RECURRING_LOOKBACK_DAYS: Final = 400
"""Recurring series are searched in this many days before today: a yearly charge shows twice,
and a long statement costs no more than a year of it."""
ENCODING_VERSION: Final = 3
"""Bumped whenever ``encode`` changes what it feeds the network."""
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "ml" / "artifacts"

CENT = Decimal("0.01")
_LEVELS: Final = ("low80", "high80", "low95", "high95")
_QUANTILES: Final = {"low80": 0.10, "high80": 0.90, "low95": 0.025, "high95": 0.975}


@dataclass(frozen=True)
class ForecastDay:
    day: date
    net: Decimal
    net_low80: Decimal
    net_high80: Decimal
    net_low95: Decimal
    net_high95: Decimal
    balance: Decimal
    balance_low80: Decimal
    balance_high80: Decimal
    balance_low95: Decimal
    balance_high95: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "net": str(self.net),
            "net_low80": str(self.net_low80),
            "net_high80": str(self.net_high80),
            "net_low95": str(self.net_low95),
            "net_high95": str(self.net_high95),
            "balance": str(self.balance),
            "balance_low80": str(self.balance_low80),
            "balance_high80": str(self.balance_high80),
            "balance_low95": str(self.balance_low95),
            "balance_high95": str(self.balance_high95),
        }


@dataclass(frozen=True)
class Forecast:
    model: str
    """``lstm+recurring`` or the baseline that answered (``seasonal_naive_7``,
    ``moving_average_28``, ``recurring_only``)."""
    reason: str
    model_version: str
    today: date
    horizon_days: int
    history_days: int
    balance: Decimal
    days: tuple[ForecastDay, ...]
    recurring: tuple[RecurringSeries, ...]
    """The known future events that were projected."""
    yearly: tuple[YearlyPayment, ...] = ()
    """The yearly payments expected in the horizon (13th salary, profit sharing)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "reason": self.reason,
            "model_version": self.model_version,
            "today": self.today.isoformat(),
            "horizon_days": self.horizon_days,
            "history_days": self.history_days,
            "balance": str(self.balance),
            "days": [day.to_json() for day in self.days],
            "recurring": [series.to_json() for series in self.recurring],
            "yearly": [payment.to_json() for payment in self.yearly],
        }


@dataclass(frozen=True)
class Encoded:
    """What the network reads for one household at one ``today``, and what it needs to turn
    the network's answer back into money."""

    past: NDArray[np.float32]
    """``[WINDOW_DAYS, len(PAST)]``: the last days up to and including today."""
    future: NDArray[np.float32]
    """``[MAX_HORIZON_DAYS, len(FUTURE)]``: the calendar and recurring charges to come."""
    static: NDArray[np.float32]
    """``[len(STATIC)]``: the household's history in a few numbers."""
    scale: float
    """Money units per model unit: the household's mean daily spending."""
    recurring: NDArray[np.float64]
    """``[MAX_HORIZON_DAYS]``: the recurring charges projected on each future day, in money."""
    yearly: NDArray[np.float64]
    """``[MAX_HORIZON_DAYS]``: the yearly payments expected on each future day, in money."""
    payments: tuple[YearlyPayment, ...]
    """Those payments, for the answer to show."""
    history: NDArray[np.float64]
    """Daily net flow from the first day of history to today (the baselines read it)."""

    @property
    def known(self) -> NDArray[np.float64]:
        """What the network's residual is added to: the recurring charges and yearly payments."""
        return self.recurring + self.yearly


PAST: Final = FEATURES
"""The per-day features of ``shared.forecasting.features``: money in the household's scale
(the balance as its change since today), the calendar in 0..1, days to payday over 35."""
FUTURE: Final = (
    "recurring",
    "weekday_sin",
    "weekday_cos",
    "month_day_sin",
    "month_day_cos",
    "business_day",
    "days_to_payday",
    "weekday_median",
    "weekday_mean",
    "seasonal_index",
)
"""Per future day: what is known of it. ``weekday_median``/``weekday_mean`` are the household's
residual on that weekday over the last 13 weeks, ``seasonal_index`` its spending in that month
of the year over an average month."""
STATIC: Final = (
    "residual_mean_28",
    "residual_mean_91",
    "residual_median_91",
    "residual_sd_28",
    "spending_days_28",
    "quiet_days_91",
    "spending_volatility",
    "log_scale",
)
_MONEY: Final = ("net", "income", "expense", "recurring", "residual")
_LOOKBACK: Final = 91


def recurring_flows(lines: Sequence[Line], today: date) -> list[RecurringSeries]:
    """The recurring series that change the net flow, found in the lines of the last
    ``RECURRING_LOOKBACK_DAYS`` up to today: transfers recur too (a monthly move to savings)
    but move money without spending it."""
    since = today - timedelta(days=RECURRING_LOOKBACK_DAYS)
    recent = [line for line in lines if since < line.booked_on <= today]
    return [series for series in find_recurring(recent, today) if series.kind != "transfer"]


def encode(
    lines: Sequence[Line],
    today: date,
    series: Sequence[RecurringSeries],
    *,
    found_on: date | None = None,
) -> Encoded:
    """The network's inputs for ``today`` from the lines booked up to it (later lines are
    ignored) and the recurring series found in them on ``found_on`` (today by default): series
    found some days earlier are projected from that day, so the charges they expected in
    between are not expected again."""
    series = [item for item in series if item.kind != "transfer"]
    history_lines = [line for line in lines if line.booked_on <= today]
    first, history_days = baselines.history_window(history_lines, today)
    start = today - timedelta(days=_LOOKBACK - 1)
    table = daily_features(
        history_lines, start, today + timedelta(days=MAX_HORIZON_DAYS), series, today=today
    )
    column = {name: table.values[:, number] for number, name in enumerate(FEATURES)}
    observed = slice(0, _LOOKBACK)
    ahead = slice(_LOOKBACK, _LOOKBACK + MAX_HORIZON_DAYS)
    known = min(history_days, _LOOKBACK)  # observed days that are history, not before it
    expense = column["expense"][observed][_LOOKBACK - max(known, 1) :]
    scale = max(float(-np.mean(expense)), 1.0)

    recurring = column["recurring"][ahead].copy()
    if found_on is not None and found_on < today:
        since = (today - found_on).days
        projected = project(series, found_on + timedelta(days=1), since + MAX_HORIZON_DAYS)
        recurring = np.array([float(value) for value in projected[since:]], dtype=np.float64)

    past = table.values[_LOOKBACK - WINDOW_DAYS : _LOOKBACK].copy()
    for name in _MONEY:
        past[:, FEATURES.index(name)] /= scale
    balance = past[:, FEATURES.index("balance")]
    past[:, FEATURES.index("balance")] = (balance - balance[-1]) / scale
    past[:, FEATURES.index("day_of_week")] /= 6
    past[:, FEATURES.index("day_of_month")] = (past[:, FEATURES.index("day_of_month")] - 1) / 30
    past[:, FEATURES.index("month")] = (past[:, FEATURES.index("month")] - 1) / 11
    past[:, FEATURES.index("days_to_payday")] /= PAYDAY_HORIZON

    residual = column["residual"][observed][_LOOKBACK - max(known, 1) :] / scale
    future_days = table.days[ahead]
    by_weekday: dict[int, list[float]] = {}
    observed_days = table.days[observed][_LOOKBACK - max(known, 1) :]
    for day, value in zip(observed_days, residual, strict=True):
        by_weekday.setdefault(day.weekday(), []).append(float(value))
    overall = float(np.median(residual))
    median = {weekday: float(np.median(values)) for weekday, values in by_weekday.items()}
    mean = {weekday: float(np.mean(values)) for weekday, values in by_weekday.items()}
    summary = household_summary(history_lines, today)
    seasonal = summary["seasonal_index"]
    weekday_sin, weekday_cos = _weekday(future_days)
    month_angle = [2 * math.pi * (day.day - 1) / 31 for day in future_days]
    future = np.column_stack(
        [
            recurring / scale,
            weekday_sin,
            weekday_cos,
            np.sin(month_angle),
            np.cos(month_angle),
            column["business_day"][ahead],
            column["days_to_payday"][ahead] / PAYDAY_HORIZON,
            [median.get(day.weekday(), overall) for day in future_days],
            [mean.get(day.weekday(), overall) for day in future_days],
            [float(seasonal[day.month - 1]) for day in future_days],
        ]
    ).astype(np.float32)

    spending = column["expense"][observed][-28:]
    static = np.array(
        [
            float(np.mean(residual[-28:])),
            float(np.mean(residual)),
            overall,
            float(np.std(residual[-28:])),
            float(np.mean(spending < 0)),
            float(np.mean(residual == 0)),
            float(summary["spending_volatility"]),
            math.log10(scale),
        ],
        dtype=np.float32,
    )
    history = baselines.daily_net(history_lines, first, today) if history_days else np.zeros(0)
    payments = tuple(yearly_payments(history_lines, today, series, MAX_HORIZON_DAYS))
    yearly = np.array([float(value) for value in daily(payments, today, MAX_HORIZON_DAYS)])
    return Encoded(
        past.astype(np.float32), future, static, scale, recurring, yearly, payments, history
    )


def _weekday(days: Sequence[date]) -> tuple[list[float], list[float]]:
    angles = [2 * math.pi * day.weekday() / 7 for day in days]
    return [math.sin(angle) for angle in angles], [math.cos(angle) for angle in angles]


class Forecaster:
    """The exported forecaster and its calibration (``ml/artifacts/forecaster.onnx`` + ``.json``).

    Load it once per process: the onnxruntime session is created on load and reused."""

    def __init__(self, session: Any, metadata: Mapping[str, Any], path: Path) -> None:
        self._session = session
        self._lock = threading.Lock()
        self.metadata = metadata
        self.path = path
        self.version: str = str(metadata["version"])
        self.best_baseline: str = str(metadata["best_baseline"])
        self._intervals: dict[str, dict[str, dict[str, NDArray[np.float64]]]] = {
            model: {
                target: {
                    level: np.asarray(values, dtype=np.float64) for level, values in levels.items()
                }
                for target, levels in targets.items()
            }
            for model, targets in metadata["intervals"].items()
        }

    @classmethod
    def load(cls, directory: Path | None = None) -> Forecaster:
        """Reads ``forecaster.onnx`` and its ``.json`` from ``directory`` (``ml/artifacts`` by
        default); raises ``ModelUnavailable`` when either is missing, unreadable or was made
        for other inputs."""
        path = (directory or DEFAULT_DIRECTORY) / f"{NAME}.onnx"
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise ModelUnavailable(NAME, f"no trained forecaster at {path} (fluxo ml train)")
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
            encoding = metadata["encoding"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelUnavailable(NAME, f"unreadable {meta_path}: {error}") from None
        if encoding.get("version") != ENCODING_VERSION:
            raise ModelUnavailable(
                NAME,
                f"{path} was trained on encoding {encoding.get('version')}, this code "
                f"encodes version {ENCODING_VERSION}: retrain it",
            )
        content = path.read_bytes()
        if metadata.get("onnx_sha256") != hashlib.sha256(content).hexdigest():
            raise ModelUnavailable(NAME, f"{path} does not match the checksum in {meta_path}")
        try:
            import onnxruntime  # type: ignore[import-untyped]  # ~70 ms, on load only

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                content, sess_options=options, providers=["CPUExecutionProvider"]
            )
            return cls(session, metadata, path)
        # Whatever onnxruntime cannot read is a 503 with its reason, not a crash.
        except Exception as error:
            raise ModelUnavailable(NAME, f"cannot load {path}: {error}") from None

    def predict(self, encoded: Sequence[Encoded]) -> NDArray[np.float32]:
        """``[n, 2 * MAX_HORIZON_DAYS]`` in model units: daily residuals, then running totals."""
        feeds = {
            "past": np.stack([item.past for item in encoded]),
            "future": np.stack([item.future for item in encoded]),
            "static": np.stack([item.static for item in encoded]),
        }
        with self._lock:
            (output,) = self._session.run(None, feeds)
        return np.asarray(output, dtype=np.float32)

    def forecast(
        self, lines: Sequence[Line], *, today: date, horizon_days: int, balance: Decimal
    ) -> Forecast:
        if isinstance(horizon_days, bool) or not 1 <= horizon_days <= MAX_HORIZON_DAYS:
            raise InvalidInvocation(
                "horizon_days", f"between 1 and {MAX_HORIZON_DAYS} days, not {horizon_days}"
            )
        history = [line for line in lines if line.booked_on <= today]
        _, history_days = baselines.history_window(history, today)
        if history_days == 0:
            raise InvalidInvocation(
                "lines", "no history: no income or expense line on or before today"
            )
        series = tuple(recurring_flows(history, today))
        encoded = encode(history, today, series)
        if history_days >= MIN_HISTORY_DAYS:
            model = MODEL
            reason = f"{history_days} days of history: the network plus the recurring charges"
            output = self.predict([encoded])[0].astype(np.float64) * encoded.scale
            net = encoded.known + output[:MAX_HORIZON_DAYS]
            running = np.cumsum(encoded.known) + output[MAX_HORIZON_DAYS:]
            yearly = tuple(
                payment
                for payment in encoded.payments
                if payment.day <= today + timedelta(days=horizon_days)
            )
        else:
            model = self.best_baseline
            reason = (
                f"{history_days} days of history, fewer than {MIN_HISTORY_DAYS}: "
                f"the best baseline in the back-test ({model})"
            )
            net = baseline_forecast(model, encoded, MAX_HORIZON_DAYS)
            running = np.cumsum(net)
            yearly = ()
        return Forecast(
            model=model,
            reason=reason,
            model_version=self.version,
            today=today,
            horizon_days=horizon_days,
            history_days=history_days,
            balance=balance,
            days=self._days(model, today, horizon_days, balance, net, running, encoded.scale),
            recurring=series,
            yearly=yearly,
        )

    def intervals(self, model: str) -> Mapping[str, Mapping[str, NDArray[np.float64]]]:
        """Per target (``net``, ``balance``) and level, the error quantile at each step."""
        return self._intervals[model]

    def _days(
        self,
        model: str,
        today: date,
        horizon: int,
        balance: Decimal,
        net: NDArray[np.float64],
        running: NDArray[np.float64],
        scale: float,
    ) -> tuple[ForecastDay, ...]:
        bands = self._intervals[model]
        now = float(balance)
        days = []
        for step in range(horizon):
            daily = {level: net[step] + scale * bands["net"][level][step] for level in _LEVELS}
            total = {
                level: now + running[step] + scale * bands["balance"][level][step]
                for level in _LEVELS
            }
            days.append(
                ForecastDay(
                    day=today + timedelta(days=step + 1),
                    net=_money(net[step]),
                    net_low80=_money(daily["low80"]),
                    net_high80=_money(daily["high80"]),
                    net_low95=_money(daily["low95"]),
                    net_high95=_money(daily["high95"]),
                    balance=_money(now + running[step]),
                    balance_low80=_money(total["low80"]),
                    balance_high80=_money(total["high80"]),
                    balance_low95=_money(total["low95"]),
                    balance_high95=_money(total["high95"]),
                )
            )
        return tuple(days)


def baseline_forecast(model: str, encoded: Encoded, horizon: int) -> NDArray[np.float64]:
    """A baseline's daily net flows, in money."""
    if model == baselines.SEASONAL_NAIVE_7:
        return baselines.seasonal_naive_7(encoded.history, horizon)
    if model == baselines.MOVING_AVERAGE_28:
        return baselines.moving_average_28(encoded.history, horizon)
    if model == baselines.RECURRING_ONLY:
        return baselines.recurring_only(list(encoded.recurring), horizon)
    raise ValueError(f"unknown baseline {model!r}")


def error_quantiles(errors: NDArray[Any], pool: int = 3) -> dict[str, list[float]]:
    """``errors`` ``[forecasts, steps]`` (actual − forecast, in scale units) → per level, the
    quantile at each step: the interval is the forecast plus these. Each step's quantiles pool
    the errors of the ``pool`` steps either side: back-test origins fall on like days of the
    month, so a single step's tail says more about which day pay fell on than about the step."""
    errors = np.asarray(errors, dtype=np.float64)
    steps = errors.shape[1]
    found: dict[str, list[float]] = {level: [] for level in _QUANTILES}
    for step in range(steps):
        near = errors[:, max(step - pool, 0) : min(step + pool + 1, steps)].ravel()
        for level, quantile in _QUANTILES.items():
            found[level].append(round(float(np.quantile(near, quantile)), 4))
    return found


def _money(value: float) -> Decimal:
    return Decimal(repr(round(float(value), 2))).quantize(CENT)
