"""Lambda entry points: one context's router behind API Gateway, through Mangum."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import APIRouter
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from shared.http.app import create_app

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Mangum base64-encodes any body whose type it does not know as text, and a REST API without
# binary media types hands that base64 to the client as is: errors (problem+json) must be text.
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]


def api_handler(router: APIRouter) -> LambdaHandler:
    """A handler that builds its app on the first invocation and keeps it while warm.

    The context hands its own router over: in a Lambda the code is not an installed package,
    so the ``fluxo.routers`` entry points the local server reads do not exist there.
    """

    @cache
    def adapter() -> Mangum:
        app = create_app([router])
        return Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = adapter()(event, context)
        return response

    return handler
