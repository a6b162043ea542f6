"""``fluxo search reindex`` rebuilds the search index of every workspace, or of one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import fluxo_environment, fluxo_executable


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _fluxo(home: Path, *args: str) -> str:
    completed = subprocess.run(
        [fluxo_executable(), *args],
        capture_output=True,
        text=True,
        cwd=home.parent,
        env=fluxo_environment(home),
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_reindex_rebuilds_every_workspace_then_one(home: Path) -> None:
    _fluxo(home, "migrate")
    demo = _fluxo(home, "demo", "--months", "1")
    loaded = re.search(r"demo workspace (\S+) for \S+: (\d+) transactions loaded", demo)
    assert loaded, demo
    tenant, count = loaded.group(1), int(loaded.group(2))

    everything = _fluxo(home, "search", "reindex")
    one = _fluxo(home, "search", "reindex", "--tenant", tenant)

    assert f"{tenant}: {count} transaction(s) indexed" in everything
    assert one.strip() == f"{tenant}: {count} transaction(s) indexed"


def test_reindex_has_help(home: Path) -> None:
    output = _fluxo(home, "search", "reindex", "--help")

    assert "Usage: fluxo search reindex" in output
    assert "--tenant" in output
