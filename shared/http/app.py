"""Builds the FastAPI app: every context's router for the local server, one for a Lambda."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from shared.bootstrap import Container, bootstrap
from shared.domain.errors import StoreUnavailable
from shared.http import openapi, problems
from shared.http.edge import BodyLimitMiddleware, CorrelationMiddleware, get_container
from shared.http.headers import CORS_METHODS, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS
from shared.settings import Settings, get_settings

ROUTER_GROUP = "fluxo.routers"

DESCRIPTION = """\
Fluxo's API: workspaces, accounts, categories, tags and transactions of a finance dashboard.

Authenticate with `Authorization: Bearer <token>` (Cognito, or `fluxo token` locally).
Errors are `application/problem+json` (RFC 9457) with field-level `errors`.
Amounts are decimal strings with a sign: credit > 0, debit < 0.
"""


def discover_routers(names: Iterable[str] | None = None) -> list[APIRouter]:
    """Routers that bounded contexts register under the ``fluxo.routers`` entry point."""
    wanted = set(names) if names is not None else None
    found = [
        entry
        for entry in entry_points(group=ROUTER_GROUP)
        if wanted is None or entry.name in wanted
    ]
    if wanted is not None and len(found) != len(wanted):
        missing = wanted - {entry.name for entry in found}
        raise LookupError(f"no router registered for {sorted(missing)}")
    return [entry.load() for entry in sorted(found, key=lambda entry: entry.name)]


def create_app(
    routers: Iterable[APIRouter],
    *,
    settings: Settings | None = None,
    container_factory: Callable[[], Container] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Fluxo API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.container = None
    app.state.container_factory = container_factory or (lambda: bootstrap(settings))
    problems.install(app)
    openapi.install(app)
    for router in routers:
        app.include_router(router)
    app.include_router(_health_router())
    # Outermost last: CORS wraps everything (so even a 413 or a 500 is readable by a browser),
    # then the correlation id, the body limit, and the catch-all for unexpected errors.
    app.add_middleware(problems.UnexpectedErrorMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.api_max_body_bytes,
        max_upload_bytes=settings.import_max_bytes,
    )
    app.add_middleware(CorrelationMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_REQUEST_HEADERS),
            expose_headers=list(CORS_RESPONSE_HEADERS),
        )
    return app


def create_local_app() -> FastAPI:
    """The embedded server's app (``fluxo serve``): every registered context."""
    return create_app(discover_routers())


class Health(BaseModel):
    status: str
    database: str
    backend: str


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness and database reachability")
    def health(container: Annotated[Container, Depends(get_container)]) -> Health:
        try:
            container.db.ping()
        except Exception as error:
            raise StoreUnavailable("the database does not answer") from error
        return Health(status="ok", database="ok", backend=container.db.url.get_backend_name())

    return router
