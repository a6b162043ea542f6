"""Which model client the settings choose, and how the regions are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.adapters.local.models import InProcessModelClient
from shared.bootstrap import bootstrap
from shared.forecasting import forecaster
from shared.services import ai
from shared.settings import Settings


@pytest.mark.parametrize(
    ("raw", "regions"),
    [
        ("us-east-1,sa-east-1", ["us-east-1", "sa-east-1"]),
        (" sa-east-1 , us-east-1 ,", ["sa-east-1", "us-east-1"]),
        ('["us-east-1"]', ["us-east-1"]),
        ("", []),
    ],
)
def test_given_regions_in_the_environment_when_read_then_in_their_order(
    monkeypatch: pytest.MonkeyPatch, raw: str, regions: list[str]
) -> None:
    monkeypatch.setenv("FLUXO_MODEL_REGIONS", raw)

    assert Settings().model_regions == regions


def test_given_a_timeout_of_zero_when_read_then_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUXO_MODEL_TIMEOUT_SECONDS", "0")

    with pytest.raises(ValidationError):
        Settings()


def test_given_no_endpoint_when_bootstrapped_then_the_models_run_in_process(
    tmp_path: Path,
) -> None:
    container = bootstrap(Settings(home=tmp_path, model_directory=tmp_path / "models"))
    try:
        client = container.model_client
        assert isinstance(client, InProcessModelClient)
        assert client.models.directory == tmp_path / "models"
    finally:
        container.close()


def test_the_api_s_horizon_limit_is_the_forecaster_s() -> None:
    assert ai.MAX_HORIZON_DAYS == forecaster.MAX_HORIZON_DAYS
