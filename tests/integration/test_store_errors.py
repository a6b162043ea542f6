"""What a broken database constraint becomes: a unique violation is the caller's 409 conflict;
NOT NULL and foreign-key violations are our bugs, logged with the constraint and left as they are
(a 500), never reported to the caller as a conflict with existing data."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy.exc import IntegrityError

from shared.db.models import Tag, TransactionTag
from shared.domain.errors import Conflict
from shared.services import tags as tag_service
from tests.support.api import Actor, ok


@pytest.fixture
def tenant_id(owner: Actor) -> UUID:
    return UUID(str(owner.tenant_id))


def _commit(container: Any, owner: Actor, row: Any) -> None:
    with container.unit_of_work(UUID(str(owner.tenant_id)), owner.user_id) as uow:
        uow.session.add(row)
        uow.commit()


def test_a_unique_violation_is_a_conflict(owner: Actor, container: Any, tenant_id: UUID) -> None:
    ok(owner.post("/v1/tags", {"name": "viagem"}), 201)
    with pytest.raises(Conflict):
        _commit(container, owner, Tag(id=uuid4(), tenant_id=tenant_id, name="viagem", color=None))


def test_a_not_null_violation_is_re_raised_and_logged_with_the_column(
    owner: Actor, container: Any, tenant_id: UUID, caplog: pytest.LogCaptureFixture
) -> None:
    nameless = Tag(id=uuid4(), tenant_id=tenant_id, name=None, color=None)
    with (
        caplog.at_level(logging.ERROR, logger="shared.db.unit_of_work"),
        pytest.raises(IntegrityError),
    ):
        _commit(container, owner, nameless)

    assert "tags.name" in caplog.text


def test_a_foreign_key_violation_is_re_raised_and_logged_with_the_constraint(
    owner: Actor, container: Any, tenant_id: UUID, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    orphan = TransactionTag(tenant_id=tenant_id, transaction_id=uuid4(), tag_id=uuid4())
    with (
        caplog.at_level(logging.ERROR, logger="shared.db.unit_of_work"),
        pytest.raises(IntegrityError),
    ):
        _commit(container, owner, orphan)

    # PostgreSQL names the constraint; SQLite only says that a foreign key failed.
    expected = "fk_transaction_tags_" if backend == "postgres" else "FOREIGN KEY constraint failed"
    assert expected in caplog.text


def test_a_not_null_violation_through_the_api_is_a_500_not_a_409(
    owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that breaks a constraint must not look like the caller's conflict."""
    real_tag = tag_service.Tag

    def nameless(**fields: Any) -> Tag:
        return real_tag(**{**fields, "name": None})

    monkeypatch.setattr(tag_service, "Tag", nameless)

    response = owner.post("/v1/tags", {"name": "viagem"})

    assert response.status_code == 500
