"""import issues as rows, transactions know their import

Every rejected or duplicate line of an import becomes a row of ``import_issues`` instead of an
entry in a JSON list of the import record, so that a file of any size reports every line without
holding the report in memory; ``imports.rejected`` becomes a count. ``transactions.import_id``
names the import that created a transaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_IMPORTS = sa.table(
    "imports",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("rejected", sa.JSON()),
    sa.column("duplicate_decisions", sa.JSON()),
)
_COUNTS = sa.table("imports", sa.column("id", sa.Uuid()), sa.column("rejected", sa.Integer()))
_ISSUES = sa.table(
    "import_issues",
    sa.column("import_id", sa.Uuid()),
    sa.column("position", sa.Integer()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("line", sa.Integer()),
    sa.column("reason", sa.Text()),
    sa.column("column", sa.String()),
    sa.column("raw", sa.Text()),
    sa.column("matched_transaction_id", sa.Uuid()),
)


def upgrade() -> None:
    op.create_table(
        "import_issues",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("matched_transaction_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "import_id"],
            ["imports.tenant_id", "imports.id"],
            name=op.f("fk_import_issues_tenant_id_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_import_issues_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "position", name=op.f("pk_import_issues")),
    )
    counts = _move_issues()
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("rejected")
        batch_op.drop_column("duplicate_decisions")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rejected", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    for import_id, rejected in counts.items():
        op.execute(_COUNTS.update().where(_COUNTS.c.id == import_id).values(rejected=rejected))
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.alter_column("rejected", server_default=None)
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Uuid(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON import_issues TO "{app_role}"')
        tenant_isolation("import_issues")


def _move_issues() -> dict[Any, int]:
    """The JSON lists of the imports so far, as issue rows; returns each import's rejected
    count. Runs as the migration's owner, so row-level security does not hide any tenant."""
    bind = op.get_bind()
    counts: dict[Any, int] = {}
    for record in bind.execute(sa.select(_IMPORTS)).mappings():
        rows: list[dict[str, Any]] = []
        rejected = _as_list(record["rejected"])
        for entry in rejected:
            rows.append(_issue(record, len(rows), "rejected", entry))
        for entry in _as_list(record["duplicate_decisions"]):
            rows.append(_issue(record, len(rows), "duplicate", entry))
        if rows:
            bind.execute(_ISSUES.insert(), rows)
        counts[record["id"]] = len(rejected)
    return counts


def _as_list(value: Any) -> list[dict[str, Any]]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return list(loaded or [])


def _issue(record: Any, position: int, kind: str, entry: dict[str, Any]) -> dict[str, Any]:
    matched = entry.get("matched_transaction_id")
    return {
        "import_id": record["id"],
        "position": position,
        "tenant_id": record["tenant_id"],
        "kind": kind,
        "line": entry.get("line", 0),
        "reason": entry.get("reason", ""),
        "column": entry.get("column"),
        "raw": entry.get("raw"),
        "matched_transaction_id": None if matched is None else UUID(matched),
    }


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_column("import_id")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("rejected")
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rejected", json_type, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "duplicate_decisions", json_type, nullable=False, server_default=sa.text("'[]'")
            )
        )
    # The issue rows go with their table: a downgrade keeps the imports, not their line reports.
    op.drop_table("import_issues")
