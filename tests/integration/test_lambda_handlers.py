"""Each context's Lambda entry, invoked in-process with the events API Gateway sends it.

The CDK app puts a REST API (payload format 1.0) in front of one Lambda per bounded context; each
Lambda mounts only its own router. These tests call ``functions/<ctx>/handler.py``'s ``handler``
exactly as the Lambda runtime would, on a migrated SQLite database chosen by environment variables
(the way CDK configures the function), with a dev token from the local issuer.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.clock import SystemClock
from shared.domain.access import Role
from shared.http.app import ROUTER_GROUP, discover_routers
from shared.identity.local import LocalDevIssuer
from shared.settings import Settings, get_settings
from tests.support.aws_events import (
    FakeLambdaContext,
    LambdaEvent,
    http_api_event,
    response_header,
    response_json,
    rest_api_event,
)
from tests.support.databases import sqlite_copy
from tests.support.routes import served_paths

CONTEXTS = sorted(entry.name for entry in entry_points(group=ROUTER_GROUP))
ROOT = Path(__file__).resolve().parents[2]

Handler = Callable[[LambdaEvent, Any], dict[str, Any]]


def _handler_module(context: str) -> str:
    return f"functions.{context}.handler"


def _get_paths(context: str) -> list[str]:
    """Paths of the context's GET routes."""
    (router,) = discover_routers([context])
    return served_paths(router, "get")


def _get_routes(context: str) -> list[str]:
    """Paths of the context's parameterless GET routes (safe to probe with any token)."""
    return [path for path in _get_paths(context) if "{" not in path]


def _probe_path(context: str) -> str:
    """A GET route of the context, path parameters filled with an id nobody has."""
    return re.sub(r"\{[^}]+\}", str(uuid4()), _get_paths(context)[0])


def _foreign_route(context: str) -> str:
    """A GET route that another context serves and this one does not."""
    own = set(_get_routes(context))
    for other in CONTEXTS:
        if other != context:
            foreign = [path for path in _get_routes(other) if path not in own]
            if foreign:
                return foreign[0]
    raise AssertionError(f"no other context has a route that {context} lacks")


@dataclass
class Lambdas:
    """Fresh handler modules (cold starts) on one database, and a way to get tokens for it."""

    home: Path
    issuer: LocalDevIssuer
    _loaded: list[Handler]

    def handler(self, context: str) -> Handler:
        # A fresh import is a cold start: the module-level handler has built nothing yet, so it
        # reads the settings this test put in the environment.
        sys.modules.pop(_handler_module(context), None)
        handler: Handler = importlib.import_module(_handler_module(context)).handler
        self._loaded.append(handler)
        return handler

    def token(
        self, user_id: UUID, tenant_id: UUID | str | None = None, role: Role = Role.OWNER
    ) -> str:
        tenant = UUID(str(tenant_id)) if tenant_id is not None else None
        return self.issuer.issue(user_id, tenant, [role], email=f"{user_id.hex[:8]}@example.com")

    def close(self) -> None:
        for handler in self._loaded:
            _dispose(handler)


def _dispose(handler: Handler) -> None:
    """Closes the database a warm handler kept (its app lives in a cached closure)."""
    for cell in handler.__closure__ or ():
        adapter = cell.cell_contents
        cache_info = getattr(adapter, "cache_info", None)
        if cache_info is not None and cache_info().currsize:
            container = adapter().app.state.container
            if container is not None:
                container.close()


@pytest.fixture
def lambdas(
    tmp_path: Path, sqlite_template_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lambdas]:
    home = tmp_path / "home"
    for name in list(os.environ):
        if name.startswith("FLUXO_") and name != "FLUXO_TEST_DATABASE_URL":
            monkeypatch.delenv(name)  # only this test's settings count
    monkeypatch.setenv("FLUXO_HOME", str(home))
    monkeypatch.setenv("FLUXO_DATABASE_URL", sqlite_copy(sqlite_template_path, tmp_path))
    get_settings.cache_clear()
    defaults = Settings.model_fields
    issuer = LocalDevIssuer(
        home,
        str(defaults["local_issuer"].default),
        str(defaults["local_audience"].default),
        SystemClock(),
    )
    built = Lambdas(home, issuer, [])
    yield built
    built.close()
    get_settings.cache_clear()


