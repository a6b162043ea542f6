"""Request plumbing shared by every context's router: JSON, body size, correlation, callers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Depends, Header, HTTPException, Request, Response, params
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.bootstrap import Container
from shared.domain.access import Principal
from shared.domain.errors import CredentialsMissing, FieldIssue, InvalidInput
from shared.http.headers import CORRELATION_HEADER, REPLAY_HEADER, WORKSPACE_HEADER
from shared.http.problems import problem
from shared.services.access import Caller
from shared.services.idempotency import Created, IdempotencyRequest


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class _DecimalJSONRequest(Request):
    """Parses JSON numbers as Decimal: a float never touches an amount."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=Decimal, parse_constant=_no_constants)
            except json.JSONDecodeError:
                raise
            except (ValueError, RecursionError) as error:
                # NaN, a number of thousands of digits, bytes that are not UTF-8, nesting deeper
                # than the parser goes: malformed JSON too, answered as such (not a bare 400).
                reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
                raise json.JSONDecodeError(reason, body.decode("utf-8", "replace"), 0) from None
        return self._json


class FluxoRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # Form routes (file uploads) take multipart bodies; every other body is JSON.
        expects_json = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def decimal_json_handler(request: Request) -> Response:
            json_request = _DecimalJSONRequest(request.scope, request.receive)
            content_type = json_request.headers.get("content-type")
            if expects_json and not _is_json(content_type) and await json_request.body():
                raise HTTPException(
                    415, "send the body as JSON, with Content-Type: application/json"
                )
            return await handler(json_request)

        return decimal_json_handler


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class BodyLimitMiddleware:
    """Answers 413 with problem+json before an oversized body is read into memory. File
    uploads (multipart) have their own, larger limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "Request body too large",
            f"the body must be at most {self.max_bytes} bytes "
            f"({self.max_upload_bytes} for a file upload)",
            slug="body-too-large",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI, which turns any other error met while reading the body
    into a 400, lets it through to the 413 handler (a chunked body has no Content-Length)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the body must be at most {max_bytes} bytes")


class CorrelationMiddleware:
    """Every request has a correlation id: the caller's, API Gateway's, or a new one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        given = headers.get(CORRELATION_HEADER.lower().encode(), b"").decode("latin-1")
        correlation = (
            given if _SAFE_ID.fullmatch(given) else (_aws_request_id(scope) or str(uuid4()))
        )
        scope.setdefault("state", {})["correlation_id"] = correlation

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (CORRELATION_HEADER.lower().encode(), correlation.encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_header)


_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _aws_request_id(scope: Scope) -> str | None:
    """API Gateway's request id (the one in its access logs and in the caller's
    ``x-amzn-RequestId``), else the Lambda invocation's; ``None`` outside AWS."""
    event = scope.get("aws.event")
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    api_request_id = request_context.get("requestId") if isinstance(request_context, dict) else None
    if isinstance(api_request_id, str) and _SAFE_ID.fullmatch(api_request_id):
        return api_request_id
    lambda_request_id = getattr(scope.get("aws.context"), "aws_request_id", None)
    return lambda_request_id if isinstance(lambda_request_id, str) else None


_container_lock = threading.Lock()


def get_container(request: Request) -> Container:
    """The composition root, built on first use and kept for the life of the process."""
    state = request.app.state
    if getattr(state, "container", None) is None:
        with _container_lock:
            if getattr(state, "container", None) is None:
                state.container = state.container_factory()
    container: Container = state.container
    return container


_bearer = HTTPBearer(auto_error=False, description="A Cognito or Fluxo dev access token.")


def get_principal(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if container.gateway_claims is not None:
        return container.gateway_claims.principal(_authorizer_claims(request))
    if credentials is None:
        raise CredentialsMissing("a bearer token is required")
    return container.token_verifier.verify(credentials.credentials)


def _authorizer_claims(request: Request) -> dict[str, Any] | None:
    """What API Gateway's Cognito authorizer verified (Mangum keeps the event in the scope)."""
    event = request.scope.get("aws.event") or {}
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    found = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims")
    return found if isinstance(found, dict) else None


def get_caller(
    request: Request,
    principal: Annotated[Principal, Depends(get_principal)],
    workspace: Annotated[
        UUID | None,
        Header(
            alias=WORKSPACE_HEADER, description="Acts in this workspace instead of the token's."
        ),
    ] = None,
) -> Caller:
    tenant_id = workspace or principal.tenant_id
    if tenant_id is None:
        raise InvalidInput(
            "no workspace: use a token issued for one or send the X-Fluxo-Workspace header",
            issues=[FieldIssue(("header", WORKSPACE_HEADER), "required by this token")],
        )
    return Caller(principal, tenant_id, correlation_id=correlation_id(request))


def correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or uuid4())


def idempotency(
    request: Request, key: str | None, tenant_id: UUID | None, payload: Any
) -> IdempotencyRequest | None:
    scope = f"{request.method} {request.url.path}@{tenant_id or '-'}"
    return IdempotencyRequest.of(key, scope, payload)


def mark_replay(response: Response, created: Created) -> None:
    if created.replayed:
        response.headers[REPLAY_HEADER] = "true"


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Retrying with the same key creates nothing new."),
]
CallerDep = Annotated[Caller, Depends(get_caller)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ContainerDep = Annotated[Container, Depends(get_container)]
