"""Lambda entry of the outbox sweep (an EventBridge schedule)."""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.bootstrap import Container, bootstrap


@cache
def _container() -> Container:
    return bootstrap()


def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    return {"published": _container().relay.sweep()}
