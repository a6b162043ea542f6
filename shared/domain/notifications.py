"""Notifications without a database: channels, statuses, who wants what, quiet hours, retries.

A notification is one message to one person on one channel, caused by one alert event. Its key
for de-duplication is (person, event type, the alert's period key, channel): the same alert
for the same period reaches a person once per channel however often it is delivered or fired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

ALERT_EVENT_TYPES: tuple[str, ...] = (
    "BudgetThresholdReached",
    "BudgetExceeded",
    "GoalMilestoneReached",
    "GoalReached",
)
"""The alerts the system raises, which people choose to be notified of (``events``)."""
ANOMALY_EVENT_TYPES: tuple[str, ...] = ("AnomalyDetected",)
"""Unusual transactions: a person asks for them (``events``); not among the defaults, since a
workspace's first import can flag a year of price rises at once."""
REPORT_EVENT_TYPES: tuple[str, ...] = ("ReportGenerated",)
"""A scheduled report is announced by e-mail to the one person it was made for, whatever their
``events`` say: making it was the choice (monthly for everyone, weekly on request)."""
NOTIFIED_EVENT_TYPES: tuple[str, ...] = (
    *ALERT_EVENT_TYPES,
    *ANOMALY_EVENT_TYPES,
    *REPORT_EVENT_TYPES,
)
"""Every event the notifications consumer handles; each has a template in both languages."""
WEEKLY_REPORT = "WeeklyReport"
"""Listed in a person's ``events``: they get a weekly report too (``fluxo reports run
--period 2026-W44``; Mondays in AWS). The monthly report needs no such entry."""
PREFERENCE_EVENTS: tuple[str, ...] = (*ALERT_EVENT_TYPES, *ANOMALY_EVENT_TYPES, WEEKLY_REPORT)
"""What a person's ``events`` may list."""


class Channel(StrEnum):
    EMAIL = "email"
    """SES; the address is the profile's e-mail unless the preferences name another."""
    SMS = "sms"
    """SNS to a phone number in E.164."""
    PUSH = "push"
    """SNS to each mobile platform endpoint the person registered."""


class Status(StrEnum):
    QUEUED = "queued"
    """To be sent at ``not_before`` (now, or a retry's time after a failure)."""
    DEFERRED = "deferred"
    """Held by the person's quiet hours until ``not_before``."""
    SENDING = "sending"
    """An attempt is under way (or died: a sweep takes it again after a lease)."""
    SENT = "sent"
    FAILED = "failed"
    """Every attempt failed (or a permanent failure): kept with its last error."""


class Language(StrEnum):
    PT_BR = "pt-BR"
    EN = "en"


MAX_DEVICES = 10
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_ENDPOINT_ARN = re.compile(
    r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/[A-Za-z_]+/[A-Za-z0-9_.-]+/[0-9a-fA-F-]{36}$"
)


def language_for(locale: str | None) -> Language:
    """A profile's locale → the language of its notifications (Portuguese first)."""
    if locale is None or locale.lower().startswith("pt"):
        return Language.PT_BR
    return Language.EN


def is_phone(number: str) -> bool:
    """E.164: ``+`` and 8 to 15 digits, no leading zero (``+5511987654321``)."""
    return bool(_E164.fullmatch(number))


def is_endpoint_arn(arn: str) -> bool:
    """An SNS mobile platform endpoint: ``arn:aws:sns:<region>:<account>:endpoint/<platform>/
    <application>/<uuid>``."""
    return bool(_ENDPOINT_ARN.fullmatch(arn))


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the person's time zone, when nothing is sent. ``start`` is inside,
    ``end`` outside; a window whose end is not after its start spans midnight (22:00–07:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours need different start and end times")

    def contains(self, moment: time) -> bool:
        moment = moment.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def resume_at(self, now: datetime, timezone: str) -> datetime | None:
        """When sending may resume: None if ``now`` (aware) is outside the window, else the
        window's next end in ``timezone``, as UTC. A wall-clock end that a DST change skips
        resolves forward (zoneinfo's reading of a nonexistent time, then normalised)."""
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        if not self.contains(local.time()):
            return None
        end_day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:
            end_day += timedelta(days=1)
        resume = datetime.combine(end_day, self.end, tzinfo=zone)
        # Round-trip through UTC normalises a wall time inside a DST gap.
        return resume.astimezone(UTC)


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: base, 2×base, 4×base…
    (capped at a day)."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 86_400))
