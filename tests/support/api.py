"""A test client that speaks to the API the way the apps do: bearer token, JSON, problem+json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from httpx import Response

from shared.bootstrap import Container
from shared.domain.access import Role


@dataclass
class Actor:
    """A person with a token, acting through the API."""

    client: TestClient
    token: str
    user_id: UUID
    tenant_id: UUID | None

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return self.client.post(
            path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return self.client.patch(
            path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return self.client.put(
            path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.client.delete(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)


def token_for(
    container: Container,
    user_id: UUID,
    tenant_id: UUID | None,
    role: Role = Role.OWNER,
    *,
    email: str | None = None,
) -> str:
    assert container.dev_issuer is not None
    return container.dev_issuer.issue(user_id, tenant_id, [role], email=email)


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


def categories_by_slug(actor: Actor) -> dict[str, str]:
    """The workspace's categories (top level and children) as slug → id."""
    slugs: dict[str, str] = {}
    for node in ok(actor.get("/v1/categories")):
        slugs[node["slug"]] = node["id"]
        for child in node["children"]:
            slugs[child["slug"]] = child["id"]
    return slugs
