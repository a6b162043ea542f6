"""The SageMaker model client against a moto server over HTTP: the primary region's endpoint,
then the secondary's when the primary is unreachable, slow or broken."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

from shared.adapters.aws.model_relay import RelayedRuntime, relay
from shared.adapters.aws.sagemaker import (
    RegionalEndpoint,
    SageMakerModelClient,
    client_config,
)
from shared.bootstrap import bootstrap
from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.settings import Settings
from tests.support.moto_server import CREDENTIALS, MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

ENDPOINT = "fluxo-test-models"
PRIMARY, SECONDARY = "us-east-1", "sa-east-1"
PAYLOAD = {"model": "forecast", "today": "2026-10-31", "balance": "10", "lines": []}


def _answer_from(server: MotoServer, region: str, body: dict[str, Any]) -> None:
    """Queues the answer the endpoints of ``region`` give next."""
    result = {"Body": json.dumps(body), "ContentType": "application/json"}
    response = requests.post(
        f"{server.endpoint}/moto-api/static/sagemaker/endpoint-results",
        json={"region": region, "results": [result]},
        timeout=10,
    )
    response.raise_for_status()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    moto_server.reset()
    return moto_server


@pytest.fixture
def refused_url() -> str:
    """An address where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """An address that accepts connections and never answers: reads time out."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield f"http://127.0.0.1:{silent.getsockname()[1]}"


def _runtime(server: MotoServer, region: str, url: str | None = None, read: float = 2.0) -> Any:
    """A runtime client of ``region`` on the moto server, or on ``url`` when given."""
    return boto3.client(
        "sagemaker-runtime",
        region_name=region,
        endpoint_url=url or server.endpoint,
        config=client_config(connect_timeout=1.0, read_timeout=read),
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def test_given_both_regions_up_when_invoking_then_the_primary_answers(moto: MotoServer) -> None:
    _answer_from(moto, PRIMARY, {"answered_by": PRIMARY})
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
        ],
    )

    assert client.invoke(PAYLOAD) == {"answered_by": PRIMARY}


def test_given_an_unreachable_primary_when_invoking_then_the_secondary_answers(
    moto: MotoServer, refused_url: str
) -> None:
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY, refused_url)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
        ],
    )

    assert client.invoke(PAYLOAD) == {"answered_by": SECONDARY}


def test_given_a_silent_primary_when_invoking_then_the_secondary_answers_after_one_timeout(
    moto: MotoServer, silent_url: str
) -> None:
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY, silent_url, read=0.5)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
        ],
    )

    started = time.monotonic()
    answer = client.invoke(PAYLOAD)
    elapsed = time.monotonic() - started

    assert answer == {"answered_by": SECONDARY}
    # One read timeout, not one per SDK retry.
    assert 0.5 <= elapsed < 1.5


def test_given_a_primary_that_just_failed_when_invoking_again_then_the_secondary_is_asked_first(
    moto: MotoServer, silent_url: str
) -> None:
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    now = [1000.0]
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY, silent_url, read=0.5)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
        ],
        clock=lambda: now[0],
        demotion_seconds=30,
    )
    client.invoke(PAYLOAD)

    started = time.monotonic()
    assert client.invoke(PAYLOAD) == {"answered_by": SECONDARY}
    assert time.monotonic() - started < 0.4  # the silent primary was not waited for

    now[0] += 31  # the demotion is over: the primary is asked first again
    started = time.monotonic()
    client.invoke(PAYLOAD)
    assert time.monotonic() - started >= 0.5


def test_given_no_region_answers_when_invoking_then_unavailable_with_each_reason(
    moto: MotoServer, refused_url: str, silent_url: str
) -> None:
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY, refused_url)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY, silent_url, read=0.3)),
        ],
    )

    with pytest.raises(ModelUnavailable) as raised:
        client.invoke(PAYLOAD)

    assert raised.value.model == "forecast"
    assert PRIMARY in raised.value.reason
    assert SECONDARY in raised.value.reason


def test_given_an_answer_that_is_not_json_when_invoking_then_the_next_region_answers(
    moto: MotoServer,
) -> None:
    requests.post(
        f"{moto.endpoint}/moto-api/static/sagemaker/endpoint-results",
        json={"region": PRIMARY, "results": [{"Body": "<html>502</html>"}]},
        timeout=10,
    ).raise_for_status()
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    client = SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY)),
            RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
        ],
    )

    assert client.invoke(PAYLOAD) == {"answered_by": SECONDARY}


def test_given_the_container_refuses_the_payload_then_invalid_and_the_secondary_is_not_asked(
    moto: MotoServer,
) -> None:
    primary = _runtime(moto, PRIMARY)
    secondary = _runtime(moto, SECONDARY)
    refusal = json.dumps({"status": 400, "where": "lines[3].date", "reason": "not a date"})
    with Stubber(primary) as stub_primary, Stubber(secondary) as stub_secondary:
        _model_error(
            stub_primary,
            400,
            refusal,
            f"Received client error (400) from primary with message {refusal}",
        )
        client = SageMakerModelClient(
            ENDPOINT,
            [RegionalEndpoint(PRIMARY, primary), RegionalEndpoint(SECONDARY, secondary)],
        )

        with pytest.raises(InvalidInvocation) as raised:
            client.invoke(PAYLOAD)

        stub_primary.assert_no_pending_responses()
        stub_secondary.assert_no_pending_responses()  # nothing was queued, nothing was asked
    assert (raised.value.where, raised.value.reason) == ("lines[3].date", "not a date")


def test_given_a_model_error_500_when_invoking_then_the_secondary_answers(
    moto: MotoServer,
) -> None:
    primary = _runtime(moto, PRIMARY)
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    with Stubber(primary) as stub:
        _model_error(stub, 500, "boom", "Received server error (500)")
        client = SageMakerModelClient(
            ENDPOINT,
            [
                RegionalEndpoint(PRIMARY, primary),
                RegionalEndpoint(SECONDARY, _runtime(moto, SECONDARY)),
            ],
        )

        assert client.invoke(PAYLOAD) == {"answered_by": SECONDARY}


def test_given_an_endpoint_in_settings_when_bootstrapped_then_the_regions_are_asked_in_order(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    _answer_from(moto, PRIMARY, {"answered_by": PRIMARY})
    settings = Settings(
        home=tmp_path,
        model_endpoint=ENDPOINT,
        model_regions=f"{SECONDARY},{PRIMARY}",  # as the stacks set it
    )
    container = bootstrap(settings)
    try:
        client = container.model_client
        assert isinstance(client, SageMakerModelClient)
        assert client.invoke(PAYLOAD) == {"answered_by": SECONDARY}
    finally:
        container.close()


# -- the other region through the relay function ------------------------------------------------


class _LambdaService:
    """Stands in for AWS Lambda: runs the relay function's code in this process, as the Lambda
    service would run it (moto runs functions in Docker, which this machine does not have)."""

    def __init__(self, server: MotoServer, *, crash: bool = False) -> None:
        self._server = server
        self._crash = crash
        self.events: list[dict[str, Any]] = []

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        assert FunctionName == RELAY
        event = json.loads(Payload)
        self.events.append(event)
        if self._crash:
            error = {"errorMessage": "Task timed out after 10.00 seconds"}
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(error).encode())}
        answer = relay(
            event,
            lambda region: _runtime(self._server, region),
            endpoint=ENDPOINT,
            regions=frozenset({SECONDARY}),
        )
        return {"Payload": io.BytesIO(json.dumps(answer).encode())}


RELAY = "fluxo-test-model-relay"


def _through_relay(moto: MotoServer, lambda_service: _LambdaService, refused_url: str) -> Any:
    return SageMakerModelClient(
        ENDPOINT,
        [
            RegionalEndpoint(PRIMARY, _runtime(moto, PRIMARY, refused_url)),
            RegionalEndpoint(SECONDARY, RelayedRuntime(lambda_service, RELAY, SECONDARY)),
        ],
    )


def test_given_an_unreachable_primary_when_invoking_then_the_secondary_answers_through_the_relay(
    moto: MotoServer, refused_url: str
) -> None:
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    lambda_service = _LambdaService(moto)

    answer = _through_relay(moto, lambda_service, refused_url).invoke(PAYLOAD)

    assert answer == {"answered_by": SECONDARY}
    [event] = lambda_service.events
    assert (event["region"], event["endpoint"]) == (SECONDARY, ENDPOINT)
    assert event["custom_attributes"] == "model=forecast"
    assert json.loads(event["body"]) == PAYLOAD


def test_given_the_relay_fails_when_invoking_then_unavailable_with_both_reasons(
    moto: MotoServer, refused_url: str
) -> None:
    client = _through_relay(moto, _LambdaService(moto, crash=True), refused_url)

    with pytest.raises(ModelUnavailable) as raised:
        client.invoke(PAYLOAD)

    assert f"{SECONDARY}: RelayFailed" in str(raised.value)
    assert "Task timed out" in str(raised.value)
    assert f"{PRIMARY}:" in str(raised.value)


def test_given_the_remote_container_refuses_through_the_relay_then_invalid_with_its_reason(
    moto: MotoServer, refused_url: str
) -> None:
    refusal = json.dumps({"status": 400, "where": "lines[0].amount", "reason": "not a number"})
    secondary = _runtime(moto, SECONDARY)
    with Stubber(secondary) as stub:
        _model_error(stub, 400, refusal, "Received client error (400)")
        event = {"region": SECONDARY, "endpoint": ENDPOINT, "body": json.dumps(PAYLOAD)}
        answer = relay(
            event, lambda _: secondary, endpoint=ENDPOINT, regions=frozenset({SECONDARY})
        )

    relayed = RelayedRuntime(_Canned(answer), RELAY, SECONDARY)
    client = SageMakerModelClient(ENDPOINT, [RegionalEndpoint(SECONDARY, relayed)])
    with pytest.raises(InvalidInvocation) as raised:
        client.invoke(PAYLOAD)
    assert (raised.value.where, raised.value.reason) == ("lines[0].amount", "not a number")


class _Canned:
    """A Lambda service whose function answered ``answer``."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self._answer = answer

    def invoke(self, **_request: Any) -> dict[str, Any]:
        return {"Payload": io.BytesIO(json.dumps(self._answer).encode())}


