"""Lambda entry of the dashboards' day refresh (an EventBridge schedule, every 15 minutes).

A dashboard's snapshot holds for the local day it was computed on; after each workspace's
midnight its snapshots are computed again here (``AnalyticsService.refresh_day``), so the
day's first opening is served as fast as the others. Every 15 minutes, because workspaces'
midnights fall on different hours and half hours; only workspaces with a snapshot whose day
has ended are read. A run in which a workspace failed fails (after the others), so the
function's errors alarm.
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
