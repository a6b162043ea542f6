"""dashboard snapshots: each person's dashboards for their default period, kept ahead

One row per (workspace, person, dashboard): the widgets' data as JSON text, with what it was
computed for (rollup generation, local day, period, currency, widgets) and when that day ends
there (``expires_at``: the refresh computes it again then), and the last day an opening
computed it (``opened_on``: one not opened for a while is dropped, not kept ahead forever). A tenant table under row-level
security, like every other; the relay role may see which workspaces have snapshots due, and no
other column.

On PostgreSQL, ``dashboard_view`` answers everything opening a dashboard needs — the
workspace's time zone and currency, the caller's membership, the rollup generation, the saved
dashboard and its snapshot — in one statement outside any transaction: it sets the request's
role and tenant scope itself (``SET LOCAL`` lasts for the statement's own transaction), so
row-level security applies as in every other read. It runs with the caller's rights
(``SECURITY INVOKER``); PL/pgSQL plans its query after the scope is set.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db.migrations.rls import configured_role, policy, tenant_isolation

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

VIEW_FUNCTION = """
CREATE FUNCTION dashboard_view(
    p_tenant uuid, p_user uuid, p_dashboard uuid, p_role text
) RETURNS TABLE (
    view_timezone text,
    view_base_currency text,
    view_role text,
    view_generation bigint,
    view_name text,
    view_widgets jsonb,
    view_version integer,
    view_created_at timestamptz,
    view_updated_at timestamptz,
    snapshot_shape text,
    snapshot_today date,
    snapshot_generation bigint,
    snapshot_start date,
    snapshot_end date,
    snapshot_currency text,
    snapshot_widgets text
)
LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
    IF p_role <> '' THEN
        PERFORM set_config('role', p_role, true);
    END IF;
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    PERFORM set_config('app.user_id', p_user::text, true);
    RETURN QUERY
    SELECT t.timezone::text, t.base_currency::text, m.role::text, g.generation,
           d.name::text, d.widgets, d.version, d.created_at, d.updated_at,
           s.shape::text, s.today, s.generation, s.start, s."end", s.currency::text,
           s.widgets
    FROM tenants t
    LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = p_user
    LEFT JOIN analytics_generations g ON g.tenant_id = t.id
    LEFT JOIN dashboards d
        ON d.tenant_id = t.id AND d.id = p_dashboard AND d.user_id = p_user
    LEFT JOIN dashboard_snapshots s
        ON s.tenant_id = t.id AND s.user_id = p_user AND s.dashboard_id = p_dashboard
    WHERE t.id = p_tenant;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("dashboard_id", sa.Uuid(), nullable=False),
        sa.Column("shape", sa.String(length=64), nullable=False),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("widgets", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dashboard_snapshots_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboard_snapshots_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "dashboard_id", name=op.f("pk_dashboard_snapshots")
        ),
    )
    with op.batch_alter_table("dashboard_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_snapshots_expires_at"), ["expires_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        relay_role = configured_role("relay_role", "fluxo_relay")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON dashboard_snapshots TO "{app_role}"')
        tenant_isolation("dashboard_snapshots")
        # The refresh's search: which workspaces have snapshots of a day gone by, nothing more.
        op.execute(f'GRANT SELECT (tenant_id, expires_at) ON dashboard_snapshots TO "{relay_role}"')
        policy("dashboard_snapshots", "true", None, name="relay", command="SELECT", to=relay_role)
        op.execute(VIEW_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION dashboard_view(uuid, uuid, uuid, text)")
    op.drop_table("dashboard_snapshots")
