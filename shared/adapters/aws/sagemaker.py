"""The model client on AWS: the SageMaker endpoint of the primary region, then the secondary's.

Each region is asked once (the SDK's own retries are off: a second region is the retry, and
retrying a slow endpoint only makes a slow answer slower). A region that failed is asked last
for a short while afterwards, so an outage costs its timeout once rather than on every request.
A payload the model refused (the container's 400) is the caller's mistake: it is raised as
``InvalidInvocation`` at once, since the other region would refuse it the same way.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.forecasting.errors import InvalidInvocation, ModelUnavailable

_log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"
DEMOTION_SECONDS = 30.0
"""How long a region that failed is asked after the others."""


@dataclass(frozen=True)
class RegionalEndpoint:
    region: str
    client: Any
    """A boto3 ``sagemaker-runtime`` client of that region (typed ``Any``: no boto3-stubs)."""


def client_config(connect_timeout: float, read_timeout: float) -> Any:
    """The botocore configuration of every runtime client: short timeouts, one attempt."""
    from botocore.config import Config

    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )


class SageMakerModelClient:
    def __init__(
        self,
        endpoint_name: str,
        endpoints: Sequence[RegionalEndpoint],
        *,
        clock: Callable[[], float] = time.monotonic,
        demotion_seconds: float = DEMOTION_SECONDS,
    ) -> None:
        if not endpoints:
            raise ValueError("at least one region's endpoint")
        self.endpoint_name = endpoint_name
        self._endpoints = tuple(endpoints)
        self._clock = clock
        self._demotion_seconds = demotion_seconds
        self._failed_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def invoke(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        model = str(payload.get("model", "?"))
        body = json.dumps(payload, default=str, separators=(",", ":")).encode()
        failures: list[str] = []
        for endpoint in self._in_order():
            try:
                answer = endpoint.client.invoke_endpoint(
                    EndpointName=self.endpoint_name,
                    ContentType=CONTENT_TYPE,
                    Accept=CONTENT_TYPE,
                    CustomAttributes=f"model={model}",
                    Body=body,
                )
                result = json.loads(answer["Body"].read())
            except ClientError as error:
                refused = _refused(error)
                if refused is not None:
                    raise refused from error
                failures.append(self._failed(endpoint, _describe(error)))
                continue
            except (BotoCoreError, ValueError) as error:  # timeouts, connection, bad JSON
                failures.append(self._failed(endpoint, f"{type(error).__name__}: {error}"))
                continue
            if not isinstance(result, dict):
                failures.append(self._failed(endpoint, "the answer is not a JSON object"))
                continue
            with self._lock:
                self._failed_at.pop(endpoint.region, None)
            return result
        raise ModelUnavailable(model, "; ".join(failures))

    def _in_order(self) -> list[RegionalEndpoint]:
        """Healthy regions first, in their configured order; recently failed ones after."""
        now = self._clock()
        with self._lock:
            demoted = {
                region
                for region, at in self._failed_at.items()
                if now - at < self._demotion_seconds
            }
        return sorted(self._endpoints, key=lambda endpoint: endpoint.region in demoted)

    def _failed(self, endpoint: RegionalEndpoint, reason: str) -> str:
        with self._lock:
            self._failed_at[endpoint.region] = self._clock()
        _log.warning(
            "model endpoint %s in %s failed: %s", self.endpoint_name, endpoint.region, reason
        )
        return f"{endpoint.region}: {reason}"


def _refused(error: ClientError) -> InvalidInvocation | None:
    """The container's own 400 comes back as a ``ModelError`` carrying its status and body."""
    response: Mapping[str, Any] = error.response
    if response.get("Error", {}).get("Code") != "ModelError":
        return None
    if str(response.get("OriginalStatusCode", "")) != "400":
        return None
    message = str(response.get("OriginalMessage") or response["Error"].get("Message", ""))
    try:
        problem = json.loads(message)
    except ValueError:
        return InvalidInvocation("payload", message or "refused by the model")
    if not isinstance(problem, dict):
        return InvalidInvocation("payload", message)
    return InvalidInvocation(
        str(problem.get("where", "payload")),
        str(problem.get("reason") or problem.get("detail") or message),
    )


def _describe(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'error')}: {details.get('Message', '')}".strip()
