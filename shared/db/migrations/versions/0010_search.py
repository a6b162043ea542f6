"""search_documents: the full-text index of the transactions, Portuguese and accent-blind

``search_documents`` holds one row per transaction, kept by the ``search`` consumer
(``shared.services.search``): the facet and filter fields, and ``document``, the text as the
engine searches it. A tenant table under row-level security like every other.

PostgreSQL: ``document`` is a ``tsvector`` made with the ``fluxo_portuguese`` text search
configuration (``portuguese`` whose words first lose their accents through ``unaccent``), with a
GIN index. ``unaccent`` is a trusted extension: the database owner may create it (no superuser).

SQLite: ``document`` holds the stemmed, accent-free words (``shared.domain.search.terms``), and
the FTS5 table ``search_fts`` (external content, ``unicode61 remove_diacritics 2``) indexes it
under the row's ``id``; triggers keep it in step with every insert, update and delete, the
cascade of a deleted tenant included.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migrations.rls import configured_role, tenant_isolation

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Exact money on both engines, as in 0001 (see shared.db.types.Money).
MONEY = sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")
DOCUMENT = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")

CONFIGURATION = "fluxo_portuguese"

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(document, content='search_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); "
    "INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document); END",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIGURATION} (COPY = portuguese)")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIGURATION} "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, portuguese_stem"
        )
    op.create_table(
        "search_documents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_search_documents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "transaction_id",
            name=op.f("uq_search_documents_tenant_id_transaction_id"),
        ),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_documents_tenant_id_booked_on"),
            ["tenant_id", "booked_on"],
            unique=False,
        )
        batch_op.create_index(
            "ix_search_documents_document",
            ["document"],
            unique=False,
            postgresql_using="gin",
            sqlite_where=sa.text("0"),
        )
    if postgres:
        app_role = configured_role("app_role", "fluxo_app")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON search_documents TO "{app_role}"')
        op.execute(f'GRANT USAGE ON SEQUENCE search_documents_id_seq TO "{app_role}"')
        tenant_isolation("search_documents")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        for trigger in ("search_documents_au", "search_documents_ad", "search_documents_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_document")
        batch_op.drop_index(batch_op.f("ix_search_documents_tenant_id_booked_on"))
    op.drop_table("search_documents")
    if postgres:
        # The extension stays: other objects of the database may have come to use it.
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIGURATION}")
