"""notifications: people's preferences, every message sent, and the embedded notifier's outbox

``notification_preferences`` is per person (global, like ``users``): which alerts, which
channels and addresses, push endpoints, language and quiet hours. A person reads and writes only
their own; the members of the workspace a session acts in are readable too, so the
notifications consumer can find who wants an alert.

``notifications`` records each message (intent, attempts, outcome), unique per person, event
type, period key, channel and address so an alert is sent once. ``notification_outbox`` is where
the embedded notifier puts what it "sends". Both are tenant tables under row-level security.
The relay role may read the scheduling columns of ``notifications`` of every tenant (not the
messages): the sweep finds what is due there, then sends it inside each tenant's session.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import (
    CURRENT_TENANT,
    CURRENT_USER,
    configured_role,
    policy,
    tenant_isolation,
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("devices", JSON, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("period_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notifications_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "event_type",
            "period_key",
            "channel",
            "address",
            name="uq_notifications_dedup",
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_tenant_id_user_id_created_at"),
            ["tenant_id", "user_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_status_not_before"),
            ["status", "not_before"],
            unique=False,
        )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notification_outbox_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_sent_at"), ["sent_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        relay_role = configured_role("relay_role", "fluxo_relay")
        for table in ("notification_preferences", "notifications", "notification_outbox"):
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{app_role}"')
        for table in ("notifications", "notification_outbox"):
            tenant_isolation(table)
        # A person's own preferences; the members of the session's workspace are readable.
        policy(
            "notification_preferences",
            f"user_id = {CURRENT_USER}",
            f"user_id = {CURRENT_USER}",
            name="own",
        )
        policy(
            "notification_preferences",
            "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = "
            f"notification_preferences.user_id AND m.tenant_id = {CURRENT_TENANT})",
            None,
            name="members_read",
            command="SELECT",
        )
        # The sweep's search: what is due where, without the messages.
        op.execute(
            "GRANT SELECT (id, tenant_id, status, not_before, updated_at) "
            f'ON notifications TO "{relay_role}"'
        )
        policy("notifications", "true", None, name="relay", command="SELECT", to=relay_role)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Its policy reads memberships; it goes before anything else could.
        op.execute(
            "DROP POLICY IF EXISTS notification_preferences_members_read "
            "ON notification_preferences"
        )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_sent_at"))
    op.drop_table("notification_outbox")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_status_not_before"))
        batch_op.drop_index(batch_op.f("ix_notifications_tenant_id_user_id_created_at"))
    op.drop_table("notifications")
    op.drop_table("notification_preferences")