def _invoke(handler: Handler, event: LambdaEvent) -> dict[str, Any]:
    response = handler(event, FakeLambdaContext())
    assert set(response) >= {"statusCode", "headers", "body", "isBase64Encoded"}
    # A REST API without binary media types passes base64 through to the client: JSON never is.
    assert response["isBase64Encoded"] is False, response
    return response


def _assert_problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status, response
    assert (response_header(response, "content-type") or "").startswith(
        "application/problem+json"
    ), response
    body: dict[str, Any] = response_json(response)
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


def _create_workspace(lambdas: Lambdas, user_id: UUID, name: str = "Casa") -> dict[str, Any]:
    response = _invoke(
        lambdas.handler("users"),
        rest_api_event(
            "POST",
            "/v1/workspaces",
            token=lambdas.token(user_id),
            body={"name": name, "base_currency": "BRL"},
        ),
    )
    assert response["statusCode"] == 201, response
    workspace: dict[str, Any] = response_json(response)
    return workspace


def test_the_router_entry_points_have_a_handler_each() -> None:
    assert {"users", "transactions"} <= set(CONTEXTS)
    for context in CONTEXTS:
        assert (ROOT / "functions" / context / "handler.py").is_file(), context


def test_given_a_token_without_workspace_when_posting_a_workspace_to_users_then_201(
    lambdas: Lambdas,
) -> None:
    user_id = uuid4()
    response = _invoke(
        lambdas.handler("users"),
        rest_api_event(
            "POST",
            "/v1/workspaces",
            token=lambdas.token(user_id),
            body={"name": "Casa de Ana", "base_currency": "BRL"},
        ),
    )

    assert response["statusCode"] == 201, response
    assert response_header(response, "content-type") == "application/json"
    workspace = response_json(response)
    assert workspace["name"] == "Casa de Ana"
    assert workspace["base_currency"] == "BRL"
    UUID(workspace["id"])


def test_given_a_workspace_when_listing_accounts_through_transactions_then_200(
    lambdas: Lambdas,
) -> None:
    user_id = uuid4()
    workspace = _create_workspace(lambdas, user_id)
    token = lambdas.token(user_id, workspace["id"])
    transactions = lambdas.handler("transactions")

    created = _invoke(
        transactions,
        rest_api_event(
            "POST", "/v1/accounts", token=token, body={"name": "Nubank", "kind": "checking"}
        ),
    )
    listed = _invoke(transactions, rest_api_event("GET", "/v1/accounts", token=token))

    assert created["statusCode"] == 201, created
    assert listed["statusCode"] == 200, listed
    assert response_header(listed, "content-type") == "application/json"
    assert [account["name"] for account in response_json(listed)] == ["Nubank"]


def test_query_strings_reach_the_router(lambdas: Lambdas) -> None:
    user_id = uuid4()
    workspace = _create_workspace(lambdas, user_id)
    token = lambdas.token(user_id, workspace["id"])

    response = _invoke(
        lambdas.handler("transactions"),
        rest_api_event("GET", "/v1/transactions", token=token, query={"limit": "0"}),
    )

    body = _assert_problem(response, 422)
    assert any(error["pointer"] == "/limit" for error in body["errors"]), body


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_lambda_serves_only_its_own_router(lambdas: Lambdas, context: str) -> None:
    user_id = uuid4()
    workspace = _create_workspace(lambdas, user_id)
    path = _foreign_route(context)

    response = _invoke(
        lambdas.handler(context),
        rest_api_event("GET", path, token=lambdas.token(user_id, workspace["id"])),
    )

    body = _assert_problem(response, 404)
    assert body["instance"] == path


@pytest.mark.parametrize("context", CONTEXTS)
def test_without_a_token_a_route_answers_401_problem(lambdas: Lambdas, context: str) -> None:
    path = _probe_path(context)

    response = _invoke(lambdas.handler(context), rest_api_event("GET", path))

    _assert_problem(response, 401)
    assert (response_header(response, "www-authenticate") or "").startswith("Bearer")


