"""RFC 9457 problem details: every error the API returns, mapped in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.domain.errors import (
    Conflict,
    CredentialsMissing,
    DomainError,
    FieldIssue,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    StoreUnavailable,
    Unauthenticated,
    VersionConflict,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://docs.fluxo.dev/problems/"

_STATUS: tuple[tuple[type[DomainError], int, str], ...] = (
    (Unauthenticated, 401, "unauthenticated"),
    (PermissionDenied, 403, "forbidden"),
    (NotFound, 404, "not-found"),
    (VersionConflict, 409, "version-conflict"),
    (Conflict, 409, "conflict"),
    (PreconditionRequired, 428, "precondition-required"),
    (InvalidInput, 422, "invalid-input"),
    (StoreUnavailable, 503, "unavailable"),
)

_HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Request body too large", "body-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
    429: ("Too many requests", "too-many-requests"),
}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_error(location: Sequence[str | int], message: str, code: str) -> dict[str, Any]:
    """One field-level error with a JSON Pointer into the request (RFC 6901)."""
    where, *path = [str(part) for part in location] or ["body"]
    pointer = "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in path)
    return {"in": where, "pointer": pointer if path else "", "detail": message, "code": code}


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


def domain_status(error: DomainError) -> tuple[int, str]:
    for kind, status, slug in _STATUS:
        if isinstance(error, kind):
            return status, slug
    return 400, "bad-request"


async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
    status, slug = domain_status(error)
    headers = {"WWW-Authenticate": _challenge(error)} if status == 401 else None
    errors = [_issue(issue) for issue in error.issues]
    extra = {key: value for key, value in error.extra.items() if key != "resource"}
    return problem(
        status,
        error.title,
        error.detail,
        slug=slug,
        instance=request.url.path,
        errors=errors,
        headers=headers,
        **extra,
    )


def _challenge(error: DomainError) -> str:
    # RFC 6750 §3.1: no error code when the request carried no credentials at all.
    return "Bearer" if isinstance(error, CredentialsMissing) else 'Bearer error="invalid_token"'


def _issue(issue: FieldIssue) -> dict[str, Any]:
    return field_error(issue.location, issue.message, issue.code)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = [
        field_error(item.get("loc", ("body",)), item.get("msg", "invalid"), item.get("type", ""))
        for item in error.errors()
    ]
    if any(item.get("type") == "json_invalid" for item in error.errors()):
        return problem(
            400,
            "Malformed JSON",
            "the request body is not valid JSON",
            slug="malformed-json",
            instance=request.url.path,
            errors=errors,
        )
    count = len(errors)
    return problem(
        422,
        "Invalid input",
        f"{count} field{'s' if count != 1 else ''} invalid",
        slug="invalid-input",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    title, slug = _HTTP_TITLES.get(error.status_code, ("Error", "error"))
    detail = error.detail if isinstance(error.detail, str) else title
    return problem(
        error.status_code,
        title,
        detail,
        slug=slug,
        instance=request.url.path,
        headers=dict(error.headers) if error.headers else None,
    )


class UnexpectedErrorMiddleware:
    """Turns an unexpected exception into a 500 problem *inside* the other middleware, so the
    answer still carries the correlation id and CORS headers (Starlette's own handler for
    ``Exception`` sits outside all of them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = problem(
                500,
                "Internal error",
                "something went wrong on our side; it was logged",
                slug="internal",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
