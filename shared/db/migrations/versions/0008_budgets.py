"""budgets and budget_alerts: spending limits per period, and which thresholds have fired

``budgets`` holds a workspace's budgets (a category and its children, or everything spent),
their period rule, rollover and thresholds. ``budget_alerts`` remembers, per budget, period and
threshold, whether its alert has fired (``shared.services.budgets``), so each crossing alerts
once and going back under re-arms it.

Both are tenant tables under row-level security, like every other.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Exact money on both engines, as in 0001 (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("period_starts", sa.String(length=16), nullable=False),
        sa.Column("period_day", sa.SmallInteger(), nullable=True),
        sa.Column("rollover", sa.Boolean(), nullable=False),
        sa.Column("thresholds", JSON, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["categories.tenant_id", "categories.id"],
            name=op.f("fk_budgets_tenant_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_budgets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_budgets_tenant_id_id")),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budgets_tenant_id_category_id"),
            ["tenant_id", "category_id"],
            unique=False,
        )
    op.create_table(
        "budget_alerts",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("threshold", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("times_fired", sa.Integer(), nullable=False),
        sa.Column("spent", MONEY, nullable=False),
        sa.Column("period_limit", MONEY, nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "budget_id"],
            ["budgets.tenant_id", "budgets.id"],
            name=op.f("fk_budget_alerts_tenant_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_budget_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "budget_id", "period_start", "threshold", name=op.f("pk_budget_alerts")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        for table in ("budgets", "budget_alerts"):
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{app_role}"')
            tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("budget_alerts")
    op.drop_table("budgets")
