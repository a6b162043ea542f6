"""The one dispatcher the model server and the in-process model client share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.local.models import InProcessModelClient
from shared.anomalies import detect
from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.invocation import Models, invoke, model_from_attributes
from shared.forecasting.lines import Line, lines_to_json

TODAY = date(2026, 10, 31)


@dataclass
class _Answer:
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.body


@dataclass
class _Forecaster:
    """Records what it was asked and answers it back."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def forecast(
        self, lines: Sequence[Line], *, today: date, horizon_days: int, balance: Decimal
    ) -> _Answer:
        call = {"lines": list(lines), "today": today, "horizon": horizon_days, "balance": balance}
        self.calls.append(call)
        return _Answer({"model": "fake", "horizon_days": horizon_days, "balance": str(balance)})


class _FakeModels(Models):
    def __init__(self, forecaster: _Forecaster) -> None:
        super().__init__()
        self.fake = forecaster

    def forecaster(self) -> Any:
        return self.fake


def _lines(count: int = 3) -> list[Line]:
    return [
        Line(
            id=f"l{index}",
            booked_on=TODAY - timedelta(days=index),
            amount=Decimal("-12.50"),
            account_id="a",
            account_kind="checking",
            description="PADARIA",
            merchant="Padaria",
            category="bakery",
            kind="expense",
        )
        for index in range(count)
    ]


def _forecast_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "model": "forecast",
        "today": TODAY.isoformat(),
        "horizon_days": 14,
        "balance": "1234.56",
        "lines": lines_to_json(_lines()),
        **overrides,
    }


def test_given_a_forecast_payload_when_invoked_then_the_forecaster_reads_it_typed() -> None:
    forecaster = _Forecaster()

    answer = invoke(_forecast_payload(), models=_FakeModels(forecaster))

    assert answer == {"model": "fake", "horizon_days": 14, "balance": "1234.56"}
    [call] = forecaster.calls
    assert call["today"] == TODAY
    assert call["horizon"] == 14
    assert call["balance"] == Decimal("1234.56")
    assert call["lines"] == _lines()


def test_given_no_model_in_the_payload_when_the_attributes_name_it_then_that_model_answers() -> (
    None
):
    payload = _forecast_payload()
    del payload["model"]
    forecaster = _Forecaster()

    invoke(payload, model="forecast", models=_FakeModels(forecaster))

    assert len(forecaster.calls) == 1


def test_given_no_horizon_when_forecasting_then_thirty_days() -> None:
    payload = _forecast_payload()
    del payload["horizon_days"]

    assert invoke(payload, models=_FakeModels(_Forecaster()))["horizon_days"] == 30


@pytest.mark.parametrize(
    ("header", "model"),
    [
        ("model=forecast", "forecast"),
        ("trace=abc; model=anomalies", "anomalies"),
        ("Model = forecast ,x=1", "forecast"),
        ("trace=abc", None),
        ("", None),
        (None, None),
    ],
)
def test_given_custom_attributes_when_read_then_the_model_is_found(
    header: str | None, model: str | None
) -> None:
    assert model_from_attributes(header) == model


@pytest.mark.parametrize(
    ("payload", "model", "where"),
    [
        ([1, 2], None, "payload"),
        ({"today": "2026-10-31", "lines": []}, None, "model"),
        (_forecast_payload(model="chat"), None, "model"),
        (_forecast_payload(), "anomalies", "model"),
        (_forecast_payload(today="31/10/2026"), None, "today"),
        (_forecast_payload(today=None), None, "today"),
        (_forecast_payload(horizon_days="30"), None, "horizon_days"),
        (_forecast_payload(horizon_days=True), None, "horizon_days"),
        (_forecast_payload(balance="lots"), None, "balance"),
        (_forecast_payload(balance=None), None, "balance"),
        (_forecast_payload(balance="NaN"), None, "balance"),
        (_forecast_payload(lines={"id": "x"}), None, "lines"),
        (
            _forecast_payload(lines=[{"id": "x", "date": "2026-10-01", "amount": "x"}]),
            None,
            "lines[0].amount",
        ),
        (
            _forecast_payload(lines=[{"id": "x", "date": "ontem", "amount": "1"}]),
            None,
            "lines[0].date",
        ),
    ],
)
def test_given_a_malformed_payload_when_invoked_then_invalid_where_it_is_wrong(
    payload: Any, model: str | None, where: str
) -> None:
    forecaster = _Forecaster()

    with pytest.raises(InvalidInvocation) as raised:
        invoke(payload, model=model, models=_FakeModels(forecaster))

    assert raised.value.where == where
    assert forecaster.calls == []


def test_given_no_artefact_when_forecasting_then_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        invoke(_forecast_payload(), models=Models(tmp_path))


def test_given_no_artefact_when_checked_then_the_forecast_says_why(tmp_path: Path) -> None:
    problems = Models(tmp_path).check()

    assert set(problems) == {"forecast"}
    assert str(tmp_path) in problems["forecast"]


def test_given_no_artefact_and_a_malformed_payload_then_the_payload_is_reported_first(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidInvocation):
        invoke(_forecast_payload(balance="lots"), models=Models(tmp_path))


def test_given_an_anomalies_payload_when_invoked_then_the_detector_judges_the_asked_lines() -> None:
    big = Line("big", TODAY, Decimal("-4800.00"), "a", "checking", "JOALHERIA", "Joalheria")
    again = Line("dup", TODAY, Decimal("-12.50"), "a", "checking", "PADARIA", "Padaria")
    lines = [*_lines(40), big, again]
    payload = {
        "model": "anomalies",
        "today": TODAY.isoformat(),
        "language": "en",
        "judge": ["big", "dup"],
        "lines": lines_to_json(lines),
    }

    answer = invoke(payload, models=Models(Path("/nonexistent")))

    expected = detect(lines, today=TODAY, language="en", judge=["big", "dup"])
    assert answer == {"anomalies": [anomaly.to_json() for anomaly in expected]}
    assert {item["line_id"] for item in answer["anomalies"]} <= {"big", "dup"}


@pytest.mark.parametrize(
    ("overrides", "where"),
    [({"language": "fr"}, "language"), ({"judge": "big"}, "judge"), ({"judge": [1]}, "judge")],
)
def test_given_a_malformed_anomalies_payload_then_invalid(
    overrides: dict[str, Any], where: str
) -> None:
    payload = {"model": "anomalies", "today": TODAY.isoformat(), "lines": [], **overrides}

    with pytest.raises(InvalidInvocation) as raised:
        invoke(payload, models=Models())

    assert raised.value.where == where


def test_given_the_in_process_client_when_invoked_then_it_runs_the_same_dispatcher() -> None:
    forecaster = _Forecaster()
    client = InProcessModelClient(models=_FakeModels(forecaster))

    answer = client.invoke(_forecast_payload(horizon_days=7))

    assert answer["horizon_days"] == 7
    assert len(forecaster.calls) == 1
