"""Row-level security DDL shared by the migrations (PostgreSQL only).

Kept stable on purpose: a migration that ran must keep producing the same statements.
"""

from __future__ import annotations

import re

from alembic import op

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
CURRENT_USER = "nullif(current_setting('app.user_id', true), '')::uuid"


def configured_role(attribute: str, default: str) -> str:
    """A role name from the Alembic config (``shared.db.migrate`` passes the settings')."""
    config = op.get_context().config
    attributes = config.attributes if config else {}
    return identifier(attributes.get(attribute, default))


def identifier(name: str) -> str:
    """Role names go into DDL, which takes no parameters: only plain identifiers pass."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain PostgreSQL identifier: {name!r}")
    return name


def policy(
    table: str,
    using: str | None,
    check: str | None,
    *,
    name: str = "isolation",
    command: str = "ALL",
    to: str | None = None,
) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
    grantee = f' TO "{to}"' if to else ""
    op.execute(f"CREATE POLICY {table}_{name} ON {table} FOR {command}{grantee}{clauses}")


def tenant_isolation(table: str) -> None:
    policy(table, f"tenant_id = {CURRENT_TENANT}", f"tenant_id = {CURRENT_TENANT}")
