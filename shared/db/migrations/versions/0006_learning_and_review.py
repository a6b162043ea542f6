"""learned merchants; a transaction's category evidence, deciding rule and review flag

``learned_merchants`` keeps, per workspace and merchant, the categories people chose by hand
(see ``shared.categorisation.learned``). Transactions gain ``category_evidence`` (why the
category is what it is), ``category_rule_id`` (the rule that decided it) and ``needs_review``
(a categoriser was not sure), with a partial index for the review queue.

``needs_review`` is added NOT NULL with a temporary default, which PostgreSQL 11+ records in the
catalogue without rewriting the table, then the default is dropped: the models leave defaults to
Python.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "learned_merchants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_key", sa.String(length=200), nullable=False),
        sa.Column("merchant", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("choices", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_learned_merchants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_merchants")),
        sa.UniqueConstraint(
            "tenant_id", "merchant_key", name=op.f("uq_learned_merchants_tenant_id_merchant_key")
        ),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_evidence", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("category_rule_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.alter_column("needs_review", server_default=None)
        batch_op.create_index(
            "ix_transactions_review_queue",
            ["tenant_id", "booked_on", "id"],
            unique=False,
            sqlite_where=sa.text("needs_review = 1"),
            postgresql_where=sa.text("needs_review"),
        )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON learned_merchants TO "{app_role}"')
        tenant_isolation("learned_merchants")


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_review_queue")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("category_rule_id")
        batch_op.drop_column("category_evidence")
    op.drop_table("learned_merchants")
