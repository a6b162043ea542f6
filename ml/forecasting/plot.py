"""The picture of docs/ml.md: one held-out household's forecast against what happened, with
its 80 % and 95 % intervals (``python -m ml.forecasting.plot``)."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from ml.forecasting.dataset import HouseholdData
from ml.forecasting.train import ForecasterConfig, split
from shared.forecasting.forecaster import MAX_HORIZON_DAYS, Forecaster

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "forecast.png"


def plot(household: HouseholdData, forecaster: Forecaster, out: Path, horizon: int = 90) -> Path:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    today = household.last - timedelta(days=MAX_HORIZON_DAYS)
    history = household.upto(today)
    forecast = forecaster.forecast(history, today=today, horizon_days=horizon, balance=Decimal(0))
    days = [day.day for day in forecast.days]
    actual_net = household.actual(today, horizon)
    shown = 60
    past_days = [today - timedelta(days=shown - 1 - offset) for offset in range(shown)]
    start = (today - household.first).days + 1
    past_net = household.net[start - shown : start]

    def values(name: str) -> list[float]:
        return [float(getattr(day, name)) for day in forecast.days]

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    top.bar(past_days, past_net, color="#999999", width=0.8, label="booked (history)")
    top.bar(days, actual_net, color="#4c72b0", width=0.8, alpha=0.5, label="booked (then)")
    top.fill_between(
        days, values("net_low95"), values("net_high95"), color="#dd8452", alpha=0.15, label="95 %"
    )
    top.fill_between(
        days, values("net_low80"), values("net_high80"), color="#dd8452", alpha=0.3, label="80 %"
    )
    top.plot(days, values("net"), color="#dd8452", linewidth=1.2, label=forecast.model)
    top.set_ylabel("net flow per day (BRL)")
    top.legend(loc="lower left", fontsize=8)
    bottom.plot(days, np.cumsum(actual_net), color="#4c72b0", label="balance change (then)")
    bottom.fill_between(
        days,
        values("balance_low95"),
        values("balance_high95"),
        color="#dd8452",
        alpha=0.15,
        label="95 %",
    )
    bottom.fill_between(
        days,
        values("balance_low80"),
        values("balance_high80"),
        color="#dd8452",
        alpha=0.3,
        label="80 %",
    )
    bottom.plot(days, values("balance"), color="#dd8452", label="forecast")
    bottom.axhline(0, color="#333333", linewidth=0.5)
    bottom.set_ylabel("balance change since today (BRL)")
    bottom.legend(loc="lower left", fontsize=8)
    figure.suptitle(
        f"Held-out demo household {household.index}: {horizon}-day forecast from {today:%Y-%m-%d}"
    )
    figure.autofmt_xdate()
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=90, metadata={"Software": None})
    plt.close(figure)
    return out


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    index = int(args[0]) if args else 0
    forecaster = Forecaster.load()
    config = ForecasterConfig(
        households=int(forecaster.metadata["config"]["households"]),
        months=int(forecaster.metadata["config"]["months"]),
    )
    _, _, held_out = split(config)
    print(plot(held_out[index], forecaster, DOCS_IMAGE))


if __name__ == "__main__":
    main()
