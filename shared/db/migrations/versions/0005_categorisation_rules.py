"""categorisation_rules: a tenant's own rules, in order

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "categorisation_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stop_processing", sa.Boolean(), nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_categorisation_rules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categorisation_rules")),
    )
    with op.batch_alter_table("categorisation_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_categorisation_rules_tenant_id_position"),
            ["tenant_id", "position"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON categorisation_rules TO "{app_role}"')
        tenant_isolation("categorisation_rules")


def downgrade() -> None:
    op.drop_table("categorisation_rules")
