"""The shared analytics cache on Redis (ElastiCache Serverless in AWS, any Redis locally).

A cache must never be why a dashboard fails: an unreachable or slow Redis is logged and the
answer computed, with timeouts short enough that waiting for Redis never costs more than the
computation it would save.
"""

from __future__ import annotations

import logging

import redis

_log = logging.getLogger(__name__)


class RedisCache:
    def __init__(self, url: str, *, timeout_seconds: float = 0.05, prefix: str = "fluxo:") -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        try:
            value = self._client.get(self._prefix + key)
        except redis.RedisError as error:
            _log.warning("analytics cache read failed: %s", error)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        try:
            self._client.set(self._prefix + key, value, ex=ttl_seconds)
        except redis.RedisError as error:
            _log.warning("analytics cache write failed: %s", error)
