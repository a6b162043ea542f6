"""anomalies: the transactions the anomaly detector flagged

One row per (workspace, transaction, kind): a replayed event or a line judged again finds its
row and flags nothing twice. The reason is not stored as text: ``evidence`` holds the numbers
it is worded from, in whichever language the reader asks for. Deleting a transaction deletes
its anomalies.

A tenant table under row-level security, like every other.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["transactions.tenant_id", "transactions.id"],
            name=op.f("fk_anomalies_tenant_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_anomalies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomalies")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_anomalies_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "transaction_id",
            "kind",
            name=op.f("uq_anomalies_tenant_id_transaction_id_kind"),
        ),
    )
    with op.batch_alter_table("anomalies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_anomalies_tenant_id_booked_on"), ["tenant_id", "booked_on"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON anomalies TO "{app_role}"')
        tenant_isolation("anomalies")


def downgrade() -> None:
    op.drop_table("anomalies")
