"""The served forecaster: validation, which model answers, how recurring charges, the network's
answer and the calibrated intervals become a forecast, and loading the artefact."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.forecaster import (
    DEFAULT_DIRECTORY,
    MAX_HORIZON_DAYS,
    MODEL,
    Forecaster,
    error_quantiles,
)
from shared.forecasting.lines import Line
from shared.forecasting.recurring import project

TODAY = date(2026, 6, 30)
RENT = Decimal("-2000.00")
DAILY = Decimal("-50.00")
MODELS = (MODEL, "seasonal_naive_7", "moving_average_28", "recurring_only")


class NetworkAnswering:
    """Stands in for the onnxruntime session: a constant answer, in scale units."""

    def __init__(self, daily: float = 0.0, running: float = 0.0) -> None:
        self.daily = daily
        self.running = running
        self.feeds: list[dict[str, Any]] = []

    def run(self, _outputs: object, feeds: dict[str, Any]) -> list[Any]:
        self.feeds.append(feeds)
        count = len(feeds["past"])
        answer = np.concatenate(
            [
                np.full((count, MAX_HORIZON_DAYS), self.daily),
                np.full((count, MAX_HORIZON_DAYS), self.running),
            ],
            axis=1,
        )
        return [answer.astype(np.float32)]


def _metadata(best: str = "moving_average_28") -> dict[str, Any]:
    band = {"low80": [-1.0] * 90, "high80": [1.0] * 90, "low95": [-2.0] * 90, "high95": [2.0] * 90}
    return {
        "version": "test-1",
        "best_baseline": best,
        "intervals": {model: {"net": band, "balance": band} for model in MODELS},
    }


def _forecaster(session: Any = None, best: str = "moving_average_28") -> Forecaster:
    return Forecaster(session or NetworkAnswering(), _metadata(best), Path("test.onnx"))


def _line(day: date, amount: Decimal, kind: str, name: str, number: int = 0) -> Line:
    return Line(
        id=f"{name}-{day.isoformat()}-{number}",
        booked_on=day,
        amount=amount,
        account_id="checking",
        account_kind="checking",
        description=name.upper(),
        merchant=name,
        category=None,
        kind=kind,
    )


def _household(days: int, today: date = TODAY) -> list[Line]:
    """Rent on the 10th, groceries of varying amounts most days and a transfer to savings each
    week."""
    lines = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        if offset % 5 != 3:
            spent = DAILY - Decimal(offset * 37 % 41) - Decimal(offset % 7) / 10
            lines.append(_line(day, spent, "expense", f"Mercado {offset % 3}"))
        if day.day == 10:
            lines.append(_line(day, RENT, "expense", "Imobiliaria Lar"))
        if day.weekday() == 0:
            lines.append(_line(day, Decimal("-700"), "transfer", "Poupanca"))
    return lines


def _scale(lines: list[Line], today: date) -> float:
    """Mean daily spending over the last 91 days, by hand."""
    since = today - timedelta(days=90)
    spent = sum(
        -float(line.amount)
        for line in lines
        if since <= line.booked_on <= today and line.kind == "expense"
    )
    return spent / 91


@pytest.mark.parametrize("horizon", [0, -3, 91, True])
def test_a_horizon_outside_1_to_90_days_is_refused(horizon: int) -> None:
    with pytest.raises(InvalidInvocation) as refused:
        _forecaster().forecast(
            _household(120), today=TODAY, horizon_days=horizon, balance=Decimal(0)
        )

    assert refused.value.where == "horizon_days"


def test_without_income_or_expense_lines_there_is_nothing_to_forecast() -> None:
    transfers = [line for line in _household(120) if line.kind == "transfer"]
    later = [_line(TODAY + timedelta(days=3), DAILY, "expense", "Mercado")]

    with pytest.raises(InvalidInvocation) as refused:
        _forecaster().forecast(transfers + later, today=TODAY, horizon_days=7, balance=Decimal(0))

    assert refused.value.where == "lines"


def test_with_a_long_history_the_network_adds_to_the_projected_recurring_charges() -> None:
    lines = _household(200)
    network = NetworkAnswering(daily=-0.5, running=-0.25)

    forecast = _forecaster(network).forecast(
        lines, today=TODAY, horizon_days=30, balance=Decimal("1000.00")
    )

    scale = _scale(lines, TODAY)
    assert forecast.model == MODEL
    assert forecast.history_days == 200
    assert [day.day for day in forecast.days] == [TODAY + timedelta(days=n) for n in range(1, 31)]
    assert any(
        series.counterparty.lower().startswith("imobiliaria") for series in forecast.recurring
    )
    projected = project(forecast.recurring, TODAY + timedelta(days=1), 30)
    assert projected[9] == RENT  # 10 July
    assert sum(projected) == RENT
    for day, charges in zip(forecast.days, projected, strict=True):
        assert float(day.net) == pytest.approx(float(charges) - 0.5 * scale, abs=0.01)
    # The balance path is the projected charges' running total plus the network's running total
    # (its second output is already a running total).
    assert float(forecast.days[0].balance) == pytest.approx(1000 - 0.25 * scale, abs=0.01)
    assert float(forecast.days[-1].balance) == pytest.approx(
        1000 + float(RENT) - 0.25 * scale, abs=0.02
    )
    assert network.feeds[0]["past"].shape == (1, 30, network.feeds[0]["past"].shape[2])
    assert network.feeds[0]["future"].shape[:2] == (1, MAX_HORIZON_DAYS)


def test_intervals_are_the_calibrated_error_quantiles_in_the_households_scale() -> None:
    lines = _household(200)

    forecast = _forecaster().forecast(lines, today=TODAY, horizon_days=10, balance=Decimal(0))

    scale = _scale(lines, TODAY)
    for day in forecast.days:
        assert float(day.net_high80 - day.net_low80) == pytest.approx(2 * scale, abs=0.02)
        assert float(day.net_high95 - day.net_low95) == pytest.approx(4 * scale, abs=0.02)
        assert float(day.balance - day.balance_low80) == pytest.approx(scale, abs=0.02)
        assert day.balance_low95 < day.balance_low80 < day.balance_high80 < day.balance_high95


def test_a_short_history_is_answered_by_the_best_baseline_and_says_why() -> None:
    lines = _household(45)
    network = NetworkAnswering(daily=5.0)

    forecast = _forecaster(network, best="moving_average_28").forecast(
        lines, today=TODAY, horizon_days=14, balance=Decimal("10")
    )

    last_28 = [
        line
        for line in lines
        if line.booked_on > TODAY - timedelta(days=28) and line.kind != "transfer"
    ]
    mean = sum(float(line.amount) for line in last_28) / 28
    assert forecast.model == "moving_average_28"
    assert "45 days of history" in forecast.reason
    assert "fewer than 60" in forecast.reason
    assert not network.feeds
    assert {round(float(day.net), 2) for day in forecast.days} == {round(mean, 2)}
    assert float(forecast.days[-1].balance) == pytest.approx(10 + 14 * mean, abs=0.05)


def test_lines_booked_after_today_change_nothing() -> None:
    lines = _household(200)
    later = [_line(TODAY + timedelta(days=2), Decimal("-99999"), "expense", "Joalheria")]

    before = _forecaster().forecast(lines, today=TODAY, horizon_days=20, balance=Decimal(0))
    after = _forecaster().forecast(lines + later, today=TODAY, horizon_days=20, balance=Decimal(0))

    assert before.days == after.days


def test_the_forecast_serialises_to_json() -> None:
    forecast = _forecaster().forecast(
        _household(200), today=TODAY, horizon_days=3, balance=Decimal("12.30")
    )

    document = json.loads(json.dumps(forecast.to_json()))

    assert document["model"] == MODEL
    assert document["model_version"] == "test-1"
    assert document["balance"] == "12.30"
    assert [day["date"] for day in document["days"]] == ["2026-07-01", "2026-07-02", "2026-07-03"]
    assert set(document["days"][0]) >= {"net", "net_low80", "net_high95", "balance_high80"}
    assert all(isinstance(series["key"], str) for series in document["recurring"])


def test_a_missing_artefact_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as unavailable:
        Forecaster.load(tmp_path)

    assert unavailable.value.model == "forecaster"


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    if not (DEFAULT_DIRECTORY / "forecaster.onnx").is_file():
        pytest.fail("the trained forecaster is not in ml/artifacts: run `fluxo ml train`")
    for suffix in (".onnx", ".json"):
        shutil.copy(DEFAULT_DIRECTORY / f"forecaster{suffix}", tmp_path / f"forecaster{suffix}")
    return tmp_path


def test_an_artefact_that_does_not_match_its_checksum_is_unavailable(shipped: Path) -> None:
    model = shipped / "forecaster.onnx"
    model.write_bytes(model.read_bytes() + b"\0")

    with pytest.raises(ModelUnavailable, match="checksum"):
        Forecaster.load(shipped)


def test_an_artefact_of_another_encoding_is_unavailable(shipped: Path) -> None:
    meta = shipped / "forecaster.json"
    metadata = json.loads(meta.read_text())
    metadata["encoding"]["version"] = -1
    meta.write_text(json.dumps(metadata))

    with pytest.raises(ModelUnavailable, match="retrain"):
        Forecaster.load(shipped)


def test_the_shipped_artefact_forecasts_with_nested_intervals(shipped: Path) -> None:
    forecaster = Forecaster.load(shipped)

    forecast = forecaster.forecast(
        _household(200), today=TODAY, horizon_days=90, balance=Decimal(0)
    )

    assert forecast.model == MODEL
    assert forecast.model_version == forecaster.version
    assert len(forecast.days) == 90
    for day in forecast.days:
        assert day.net_low95 <= day.net_low80 <= day.net_high80 <= day.net_high95
        assert day.balance_low95 <= day.balance_low80 <= day.balance_high80 <= day.balance_high95
    # Three rents fall in the 90 days; the balance ends below what they alone take.
    assert forecast.days[-1].balance < 3 * RENT


def test_interval_quantiles_pool_neighbouring_steps() -> None:
    rng = np.random.default_rng(7)
    errors = rng.normal(0.0, 1.0, size=(400, 20))
    errors[:, 10] += 50.0  # one step whose errors all fell on pay day

    alone = error_quantiles(errors, pool=0)
    pooled = error_quantiles(errors, pool=3)

    assert alone["low80"][10] > 40
    assert pooled["low80"][10] < 1
    assert pooled["high95"][10] > 40  # the pay-day errors are still in the pooled tail
    for bands in (alone, pooled):
        assert len(bands["low80"]) == 20
        for step in range(20):
            assert (
                bands["low95"][step]
                <= bands["low80"][step]
                <= bands["high80"][step]
                <= bands["high95"][step]
            )
    assert pooled["low80"][0] == pytest.approx(np.quantile(errors[:, :4], 0.10), abs=1e-4)
