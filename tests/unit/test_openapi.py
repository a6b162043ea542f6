"""The committed OpenAPI document is the app's, and the API it describes keeps its promises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.http.app import create_local_app
from shared.settings import get_settings

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FLUXO_HOME", str(tmp_path_factory.mktemp("openapi-home")))
        patch.delenv("FLUXO_CORS_ORIGINS", raising=False)
        get_settings.cache_clear()
        try:
            # A JSON round trip, as `fluxo openapi` prints it: tuples become lists, keys strings.
            yield json.loads(json.dumps(create_local_app().openapi()))
        finally:
            get_settings.cache_clear()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_committed_openapi_document_matches_the_app(document: dict[str, Any]) -> None:
    assert COMMITTED.is_file(), "docs/openapi.json is missing: run `make openapi` and commit it"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))

    assert committed == document, (
        "docs/openapi.json is out of date with the API: run `make openapi` and commit the result"
    )


def test_every_path_is_versioned_or_the_health_check(document: dict[str, Any]) -> None:
    stray = [
        path for path in document["paths"] if not path.startswith("/v1/") and path != "/health"
    ]

    assert stray == []


def test_every_v1_operation_requires_a_bearer_token(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    bearer = {name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"}
    assert bearer, "no bearer security scheme is declared"

    unprotected = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(document)
        if path.startswith("/v1/")
        and not any(set(requirement) & bearer for requirement in operation.get("security", []))
    ]

    assert unprotected == []


def test_the_health_check_needs_no_token(document: dict[str, Any]) -> None:
    assert "security" not in document["paths"]["/health"]["get"]


def test_every_operation_has_a_unique_id_and_a_summary(document: dict[str, Any]) -> None:
    operations = _operations(document)
    ids = [operation.get("operationId") for _, _, operation in operations]

    assert all(ids)
    assert len(ids) == len(set(ids))
    assert [f"{m} {p}" for m, p, operation in operations if not operation.get("summary")] == []
