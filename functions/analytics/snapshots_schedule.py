"""Lambda entry of the dashboards' day refresh (an EventBridge schedule, every hour).

A dashboard's snapshot holds for the local day it was computed on; at each workspace's
midnight its snapshots are computed again here (``AnalyticsService.refresh_day``), so the
day's first opening is served as fast as the others. Hourly, because workspaces' midnights
fall on different hours; a workspace whose day has not changed is skipped.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.bootstrap import Container, bootstrap


@cache
def _container() -> Container:
    return bootstrap()


def handler(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    refreshed = _container().analytics.refresh_day()
    return {"workspaces": len(refreshed)}
