"""Scheduled reports on AWS: one function (``functions/analytics/reports_schedule.py``) on two
EventBridge schedules, monthly on the 1st at 06:00 in São Paulo (09:00 UTC; Brazil has kept no
daylight saving time since 2019) and weekly on Mondays at the same hour.

The function writes each report under ``reports/`` of the lake and nothing else (no delete, no
other prefix), reads them back to sign links, and records ``ReportGenerated`` in the outbox; the
notifications consumer e-mails the link. It therefore has no SES or SNS right of its own.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from stacks.constructs.events import Events
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.lake import REPORTS, Lake

MONTHLY = events.Schedule.cron(minute="0", hour="9", day="1", month="*", year="*")
WEEKLY = events.Schedule.cron(minute="0", hour="9", week_day="MON", month="*", year="*")
TIMEOUT = Duration.minutes(15)
"""Lambda's longest: every person's report of every workspace in one run."""


class ScheduledReports(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        events_: Events,
        lake: Lake,
        enabled: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = FluxoFunction(
            self,
            "Function",
            defaults=defaults,
            context="analytics",
            handler="reports_schedule.handler",
            description="Writes the monthly and weekly reports into the lake and announces them",
            memory_mb=1024,
            timeout=TIMEOUT,
            # One run at a time: a retried run replaces the files another is writing.
            reserved_concurrency=1,
        )
        # GetObject as well as PutObject: a presigned link works only while its signer may
        # read the object.
        lake.grant_objects(self.function.role, read=[REPORTS], write=[REPORTS])
        self.schedules = [
            events_.add_schedule(
                "MonthlySchedule",
                schedule=MONTHLY,
                target_function=self.function.function,
                description="Fluxo: last month's reports, on the 1st at 06:00 in São Paulo",
                payload={"frequency": "monthly"},
            ),
            events_.add_schedule(
                "WeeklySchedule",
                schedule=WEEKLY,
                target_function=self.function.function,
                description="Fluxo: last week's reports (for who asked), Mondays 06:00 BRT",
                payload={"frequency": "weekly"},
            ),
        ]
        if not enabled:
            for rule in self.schedules:
                cast(events.CfnRule, rule.node.default_child).state = "DISABLED"
