"""The analytics cache: in-process, and Redis (127.0.0.1:6379) shared between processes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID, uuid4

import pytest
import redis

from shared.adapters.aws.redis_cache import RedisCache
from shared.adapters.local.cache import MemoryCache, TieredCache
from shared.bootstrap import Container, bootstrap
from shared.clock import FixedClock
from shared.domain.access import Principal
from shared.identity.local import LocalDevIssuer
from shared.services.access import Caller
from shared.settings import Settings
from tests.integration.analytics.conftest import Books
from tests.support.api import ok

REDIS_URL = "redis://127.0.0.1:6379/0"
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
"""A period asked for: the default one is served from snapshots, not from the cache."""


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as error:  # pragma: no cover - the machine's Redis is a given
        pytest.fail(f"Redis at {REDIS_URL} does not answer: {error}")
    return REDIS_URL


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_entries_expire_and_the_least_recent_goes_first():
    clock = Ticking()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.set("a", b"1", ttl_seconds=10)
    cache.set("b", b"2", ttl_seconds=10)
    assert cache.get("a") == b"1"  # now b is the least recently used
    cache.set("c", b"3", ttl_seconds=10)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")
    clock.now = 10.0
    assert cache.get("a") is None


def test_redis_keeps_entries_for_their_time(redis_url: str):
    cache = RedisCache(redis_url)
    key = f"test:{uuid4()}"

    cache.set(key, b"valor", ttl_seconds=30)

    assert cache.get(key) == b"valor"
    ttl = redis.Redis.from_url(redis_url).ttl("fluxo:" + key)
    assert 0 < ttl <= 30


def test_an_unreachable_redis_is_a_miss_not_an_error():
    cache = RedisCache("redis://127.0.0.1:1/0")

    cache.set("x", b"1", ttl_seconds=5)
    assert cache.get("x") is None


def test_the_shared_cache_fills_the_near_one(redis_url: str):
    key = f"test:{uuid4()}"
    RedisCache(redis_url).set(key, b"de longe", ttl_seconds=30)
    near = MemoryCache()

    assert TieredCache(near, RedisCache(redis_url)).get(key) == b"de longe"
    assert near.get(key) == b"de longe"


@pytest.fixture
def second_process(
    settings: Settings, dev_issuer: LocalDevIssuer, redis_url: str, clock: FixedClock
) -> Iterator[Container]:
    """Another process's container on the same database and Redis (its own memory cache)."""
    built = bootstrap(
        settings.model_copy(update={"redis_url": redis_url}), dev_issuer=dev_issuer, clock=clock
    )
    yield built
    built.close()


@pytest.fixture
def settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


def test_two_processes_share_a_dashboard_until_a_write(november: Books, second_process: Container):
    (dashboard,) = ok(november.actor.get("/v1/analytics/dashboards"))
    here = ok(
        november.actor.get(
            f"/v1/analytics/dashboards/{dashboard['id']}/data",
            params={"date_from": "2026-11-01", "date_to": "2026-11-30"},
        )
    )
    tenant_id = UUID(str(november.actor.tenant_id))
    caller = Caller(Principal(november.actor.user_id, tenant_id, frozenset()), tenant_id)

    there = second_process.analytics.dashboard_data(caller, UUID(dashboard["id"]), *NOVEMBER)
    assert (here["cached"], there.cached) == (False, True)
    assert there.widgets == here["widgets"]

    november.add("-10.00", "2026-11-19", "supermarket", "PADARIA")
    after = second_process.analytics.dashboard_data(caller, UUID(dashboard["id"]), *NOVEMBER)
    assert after.cached is False
    assert after.widgets["kpis"]["figures"]["expenses"]["value"] == "1560"
