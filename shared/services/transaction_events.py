"""The events of the Transaction aggregate: snapshots, diffs and envelopes.

Every change to a transaction goes through ``record_changes``, whichever service makes it (an edit,
a recategorisation, a tag renamed or deleted), so each one bumps the version and leaves an event.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from events.envelope import DomainEvent, EventMetadata
from events.transactions import (
    TransactionCategorized,
    TransactionSnapshot,
    TransactionUpdated,
)
from shared.db.models import Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.money import Money
from shared.ports import Clock
from shared.services.access import Caller

AGGREGATE = "Transaction"
CATEGORY_FIELDS = frozenset(
    {
        "categoryId",
        "categorySource",
        "categoryConfidence",
        "categoryEvidence",
        "categoryRuleId",
        "needsReview",
    }
)
"""Wire names (camelCase), as the keys of ``changes`` in a TransactionUpdated event."""


def record_changes(
    uow: UnitOfWork,
    caller: Caller,
    transaction: Transaction,
    before: TransactionSnapshot,
    clock: Clock,
) -> None:
    """Appends one event per kind of change since ``before``; nothing if nothing changed."""
    for data in change_events(transaction.id, before, snapshot(transaction)):
        transaction.version += 1
        uow.record(transaction_event(caller, transaction, data, clock))


def transaction_event(
    caller: Caller,
    transaction: Transaction,
    data: BaseModel,
    clock: Clock,
    *,
    version: int | None = None,
) -> DomainEvent:
    return DomainEvent(
        type=type(data).__name__,
        aggregate_id=transaction.id,
        aggregate_type=AGGREGATE,
        version=version or transaction.version,
        timestamp=clock.now(),
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=caller.user_id,
            tenant_id=caller.tenant_id,
            correlation_id=caller.correlation_id,
        ),
    )


def snapshot(transaction: Transaction) -> TransactionSnapshot:
    return TransactionSnapshot(
        account_id=transaction.account_id,
        amount=Money(transaction.amount, transaction.currency).quantized().amount,
        currency=transaction.currency,
        booked_on=transaction.booked_on,
        value_on=transaction.value_on,
        booked_at=transaction.booked_at,
        description=transaction.description,
        merchant=transaction.merchant,
        category_id=transaction.category_id,
        category_source=transaction.category_source,
        # Normalised: the column reads back 1.0000 what was set as 1, which is no change.
        category_confidence=(
            None
            if transaction.category_confidence is None
            else transaction.category_confidence.normalize()
        ),
        category_evidence=transaction.category_evidence,
        category_rule_id=transaction.category_rule_id,
        needs_review=bool(transaction.needs_review),
        notes=transaction.notes,
        tags=sorted(link.tag.name for link in transaction.tag_links),
        type=transaction.type,
        counterparty_document=transaction.counterparty_document,
        status=transaction.status,
        instalment_number=transaction.instalment_number,
        instalment_total=transaction.instalment_total,
        external_id=transaction.external_id,
    )


def change_events(
    transaction_id: UUID, before: TransactionSnapshot, after: TransactionSnapshot
) -> list[BaseModel]:
    """One event per kind of change: an edit, a recategorisation, or both (edit first)."""
    # Compared in wire form: the keys of ``changes`` and their values are what consumers read.
    old = before.model_dump(mode="json", by_alias=True)
    new = after.model_dump(mode="json", by_alias=True)
    changed = {name for name in new if old[name] != new[name]}
    events: list[BaseModel] = []
    if changed - CATEGORY_FIELDS:
        diff = {name: {"from": old[name], "to": new[name]} for name in sorted(changed)}
        events.append(TransactionUpdated(transaction=after, changes=diff))
    if changed & CATEGORY_FIELDS:
        events.append(
            TransactionCategorized(
                transaction_id=transaction_id,
                previous_category_id=before.category_id,
                category_id=after.category_id,
                source=after.category_source or "user",
                confidence=after.category_confidence,
                evidence=after.category_evidence,
                rule_id=after.category_rule_id,
                needs_review=after.needs_review,
                transaction=after,
            )
        )
    return events
