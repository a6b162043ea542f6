"""Builders for the events AWS hands to Fluxo's functions, shaped as AWS sends them.

Every builder returns a fresh ``dict`` that can be passed straight to a handler, together with a
:class:`FakeLambdaContext`::

    from tests.support.aws_events import FakeLambdaContext, rest_api_event

    response = handler(rest_api_event("GET", "/v1/accounts", token=token), FakeLambdaContext())

Shapes follow the AWS documentation of each integration:

- API Gateway REST API, Lambda proxy integration (payload format 1.0): ``rest_api_event``;
- API Gateway HTTP API, payload format 2.0: ``http_api_event``;
- SQS (``sqs_event``), S3 event notifications (``s3_event``), EventBridge (``eventbridge_event``).

Only what a test cares about is a parameter; the rest gets plausible, documented-looking values
(account ``123456789012``, region ``us-east-1``). Ids are random unless given, so two events never
share a request or message id by accident.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlencode
from uuid import uuid4

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
API_ID = "a1b2c3d4e5"
SOURCE_IP = "203.0.113.10"
USER_AGENT = "fluxo-tests/1.0"

LambdaEvent = dict[str, Any]
"""An event as the Lambda runtime delivers it: decoded JSON."""

Body = str | bytes | Mapping[str, Any] | Sequence[Any] | None
"""A request body: text, raw bytes (sent base64-encoded) or something to serialise as JSON."""

HeaderValues = Mapping[str, str | Sequence[str]]
"""Headers or query parameters; a sequence is a repeated name (``?tag=a&tag=b``)."""


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str = "fluxo-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid4()))
    log_group_name: str = "/aws/lambda/fluxo-test-function"
    log_stream_name: str = "2026/11/29/[$LATEST]0123456789abcdef"
    remaining_millis: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


# API Gateway


def rest_api_event(
    method: str,
    path: str,
    *,
    token: str | None = None,
    headers: HeaderValues | None = None,
    query: HeaderValues | None = None,
    body: Body = None,
    resource: str = "/{proxy+}",
    path_parameters: Mapping[str, str] | None = None,
    stage: str = "prod",
    request_id: str | None = None,
    claims: Mapping[str, Any] | None = None,
    source_ip: str = SOURCE_IP,
    at: datetime | None = None,
) -> LambdaEvent:
    """An API Gateway REST API proxy event (payload format 1.0).

    ``path`` is the resource path without the stage (``/v1/accounts``), as API Gateway puts it in
    ``path`` for the default endpoint; ``requestContext.path`` carries the stage. With the default
    greedy ``resource`` (``/{proxy+}``, what ``LambdaRestApi`` creates), ``pathParameters`` is
    ``{"proxy": "v1/accounts"}`` unless given.

    ``headers`` and ``query`` fill both the single-value maps (last value wins, as in AWS) and the
    multi-value ones; API Gateway sends ``null`` for an empty map, and so does this builder.
    ``token`` adds ``Authorization: Bearer <token>``. A mapping or list ``body`` is sent as JSON
    with ``Content-Type: application/json``; ``bytes`` are base64-encoded with
    ``isBase64Encoded`` set. ``claims`` are what a Cognito user-pool authorizer puts in
    ``requestContext.authorizer.claims`` (all values strings, as API Gateway flattens them).
    """
    when = at or datetime.now(UTC)
    request_id = request_id or str(uuid4())
    encoded_body, is_base64, content_type = _encode_body(body)
    multi_headers = _multi(_default_headers(token, content_type, headers))
    multi_query = _multi(query or {})
    if path_parameters is None and resource.endswith("{proxy+}"):
        prefix = resource.removesuffix("{proxy+}")
        path_parameters = {"proxy": path.removeprefix(prefix)}
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "domainPrefix": API_ID,
        "extendedRequestId": base64.b64encode(request_id.encode()).decode()[:16],
        "httpMethod": method.upper(),
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": source_ip,
            "user": None,
            "userAgent": USER_AGENT,
            "userArn": None,
        },
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(when.timestamp() * 1000),
        "resourceId": "abc123",
        "resourcePath": resource,
        "stage": stage,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": {k: str(v) for k, v in claims.items()}}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": _last(multi_headers),
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": _last(multi_query),
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": encoded_body,
        "isBase64Encoded": is_base64,
    }


def http_api_event(
    method: str,
    path: str,
    *,
    token: str | None = None,
    headers: HeaderValues | None = None,
    query: HeaderValues | None = None,
    body: Body = None,
    route_key: str = "$default",
    path_parameters: Mapping[str, str] | None = None,
    stage: str = "$default",
    request_id: str | None = None,
    jwt_claims: Mapping[str, Any] | None = None,
    cookies: Sequence[str] = (),
    source_ip: str = SOURCE_IP,
    at: datetime | None = None,
) -> LambdaEvent:
    """An API Gateway HTTP API event (payload format 2.0).

    Differences from 1.0 that matter to an adapter: header names are lower case and repeated
    values are joined with commas; the query string arrives raw (``rawQueryString``) and as a
    comma-joined map; cookies come apart from the headers; the method and path live in
    ``requestContext.http``. ``jwt_claims`` are what a JWT authorizer puts in
    ``requestContext.authorizer.jwt.claims``.
    """
    when = at or datetime.now(UTC)
    request_id = request_id or str(uuid4())
    encoded_body, is_base64, content_type = _encode_body(body)
    multi_headers = _multi(_default_headers(token, content_type, headers))
    multi_query = _multi(query or {})
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "domainPrefix": API_ID,
        "http": {
            "method": method.upper(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": USER_AGENT,
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(when.timestamp() * 1000),
    }
    if jwt_claims is not None:
        request_context["authorizer"] = {
            "jwt": {"claims": {k: str(v) for k, v in jwt_claims.items()}, "scopes": None}
        }
    event: LambdaEvent = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urlencode(
            [(name, value) for name, values in multi_query.items() for value in values]
        ),
        "headers": {name.lower(): ",".join(values) for name, values in multi_headers.items()},
        "requestContext": request_context,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = list(cookies)
    if multi_query:
        event["queryStringParameters"] = {
            name: ",".join(values) for name, values in multi_query.items()
        }
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if encoded_body is not None:
        event["body"] = encoded_body
    return event


def response_json(response: Mapping[str, Any]) -> Any:
    """The decoded JSON body of a proxy response (either payload format)."""
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    return json.loads(body) if body else None


def response_header(response: Mapping[str, Any], name: str) -> str | None:
    """A response header, whatever its case and whether it came single- or multi-valued."""
    wanted = name.lower()
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == wanted:
            return str(value)
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted and values:
            return ", ".join(str(value) for value in values)
    return None


# SQS


def sqs_record(
    body: str | Mapping[str, Any],
    *,
    queue: str = "fluxo-test-queue",
    message_id: str | None = None,
    receive_count: int = 1,
    attributes: Mapping[str, str] | None = None,
    message_attributes: Mapping[str, str] | None = None,
    message_group_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One SQS record as a Lambda event source mapping delivers it.

    A mapping ``body`` is serialised as JSON (what an S3 notification or an EventBridge target
    puts in the message). ``message_attributes`` are string attributes. A ``message_group_id``
    makes it a FIFO record (queue name gets the ``.fifo`` suffix if missing).
    """
    text = body if isinstance(body, str) else json.dumps(body)
    sent = int((at or datetime.now(UTC)).timestamp() * 1000)
    system: dict[str, str] = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(sent + 5),
    }
    if message_group_id is not None:
        if not queue.endswith(".fifo"):
            queue = f"{queue}.fifo"
        system["MessageGroupId"] = message_group_id
        system["SequenceNumber"] = str(sent * 1000)
        system["MessageDeduplicationId"] = hashlib.sha256(text.encode()).hexdigest()
    system.update(attributes or {})
    return {
        "messageId": message_id or str(uuid4()),
        "receiptHandle": base64.b64encode(uuid4().bytes * 4).decode(),
        "body": text,
        "attributes": system,
        "messageAttributes": {
            name: {
                "stringValue": value,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
            for name, value in (message_attributes or {}).items()
        },
        "md5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}",
        "awsRegion": REGION,
    }


def sqs_event(*records: dict[str, Any] | str | Mapping[str, Any]) -> LambdaEvent:
    """An SQS batch. Pass records from :func:`sqs_record`, or bodies to wrap with its defaults."""
    return {
        "Records": [record if _is_sqs_record(record) else sqs_record(record) for record in records]
    }


def _is_sqs_record(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("eventSource") == "aws:sqs"


# S3


def s3_key_in_event(key: str) -> str:
    """How S3 writes an object key in a notification: URL-encoded, spaces as ``+``.

    ``raw/extrato março.csv`` becomes ``raw/extrato+mar%C3%A7o.csv``; a consumer must
    ``unquote_plus`` it before using it as a key (see :func:`s3_key_from_event`).
    """
    return quote_plus(key, safe="/")


def s3_key_from_event(encoded: str) -> str:
    """The inverse of :func:`s3_key_in_event`: the real key of the object."""
    return unquote_plus(encoded)


def s3_record(
    bucket: str,
    key: str,
    *,
    size: int = 1024,
    event_name: str = "ObjectCreated:Put",
    etag: str | None = None,
    version_id: str | None = None,
    principal_id: str = "AWS:AIDAINPONIXQXHT3IKHL2",
    at: datetime | None = None,
) -> dict[str, Any]:
    """One S3 event-notification record (``eventVersion`` 2.1) for ``key`` as stored in S3.

    ``key`` is the real key; the record carries it URL-encoded, as S3 does.
    """
    when = at or datetime.now(UTC)
    obj: dict[str, Any] = {
        "key": s3_key_in_event(key),
        "size": size,
        "eTag": etag or hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
        "sequencer": f"{int(when.timestamp() * 1_000_000):X}",
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": SOURCE_IP},
        "responseElements": {
            "x-amz-request-id": uuid4().hex[:16].upper(),
            "x-amz-id-2": base64.b64encode(uuid4().bytes * 2).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "fluxo-raw-uploads",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def s3_event(bucket: str, keys: Iterable[str] | str, **record_options: Any) -> LambdaEvent:
    """An S3 notification (``ObjectCreated:Put`` by default) for one or more keys of a bucket.

    This is also the body S3 puts in an SQS message: ``sqs_record(s3_event(...))``.
    """
    key_list = [keys] if isinstance(keys, str) else list(keys)
    return {"Records": [s3_record(bucket, key, **record_options) for key in key_list]}


# EventBridge


def eventbridge_event(
    detail_type: str,
    detail: Mapping[str, Any],
    *,
    source: str = "fluxo.transactions",
    event_id: str | None = None,
    resources: Sequence[str] = (),
    at: datetime | None = None,
) -> LambdaEvent:
    """An EventBridge event as a rule target (a Lambda, or an SQS queue as the body) receives it.

    A schedule (``source="aws.events"``, ``detail_type="Scheduled Event"``) has an empty
    ``detail`` and the rule's ARN in ``resources``.
    """
    when = at or datetime.now(UTC)
    return {
        "version": "0",
        "id": event_id or str(uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT_ID,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": list(resources),
        "detail": dict(detail),
    }


def scheduled_event(rule: str = "fluxo-schedule", *, at: datetime | None = None) -> LambdaEvent:
    """What an EventBridge schedule (cron or rate) sends to its target."""
    return eventbridge_event(
        "Scheduled Event",
        {},
        source="aws.events",
        resources=[f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{quote(rule)}"],
        at=at,
    )


# Helpers


def _encode_body(body: Body) -> tuple[str | None, bool, str | None]:
    """(body as the event carries it, isBase64Encoded, implied content type)."""
    if body is None:
        return None, False, None
    if isinstance(body, bytes):
        return base64.b64encode(body).decode("ascii"), True, None
    if isinstance(body, str):
        return body, False, None
    return json.dumps(body, default=str), False, "application/json"


def _default_headers(
    token: str | None, content_type: str | None, given: HeaderValues | None
) -> dict[str, str | Sequence[str]]:
    headers: dict[str, str | Sequence[str]] = {
        "Accept": "application/json",
        "Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "User-Agent": USER_AGENT,
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    given_names = {name.lower() for name in (given or {})}
    headers = {name: value for name, value in headers.items() if name.lower() not in given_names}
    headers.update(given or {})
    return headers


def _multi(values: HeaderValues) -> dict[str, list[str]]:
    return {
        name: [value] if isinstance(value, str) else list(value) for name, value in values.items()
    }


def _last(multi: Mapping[str, list[str]]) -> dict[str, str] | None:
    return {name: values[-1] for name, values in multi.items() if values} or None
