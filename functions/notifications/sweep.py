"""Lambda entry of the notifications sweep (an EventBridge schedule): sends what is due —
retries after their backoff, messages held by quiet hours, attempts that died."""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.bootstrap import Container, bootstrap


@cache
def _container() -> Container:
    return bootstrap()


def handler(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    report = _container().notifications.deliver_due()
    return {
        "sent": report.sent,
        "failed": report.failed,
        "retrying": report.retrying,
        "deferred": report.deferred,
    }
