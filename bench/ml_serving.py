"""Forecast latency of the model server over HTTP, next to the same call in-process.

A held-out demo household (``ml.households``: never trained on) is forecast 30 days ahead, one
request at a time, the way the ``ai`` Lambda asks for one person's forecast. The server is
started as its own process (``python -m ml.serving``, what the image runs) on a free port and
spoken to over one kept-alive HTTP connection, so the numbers include JSON both ways and the
HTTP handling, as an endpoint's ``ModelLatency`` does (SageMaker's own hop is not included).
The in-process numbers are ``shared.forecasting.invocation.invoke`` in this process: what the
embedded server pays; their CPU time is printed too, the figure that does not move when other
work shares the machine.

Usage: ``python -m bench.ml_serving [--requests 300] [--months 12]``. Last line:
``forecast_p50_ms=… forecast_p95_ms=…`` (over HTTP).
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from ml.households import households, lines_of
from shared.forecasting.invocation import Models, invoke
from shared.forecasting.lines import lines_to_json

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 10, 31)
WARMUP = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--months", type=int, default=12, help="History of the household.")
    args = parser.parse_args()

    household = households(5, args.months).held_out[0]
    lines = lines_of(household)
    payload = {
        "model": "forecast",
        "today": TODAY.isoformat(),
        "horizon_days": 30,
        "balance": "2500.00",
        "lines": lines_to_json(lines),
    }
    body = json.dumps(payload).encode()
    size = len(body) / 1024
    print(f"household: {len(lines)} lines over {args.months} months, payload {size:.0f} KB")

    models = Models()
    started = time.perf_counter()
    models.forecaster()
    print(f"model load: {(time.perf_counter() - started) * 1000:.0f} ms")
    cpu: list[float] = []

    def in_process_call() -> Any:
        started = time.process_time()
        answer = invoke(json.loads(body), models=models)
        cpu.append((time.process_time() - started) * 1000)
        return answer

    in_process = _timed(in_process_call, args.requests)
    cpu = cpu[WARMUP:]
    # CPU time does not grow when other processes share the cores; wall time does.
    print(f"in_process_cpu_p50_ms={_p50(cpu):.2f} in_process_cpu_p95_ms={_p95(cpu):.2f}")
    print(f"in_process_p50_ms={_p50(in_process):.2f} in_process_p95_ms={_p95(in_process):.2f}")

    with _server() as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}

        def call() -> Any:
            connection.request("POST", "/invocations", body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{answer.status}: {content[:300]!r}")
            return json.loads(content)

        over_http = _timed(call, args.requests)
        connection.close()
    print(f"forecast_p50_ms={_p50(over_http):.2f} forecast_p95_ms={_p95(over_http):.2f}")


def _timed(call: Callable[[], Any], count: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _p50(values: list[float]) -> float:
    return statistics.median(values)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


class _server:  # noqa: N801 - reads as a context manager
    """``python -m ml.serving`` on a free port until the end of the ``with``."""

    def __enter__(self) -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "ml.serving", "--host", "127.0.0.1", "--port"]
        self.process = subprocess.Popen(
            [*command, str(self.port)], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/ping")
                if connection.getresponse().status == 200:
                    connection.close()
                    return self.port
                connection.close()
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("the model server did not answer /ping with 200")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        errors = [line for line in self.log.read().decode().splitlines() if " ERROR " in line]
        self.log.close()
        for line in errors:
            print(f"server: {line}")


if __name__ == "__main__":
    main()
