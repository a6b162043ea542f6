"""Lambda entry of the dashboards' day refresh (an EventBridge schedule, every 15 minutes).

A dashboard's snapshot holds for the local day it was computed on; after each workspace's
midnight its snapshots are computed again here (``AnalyticsService.refresh_day``), so the
day's first opening is served as fast as the others. Every 15 minutes, because workspaces'
midnights fall on different hours and half hours; only workspaces with a snapshot whose day
has ended are read. A run in which a workspace failed fails (after the others), so the
function's errors alarm; a run stops starting workspaces a minute before its timeout, and the
next one takes those left.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.bootstrap import Container, bootstrap


@cache
def _container() -> Container:
    return bootstrap()


def handler(_event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = _container().analytics.refresh_day(
        time_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    if run.failed:
        # Raised after the others were refreshed: the function's errors alarm; the failed
        # workspaces are still due, and the next run tries them again.
        raise RuntimeError(f"the snapshots of {len(run.failed)} workspace(s) failed")
    return {"workspaces": len(run.refreshed), "left": run.left}
