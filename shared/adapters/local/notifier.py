"""The embedded notifier: messages land in the ``notification_outbox`` table of the same
database instead of leaving the machine; ``fluxo notifications list`` prints them.

A table rather than files under FLUXO_HOME: it works the same on SQLite and PostgreSQL, stays
under row-level security with the tenant's other rows, is cleaned with the database (tests
share one FLUXO_HOME), and the CLI can filter and order it with one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import select

from shared.db.engine import Database
from shared.db.models import NotificationOutboxMessage
from shared.ports import MessageReference


@dataclass(frozen=True)
class OutboxMessage:
    id: UUID
    sent_at: datetime
    tenant_id: UUID
    user_id: UUID
    notification_id: UUID
    channel: str
    address: str
    subject: str | None
    body: str


class LocalOutboxNotifier:
    def __init__(self, db: Database) -> None:
        self._db = db

    def send_email(self, to: str, subject: str, text: str, *, reference: MessageReference) -> str:
        return self._keep("email", to, subject, text, reference)

    def send_sms(self, phone: str, text: str, *, reference: MessageReference) -> str:
        return self._keep("sms", phone, None, text, reference)

    def send_push(
        self, endpoint_arn: str, title: str, text: str, *, reference: MessageReference
    ) -> str:
        return self._keep("push", endpoint_arn, title, text, reference)

    def _keep(
        self,
        channel: str,
        address: str,
        subject: str | None,
        body: str,
        reference: MessageReference,
    ) -> str:
        message_id = uuid4()
        with self._db.tenant_session(reference.tenant_id, None) as session:
            session.add(
                NotificationOutboxMessage(
                    id=message_id,
                    tenant_id=reference.tenant_id,
                    notification_id=reference.notification_id,
                    user_id=reference.user_id,
                    channel=channel,
                    address=address,
                    subject=subject,
                    body=body,
                    sent_at=self._db.clock.now(),
                )
            )
            session.commit()
        return f"local-{message_id}"


def outbox_messages(db: Database, *, user_id: UUID | None, limit: int) -> list[OutboxMessage]:
    """The newest messages of the local outbox, of every workspace (a local tool's view: read
    with the connecting user's rights), optionally of one person."""
    query = select(NotificationOutboxMessage).order_by(
        NotificationOutboxMessage.sent_at.desc(), NotificationOutboxMessage.id
    )
    if user_id is not None:
        query = query.where(NotificationOutboxMessage.user_id == user_id)
    with db.admin_session() as session:
        return [
            OutboxMessage(
                row.id,
                row.sent_at,
                row.tenant_id,
                row.user_id,
                row.notification_id,
                row.channel,
                row.address,
                row.subject,
                row.body,
            )
            for row in session.scalars(query.limit(limit))
        ]
