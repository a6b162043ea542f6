"""Request and response bodies of the notifications context."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from shared.domain.notifications import (
    PREFERENCE_EVENTS,
    Channel,
    Language,
    Status,
    is_endpoint_arn,
    is_phone,
)
from shared.http.schemas import RequestBody, ResponseBody

AlertEvent = Literal[
    "BudgetThresholdReached",
    "BudgetExceeded",
    "GoalMilestoneReached",
    "GoalReached",
    "AnomalyDetected",
    "WeeklyReport",
]
assert set(AlertEvent.__args__) == set(PREFERENCE_EVENTS)  # type: ignore[attr-defined]


def _all_alerts() -> list[AlertEvent]:
    return ["BudgetThresholdReached", "BudgetExceeded", "GoalMilestoneReached", "GoalReached"]


def _phone(value: str) -> str:
    if not is_phone(value):
        raise ValueError(
            "write the number in E.164: + country code and number, e.g. +5511987654321"
        )
    return value


def _endpoint(value: str) -> str:
    if not is_endpoint_arn(value):
        raise ValueError(
            "not an SNS platform endpoint ARN "
            "(arn:aws:sns:<region>:<account>:endpoint/<platform>/<application>/<id>)"
        )
    return value


Phone = Annotated[str, AfterValidator(_phone), Field(examples=["+5511987654321"])]
EndpointArn = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_endpoint),
    Field(examples=["arn:aws:sns:us-east-1:123456789012:endpoint/GCM/fluxo/" + "0" * 36]),
]


class QuietHoursIn(RequestBody):
    start: time = Field(description="Local time quiet hours begin (inside), e.g. 22:00.")
    end: time = Field(
        description="Local time they end (outside), e.g. 07:00; before start: across midnight."
    )


class QuietHoursOut(ResponseBody):
    start: time
    end: time
    timezone: str = Field(description="Your profile's time zone, which they are read in.")


class PreferencesIn(RequestBody):
    """Replaces your preferences (devices are registered separately)."""

    events: list[AlertEvent] = Field(
        default_factory=_all_alerts,
        max_length=len(PREFERENCE_EVENTS),
        description="The alerts you want; empty: none. AnomalyDetected: unusual transactions "
        "(not on by default). WeeklyReport: a weekly report as well as the monthly one (by "
        "e-mail, like the monthly).",
    )
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.EMAIL],
        max_length=3,
        description="email (SES), sms (SNS), push (SNS, to every registered device).",
    )
    email: EmailStr | None = Field(
        None, description="Where e-mails go; your profile's (verified) e-mail when null."
    )
    phone: Phone | None = Field(None, description="For sms, in E.164.")
    language: Language | None = Field(
        None, description="pt-BR or en; from your profile's locale when null."
    )
    quiet_hours: QuietHoursIn | None = Field(
        None, description="Nothing is sent in this daily window; it is sent when it ends."
    )


class DeviceIn(RequestBody):
    endpoint_arn: EndpointArn = Field(
        description="The SNS platform endpoint your app created for this device."
    )
    label: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None


class DeviceOut(ResponseBody):
    id: UUID
    endpoint_arn: str
    platform: str
    label: str | None
    registered_at: datetime


class PreferencesOut(ResponseBody):
    events: list[str]
    channels: list[Channel]
    email: str | None = Field(description="The address set here; null: the profile's.")
    email_address: str | None = Field(description="Where e-mails go now.")
    phone: str | None
    devices: list[DeviceOut]
    language: Language | None
    effective_language: Language
    quiet_hours: QuietHoursOut | None
    updated_at: datetime | None


class NotificationOut(ResponseBody):
    id: UUID
    event_id: UUID
    event_type: str
    period_key: str
    channel: Channel
    address: str
    language: Language
    subject: str
    body: str
    status: Status
    attempts: int
    last_error: str | None
    provider_id: str | None = Field(description="The message id SES, SNS or the outbox gave.")
    not_before: datetime
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
