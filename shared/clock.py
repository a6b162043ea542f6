"""Clock adapters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock for tests and deterministic generators; ``set`` moves it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.date()

    def set(self, at: datetime) -> None:
        self._at = at


def local_today(now: datetime, timezone: str) -> date:
    """The date it is at ``now`` in ``timezone`` (a workspace's or a person's)."""
    return now.astimezone(ZoneInfo(timezone)).date()
