"""One model invocation: a JSON payload in, a JSON answer out.

The serving container (``ml.serving``) and the in-process model client
(``shared.adapters.local.models``) both call :func:`invoke`, so a payload means the same thing
whether it crossed a SageMaker endpoint or not. The payload names its model in ``"model"``, or
the request does in SageMaker's custom attributes header (``model=forecast``):

- ``forecast``: ``{"today": "2026-10-31", "horizon_days": 30, "balance": "1234.56",
  "lines": [Line.to_json(), …]}`` → ``Forecast.to_json()``;
- ``anomalies``: ``{"today": …, "language": "pt-BR", "judge": [line ids] | null,
  "lines": […]}`` → ``{"anomalies": [Anomaly.to_json(), …]}``.

A payload the models cannot read raises :class:`InvalidInvocation` (where, why); a model whose
artefact is missing raises :class:`ModelUnavailable`. Nothing here imports onnxruntime or numpy
until a forecast is asked for: the Lambda that only lists recurring series never loads them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.lines import InvalidLine, Line, lines_from_json, parse_amount

if TYPE_CHECKING:
    from shared.forecasting.forecaster import Forecaster

FORECAST = "forecast"
ANOMALIES = "anomalies"
MODELS = (FORECAST, ANOMALIES)
ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
DEFAULT_HORIZON_DAYS = 30
LANGUAGES = ("pt-BR", "en")


class Models:
    """The models one process serves, loaded on first use and kept: an ONNX session costs tens
    of milliseconds to build and is safe to share between threads.

    A model that failed to load is tried again on the next call, so an artefact copied in
    later is picked up without a restart.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._forecaster: Forecaster | None = None

    def forecaster(self) -> Forecaster:
        if self._forecaster is None:
            with self._lock:
                if self._forecaster is None:
                    try:
                        from shared.forecasting.forecaster import Forecaster
                    except ImportError as error:  # an image without numpy or onnxruntime
                        raise ModelUnavailable(FORECAST, f"cannot import it: {error}") from None
                    self._forecaster = Forecaster.load(self.directory)
        return self._forecaster

    def check(self) -> dict[str, str]:
        """Loads every model that has an artefact; answers the unavailable ones with why
        (empty when all can answer)."""
        problems: dict[str, str] = {}
        try:
            self.forecaster()
        except ModelUnavailable as error:
            problems[FORECAST] = error.reason
        return problems


def model_from_attributes(header: str | None) -> str | None:
    """The ``model`` of SageMaker's custom attributes (``model=forecast``; several attributes
    are separated by commas or semicolons)."""
    if not header:
        return None
    for part in header.replace(";", ",").split(","):
        key, separator, value = part.partition("=")
        if separator and key.strip().lower() == "model":
            return value.strip() or None
    return None


def invoke(
    payload: Mapping[str, Any] | Any, *, model: str | None = None, models: Models
) -> dict[str, Any]:
    """Runs the model the payload (or else ``model``, from the request's attributes) names."""
    if not isinstance(payload, Mapping):
        raise InvalidInvocation("payload", "a JSON object")
    chosen = _chosen_model(payload.get("model"), model)
    if chosen == FORECAST:
        return _forecast(payload, models)
    return _anomalies(payload)


def _chosen_model(named: object, attribute: str | None) -> str:
    if named is None and attribute is None:
        raise InvalidInvocation(
            "model", f"name the model in the payload or the attributes: {', '.join(MODELS)}"
        )
    if named is not None and attribute is not None and named != attribute:
        raise InvalidInvocation(
            "model", f"the payload asks for {named!r} and the attributes for {attribute!r}"
        )
    chosen = named if named is not None else attribute
    if chosen not in MODELS:
        raise InvalidInvocation("model", f"one of {', '.join(MODELS)}, not {chosen!r}")
    assert isinstance(chosen, str)
    return chosen


def _forecast(payload: Mapping[str, Any], models: Models) -> dict[str, Any]:
    today = _today(payload)
    horizon = payload.get("horizon_days", DEFAULT_HORIZON_DAYS)
    if isinstance(horizon, bool) or not isinstance(horizon, int):
        raise InvalidInvocation("horizon_days", "a whole number of days")
    balance = _decimal(payload.get("balance"), "balance")
    lines = _lines(payload)
    # Reading the payload first: a malformed one is a 400 even when the model is missing.
    forecaster = models.forecaster()
    forecast = forecaster.forecast(lines, today=today, horizon_days=horizon, balance=balance)
    return forecast.to_json()


def _anomalies(payload: Mapping[str, Any]) -> dict[str, Any]:
    from shared.anomalies import detect

    today = _today(payload)
    language = payload.get("language", LANGUAGES[0])
    if language not in LANGUAGES:
        raise InvalidInvocation("language", f"one of {', '.join(LANGUAGES)}, not {language!r}")
    judge = payload.get("judge")
    if judge is not None and (
        not isinstance(judge, list) or not all(isinstance(item, str) for item in judge)
    ):
        raise InvalidInvocation("judge", "a list of line ids, or null to judge every line")
    lines = _lines(payload)
    found = detect(lines, today=today, language=language, judge=judge)
    return {"anomalies": [anomaly.to_json() for anomaly in found]}


def _today(payload: Mapping[str, Any]) -> date:
    value = payload.get("today")
    if not isinstance(value, str):
        raise InvalidInvocation("today", "a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInvocation("today", f"not a date: {value!r}") from None


def _decimal(value: object, where: str) -> Decimal:
    try:
        return parse_amount(value, where)
    except InvalidLine as error:
        raise InvalidInvocation(error.where, error.reason) from None


def _lines(payload: Mapping[str, Any]) -> list[Line]:
    try:
        return lines_from_json(payload.get("lines"))
    except InvalidLine as error:
        raise InvalidInvocation(error.where, error.reason) from None
