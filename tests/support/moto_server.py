"""A moto server in a subprocess, for tests that talk to AWS APIs over real HTTP.

Usage in a test module or conftest::

    from tests.support.moto_server import moto_server_fixture

    moto_server = moto_server_fixture()          # session-scoped, one server per xdist worker

    def test_something(moto_server):
        s3 = moto_server.client("s3")
        ...

or, outside pytest, ``with MotoServer() as server: ...``. ``reset()`` clears every service's state.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import boto3
import pytest

REGION = "us-east-1"
# Fake credentials: botocore refuses to sign without some, and real ones must never reach moto.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class MotoServerError(RuntimeError):
    pass


class MotoServer:
    """Runs ``moto.server`` on a free 127.0.0.1 port until ``stop()`` (or the end of a ``with``)."""

    def __init__(self, *, host: str = "127.0.0.1", startup_timeout: float = 30.0) -> None:
        self.host = host
        self.port = 0
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        if self._process is None:
            raise MotoServerError("the moto server is not running")
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 (in this or another process) at this server."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def start(self) -> MotoServer:
        if self._process is not None:
            return self
        # A free port can be taken between probing and binding; a second try almost always works.
        output = b""
        for _ in range(3):
            self.port = _free_port(self.host)
            self._spawn()
            if self._wait_until_up():
                return self
            output = self._output()
            self.stop()
        raise MotoServerError(f"moto server did not start:\n{output.decode(errors='replace')}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def reset(self) -> None:
        """Forget every bucket, queue, pool… so the next test starts from nothing."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def client(self, service: str, *, region: str = REGION, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` on this server, with the fake credentials."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
            **kwargs,
        )

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self) -> None:
        # Output goes to a file, not a pipe: nobody reads a pipe during the tests, and a full one
        # would block the server mid-request.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._process = subprocess.Popen(
            [*_command(), "-H", self.host, "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )

    def _output(self) -> bytes:
        if self._log is None:
            return b""
        self._log.seek(0)
        data: bytes = self._log.read()[-4000:]
        return data

    def _wait_until_up(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1):
                    return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        return False


def _command() -> list[str]:
    # The script beside the interpreter is the same moto in the same virtualenv; ``-m`` is the
    # fallback where it was not installed as a script.
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "moto.server"]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def moto_server_fixture(
    scope: Any = "session", *, name: str = "moto_server"
) -> Callable[..., Iterator[MotoServer]]:
    """A pytest fixture that starts one server for ``scope`` and puts fake AWS credentials in the
    environment meanwhile, so clients built by the code under test can never reach real AWS.

    Assign the result to a module-level name (that name is the fixture's name in tests).
    """

    @pytest.fixture(scope=scope, name=name)
    def _fixture() -> Iterator[MotoServer]:
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in CREDENTIALS.items():
                patch.setenv(variable, value)
            with MotoServer() as server:
                yield server

    return _fixture
