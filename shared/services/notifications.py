"""Notifications: people's preferences, and the alerts they asked for, sent once and never lost.

The ``notifications`` consumer hears the alert events (``ALERT_EVENT_TYPES``). For each member of
the event's workspace who wants that event it renders the message in the person's language and
records one ``notifications`` row per channel and address — in the consumer's unit of work, with
the runner's claim, and ``ON CONFLICT DO NOTHING`` on (person, event type, period key, channel,
address), so an alert delivered twice, or fired again in the same period, is recorded once.
It hears ``ReportGenerated`` too (``REPORT_EVENT_TYPES``): the report's own person gets its link
by e-mail, once per period however often the report is made.

Nothing is sent inside that transaction. Once it has committed, each new row is attempted in
its own steps (:meth:`NotificationService.attempt`): mark it ``sending`` and count the attempt
(commit), call the notifier (no transaction open), then mark it ``sent`` or record the failure
(commit). A send that succeeded can therefore never be rolled back into a repeat by a failure
of the consumer's transaction. The one repeat left is at least once: a process that dies after
the provider accepted the message and before ``sent`` was committed leaves the row ``sending``;
after ``notifications_lease_seconds`` the sweep tries it again, and the person may get it twice.

A failure is retried by the sweep after a backoff (``notifications_retry_seconds``, doubling)
until ``notifications_max_attempts``, then the row is ``failed`` with its last error; a failure
the provider calls permanent (a rejected address, a disabled endpoint) fails at once. Quiet
hours, in the person's time zone, defer a row (``deferred`` with ``not_before`` at the window's
end) rather than drop it; the sweep (``fluxo notifications deliver``, a five-minute schedule in
AWS) sends what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import event as orm_event
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite

from events.envelope import DomainEvent, EventMetadata
from events.notifications import NotificationFailed, NotificationSent
from events.registry import payload
from shared.consumers import Consumer
from shared.db.engine import Database
from shared.db.models import Membership, Notification, NotificationPreference, User
from shared.db.unit_of_work import UnitOfWork
from shared.domain.access import Principal
from shared.domain.errors import FieldIssue, InvalidInput, NotFound
from shared.domain.notification_templates import period_key, render
from shared.domain.notifications import (
    ALERT_EVENT_TYPES,
    MAX_DEVICES,
    NOTIFIED_EVENT_TYPES,
    REPORT_EVENT_TYPES,
    Channel,
    Language,
    QuietHours,
    Status,
    language_for,
    retry_delay,
)
from shared.ports import Clock, MessageReference, Notifier, SendFailed
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.workspaces import ensure_user

log = logging.getLogger(__name__)

CONSUMER = "notifications"
DEFAULT_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL,)
MAX_LIST = 200
SUBJECT_LENGTH = 200


@dataclass(frozen=True)
class Device:
    id: UUID
    endpoint_arn: str
    platform: str
    label: str | None
    registered_at: datetime


@dataclass(frozen=True)
class Preferences:
    """A person's preferences as they apply (defaults filled in)."""

    events: tuple[str, ...]
    channels: tuple[Channel, ...]
    email: str | None
    """The address set in the preferences; None: the profile's."""
    profile_email: str | None
    phone: str | None
    devices: tuple[Device, ...]
    language: Language | None
    """Set in the preferences; None: from the profile's locale."""
    effective_language: Language
    quiet_hours: QuietHours | None
    timezone: str
    """The profile's time zone, which quiet hours are read in."""
    updated_at: datetime | None

    @property
    def email_address(self) -> str | None:
        return self.email or self.profile_email

    def destinations(self) -> list[tuple[Channel, str]]:
        """Where a notification goes: each channel turned on with its address(es)."""
        found: list[tuple[Channel, str]] = []
        for channel in self.channels:
            if channel is Channel.EMAIL and self.email_address:
                found.append((channel, self.email_address))
            elif channel is Channel.SMS and self.phone:
                found.append((channel, self.phone))
            elif channel is Channel.PUSH:
                found.extend((channel, device.endpoint_arn) for device in self.devices)
        return found


