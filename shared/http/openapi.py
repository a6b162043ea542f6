"""The OpenAPI document, with errors described as they are sent: application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from shared.http.problems import PROBLEM_JSON


class FieldError(BaseModel):
    in_: str = Field(alias="in", description="body, query, path or header")
    pointer: str = Field(description="JSON Pointer (RFC 6901) into that part, e.g. /amount")
    detail: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = Field(None, description="One entry per invalid field.")


_COMMON = {
    "401": "Missing, expired or invalid bearer token",
    "403": "Your role does not allow this",
    "404": "Not found in your workspace (or the workspace is not yours)",
    "422": "Invalid input; `errors` points at each field",
}
_WRITES = {
    "400": "Malformed JSON",
    "409": "Conflicts with the current state (a stale version, a duplicate)",
    "413": "Body too large",
    "415": "Send application/json",
}
_REF = {"$ref": "#/components/schemas/Problem"}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["FieldError"] = FieldError.model_json_schema(by_alias=True)
    problem = Problem.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    problem.pop("$defs", None)
    schemas["Problem"] = problem
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _describe_problems(operation, path, method)
    return document


def _describe_problems(operation: dict[str, Any], path: str, method: str) -> None:
    responses = operation.setdefault("responses", {})
    wanted = {
        **(_COMMON if path.startswith("/v1") else {}),
        **(_WRITES if method in {"post", "patch", "put"} else {}),
    }
    if method in {"patch", "delete"} and "{" in path:
        wanted["409"] = _WRITES["409"]
    if method == "patch" and path.startswith("/v1/transactions/"):
        wanted["428"] = "Send the version you read (If-Match or a version field)"
    if path == "/health":
        wanted = {"503": "The database does not answer"}
    for status, description in wanted.items():
        responses[status] = {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": _REF}},
        }
