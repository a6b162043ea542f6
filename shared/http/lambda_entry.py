"""Lambda entry points: one context's router behind API Gateway, through Mangum."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from mangum import Mangum

from shared.http.app import create_app, discover_routers

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def api_handler(context_name: str) -> LambdaHandler:
    """A handler that builds its app on the first invocation and keeps it while warm."""

    @cache
    def adapter() -> Mangum:
        return Mangum(create_app(discover_routers([context_name])), lifespan="off")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = adapter()(event, context)
        return response

    return handler
