"""bench/dashboard.py at a small size: it loads, rolls up, compares every answer of the rollups
and of the snapshots with a GROUP BY over the transactions (it raises if one differs) and ends
with its summary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.databases import postgres_server_url

ROOT = Path(__file__).resolve().parents[3]
SUMMARY = re.compile(
    r"p50_ms=(\d+\.\d\d) p95_ms=(\d+\.\d\d) naive_p95_ms=(\d+\.\d\d) speedup=(\d+\.\d)"
)


def test_the_small_benchmark_agrees_with_the_raw_rows_and_prints_its_summary():
    run = subprocess.run(
        [
            sys.executable, str(ROOT / "bench" / "dashboard.py"),
            "--users", "12", "--per-user", "240", "--operator-rows", "3000",
            "--requests", "30", "--operator-requests", "4", "--url", postgres_server_url(),
        ],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert "answers compared: 30 (all equal)" in lines
    assert any(line.startswith("operator workspace (3,000 transactions): ") for line in lines)
    summary = SUMMARY.fullmatch(lines[-1])
    assert summary, lines[-1]
    p50, p95, naive_p95, speedup = (float(value) for value in summary.groups())
    assert 0 < p50 <= p95
    # Printed from unrounded figures: within what rounding each to 0.01 ms allows.
    half = 0.005
    assert (naive_p95 - half) / (p95 + half) - 0.05 <= speedup
    assert speedup <= (naive_p95 + half) / (p95 - half) + 0.05