@dataclass(frozen=True)
class PreferencesChange:
    """Everything but the devices, replaced as a whole (PUT)."""

    events: tuple[str, ...] = ALERT_EVENT_TYPES
    channels: tuple[Channel, ...] = DEFAULT_CHANNELS
    email: str | None = None
    phone: str | None = None
    language: Language | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    skipped: int = 0
    outcomes: list[Status] = field(default_factory=list)

    def count(self, outcome: Status | None) -> None:
        if outcome is None:
            self.skipped += 1
            return
        self.outcomes.append(outcome)
        if outcome is Status.SENT:
            self.sent += 1
        elif outcome is Status.FAILED:
            self.failed += 1
        elif outcome is Status.QUEUED:
            self.retrying += 1
        elif outcome is Status.DEFERRED:
            self.deferred += 1


@dataclass(frozen=True)
class _Attempt:
    tenant_id: UUID
    id: UUID
    user_id: UUID
    channel: Channel
    address: str
    subject: str
    body: str
    attempts: int


class NotificationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        db: Database,
        notifier: Callable[[], Notifier],
        *,
        max_attempts: int = 5,
        retry_seconds: float = 60,
        lease_seconds: float = 300,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._db = db
        self._notifier = notifier
        self._max_attempts = max_attempts
        self._retry_seconds = retry_seconds
        self._lease = timedelta(seconds=lease_seconds)

    @property
    def consumer(self) -> Consumer:
        return Consumer(
            name=CONSUMER, event_types=frozenset(NOTIFIED_EVENT_TYPES), handle=self.handle
        )

    # Preferences (the caller's own, whatever workspace)

    def preferences(self, principal: Principal) -> Preferences:
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            row = uow.session.get(NotificationPreference, user.id)
            uow.commit()
            return _preferences(user, row)

    def update_preferences(self, principal: Principal, change: PreferencesChange) -> Preferences:
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            _check(change, user)
            row = self._row(uow, user.id)
            row.events = list(dict.fromkeys(change.events))
            row.channels = [str(channel) for channel in dict.fromkeys(change.channels)]
            row.email = change.email.strip().lower() if change.email else None
            row.phone = change.phone
            row.language = str(change.language) if change.language else None
            row.quiet_start, row.quiet_end = change.quiet_start, change.quiet_end
            uow.commit()
            return _preferences(user, row)

    def register_device(
        self, principal: Principal, endpoint_arn: str, label: str | None
    ) -> tuple[Device, bool]:
        """Adds a push endpoint; one already registered is returned as it is (False)."""
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            row = self._row(uow, user.id)
            for device in _devices(row):
                if device.endpoint_arn == endpoint_arn:
                    uow.commit()
                    return device, False
            if len(row.devices) >= MAX_DEVICES:
                raise InvalidInput(
                    f"at most {MAX_DEVICES} devices; remove one first",
                    issues=[FieldIssue(("body", "endpoint_arn"), "too many devices", "too_many")],
                )
            device = Device(uuid4(), endpoint_arn, _platform(endpoint_arn), label, uow.now())
            row.devices = [*row.devices, _device_json(device)]
            uow.commit()
            return device, True

    def remove_device(self, principal: Principal, device_id: UUID) -> None:
        with self._uow(None, principal.user_id) as uow:
            user = ensure_user(uow, principal)
            row = uow.session.get(NotificationPreference, user.id)
            kept = [d for d in (row.devices if row else []) if d["id"] != str(device_id)]
            if row is None or len(kept) == len(row.devices):
                raise NotFound("no such device")
            row.devices = kept
            uow.commit()

    @staticmethod
    def _row(uow: UnitOfWork, user_id: UUID) -> NotificationPreference:
        row = uow.session.get(NotificationPreference, user_id)
        if row is None:
            row = NotificationPreference(
                user_id=user_id,
                events=list(ALERT_EVENT_TYPES),
                channels=[str(channel) for channel in DEFAULT_CHANNELS],
                devices=[],
            )
            uow.session.add(row)
        return row

    # What was sent

    def sent_to(
        self, caller: Caller, *, status: Status | None = None, limit: int = 50
    ) -> list[Notification]:
        """The caller's notifications in the workspace, newest first."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            query = select(Notification).where(
                Notification.tenant_id == caller.tenant_id,
                Notification.user_id == caller.user_id,
            )
            if status is not None:
                query = query.where(Notification.status == status)
            query = query.order_by(Notification.created_at.desc(), Notification.id)
            return list(uow.session.scalars(query.limit(min(limit, MAX_LIST))))

    def failed(self, *, limit: int = 50) -> list[Notification]:
        """Failed notifications of every workspace (an operator's view, ``fluxo notifications
        failed``: read with the connecting user's rights)."""
        with self._db.admin_session() as session:
            query = (
                select(Notification)
                .where(Notification.status == Status.FAILED)
                .order_by(Notification.updated_at.desc(), Notification.id)
                .limit(limit)
            )
            return list(session.scalars(query))

    # The consumer

    def handle(self, uow: UnitOfWork, event: DomainEvent) -> None:
        """Records the notifications an alert causes; they are attempted after the commit."""
        data = payload(event)
        key = period_key(data)
        tenant_id = event.metadata.tenant_id
        now = uow.now()
        members = uow.memberships.of_tenant(tenant_id)
        rows = {
            row.user_id: row
            for row in uow.session.scalars(
                select(NotificationPreference).where(
                    NotificationPreference.user_id.in_([m.user_id for m in members])
                )
            )
        }
        created: list[UUID] = []
        for membership in _recipients(event.type, data, members):
            preferences = _preferences(membership.user, rows.get(membership.user_id))
            destinations = _destinations(event.type, preferences)
            if not destinations:
                continue
            rendered = render(event.type, data, preferences.effective_language)
            resume = (
                preferences.quiet_hours.resume_at(now, preferences.timezone)
                if preferences.quiet_hours
                else None
            )
            for channel, address in destinations:
                body = rendered.text if channel is Channel.EMAIL else rendered.short
                new_id = _insert_once(
                    uow,
                    {
                        "id": uuid4(),
                        "tenant_id": tenant_id,
                        "user_id": membership.user_id,
                        "event_id": event.id,
                        "event_type": event.type,
                        "period_key": key,
                        "channel": str(channel),
                        "address": address,
                        "language": str(preferences.effective_language),
                        "subject": rendered.subject[:SUBJECT_LENGTH],
                        "body": body,
                        "status": str(Status.DEFERRED if resume else Status.QUEUED),
                        "attempts": 0,
                        "not_before": resume or now,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                if new_id is not None and resume is None:
                    created.append(new_id)
        if created:
            # After the consumer's transaction commits (with the runner's claim), never inside.
            orm_event.listen(
                uow.session,
                "after_commit",
                lambda _session: self._after_commit(tenant_id, created),
                once=True,
            )

    def _after_commit(self, tenant_id: UUID, ids: Sequence[UUID]) -> None:
        try:
            self.deliver(tenant_id, ids)
        except Exception:
            # The rows are committed as queued: the sweep sends them. The consumer's delivery
            # succeeded and must not be repeated for this.
            log.exception("notifications of %s left for the sweep", tenant_id)

    # Sending

    def deliver(self, tenant_id: UUID, ids: Sequence[UUID]) -> DeliveryReport:
        report = DeliveryReport()
        for notification_id in ids:
            report.count(self.attempt(tenant_id, notification_id))
        return report

    def deliver_due(self, *, limit: int = 500) -> DeliveryReport:
        """Attempts every notification that is due, in every workspace: queued or deferred
        ones whose time has come, and attempts that died (``sending`` beyond the lease)."""
        now = self._clock.now()
        with self._db.relay_session() as session:
            due = session.execute(
                select(Notification.tenant_id, Notification.id)
                .where(
                    or_(
                        Notification.status.in_([Status.QUEUED, Status.DEFERRED])
                        & (Notification.not_before <= now),
                        (Notification.status == Status.SENDING)
                        & (Notification.updated_at <= now - self._lease),
                    )
                )
                .order_by(Notification.not_before, Notification.id)
                .limit(limit)
            ).all()
        report = DeliveryReport()
        for tenant_id, notification_id in due:
            try:
                report.count(self.attempt(tenant_id, notification_id))
            except Exception:
                log.exception("notification %s: attempt failed to run", notification_id)
                report.skipped += 1
        return report

    def attempt(self, tenant_id: UUID, notification_id: UUID) -> Status | None:
        """One attempt at one notification; its new status, or None when it was not due (sent,
        failed, another attempt under way, or its time not come)."""
        attempt = self._begin(tenant_id, notification_id)
        if not isinstance(attempt, _Attempt):
            return attempt
        try:
            provider_id = self._send(attempt)
        except SendFailed as failure:
            return self._failed(attempt, failure.reason, permanent=failure.permanent)
        except Exception as error:  # an adapter's bug or an unexpected SDK error: retried
            log.exception("notification %s: unexpected send error", attempt.id)
            return self._failed(attempt, f"{type(error).__name__}: {error}", permanent=False)
        with self._uow(tenant_id, None) as uow:
            row = _locked(uow, notification_id)
            row.status = Status.SENT
            row.sent_at = uow.now()
            row.provider_id = provider_id[:200]
            uow.record(_outcome_event(uow, row))
            uow.commit()
        return Status.SENT

    def _begin(self, tenant_id: UUID, notification_id: UUID) -> _Attempt | Status | None:
        with self._uow(tenant_id, None) as uow:
            row = _locked(uow, notification_id)
            now = uow.now()
            if row.status in (Status.SENT, Status.FAILED):
                return None
            if row.status == Status.SENDING:
                if row.updated_at > now - self._lease:
                    return None  # another attempt is under way
                row.last_error = f"attempt {row.attempts} did not finish; the message may be out"
                if row.attempts >= self._max_attempts:
                    row.status = Status.FAILED
                    uow.record(_outcome_event(uow, row))
                    uow.commit()
                    return Status.FAILED
            elif row.not_before > now:
                return None
            resume = self._quiet_until(uow, row.user_id, now)
            if resume is not None:
                row.status, row.not_before = Status.DEFERRED, resume
                uow.commit()
                return Status.DEFERRED
            row.status = Status.SENDING
            row.attempts += 1
            uow.commit()
            return _Attempt(
                tenant_id,
                row.id,
                row.user_id,
                Channel(row.channel),
                row.address,
                row.subject,
                row.body,
                row.attempts,
            )

    def _quiet_until(self, uow: UnitOfWork, user_id: UUID, now: datetime) -> datetime | None:
        row = uow.session.get(NotificationPreference, user_id)
        user = uow.session.get(User, user_id)
        if row is None or user is None or row.quiet_start is None or row.quiet_end is None:
            return None
        return QuietHours(row.quiet_start, row.quiet_end).resume_at(now, user.timezone)

    def _send(self, attempt: _Attempt) -> str:
        notifier = self._notifier()
        reference = MessageReference(attempt.id, attempt.tenant_id, attempt.user_id)
        if attempt.channel is Channel.EMAIL:
            return notifier.send_email(
                attempt.address, attempt.subject, attempt.body, reference=reference
            )
        if attempt.channel is Channel.SMS:
            return notifier.send_sms(attempt.address, attempt.body, reference=reference)
        return notifier.send_push(
            attempt.address, attempt.subject, attempt.body, reference=reference
        )

    def _failed(self, attempt: _Attempt, reason: str, *, permanent: bool) -> Status:
        with self._uow(attempt.tenant_id, None) as uow:
            row = _locked(uow, attempt.id)
            row.last_error = reason[:2000]
            if permanent or row.attempts >= self._max_attempts:
                row.status = Status.FAILED
                log.warning(
                    "notification %s failed after %d attempt(s): %s", row.id, row.attempts, reason
                )
                uow.record(_outcome_event(uow, row))
            else:
                row.status = Status.QUEUED
                row.not_before = uow.now() + retry_delay(row.attempts, self._retry_seconds)
            status = Status(row.status)
            uow.commit()
        return status


def _recipients(event_type: str, data: Any, members: Sequence[Membership]) -> list[Membership]:
    """Every member for an alert of the workspace; for a report, the one person it was made
    for (while still a member)."""
    ordered = sorted(members, key=lambda m: str(m.user_id))
    if event_type in REPORT_EVENT_TYPES:
        return [member for member in ordered if member.user_id == data.user_id]
    return ordered


def _destinations(event_type: str, preferences: Preferences) -> list[tuple[Channel, str]]:
    """Alerts go where the person asked, if they asked for this one; a report's link goes by
    e-mail (the report is a page to read, not a message for a phone's lock screen)."""
    if event_type in REPORT_EVENT_TYPES:
        address = preferences.email_address
        return [(Channel.EMAIL, address)] if address else []
    if event_type not in preferences.events:
        return []
    return preferences.destinations()


def _outcome_event(uow: UnitOfWork, row: Notification) -> DomainEvent:
    """``NotificationSent`` or ``NotificationFailed``: a notification ends once, version 1."""
    common = {
        "notification_id": row.id,
        "user_id": row.user_id,
        "channel": row.channel,
        "alert_type": row.event_type,
        "alert_id": row.event_id,
        "period_key": row.period_key,
        "attempts": row.attempts,
    }
    data: NotificationSent | NotificationFailed = (
        NotificationSent(**common, provider_id=row.provider_id)
        if row.status == Status.SENT
        else NotificationFailed(**common, reason=(row.last_error or "failed")[:2000])
    )
    return DomainEvent(
        type=type(data).__name__,
        aggregate_id=row.id,
        aggregate_type="Notification",
        version=1,
        timestamp=uow.now(),
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=None, tenant_id=row.tenant_id, correlation_id=f"notification-{row.id}"
        ),
    )


def _locked(uow: UnitOfWork, notification_id: UUID) -> Notification:
    row = uow.session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no notification {notification_id}")
    return row


def _insert_once(uow: UnitOfWork, values: dict[str, Any]) -> UUID | None:
    """Inserts the row unless its de-duplication key exists; its id if inserted."""
    table: Any = Notification.__table__
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[
                "tenant_id",
                "user_id",
                "event_type",
                "period_key",
                "channel",
                "address",
            ]
        )
        .returning(table.c.id)
    )
    inserted: UUID | None = uow.session.execute(statement).scalar_one_or_none()
    return inserted


