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
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.processes import ServerDidNotStart, ServerProcess

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
        self._server = ServerProcess(
            lambda host, port: [*_command(), "-H", host, "-p", str(port)],
            health_path="/moto-api/data.json",
            host=host,
            env={**os.environ, **CREDENTIALS},
            startup_timeout=startup_timeout,
        )

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def endpoint(self) -> str:
        if self._server.process is None:
            raise MotoServerError("the moto server is not running")
        return self._server.url

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 (in this or another process) at this server."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def start(self) -> MotoServer:
        try:
            self._server.start()
        except ServerDidNotStart as error:
            raise MotoServerError(f"moto server did not start:\n{error.output[-4000:]}") from error
        return self

    def stop(self) -> None:
        self._server.close()

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

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _command() -> list[str]:
    # The script beside the interpreter is the same moto in the same virtualenv; ``-m`` is the
    # fallback where it was not installed as a script.
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "moto.server"]


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