@pytest.mark.parametrize("context", CONTEXTS)
def test_with_a_forged_token_a_route_answers_401_problem(lambdas: Lambdas, context: str) -> None:
    path = _probe_path(context)
    stranger = LocalDevIssuer(
        lambdas.home.parent / "elsewhere",
        lambdas.issuer.issuer,
        lambdas.issuer.audience,
        SystemClock(),
    )
    token = stranger.issue(uuid4(), uuid4(), [Role.OWNER])

    response = _invoke(lambdas.handler(context), rest_api_event("GET", path, token=token))

    _assert_problem(response, 401)


@pytest.mark.parametrize("context", CONTEXTS)
def test_health_answers_200_on_every_lambda(lambdas: Lambdas, context: str) -> None:
    response = _invoke(lambdas.handler(context), rest_api_event("GET", "/health"))

    assert response["statusCode"] == 200, response
    assert response_json(response) == {"status": "ok", "database": "ok", "backend": "sqlite"}


@pytest.mark.parametrize("context", CONTEXTS)
def test_the_correlation_id_defaults_to_api_gateways_request_id(
    lambdas: Lambdas, context: str
) -> None:
    event = rest_api_event("GET", "/health", request_id="c0ffee00-1234-4abc-8def-000000000001")
    lambda_context = FakeLambdaContext(aws_request_id="another-id-for-the-lambda-invocation")

    response = lambdas.handler(context)(event, lambda_context)

    assert response_header(response, "x-correlation-id") == event["requestContext"]["requestId"]


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_callers_correlation_id_is_echoed(lambdas: Lambdas, context: str) -> None:
    event = rest_api_event("GET", "/health", headers={"X-Correlation-Id": "app-7f3a.42"})

    response = _invoke(lambdas.handler(context), event)

    assert response_header(response, "x-correlation-id") == "app-7f3a.42"


def test_errors_carry_the_correlation_id_too(lambdas: Lambdas) -> None:
    event = rest_api_event("GET", "/v1/workspaces", request_id="req-401")

    response = _invoke(lambdas.handler("users"), event)

    _assert_problem(response, 401)
    assert response_header(response, "x-correlation-id") == "req-401"


def test_a_warm_lambda_keeps_its_app_between_invocations(lambdas: Lambdas) -> None:
    handler = lambdas.handler("users")
    user_id = uuid4()
    token = lambdas.token(user_id)

    first = _invoke(handler, rest_api_event("GET", "/v1/workspaces", token=token))
    _invoke(handler, rest_api_event("POST", "/v1/workspaces", token=token, body={"name": "A"}))
    second = _invoke(handler, rest_api_event("GET", "/v1/workspaces", token=token))

    assert response_json(first) == []
    assert [workspace["name"] for workspace in response_json(second)] == ["A"]


def test_an_http_api_v2_event_is_served_as_well(lambdas: Lambdas) -> None:
    user_id = uuid4()
    event = http_api_event(
        "POST",
        "/v1/workspaces",
        token=lambdas.token(user_id),
        body={"name": "Casa", "base_currency": "BRL"},
        request_id="v2-request-id",
    )

    response = lambdas.handler("users")(event, FakeLambdaContext())

    assert response["statusCode"] == 201, response
    assert response_json(response)["name"] == "Casa"
    assert response_header(response, "x-correlation-id") == "v2-request-id"


# Cold start: importing a handler must build nothing.


