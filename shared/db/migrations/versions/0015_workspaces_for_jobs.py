"""workspaces for jobs: the relay role may list the workspaces' ids

The jobs that go over every workspace — the scheduled reports and the lake export — run as the
functions' login, to which row-level security applies (it is neither a superuser nor the
tables' owner in AWS), so listing ``tenants`` found none of them there. They list them as the
relay role instead, which may read the ``id`` column of every workspace and nothing else; each
workspace is then read in a session scoped to it, as before. The relay may read two columns of
``memberships`` because the members' policy on ``tenants`` reads them; the memberships' own
policies show it no row.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

from shared.db.migrations.rls import configured_role, policy

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        relay_role = configured_role("relay_role", "fluxo_relay")
        op.execute(f'GRANT SELECT (id) ON tenants TO "{relay_role}"')
        policy("tenants", "true", None, name="relay", command="SELECT", to=relay_role)
        # The members' policy on tenants reads memberships; PostgreSQL checks the privilege
        # on what a policy reads unless the planner drops the policy (as it does today beside
        # the relay's "true"): the two columns, of which the relay sees no row.
        op.execute(f'GRANT SELECT (tenant_id, user_id) ON memberships TO "{relay_role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        relay_role = configured_role("relay_role", "fluxo_relay")
        op.execute(f'REVOKE SELECT (tenant_id, user_id) ON memberships FROM "{relay_role}"')
        op.execute("DROP POLICY tenants_relay ON tenants")
        op.execute(f'REVOKE SELECT (id) ON tenants FROM "{relay_role}"')
