"""Reaching another region's model endpoint from isolated subnets, through a relay function.

The ``ai`` API runs in subnets with no route out: its own region's SageMaker endpoint answers
through the SageMaker Runtime interface endpoint, but the other region's cannot be reached from
there. A small function outside the VPC in the same region (``functions/ai/relay.py``, reached
through the Lambda interface endpoint) calls the other region's endpoint on its behalf.

``RelayedRuntime`` looks like a ``sagemaker-runtime`` client to ``SageMakerModelClient``, so the
failover order, demotion and error mapping stay in one place; ``relay`` is what the function
runs. The relay answers a JSON object: ``{"status": 200, "body": …}``, or the error the endpoint
gave (``code``, ``message`` and, for the container's own refusals, ``original_status`` and
``original_message``), which ``RelayedRuntime`` raises again as the ``ClientError`` the runtime
client would have raised.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

RELAY_FAILED = "RelayFailed"
"""The error code of a relay that could not answer at all (its own error, a bad request)."""


class RelayedRuntime:
    """``invoke_endpoint`` of ``region`` through the relay function ``function_name``."""

    def __init__(self, lambda_client: Any, function_name: str, region: str) -> None:
        self._lambda = lambda_client
        self._function = function_name
        self.region = region

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        body = request["Body"]
        event = {
            "region": self.region,
            "endpoint": request["EndpointName"],
            "custom_attributes": request.get("CustomAttributes"),
            "body": body.decode() if isinstance(body, bytes) else str(body),
        }
        response = self._lambda.invoke(
            FunctionName=self._function, Payload=json.dumps(event).encode()
        )
        raw = response["Payload"].read()
        if response.get("FunctionError"):
            raise _client_error(RELAY_FAILED, raw.decode(errors="replace")[:500])
        try:
            answer = json.loads(raw)
        except ValueError:
            raise _client_error(RELAY_FAILED, "the relay's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise _client_error(RELAY_FAILED, "the relay's answer is not a JSON object")
        if answer.get("status") == 200 and isinstance(answer.get("body"), str):
            return {"Body": io.BytesIO(answer["body"].encode())}
        raise _client_error(
            str(answer.get("code") or RELAY_FAILED),
            str(answer.get("message") or ""),
            original_status=answer.get("original_status"),
            original_message=answer.get("original_message"),
        )


def relay(
    event: Mapping[str, Any],
    runtime_for: Callable[[str], Any],
    *,
    endpoint: str,
    regions: frozenset[str],
) -> dict[str, Any]:
    """Calls ``endpoint`` in the event's region and answers what it said. Only ``endpoint``, in
    one of ``regions``, is relayed: the function is no open door to any endpoint its role might
    reach."""
    region, body = event.get("region"), event.get("body")
    if event.get("endpoint") != endpoint or region not in regions:
        return _failed(f"only {endpoint} in {', '.join(sorted(regions))} is relayed")
    if not isinstance(body, str):
        return _failed("body: the payload as a JSON string")
    attributes = event.get("custom_attributes")
    try:
        answer = runtime_for(str(region)).invoke_endpoint(
            EndpointName=endpoint,
            ContentType="application/json",
            Accept="application/json",
            Body=body.encode(),
            **({"CustomAttributes": str(attributes)} if attributes else {}),
        )
        return {"status": 200, "body": answer["Body"].read().decode()}
    except ClientError as error:
        details = error.response.get("Error", {})
        return {
            "status": "error",
            "code": details.get("Code", "error"),
            "message": details.get("Message", ""),
            "original_status": error.response.get("OriginalStatusCode"),
            "original_message": error.response.get("OriginalMessage"),
        }
    except (BotoCoreError, UnicodeDecodeError) as error:  # timeouts, connection
        return _failed(f"{type(error).__name__}: {error}")


def _failed(message: str) -> dict[str, Any]:
    return {"status": "error", "code": RELAY_FAILED, "message": message}


def _client_error(
    code: str,
    message: str,
    *,
    original_status: object = None,
    original_message: object = None,
) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message}}
    if original_status is not None:
        response["OriginalStatusCode"] = original_status
        response["OriginalMessage"] = original_message
    return ClientError(response, "InvokeEndpoint")


class RelaySettings(BaseSettings):
    """The relay function's whole configuration. Not ``shared.settings.Settings``: the relay
    runs outside the VPC with no database, identity or lake, which those settings require in
    AWS."""

    model_config = SettingsConfigDict(env_prefix="FLUXO_", extra="ignore", frozen=True)

    model_endpoint: str = Field(description="The endpoint relayed, the same name in each region.")
    model_region: str = Field(description="The region whose endpoint is relayed (the other one).")
    model_timeout_seconds: float = Field(default=4.0, gt=0, le=60)
    model_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60)


def relay_from_settings(settings: RelaySettings) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The relay of ``settings``, with the model client's timeouts (one attempt)."""
    import boto3

    from shared.adapters.aws.sagemaker import client_config

    config = client_config(settings.model_connect_timeout_seconds, settings.model_timeout_seconds)
    client = boto3.client("sagemaker-runtime", region_name=settings.model_region, config=config)
    endpoint, regions = settings.model_endpoint, frozenset({settings.model_region})
    return lambda event: relay(event, lambda _region: client, endpoint=endpoint, regions=regions)