@pytest.mark.parametrize("context", CONTEXTS)
def test_importing_a_handler_creates_no_settings_and_no_engine(
    context: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both would make building the settings or an engine fail loudly at import time.
    monkeypatch.setenv("FLUXO_DATABASE_URL", "not a database url")
    monkeypatch.setenv("FLUXO_IDENTITY_PROVIDER", "cognito")  # without the pool it needs
    monkeypatch.delenv("FLUXO_COGNITO_USER_POOL_ID", raising=False)
    get_settings.cache_clear()
    sys.modules.pop(_handler_module(context), None)

    try:
        module = importlib.import_module(_handler_module(context))
        assert callable(module.handler)
        assert get_settings.cache_info().currsize == 0
    finally:
        sys.modules.pop(_handler_module(context), None)
        get_settings.cache_clear()


_COLD_IMPORT = """
import json, sys
import sqlalchemy, sqlalchemy.engine

engines = []
real_create_engine = sqlalchemy.create_engine

def counting_create_engine(*args, **kwargs):
    engines.append(str(args[0]) if args else "")
    return real_create_engine(*args, **kwargs)

sqlalchemy.create_engine = counting_create_engine
sqlalchemy.engine.create_engine = counting_create_engine

import importlib
for context in json.loads(sys.argv[1]):
    assert callable(importlib.import_module(f"functions.{context}.handler").handler)

from shared.settings import get_settings
print(json.dumps({
    "engines": engines,
    "settings": get_settings.cache_info().currsize,
    "heavy": sorted(name for name in ("tensorflow", "keras", "torch") if name in sys.modules),
}))
"""


def test_a_cold_import_of_every_handler_builds_nothing_and_loads_no_tensorflow() -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("FLUXO_")
    }
    environment |= {
        "FLUXO_DATABASE_URL": "not a database url",
        "FLUXO_IDENTITY_PROVIDER": "cognito",
        "PYTHONPATH": str(ROOT),
    }

    completed = subprocess.run(
        [sys.executable, "-c", _COLD_IMPORT, json.dumps(CONTEXTS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report == {"engines": [], "settings": 0, "heavy": []}


POOL = "us-east-1_Fluxo1234"
POOL_ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
APP_CLIENT = "pwa-client-id"


def _behind_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the CDK app deploys it: API Gateway's Cognito authorizer verifies the token."""
    monkeypatch.setenv("FLUXO_IDENTITY_PROVIDER", "apigateway")
    monkeypatch.setenv("FLUXO_COGNITO_USER_POOL_ID", POOL)
    monkeypatch.setenv("FLUXO_COGNITO_CLIENT_IDS", f'["{APP_CLIENT}"]')
    get_settings.cache_clear()


def _id_token_claims(user_id: UUID, **extra: str) -> dict[str, str]:
    return {
        "sub": str(user_id),
        "iss": POOL_ISSUER,
        "aud": APP_CLIENT,
        "token_use": "id",
        "email": f"{user_id.hex[:8]}@example.com",
        **extra,
    }


def test_behind_api_gateway_the_authorizers_claims_identify_the_caller(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch
) -> None:
    _behind_gateway(monkeypatch)
    user_id = uuid4()
    created = _invoke(
        lambdas.handler("users"),
        rest_api_event(
            "POST", "/v1/workspaces", body={"name": "Casa"}, claims=_id_token_claims(user_id)
        ),
    )
    assert created["statusCode"] == 201, created
    workspace = response_json(created)
    listed = _invoke(
        lambdas.handler("transactions"),
        rest_api_event(
            "GET",
            "/v1/accounts",
            claims=_id_token_claims(
                user_id, **{"custom:tenant_id": workspace["id"], "cognito:groups": "[viewer]"}
            ),
        ),
    )
    assert listed["statusCode"] == 200, listed
    refused = _invoke(
        lambdas.handler("transactions"),
        rest_api_event(
            "POST",
            "/v1/accounts",
            body={"name": "Conta", "kind": "checking"},
            claims=_id_token_claims(
                user_id, **{"custom:tenant_id": workspace["id"], "cognito:groups": "[viewer]"}
            ),
        ),
    )
    _assert_problem(refused, 403)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (None, "no verified claims"),
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/other"}, "wrong issuer"),
        ({"aud": "another-app"}, "wrong audience"),
        ({"token_use": "refresh"}, "wrong token use"),
    ],
)
def test_behind_api_gateway_claims_from_another_pool_or_app_are_refused(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch, claims: dict[str, str] | None, reason: str
) -> None:
    _behind_gateway(monkeypatch)
    given = None if claims is None else {**_id_token_claims(uuid4()), **claims}
    response = _invoke(lambdas.handler("users"), rest_api_event("GET", "/v1/profile", claims=given))
    body = _assert_problem(response, 401)
    assert reason in body["detail"]
