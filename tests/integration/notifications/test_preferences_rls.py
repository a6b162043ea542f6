"""Row-level security on preferences (PostgreSQL): a person's own, and those of the members of
the workspace a session acts in (the consumer's need), nobody else's."""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import text

from tests.support.api import ok


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_preferences_are_visible_to_oneself_and_within_ones_workspace(new_actor, container):
    ana, bruno = new_actor("Ana"), new_actor("Bruno")
    for actor in (ana, bruno):
        ok(actor.put("/v1/notifications/preferences", {"language": "en"}))

    def visible(tenant: object, user: object) -> set[UUID]:
        tenant_id = UUID(str(tenant)) if tenant else None
        with container.db.tenant_session(tenant_id, user) as session:  # type: ignore[arg-type]
            rows = session.execute(text("SELECT user_id FROM notification_preferences"))
            return {row[0] for row in rows}

    assert visible(ana.tenant_id, ana.user_id) == {ana.user_id}
    assert visible(None, bruno.user_id) == {bruno.user_id}
    assert visible(ana.tenant_id, None) == {ana.user_id}  # the consumer's session in A
    assert visible(None, None) == set()
    with container.db.tenant_session(UUID(str(ana.tenant_id)), ana.user_id) as session:
        changed = session.execute(
            text("UPDATE notification_preferences SET language = 'pt-BR' WHERE user_id = :u"),
            {"u": bruno.user_id},
        )
        assert changed.rowcount == 0
