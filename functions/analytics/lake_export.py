"""Lambda entry of the lake export (an EventBridge schedule, daily at 04:00 UTC).

Re-exports the last seven complete days (``shared.analytics.lake_export.recent``): yesterday's
file appears, and the six before it pick up transactions booked late or edited since. The
schedule's input may name other days for a re-run: ``{"since": "2026-11-01", "until":
"2026-11-30"}`` (``until`` defaults to ``since``).

Its function alone has the parquet layer (pyarrow), and may write and delete only under
``processed/daily_aggregations/`` (``stacks/constructs/lake_export.py``).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from shared.analytics.lake_export import recent
from shared.bootstrap import Container, bootstrap


@cache
def _container() -> Container:
    return bootstrap()


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    container = _container()
    since, until = _range(event, container.clock.today())
    exported = list(container.lake_export.export(since, until))
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "written": [export.day.isoformat() for export in exported if export.written],
        "rows": sum(export.rows for export in exported),
    }


def _range(event: dict[str, Any], today: date) -> tuple[date, date]:
    """The days the event names, else :func:`recent`. A scheduled event carries EventBridge's
    envelope (``detail-type`` "Scheduled Event"), which names none."""
    since = event.get("since")
    if not isinstance(since, str):
        return recent(today)
    until = event.get("until")
    return date.fromisoformat(since), date.fromisoformat(until if isinstance(until, str) else since)
