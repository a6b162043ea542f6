"""Cold-start import time of the ``ai`` Lambda's handler (``functions.ai.handler``).

Each run is a fresh interpreter that imports the handler module, the way a Lambda's init phase
does, and reports how long the import took and whether a model runtime came with it: the
handler must load neither TensorFlow nor onnxruntime (forecasts come from the model endpoints),
and its import must stay under ``LIMIT_MS``.

Usage: ``python -m bench.ai_import [--runs 15]``. Last line:
``ai_import_ms_p50=… ai_import_ms_max=…``; exits with an error when a model runtime was imported
or the limit was passed.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import statistics
import subprocess
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MS = 500.0
FORBIDDEN = ("tensorflow", "onnxruntime")
WATCHED = (*FORBIDDEN, "numpy", "holidays", "boto3", "sqlalchemy", "fastapi")
REFERENCE = "functions.transactions.handler"
"""Imported in the same runs for comparison: a context without models, on the same machine."""
FLOOR = "fastapi, mangum, pydantic_settings, sqlalchemy.orm, psycopg"
"""The libraries every API function of this design imports (FastAPI behind Mangum, settings,
the ORM and the PostgreSQL driver), alone: what no handler can import faster than."""
PROBE = """
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
import {module}
elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
loaded = [m for m in {watched!r} if m in sys.modules]
print(json.dumps({{"ms": elapsed, "cpu_ms": cpu, "loaded": loaded}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    timings: list[float] = []
    cpu: list[float] = []
    reference: list[float] = []
    floor: list[float] = []
    loaded: set[str] = set()
    for _ in range(args.runs):  # interleaved: both see the same load on the machine
        run = _import("functions.ai.handler")
        timings.append(run["ms"])
        cpu.append(run["cpu_ms"])
        loaded.update(run["loaded"])
        reference.append(_import(REFERENCE)["ms"])
        floor.append(_import(FLOOR)["ms"])
    print(f"loaded with the handler: {', '.join(sorted(loaded))}")
    print(f"{REFERENCE}: p50 {statistics.median(reference):.0f} ms, max {max(reference):.0f} ms")
    print(f"the libraries alone ({FLOOR}): p50 {statistics.median(floor):.0f} ms")
    print(
        f"the ai handler above them: {statistics.median(timings) - statistics.median(floor):.0f} ms"
    )
    # CPU time does not grow when other processes share the cores; wall time does.
    print(f"ai_import_cpu_ms_p50={statistics.median(cpu):.0f} ai_import_cpu_ms_max={max(cpu):.0f}")
    p50, worst = statistics.median(timings), max(timings)
    print(f"ai_import_ms_p50={p50:.0f} ai_import_ms_max={worst:.0f}")
    forbidden = loaded & set(FORBIDDEN)
    if forbidden:
        raise SystemExit(f"the ai handler imported {', '.join(sorted(forbidden))}")
    if worst >= LIMIT_MS:
        raise SystemExit(f"the ai handler took {worst:.0f} ms to import (limit {LIMIT_MS:.0f})")


def _import(module: str) -> dict[str, Any]:
    probe = PROBE.format(module=module, watched=WATCHED)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    run: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return run


if __name__ == "__main__":
    main()
