"""The model server as SageMaker runs it: a real process on a free port, spoken to over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ml.households import households, lines_of
from shared.forecasting.forecaster import DEFAULT_DIRECTORY
from shared.forecasting.invocation import Models, invoke
from shared.forecasting.lines import lines_to_json
from tests.support.processes import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 10, 31)
ANY_ANSWER_TIMEOUT = 30.0


class _AnyAnswer(ServerProcess):
    """Ready once it answers at all: without its models the server answers /ping with 503."""

    def _wait_until_healthy(self) -> bool:
        deadline = time.monotonic() + ANY_ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}{self.health_path}", timeout=2):
                    return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                time.sleep(0.05)
        return False


def _server_command(models: Path) -> Any:
    def command(host: str, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "ml.serving",
            "--host",
            host,
            "--port",
            str(port),
            "--models",
            str(models),
        ]

    return command


def _call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers["Content-Type"], json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def _post(url: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    return _call(f"{url}/invocations", "POST", json.dumps(payload).encode(), headers)


@pytest.fixture(scope="module")
def held_out_payload() -> dict[str, Any]:
    household = households(5, 6).held_out[0]
    return {
        "model": "forecast",
        "today": TODAY.isoformat(),
        "horizon_days": 30,
        "balance": "2500.00",
        "lines": lines_to_json(lines_of(household)),
    }


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose models folder holds no artefact."""
    empty = tmp_path_factory.mktemp("no-models")
    with _AnyAnswer(_server_command(empty), health_path="/ping", cwd=ROOT) as server:
        yield server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A server of the shipped artefacts (ml/artifacts)."""
    with ServerProcess(_server_command(DEFAULT_DIRECTORY), health_path="/ping", cwd=ROOT) as up:
        yield up


def test_given_no_artefact_when_pinged_then_503_with_the_reason(
    empty_server: ServerProcess,
) -> None:
    status, content_type, body = _call(f"{empty_server.url}/ping")

    assert status == 503
    assert content_type == "application/problem+json"
    assert "forecast" in body["models"]
    assert "no trained forecaster" in body["detail"]


def test_given_no_artefact_when_forecasting_then_503_and_a_log_line(
    empty_server: ServerProcess, held_out_payload: dict[str, Any]
) -> None:
    status, _, body = _post(empty_server.url, held_out_payload)

    assert status == 503
    assert body["model"] == "forecaster"
    assert "invocation: model 'forecaster' is unavailable" in empty_server.output()


def test_given_no_forecaster_when_asking_for_anomalies_then_they_still_answer(
    empty_server: ServerProcess,
) -> None:
    payload = {"today": "2026-10-31", "lines": [{"id": "x", "date": "2026-10-30", "amount": "-5"}]}

    status, _, body = _post(
        empty_server.url, payload, {"X-Amzn-SageMaker-Custom-Attributes": "model=anomalies"}
    )

    assert status == 200
    assert isinstance(body["anomalies"], list)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", "body"),
        (b'{"model": "chat", "today": "2026-10-31", "lines": []}', "model"),
        (b'{"model": "forecast", "today": "amanha", "balance": "1", "lines": []}', "today"),
        (b'{"model": "anomalies", "today": "2026-10-31", "lines": [{"id": "a"}]}', "lines[0].date"),
    ],
)
def test_given_a_malformed_payload_when_invoked_then_400_naming_the_field(
    empty_server: ServerProcess, body: bytes, where: str
) -> None:
    status, content_type, problem = _call(f"{empty_server.url}/invocations", "POST", body)

    assert status == 400
    assert content_type == "application/problem+json"
    assert problem["where"] == where
    assert problem["reason"]


def test_given_unknown_paths_when_called_then_404_and_the_server_lives_on(
    empty_server: ServerProcess,
) -> None:
    assert _call(f"{empty_server.url}/models")[0] == 404
    assert _call(f"{empty_server.url}/predict", "POST", b"{}")[0] == 404
    assert _call(f"{empty_server.url}/ping")[0] == 503
    assert empty_server.running


def test_given_the_shipped_models_when_pinged_then_200(server: ServerProcess) -> None:
    assert _call(f"{server.url}/ping")[0] == 200


def test_given_a_held_out_household_when_forecasting_over_http_then_the_same_answer_as_in_process(
    server: ServerProcess, held_out_payload: dict[str, Any]
) -> None:
    status, content_type, body = _post(server.url, held_out_payload)

    assert status == 200
    assert content_type == "application/json"
    assert len(body["days"]) == 30
    assert body["today"] == "2026-10-31"
    assert body == invoke(held_out_payload, models=Models())


def test_given_the_model_in_the_attributes_when_forecasting_then_it_answers(
    server: ServerProcess, held_out_payload: dict[str, Any]
) -> None:
    payload = {key: value for key, value in held_out_payload.items() if key != "model"}

    status, _, body = _post(
        server.url, payload, {"X-Amzn-SageMaker-Custom-Attributes": "model=forecast"}
    )

    assert status == 200
    assert body["horizon_days"] == 30


def test_given_a_horizon_out_of_range_when_forecasting_then_400_at_horizon_days(
    server: ServerProcess, held_out_payload: dict[str, Any]
) -> None:
    status, _, problem = _post(server.url, {**held_out_payload, "horizon_days": 365})

    assert (status, problem["where"]) == (400, "horizon_days")


def test_given_sigterm_when_serving_then_it_stops_cleanly(tmp_path: Path) -> None:
    with _AnyAnswer(_server_command(tmp_path), health_path="/ping", cwd=ROOT) as server:
        assert server.stop() == 0
        assert "model server stopped" in server.output()


def test_given_the_cli_when_serving_then_the_same_server_answers(tmp_path: Path) -> None:
    fluxo = Path(sys.executable).with_name("fluxo")

    def command(host: str, port: int) -> list[str]:
        return [
            str(fluxo),
            "ml",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--models",
            str(tmp_path),
        ]

    with _AnyAnswer(command, health_path="/ping", cwd=ROOT) as server:
        status, _, body = _call(f"{server.url}/ping")
    assert status == 503
    assert str(tmp_path) in body["detail"]


SERVING_IMPORTS = """
import json, sys
from ml.serving.server import ModelServer
from shared.forecasting.invocation import Models, invoke
payload = json.loads(sys.stdin.read())
models = Models()
invoke(payload, models=models)
invoke({**payload, "model": "anomalies", "judge": None}, models=models)
roots = {name.split(".")[0] for name in sys.modules}
print(json.dumps(sorted(roots - set(sys.stdlib_module_names))))
"""
# numpy, onnxruntime and holidays (ml/serving/requirements.txt) and what they import themselves.
SERVING_DEPENDENCIES = {
    "numpy",
    "onnxruntime",
    "holidays",
    "dateutil",
    "six",
    "google",
    "flatbuffers",
    "packaging",
    "coloredlogs",
    "humanfriendly",
    "sympy",
    "mpmath",
}
PROJECT = {"ml", "shared", "events"}


def test_given_a_forecast_and_anomalies_when_served_then_only_the_image_s_packages_are_imported(
    held_out_payload: dict[str, Any],
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVING_IMPORTS],
        input=json.dumps(held_out_payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    imported = {
        name
        for name in json.loads(result.stdout.strip().splitlines()[-1])
        # The interpreter's own and the editable install's hooks, not the code's imports.
        if name not in {"__main__", "_distutils_hack"} and not name.startswith("__editable__")
    }
    assert imported - PROJECT <= SERVING_DEPENDENCIES, imported - PROJECT - SERVING_DEPENDENCIES
    requirements = (ROOT / "ml" / "serving" / "requirements.txt").read_text()
    for package in imported & {"numpy", "onnxruntime", "holidays"}:
        assert f"{package}==" in requirements
