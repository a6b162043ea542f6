"""The serving image without Docker: its build context (``serving_context``) and nothing but the
packages of ``ml/serving/requirements.txt`` and what they require, run as the image runs it."""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from collections.abc import Iterator
from importlib.metadata import Distribution, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ml.households import households, lines_of
from shared.forecasting.lines import lines_to_json
from stacks.packaging import serving_context
from tests.support.processes import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "ml" / "serving" / "requirements.txt"
DOCKERFILE = ROOT / "ml" / "serving" / "Dockerfile"


def _pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name] = version
    return pins


def _closure(names: list[str]) -> list[Distribution]:
    """The distributions and, transitively, what they require (extras left out)."""
    seen: dict[str, Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        found = distribution(name)
        seen[key] = found
        for raw in found.requires or []:
            requirement = Requirement(raw)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(seen.values())


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    staging = tmp_path_factory.mktemp("image")
    context = serving_context(staging)
    site = staging / "site"
    site.mkdir()
    for installed in _closure(list(_pins())):
        for file in installed.files or []:
            top = file.parts[0]
            if top == ".." or (site / top).exists():
                continue
            (site / top).symlink_to(Path(str(installed.locate_file(top))))

    def command(host: str, port: int) -> list[str]:
        # -S: no site-packages; the context and the requirements are all there is, as in the image.
        return [sys.executable, "-S", "-m", "ml.serving", "--host", host, "--port", str(port)]

    env = {"PYTHONPATH": f"{context}:{site}", "PYTHONDONTWRITEBYTECODE": "1"}
    with ServerProcess(command, health_path="/ping", cwd=context, env=env) as server:
        yield server


def test_the_pinned_versions_are_the_ones_the_artefacts_were_checked_with() -> None:
    for name, version in _pins().items():
        assert distribution(name).version == version, name


def test_the_image_installs_the_requirements_and_runs_serve() -> None:
    dockerfile = DOCKERFILE.read_text()

    assert "COPY ml/serving/requirements.txt" in dockerfile
    assert "pip install --requirement requirements.txt" in dockerfile
    assert re.search(r'^CMD \["serve"\]$', dockerfile, re.MULTILINE)
    assert "exec python -m ml.serving" in dockerfile


def test_given_only_the_image_s_packages_when_forecasting_then_it_answers(
    image: ServerProcess,
) -> None:
    household = households(5, 6).held_out[0]
    payload = {
        "model": "forecast",
        "today": "2026-10-31",
        "horizon_days": 7,
        "balance": "100.00",
        "lines": lines_to_json(lines_of(household)),
    }
    for model, key in (("forecast", "days"), ("anomalies", "anomalies")):
        request = urllib.request.Request(
            f"{image.url}/invocations",
            data=json.dumps({**payload, "model": model}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 200
            assert key in json.loads(answer.read())