@pytest.mark.parametrize(
    "event",
    [
        {"region": SECONDARY, "endpoint": "someone-elses-endpoint", "body": "{}"},
        {"region": "eu-west-1", "endpoint": ENDPOINT, "body": "{}"},
        {"region": SECONDARY, "endpoint": ENDPOINT, "body": {"not": "a string"}},
        {},
    ],
)
def test_the_relay_relays_only_its_endpoint_in_its_regions(event: dict[str, Any]) -> None:
    def never(region: str) -> Any:
        raise AssertionError(f"asked {region}")

    answer = relay(event, never, endpoint=ENDPOINT, regions=frozenset({SECONDARY}))

    assert (answer["status"], answer["code"]) == ("error", "RelayFailed")


def test_given_a_relay_in_settings_when_bootstrapped_then_the_other_regions_go_through_it(
    tmp_path: Any,
) -> None:
    settings = Settings(
        home=tmp_path,
        model_endpoint=ENDPOINT,
        model_regions=f"{PRIMARY},{SECONDARY}",
        model_relay_function=RELAY,
    )
    container = bootstrap(settings)
    try:
        client = container.model_client
        assert isinstance(client, SageMakerModelClient)
        own, other = client._endpoints
        assert own.region == PRIMARY
        assert not isinstance(own.client, RelayedRuntime)
        assert (other.region, type(other.client)) == (SECONDARY, RelayedRuntime)
    finally:
        container.close()


def test_the_relay_function_relays_to_the_region_of_its_environment(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ai import relay as entry

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("FLUXO_MODEL_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("FLUXO_MODEL_REGION", SECONDARY)
    entry._relay.cache_clear()
    _answer_from(moto, SECONDARY, {"answered_by": SECONDARY})
    try:
        event = {"region": SECONDARY, "endpoint": ENDPOINT, "body": json.dumps(PAYLOAD)}
        answer = entry.handler(event, None)
        refused = entry.handler({**event, "region": PRIMARY}, None)
    finally:
        entry._relay.cache_clear()

    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"answered_by": SECONDARY}
    assert refused["code"] == "RelayFailed"


def _model_error(stub: Stubber, status: int, original: str, message: str) -> None:
    """What SageMaker answers when the container answered ``status``: a ModelError (HTTP 424)
    carrying the container's status and body."""
    stub.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message=message,
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": status, "OriginalMessage": original},
    )
