"""Fixtures shared by every tier. The ``backend`` fixture runs a test on SQLite and PostgreSQL."""

from __future__ import annotations

import os

# Before anything can import TensorFlow: it carries its own SQLite without FTS5, and whichever
# library a process loads first is the one the sqlite3 module binds to. A worker that ran a
# training test first would otherwise fail every SQLite search test after it.
import sqlite3  # noqa: F401
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from shared.bootstrap import Container, bootstrap
from shared.clock import SystemClock
from shared.domain.access import Role
from shared.http.app import create_app, discover_routers
from shared.identity.local import LocalDevIssuer
from shared.settings import Settings
from tests.support.api import Actor, ok, token_for
from tests.support.databases import (
    postgres_database,
    sqlite_copy,
    sqlite_template,
    truncate_postgres,
)

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def worker_id_safe(request: pytest.FixtureRequest) -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url(worker_id_safe: str) -> Iterator[str]:
    with postgres_database(worker_id_safe) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template_path: Path
) -> str:
    if backend == "sqlite":
        return sqlite_copy(sqlite_template_path, tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    truncate_postgres(url)
    return url


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Holds the dev signing key for the whole session: making one per test costs ~0.1 s."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def dev_issuer(shared_home: Path) -> LocalDevIssuer:
    defaults = Settings(home=shared_home)
    return LocalDevIssuer(
        shared_home, defaults.local_issuer, defaults.local_audience, SystemClock()
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, shared_home: Path) -> Settings:
    return Settings(home=shared_home, database_url=database_url, lake_path=tmp_path / "lake")


@pytest.fixture
def container(settings: Settings, dev_issuer: LocalDevIssuer) -> Iterator[Container]:
    built = bootstrap(settings, dev_issuer=dev_issuer)
    yield built
    built.close()


@pytest.fixture(scope="session")
def routers() -> list[APIRouter]:
    """Discovered once: reading every installed package's entry points takes a while."""
    return discover_routers()


@pytest.fixture
def client(
    container: Container, settings: Settings, routers: list[APIRouter]
) -> Iterator[TestClient]:
    app = create_app(routers, settings=settings, container_factory=lambda: container)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def new_actor(client: TestClient, container: Container):  # type: ignore[no-untyped-def]
    """Makes a person who owns a fresh workspace: ``new_actor("Ana")``."""

    def make(name: str = "Ana", *, currency: str = "BRL") -> Actor:
        user_id = uuid4()
        email = f"{name.lower()}.{user_id.hex[:6]}@example.com"
        bare = Actor(client, token_for(container, user_id, None, email=email), user_id, None)
        workspace = ok(
            bare.post("/v1/workspaces", {"name": f"Casa de {name}", "base_currency": currency}), 201
        )
        tenant_id = workspace["id"]
        token = token_for(container, user_id, tenant_id, Role.OWNER, email=email)
        return Actor(client, token, user_id, tenant_id)

    return make


@pytest.fixture
def owner(new_actor) -> Actor:  # type: ignore[no-untyped-def]
    actor: Actor = new_actor("Ana")
    return actor