def _preferences(user: User, row: NotificationPreference | None) -> Preferences:
    language = Language(row.language) if row is not None and row.language else None
    quiet = (
        QuietHours(row.quiet_start, row.quiet_end)
        if row is not None and row.quiet_start is not None and row.quiet_end is not None
        else None
    )
    return Preferences(
        events=tuple(row.events) if row is not None else ALERT_EVENT_TYPES,
        channels=tuple(Channel(c) for c in row.channels) if row is not None else DEFAULT_CHANNELS,
        email=row.email if row is not None else None,
        profile_email=user.email,
        phone=row.phone if row is not None else None,
        devices=tuple(_devices(row)) if row is not None else (),
        language=language,
        effective_language=language or language_for(user.locale),
        quiet_hours=quiet,
        timezone=user.timezone,
        updated_at=row.updated_at if row is not None else None,
    )


def _check(change: PreferencesChange, user: User) -> None:
    issues: list[FieldIssue] = []
    if Channel.SMS in change.channels and not change.phone:
        issues.append(FieldIssue(("body", "phone"), "a phone number is needed for sms", "missing"))
    if Channel.EMAIL in change.channels and not (change.email or user.email):
        issues.append(
            FieldIssue(("body", "email"), "your profile has no e-mail: give one", "missing")
        )
    if (change.quiet_start is None) != (change.quiet_end is None):
        issues.append(FieldIssue(("body", "quiet_hours"), "give both start and end"))
    elif change.quiet_start is not None and change.quiet_start == change.quiet_end:
        issues.append(
            FieldIssue(("body", "quiet_hours", "end"), "must differ from start", "invalid")
        )
    if issues:
        raise InvalidInput("the preferences are not usable", issues=issues)


def _platform(endpoint_arn: str) -> str:
    # arn:aws:sns:<region>:<account>:endpoint/<platform>/<application>/<id>
    return endpoint_arn.split(":", 5)[5].split("/")[1]


def _devices(row: NotificationPreference) -> list[Device]:
    return [
        Device(
            UUID(item["id"]),
            item["endpoint_arn"],
            item["platform"],
            item.get("label"),
            datetime.fromisoformat(item["registered_at"]),
        )
        for item in row.devices
    ]


def _device_json(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.id),
        "endpoint_arn": device.endpoint_arn,
        "platform": device.platform,
        "label": device.label,
        "registered_at": device.registered_at.isoformat(),
    }
