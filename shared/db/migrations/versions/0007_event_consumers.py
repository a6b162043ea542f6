"""processed_events and account_daily_activity: the event consumers' ledger and first rollup

``processed_events`` remembers which consumer applied which domain event, written in the same
transaction as the consumer's effect (``shared.consumers``), so a repeated delivery is skipped.
``account_daily_activity`` is the first consumer's effect: per account and booking day, the
number of transactions, money in and money out (``shared.services.activity``).

Both are tenant tables under row-level security, like every other.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Exact money on both engines, as in 0001 (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_processed_events_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_tenant_id_processed_at"),
            ["tenant_id", "processed_at"],
            unique=False,
        )
    op.create_table(
        "account_daily_activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("inflow", MONEY, nullable=False),
        sa.Column("outflow", MONEY, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_account_daily_activity_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "account_id", "day", "currency", name=op.f("pk_account_daily_activity")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        for table in ("processed_events", "account_daily_activity"):
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{app_role}"')
            tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("account_daily_activity")
    op.drop_table("processed_events")
