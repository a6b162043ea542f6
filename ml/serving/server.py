"""The HTTP side of the model server (``ml.serving``): ``/ping`` and ``/invocations``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.invocation import ATTRIBUTES_HEADER, Models, invoke, model_from_attributes

_log = logging.getLogger("ml.serving")

DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - inside its container, SageMaker reaches it from outside
DEFAULT_PORT = 8080
MAX_BODY_BYTES = 25 * 1024 * 1024
"""SageMaker's own limit on a real-time invocation's payload."""
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://docs.fluxo.dev/problems/"
"""The API's problem types (``shared.http.problems``), not imported: it needs FastAPI."""


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], models: Models) -> None:
        super().__init__(address, _Handler)
        self.models = models


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive: the SageMaker front end and the benchmarks reuse their connections.
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes; with Nagle's algorithm the body's last segment waits
    # for the client's delayed ACK of the headers, 40 ms on Linux, on every answer.
    disable_nagle_algorithm = True
    server: ModelServer
    server_version = "fluxo-models"
    sys_version = ""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/ping":
            self._problem(HTTPStatus.NOT_FOUND, "not-found", f"no {self.path} here")
            return
        problems = self.server.models.check()
        if problems:
            reasons = "; ".join(f"{model}: {reason}" for model, reason in problems.items())
            _log.error("ping: unavailable: %s", reasons)
            self._problem(HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", reasons, models=problems)
            return
        self._send(HTTPStatus.OK, b'{"status":"ok"}', "application/json")

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/invocations":
            self._discard_body()
            self._problem(HTTPStatus.NOT_FOUND, "not-found", f"no {self.path} here")
            return
        started = time.perf_counter()
        try:
            payload = self._payload()
            model = model_from_attributes(self.headers.get(ATTRIBUTES_HEADER))
            answer = invoke(payload, model=model, models=self.server.models)
        except _BodyRefused as refused:
            self._problem(refused.status, refused.slug, refused.detail)
            return
        except InvalidInvocation as error:
            self._problem(
                HTTPStatus.BAD_REQUEST,
                "invalid-invocation",
                str(error),
                where=error.where,
                reason=error.reason,
            )
            return
        except ModelUnavailable as error:
            _log.error("invocation: %s", error)
            self._problem(
                HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", str(error), model=error.model
            )
            return
        except Exception:  # one bad request must not take the server down
            _log.exception("invocation failed")
            self._problem(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "the model failed; it was logged"
            )
            return
        body = json.dumps(answer, separators=(",", ":"), default=str).encode()
        self._send(HTTPStatus.OK, body, "application/json")
        _log.debug("invocation answered in %.1f ms", (time.perf_counter() - started) * 1000)

    def _payload(self) -> Any:
        length = self._length()
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            raise _BodyRefused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "body-too-large",
                f"the payload is larger than {MAX_BODY_BYTES} bytes",
            )
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInvocation("body", f"not JSON: {error}") from None

    def _length(self) -> int:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise _BodyRefused(
                HTTPStatus.LENGTH_REQUIRED, "length-required", "send a valid Content-Length"
            )
        return length

    def _discard_body(self) -> None:
        try:
            length = self._length()
        except _BodyRefused:
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return
        self.rfile.read(length)

    def _problem(self, status: HTTPStatus, slug: str, detail: str, **extra: Any) -> None:
        body: dict[str, Any] = {
            "type": TYPE_BASE + slug,
            "title": status.phrase,
            "status": int(status),
            "detail": detail,
            **extra,
        }
        self._send(status, json.dumps(body, default=str).encode(), PROBLEM_JSON)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Errors are logged where they are handled; a line per ping would drown them."""


class _BodyRefused(Exception):
    def __init__(self, status: HTTPStatus, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, directory: Path | None = None
) -> None:
    """Loads the models, then answers until SIGTERM (how SageMaker and ``docker stop`` end
    a container) or Ctrl-C. A model that cannot load does not stop it: ``/ping`` says why."""
    models = Models(directory)
    problems = models.check()
    for model, reason in problems.items():
        _log.error("model %s unavailable: %s", model, reason)
    server = ModelServer((host, port), models)
    signal.signal(signal.SIGTERM, _stop)
    _log.info("model server on http://%s:%d (models: %s)", host, port, _loaded(problems))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        _log.info("model server stopped")


def _loaded(problems: Mapping[str, str]) -> str:
    return "all loaded" if not problems else "unavailable: " + ", ".join(problems)


def _stop(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="serve", description="The model server (SageMaker).")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--models", type=Path, default=None, help="Folder of the artefacts; ml/artifacts."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(message)s"
    )
    serve(args.host, args.port, args.models)
