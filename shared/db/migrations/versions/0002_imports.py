"""imports: one row per statement file brought into an account

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import (
    configured_role,
    tenant_isolation,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("lake_key", sa.String(length=1024), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("profile", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", JSON, nullable=False),
        sa.Column("duplicate_decisions", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_imports_tenant_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_imports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_imports_tenant_id_id")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imports_tenant_id_account_id_started_at"),
            ["tenant_id", "account_id", "started_at"],
            unique=False,
        )

    if op.get_bind().dialect.name == "postgresql":
        _enable_row_level_security()


def _enable_row_level_security() -> None:
    """As 0001 does for the other tenant tables: the app role reads and writes only the rows of
    the session's tenant (FORCE binds the table's owner too); the relay role gets nothing."""
    app_role = configured_role("app_role", "fluxo_app")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON imports TO "{app_role}"')
    tenant_isolation("imports")


def downgrade() -> None:
    # Dropping the table drops its policies and grants with it.
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imports_tenant_id_account_id_started_at"))

    op.drop_table("imports")
