"""Lambda entry of the scheduled reports (EventBridge schedules).

The monthly schedule fires on the 1st (06:00 in São Paulo) and reports on the month that just
ended; the weekly one fires on Mondays and reports on the ISO week that just ended, for those
who asked for weekly reports. The rule's input says which: ``{"frequency": "weekly"}``;
anything else is monthly. ``{"period": "2026-10"}`` reports on that period instead (a re-run).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared.bootstrap import Container, bootstrap
from shared.reports.periods import Frequency, ReportPeriod


@cache
def _container() -> Container:
    return bootstrap()


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    container = _container()
    period = _period(event, container)
    run = container.reports.run_scheduled(period)
    if run.failed:
        # Raised after every other report was written: the failed ones show in the logs and
        # the errors alarm, and the schedule's retries make the whole period again (the files
        # are replaced; the de-duplicated e-mails are not sent twice).
        raise RuntimeError(f"{len(run.failed)} report(s) of {period.key} failed")
    return {"period": period.key, "written": len(run.written)}


def _period(event: dict[str, Any], container: Container) -> ReportPeriod:
    if isinstance(event.get("period"), str):
        return ReportPeriod.parse(event["period"])
    frequency = Frequency.WEEKLY if event.get("frequency") == "weekly" else Frequency.MONTHLY
    return ReportPeriod.last_complete(frequency, container.clock.today())
