"""The in-process cache: a bounded LRU with expiry, shared by the threads of one process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from shared.ports import Cache


class MemoryCache:
    def __init__(self, max_entries: int = 2048, clock: Callable[[], float] = time.monotonic):
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class TieredCache:
    """The process's own cache first, then a shared one (Redis), which fills the first."""

    def __init__(self, near: MemoryCache, far: Cache) -> None:
        self._near = near
        self._far = far

    def get(self, key: str) -> bytes | None:
        value = self._near.get(key)
        if value is None:
            value = self._far.get(key)
            if value is not None:
                self._near.set(key, value, NEAR_TTL_SECONDS)
        return value

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._near.set(key, value, min(ttl_seconds, NEAR_TTL_SECONDS))
        self._far.set(key, value, ttl_seconds)


NEAR_TTL_SECONDS = 300
