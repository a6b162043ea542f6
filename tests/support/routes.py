"""The paths a router serves, those of the routers it includes too: FastAPI keeps an included
router as one entry of ``routes``, while its OpenAPI document lists every path."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def served_paths(router: APIRouter, method: str | None = None) -> list[str]:
    """Every path ``router`` serves (for ``method`` only, e.g. ``"get"``, when given)."""
    app = FastAPI()
    app.include_router(router)
    paths = app.openapi()["paths"]
    return sorted(path for path, methods in paths.items() if method is None or method in methods)
