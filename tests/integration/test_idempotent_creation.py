"""Idempotency keys under concurrency: the key is claimed before anything is created, so a second
request with the same key waits for the first and replays what it made instead of failing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select, text

from shared.db.models import IdempotencyKey, Tag
from shared.db.repositories import IdempotencyRepository
from shared.domain.errors import Conflict
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from tests.support.api import Actor

WAIT_SECONDS = 10.0


def _request(key: str = "same-key") -> IdempotencyRequest:
    request = IdempotencyRequest.of(key, "POST /v1/tags@test", {"name": "viagem"})
    assert request is not None
    return request


def _tag_maker(uow: Any, tenant_id: UUID, name: str) -> Callable[[], UUID]:
    def create() -> UUID:
        tag = Tag(id=uuid4(), tenant_id=tenant_id, name=name, color=None)
        uow.tags.add(tag)
        uow.flush()
        return tag.id

    return create


def _count(container: Any, model: Any) -> int:
    with container.db.admin_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _someone_waits_on_a_lock(container: Any) -> bool:
    with container.db.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        )
    return bool(waiting)


def _in_thread(target: Callable[[], Any], outcome: dict[str, Any], name: str) -> threading.Thread:
    def run() -> None:
        try:
            outcome[name] = target()
        except Exception as error:  # handed to the test thread, which asserts on it
            outcome[name] = error

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_given_a_request_in_flight_when_another_with_its_key_arrives_then_it_waits_and_replays(
    owner: Actor, container: Any
) -> None:
    assert owner.tenant_id is not None
    tenant_id, user_id = UUID(str(owner.tenant_id)), owner.user_id
    claimed, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> Created:
        with container.unit_of_work(tenant_id, user_id) as uow:
            make = _tag_maker(uow, tenant_id, "viagem")

            def slow_create() -> UUID:
                created = make()
                claimed.set()
                assert release.wait(WAIT_SECONDS), "the test never let the first request finish"
                return created

            result = create_once(uow, _request(), slow_create)
            uow.commit()
            return result

    def second() -> Created:
        with container.unit_of_work(tenant_id, user_id) as uow:
            result = create_once(uow, _request(), _tag_maker(uow, tenant_id, "viagem-bis"))
            uow.commit()
            return result

    first_thread = _in_thread(first, outcome, "first")
    assert claimed.wait(WAIT_SECONDS), outcome.get("first")
    second_thread = _in_thread(second, outcome, "second")
    deadline = time.monotonic() + WAIT_SECONDS
    while not _someone_waits_on_a_lock(container):
        assert time.monotonic() < deadline, "the second request never waited for the first"
        assert second_thread.is_alive(), f"the second request did not wait: {outcome}"
        time.sleep(0.02)
    release.set()
    first_thread.join(WAIT_SECONDS)
    second_thread.join(WAIT_SECONDS)

    made, replayed = outcome["first"], outcome["second"]
    assert isinstance(made, Created), made
    assert made.replayed is False
    assert replayed == Created(made.id, replayed=True)
    assert _count(container, Tag) == 1
    assert _count(container, IdempotencyKey) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_given_a_request_in_flight_when_it_fails_then_a_waiting_one_with_its_key_creates(
    owner: Actor, container: Any
) -> None:
    assert owner.tenant_id is not None
    tenant_id, user_id = UUID(str(owner.tenant_id)), owner.user_id
    claimed, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> Created:
        with container.unit_of_work(tenant_id, user_id) as uow:

            def failing_create() -> UUID:
                uow.flush()
                claimed.set()
                assert release.wait(WAIT_SECONDS)
                raise Conflict("the first request fails after claiming the key")

            return create_once(uow, _request(), failing_create)

    def second() -> Created:
        with container.unit_of_work(tenant_id, user_id) as uow:
            result = create_once(uow, _request(), _tag_maker(uow, tenant_id, "viagem"))
            uow.commit()
            return result

    first_thread = _in_thread(first, outcome, "first")
    assert claimed.wait(WAIT_SECONDS), outcome.get("first")
    second_thread = _in_thread(second, outcome, "second")
    deadline = time.monotonic() + WAIT_SECONDS
    while not _someone_waits_on_a_lock(container):
        assert time.monotonic() < deadline, "the second request never waited for the first"
        time.sleep(0.02)
    release.set()
    first_thread.join(WAIT_SECONDS)
    second_thread.join(WAIT_SECONDS)

    assert isinstance(outcome["first"], Conflict)
    created = outcome["second"]
    assert isinstance(created, Created), created
    assert created.replayed is False
    assert _count(container, Tag) == 1


def test_given_a_key_taken_but_not_readable_then_409_asks_to_retry(
    owner: Actor, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim failed, yet the key cannot be read back: the other request has not finished."""
    assert owner.tenant_id is not None
    tenant_id = UUID(str(owner.tenant_id))
    monkeypatch.setattr(IdempotencyRepository, "claim", lambda _self, _record: False)

    with (
        container.unit_of_work(tenant_id, owner.user_id) as uow,
        pytest.raises(Conflict, match="still in progress"),
    ):
        create_once(uow, _request(), _tag_maker(uow, tenant_id, "viagem"))

    assert _count(container, Tag) == 0
