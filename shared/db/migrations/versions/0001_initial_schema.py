"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29
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

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Exact money on both engines: numeric on PostgreSQL, ten-thousandths as integers on SQLite
# (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

TENANT_TABLES = ("accounts", "categories", "tags", "transactions", "transaction_tags", "outbox")


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("institution", sa.String(length=120), nullable=True),
        sa.Column("opening_balance", MONEY, nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_accounts_tenant_id_id")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_tenant_id_name"), ["tenant_id", "name"], unique=False
        )

    op.create_table(
        "categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["categories.tenant_id", "categories.id"],
            name=op.f("fk_categories_tenant_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_categories_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_categories_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_categories_tenant_id_slug")),
    )
    op.create_table(
        "memberships",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_memberships_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("aggregate_id", "version", name=op.f("uq_outbox_aggregate_id_version")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["occurred_at"],
            unique=False,
            sqlite_where=sa.text("published_at IS NULL"),
            postgresql_where=sa.text("published_at IS NULL"),
        )

    op.create_table(
        "tags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_tags_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_tags_tenant_id_name")),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("value_on", sa.Date(), nullable=True),
        sa.Column("booked_at", sa.Time(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("merchant", sa.String(length=200), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("category_source", sa.String(length=16), nullable=True),
        sa.Column("category_confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("counterparty_document", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("instalment_number", sa.SmallInteger(), nullable=True),
        sa.Column("instalment_total", sa.SmallInteger(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_transactions_tenant_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["categories.tenant_id", "categories.id"],
            name=op.f("fk_transactions_tenant_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_transactions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_transactions_tenant_id_id")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transactions_tenant_id_account_id_booked_on"),
            ["tenant_id", "account_id", "booked_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_transactions_tenant_id_amount"), ["tenant_id", "amount"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transactions_tenant_id_booked_on"),
            ["tenant_id", "booked_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_transactions_tenant_id_category_id_booked_on"),
            ["tenant_id", "category_id", "booked_on"],
            unique=False,
        )
        batch_op.create_index(
            "uq_transactions_external_id",
            ["tenant_id", "account_id", "external_id"],
            unique=True,
            sqlite_where=sa.text("external_id IS NOT NULL"),
            postgresql_where=sa.text("external_id IS NOT NULL"),
        )

    op.create_table(
        "transaction_tags",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("tag_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "tag_id"],
            ["tags.tenant_id", "tags.id"],
            name=op.f("fk_transaction_tags_tenant_id_tags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["transactions.tenant_id", "transactions.id"],
            name=op.f("fk_transaction_tags_tenant_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_transaction_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "tag_id", name=op.f("pk_transaction_tags")),
    )
    with op.batch_alter_table("transaction_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_tags_tenant_id_tag_id"),
            ["tenant_id", "tag_id"],
            unique=False,
        )

    if op.get_bind().dialect.name == "postgresql":
        _enable_row_level_security()


def _enable_row_level_security() -> None:
    """A second wall between tenants: even a query that forgets its tenant filter sees only the
    rows of the tenant set for the transaction (``app.tenant_id``).

    Requests run as the app role and the outbox relay as the relay role, neither with BYPASSRLS;
    FORCE makes the policies bind the tables' owner too (Aurora's master user is no superuser).
    The migrating user is made a member of both roles so its sessions can switch to them.
    """
    app_role = configured_role("app_role", "fluxo_app")
    relay_role = configured_role("relay_role", "fluxo_relay")
    for role in (app_role, relay_role):
        op.execute(
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE "{role}" NOLOGIN;
                END IF;
            END $$"""
        )
        op.execute(f'GRANT "{role}" TO CURRENT_USER')
        op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app_role}"'
    )
    op.execute(f'REVOKE ALL ON alembic_version FROM "{app_role}"')
    op.execute(f'GRANT SELECT, UPDATE ON outbox TO "{relay_role}"')
    for table in TENANT_TABLES:
        tenant_isolation(table)
    # The relay publishes every tenant's events: it reads and marks the outbox, nothing else.
    policy("outbox", "true", "true", name="relay", to=relay_role)
    # Writes stay inside the session's workspace; reads also reach the workspaces a person belongs
    # to (to list and pick one). Permissive policies add up per command.
    policy("tenants", f"id = {CURRENT_TENANT}", f"id = {CURRENT_TENANT}")
    policy(
        "tenants",
        "EXISTS (SELECT 1 FROM memberships m "
        f"WHERE m.tenant_id = tenants.id AND m.user_id = {CURRENT_USER})",
        None,
        name="members_read",
        command="SELECT",
    )
    # Anyone may create a workspace; the session then moves into it before writing anything else.
    policy("tenants", None, "true", name="create", command="INSERT")
    policy("memberships", f"tenant_id = {CURRENT_TENANT}", f"tenant_id = {CURRENT_TENANT}")
    policy("memberships", f"user_id = {CURRENT_USER}", None, name="own_read", command="SELECT")
    # People: you see yourself and the members of the workspace you act in; you change only
    # yourself; anyone may add a person (a sign-up, an invitation); nobody deletes one.
    policy(
        "users",
        f"id = {CURRENT_USER} OR EXISTS (SELECT 1 FROM memberships m "
        f"WHERE m.user_id = users.id AND m.tenant_id = {CURRENT_TENANT})",
        None,
        name="visible",
        command="SELECT",
    )
    policy("users", f"id = {CURRENT_USER}", f"id = {CURRENT_USER}", name="self", command="UPDATE")
    policy("users", None, "true", name="register", command="INSERT")
    policy("idempotency_keys", f"user_id = {CURRENT_USER}", f"user_id = {CURRENT_USER}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The workspace policy reads memberships; it must go before that table can.
        op.execute("DROP POLICY IF EXISTS tenants_members_read ON tenants")
        op.execute("DROP POLICY IF EXISTS users_visible ON users")
    with op.batch_alter_table("transaction_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_tags_tenant_id_tag_id"))

    op.drop_table("transaction_tags")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_transactions_external_id",
            sqlite_where=sa.text("external_id IS NOT NULL"),
            postgresql_where=sa.text("external_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_transactions_tenant_id_category_id_booked_on"))
        batch_op.drop_index(batch_op.f("ix_transactions_tenant_id_booked_on"))
        batch_op.drop_index(batch_op.f("ix_transactions_tenant_id_amount"))
        batch_op.drop_index(batch_op.f("ix_transactions_tenant_id_account_id_booked_on"))

    op.drop_table("transactions")
    op.drop_table("tags")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished",
            sqlite_where=sa.text("published_at IS NULL"),
            postgresql_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))

    op.drop_table("memberships")
    op.drop_table("categories")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_tenant_id_name"))

    op.drop_table("accounts")
    op.drop_table("users")
    op.drop_table("tenants")
    op.drop_table("idempotency_keys")
