"""A server in a subprocess on a free port, for tests that talk to it over real HTTP.

``ServerProcess`` picks a free port, spawns the command for it, waits until a health URL answers
200 and keeps the server's output in a file, to show when something fails::

    def command(host: str, port: int) -> list[str]:
        return ["server", "--host", host, "--port", str(port)]

    with ServerProcess(command, health_path="/health") as server:
        httpx.get(f"{server.url}/things")
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# A free port can be taken between probing and binding; another try almost always works.
ATTEMPTS = 3


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer its health URL in time; ``output`` says why."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


class ServerProcess:
    """``command(host, port)`` in a subprocess until ``close()`` (or the end of a ``with``).

    ``stop()`` ends it as a person would (``stop_signal``) and returns the exit code; ``close()``
    ends whatever still runs and lets go of the output file. ``output()`` works until then.
    """

    def __init__(
        self,
        command: Callable[[str, int], Sequence[str]],
        *,
        health_path: str,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        startup_timeout: float = 30.0,
        stop_signal: int = signal.SIGTERM,
        stop_timeout: float = 5.0,
    ) -> None:
        self.command = command
        self.health_path = health_path
        self.host = host
        self.env = env
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Self:
        """Spawn the server and wait until it is healthy; another port if the first was taken."""
        if self.running:
            return self
        for _ in range(ATTEMPTS):
            self.port = _free_port(self.host)
            self._spawn()
            if self._wait_until_healthy():
                return self
            output = self.output()
            self.kill()
            if "address already in use" not in output.lower():
                break
        name = Path(self.command(self.host, self.port)[0]).name
        raise ServerDidNotStart(
            f"{name} did not answer {self.health_path}:\n{output[-4000:]}", output
        )

    def stop(self) -> int:
        """Send ``stop_signal`` and return the exit code; kills it and raises if it lingers."""
        process = self.process
        assert process is not None, "the server is not running"
        process.send_signal(self.stop_signal)
        try:
            return process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=self.stop_timeout)

    def output(self) -> str:
        """All the server wrote to stdout and stderr so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.TimeoutExpired):  # stop() has killed it
                self.stop()
        self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _spawn(self) -> None:
        if self._log is not None:
            self._log.close()
        # A file, not a pipe: nobody reads a pipe while the tests run, and a full one blocks.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.process = subprocess.Popen(
            [*self.command(self.host, self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
        )

    def _wait_until_healthy(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                return False
            # Refused, timed out or an HTTPError (any status but 2xx) are all OSErrors: not yet.
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}{self.health_path}", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return True
            time.sleep(0.05)
        return False


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
