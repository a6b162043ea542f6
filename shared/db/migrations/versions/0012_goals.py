"""goals and goal_milestones: savings goals, and which of their milestones have fired

``goals`` holds a workspace's savings goals: a target amount in a currency, an optional target
date, and what measures it, either an account's balance or the contributions to a category
(and its children) since the goal's start; exactly one of the two (a CHECK says so).
``goal_milestones`` remembers, per goal and milestone, whether it has fired
(``shared.services.goals``), so each crossing is announced once and going back under re-arms it.

Both are tenant tables under row-level security, like every other.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Exact money on both engines, as in 0001 (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "goals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("target_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("milestones", JSON, nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (category_id IS NULL)", name=op.f("ck_goals_one_measure")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_goals_tenant_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["categories.tenant_id", "categories.id"],
            name=op.f("fk_goals_tenant_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_goals_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_goals_tenant_id_id")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goals_tenant_id_account_id"), ["tenant_id", "account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goals_tenant_id_category_id"),
            ["tenant_id", "category_id"],
            unique=False,
        )
    op.create_table(
        "goal_milestones",
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("milestone", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("times_fired", sa.Integer(), nullable=False),
        sa.Column("saved", MONEY, nullable=False),
        sa.Column("target", MONEY, nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "goal_id"],
            ["goals.tenant_id", "goals.id"],
            name=op.f("fk_goal_milestones_tenant_id_goals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_goal_milestones_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("goal_id", "milestone", name=op.f("pk_goal_milestones")),
    )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        for table in ("goals", "goal_milestones"):
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{app_role}"')
            tenant_isolation(table)


def downgrade() -> None:
    op.drop_table("goal_milestones")
    op.drop_table("goals")
