"""Idempotent creation: a retried POST with the same key returns what the first one created."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.db.models import IdempotencyKey
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import Conflict, FieldIssue, InvalidInput


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str
    scope: str
    """What the key is unique within, e.g. ``POST /v1/transactions@<tenant>``."""
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, scope: str, payload: Any) -> IdempotencyRequest | None:
        if key is None:
            return None
        if not 1 <= len(key) <= 200:
            raise InvalidInput(
                "Idempotency-Key must have 1 to 200 characters",
                issues=[FieldIssue(("header", "Idempotency-Key"), "1 to 200 characters")],
            )
        canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
        return cls(key, scope, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class Created:
    id: UUID
    replayed: bool


def create_once(
    uow: UnitOfWork, request: IdempotencyRequest | None, create: Callable[[], UUID]
) -> Created:
    """Runs ``create`` unless this key was used before, and then returns what the first use made.

    The key is claimed first, in the same transaction as what ``create`` makes: a concurrent
    request with the same key waits for this one and replays its result, and a crash cannot
    leave one without the other.
    """
    if request is None:
        return Created(create(), replayed=False)
    user_id = uow.user_id
    if user_id is None:
        raise ValueError("idempotent creation needs a user")
    previous = uow.idempotency.find(user_id, request.scope, request.key)
    if previous is None:
        record = IdempotencyKey(
            user_id=user_id,
            scope=request.scope,
            key=request.key,
            request_hash=request.fingerprint,
            resource_id="",  # set below, before the commit makes the key visible
        )
        if uow.idempotency.claim(record):
            created_id = create()
            record.resource_id = str(created_id)
            return Created(created_id, replayed=False)
        previous = uow.idempotency.find(user_id, request.scope, request.key)
        if previous is None:
            raise Conflict("a request with this Idempotency-Key is still in progress; retry it")
    if previous.request_hash != request.fingerprint:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different request",
            issues=[FieldIssue(("header", "Idempotency-Key"), "reused with another body")],
        )
    return Created(UUID(previous.resource_id), replayed=True)
