"""analytics: rollups per day and month, merchant rollups, generations and saved dashboards

``rollups`` replaces ``account_daily_activity``: the same sums, also per category and per month
(``shared.services.activity``). ``merchant_rollups`` sums each month per merchant. Both are filled
here from the transactions that exist, and every event the ``activity`` consumer has not applied
yet is marked applied, since the transactions already hold its effect; from then on the consumer
keeps them. ``analytics_generations`` counts each workspace's rollup changes (cache keys).
``dashboards`` keeps each person's widgets.

The fill reads every tenant's rows: on PostgreSQL the tables' row-level security is lifted for
the fill (an owner that is not a superuser, as on Aurora, is subject to it) and put back.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Exact money on both engines, as in 0001 (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NEW_TABLES = ("rollups", "merchant_rollups", "analytics_generations", "dashboards")
ACTIVITY_EVENTS = (
    "TransactionCreated",
    "TransactionUpdated",
    "TransactionDeleted",
    "TransactionCategorized",
    "TransactionsImported",
)
NO_CATEGORY = "00000000-0000-0000-0000-000000000000"


def upgrade() -> None:
    _sums_table(
        "rollups",
        [
            sa.Column("grain", sa.String(length=1), nullable=False),
            sa.Column("period_start", sa.Date(), nullable=False),
            sa.Column("account_id", sa.Uuid(), nullable=False),
        ],
        ("tenant_id", "grain", "period_start", "account_id", "category_id", "currency"),
        include=True,
    )
    _sums_table(
        "merchant_rollups",
        [
            sa.Column("month", sa.Date(), nullable=False),
            sa.Column("merchant", sa.String(length=200), nullable=False),
        ],
        ("tenant_id", "month", "merchant", "category_id", "currency"),
    )
    op.create_table(
        "analytics_generations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_analytics_generations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_analytics_generations")),
    )
    op.create_table(
        "dashboards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("widgets", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dashboards_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboards_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
    )
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboards_tenant_id_user_id"), ["tenant_id", "user_id"], unique=False
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        app_role = configured_role("app_role", "fluxo_app")
        for table in NEW_TABLES:
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{app_role}"')
            tenant_isolation(table)
    _fill(postgres)
    op.drop_table("account_daily_activity")


def _sums_table(
    name: str, key_columns: list[sa.Column[Any]], key: tuple[str, ...], *, include: bool = False
) -> None:
    extra: dict[str, Any] = (
        {"postgresql_include": ["credits", "debits", "inflow", "outflow"]} if include else {}
    )
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *key_columns,
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("debits", sa.Integer(), nullable=False),
        sa.Column("inflow", MONEY, nullable=False),
        sa.Column("outflow", MONEY, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{name}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}"), **extra),
    )


def _fill(postgres: bool) -> None:
    """The rollups of the transactions that exist, and the events they already hold marked as
    applied by the ``activity`` consumer, in one statement each over one snapshot per table."""
    touched = ("transactions", "outbox", "processed_events", "rollups", "merchant_rollups")
    if postgres:
        for table in touched:
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    if postgres:
        nil = f"'{NO_CATEGORY}'::uuid"
        month = "date_trunc('month', booked_on)::date"
        now = "now()"
    else:
        nil = "'" + NO_CATEGORY.replace("-", "") + "'"
        month = "strftime('%Y-%m-01', booked_on)"
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    sums = (
        "sum(CASE WHEN amount > 0 THEN 1 ELSE 0 END), sum(CASE WHEN amount > 0 THEN 0 ELSE 1 END), "
        "sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), "
        f"sum(CASE WHEN amount > 0 THEN 0 ELSE amount END), {now}"
    )
    columns = "category_id, currency, credits, debits, inflow, outflow, updated_at"
    for grain, period in (("d", "booked_on"), ("m", month)):
        op.execute(
            f"INSERT INTO rollups (tenant_id, grain, period_start, account_id, {columns}) "
            f"SELECT tenant_id, '{grain}', {period}, account_id, coalesce(category_id, {nil}), "
            f"currency, {sums} FROM transactions "
            f"GROUP BY tenant_id, {period}, account_id, coalesce(category_id, {nil}), currency"
        )
    merchant = "substr(coalesce(merchant, description), 1, 200)"
    op.execute(
        f"INSERT INTO merchant_rollups (tenant_id, month, merchant, {columns}) "
        f"SELECT tenant_id, {month}, {merchant}, coalesce(category_id, {nil}), currency, {sums} "
        f"FROM transactions GROUP BY tenant_id, {month}, {merchant}, "
        f"coalesce(category_id, {nil}), currency"
    )
    kinds = ", ".join(f"'{kind}'" for kind in ACTIVITY_EVENTS)
    op.execute(
        "INSERT INTO processed_events (consumer, event_id, tenant_id, event_type, processed_at) "
        f"SELECT 'activity', id, tenant_id, type, {now} FROM outbox WHERE type IN ({kinds}) "
        "AND NOT EXISTS (SELECT 1 FROM processed_events p "
        "WHERE p.consumer = 'activity' AND p.event_id = outbox.id)"
    )
    if postgres:
        for table in touched:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
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
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON account_daily_activity TO "{app_role}"'
        )
        tenant_isolation("account_daily_activity")
        for table in ("rollups", "account_daily_activity"):
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "INSERT INTO account_daily_activity "
        "(tenant_id, account_id, day, currency, transactions, inflow, outflow, updated_at) "
        "SELECT tenant_id, account_id, period_start, currency, sum(credits + debits), "
        "sum(inflow), sum(outflow), max(updated_at) FROM rollups WHERE grain = 'd' "
        "GROUP BY tenant_id, account_id, period_start, currency"
    )
    if postgres:
        op.execute("ALTER TABLE account_daily_activity FORCE ROW LEVEL SECURITY")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
