"""Payloads of the Notification aggregate's events (the ``data`` of the envelope).

A notification is one message to one person on one channel for one alert. It ends once: sent
(``NotificationSent``, the provider accepted it) or failed for good (``NotificationFailed``,
refused or out of attempts), so each notification has one such event, version 1.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class NotificationOutcome(_Payload):
    notification_id: UUID
    user_id: UUID
    channel: str = Field(description="email, sms or push.")
    alert_type: str = Field(description="The event the notification announced.")
    alert_id: UUID = Field(description="The id of that event.")
    period_key: str = Field(description="What it was de-duplicated on with the person and type.")
    attempts: int


class NotificationSent(NotificationOutcome):
    provider_id: str | None = Field(description="The message id SES, SNS or the outbox gave.")


class NotificationFailed(NotificationOutcome):
    reason: str = Field(description="The last attempt's error.")


PAYLOADS: dict[str, type[BaseModel]] = {
    "NotificationFailed": NotificationFailed,
    "NotificationSent": NotificationSent,
}
