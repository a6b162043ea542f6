"""What a workspace learns from its corrections: remembered, listed, switched off, applied.

The learning itself (keys, choices, which one wins and how sure) is plain domain code in
``shared.categorisation.learned``; this service keeps it in ``learned_merchants``:

- ``remember`` runs inside the unit of work of a transaction recategorised by hand and records
  the choice under the transaction's merchant (nothing while learning is off for it);
- ``learned_ahead_of`` puts the workspace's learned merchants ahead of another categoriser, with
  one query, for an import or a transaction recorded without a category;
- ``LearningService`` lists what was learned, switches learning off and on per merchant, and
  offers to apply a merchant's learned category to its other stored transactions: ``preview``
  counts them, ``apply`` changes exactly those, each through ``record_changes``.

Applying never replaces a category a person chose (source ``user``) nor one a rule decided
(``rule``: rules come first in the chain, the next import would set it back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from shared.categorisation.learned import (
    KEY_LENGTH,
    SOURCE,
    Choice,
    Decision,
    LearnedCategoriser,
    decide,
    key_of,
    merchant_key,
    remembered,
)
from shared.categorisation.learned import LearnedMerchant as Learned
from shared.categorisation.merchant import normalise_merchant
from shared.categorisation.model import REVIEW_BELOW, short_evidence
from shared.db.models import LearnedMerchant, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import Conflict, FieldIssue, InvalidInput
from shared.domain.pagination import Cursor
from shared.domain.transactions import CategorySource
from shared.ports import Categoriser, Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.transaction_events import record_changes, snapshot

LIST_SORT = "merchant_key"
"""Learned merchants are listed by key; their cursors are those of that order."""
SCAN_BATCH = 1_000
"""Transactions read at once while looking for a merchant's."""
KEPT_SOURCES = (CategorySource.USER.value, CategorySource.RULE.value)
"""Categories applying a learned one never replaces."""
_REMEMBERED_KEYS = 100_000


@dataclass(frozen=True)
class LearnedView:
    """A learned merchant as people see it: its choices and what they decide today."""

    key: str
    merchant: str
    enabled: bool
    choices: tuple[Choice, ...]
    decision: Decision | None
    """None: no choice within the window."""
    evidence: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def category_id(self) -> UUID | None:
        return None if self.decision is None else self.decision.category_id

    @property
    def confidence(self) -> float | None:
        return None if self.decision is None else self.decision.confidence

    @property
    def confident(self) -> bool:
        """Sure enough to categorise the merchant's next lines (and to be applied)."""
        return self.decision is not None and self.decision.confidence >= REVIEW_BELOW


@dataclass(frozen=True)
class LearnedPage:
    items: list[LearnedView]
    next_cursor: str | None


@dataclass(frozen=True)
class ApplyPreview:
    key: str
    merchant: str
    category_id: UUID
    confidence: float
    evidence: str
    would_change: int
    """Other stored transactions of the merchant that applying would recategorise."""


class LearningService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def list(
        self,
        caller: Caller,
        *,
        enabled: bool | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> LearnedPage:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            after = None if cursor is None else _after(cursor)
            rows = uow.learned.list(enabled=enabled, after=after, limit=limit + 1)
            names = _category_names(uow)
            now = self._clock.now()
            items = [_view(row, names, now) for row in rows[:limit]]
            next_cursor = None
            if len(rows) > limit:
                last = rows[limit - 1]
                next_cursor = Cursor(LIST_SORT, last.merchant_key, last.id).encode()
            return LearnedPage(items, next_cursor)

    def get(self, caller: Caller, merchant: str) -> LearnedView:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            row = uow.learned.get(_key(merchant))
            return _view(row, _category_names(uow), self._clock.now())

    def set_enabled(self, caller: Caller, merchant: str, enabled: bool) -> LearnedView:
        """Off: the merchant's corrections are neither used nor recorded; what was learned
        stays, and is used again once learning is back on."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            row = uow.learned.get(_key(merchant))
            if row.enabled != enabled:
                row.enabled = enabled
                uow.commit()
            return _view(row, _category_names(uow), self._clock.now())

    def preview(self, caller: Caller, merchant: str) -> ApplyPreview:
        """How many other stored transactions of the merchant applying would recategorise;
        changes nothing."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            view, _ = self._target(uow, _key(merchant))
            ids = _merchant_transactions(uow, view.key, view.category_id)
            return _preview(view, len(ids))

    def apply(self, caller: Caller, merchant: str) -> ApplyPreview:
        """Recategorises what ``preview`` counts, in one unit of work, each transaction with a
        new version and its event; a second call finds nothing left to change."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            view, category_id = self._target(uow, _key(merchant))
            assert view.decision is not None
            assert view.evidence is not None
            ids = _merchant_transactions(uow, view.key, category_id)
            evidence = short_evidence(view.evidence)
            confidence = Decimal(f"{view.decision.confidence:.4f}")
            for transaction in uow.transactions.with_ids(ids):
                before = snapshot(transaction)
                transaction.category_id = category_id
                transaction.category_source = SOURCE
                transaction.category_confidence = confidence
                transaction.category_evidence = evidence
                transaction.category_rule_id = None
                transaction.needs_review = False
                record_changes(uow, caller, transaction, before, self._clock)
            uow.commit()
            return _preview(view, len(ids))

    def _target(self, uow: UnitOfWork, key: str) -> tuple[LearnedView, UUID]:
        row = uow.learned.get(key)
        view = _view(row, _category_names(uow), self._clock.now())
        if view.category_id is None or view.decision is None:
            raise Conflict(
                f"nothing recent was learned for {view.merchant!r}: no category to apply"
            )
        if not view.confident:
            raise Conflict(
                f"the choices for {view.merchant!r} disagree ({view.evidence}): "
                "choose its category again before applying it"
            )
        category = uow.categories.get(view.category_id)
        if category.archived:
            raise Conflict(f"the category learned for {view.merchant!r} is archived")
        return view, category.id


def remember(uow: UnitOfWork, transaction: Transaction, now: datetime) -> None:
    """Records the category just chosen by hand for ``transaction`` under its merchant, unless
    learning is off for that merchant (or the transaction names no merchant at all)."""
    if transaction.category_id is None:
        return
    key = merchant_key(transaction.merchant, transaction.description)
    if not key:
        return
    name = (transaction.merchant or normalise_merchant(transaction.description).name)[:KEY_LENGTH]
    choice = Choice(transaction.category_id, now, transaction.id)
    row = uow.learned.find(key, lock=True)
    if row is None:
        assert uow.tenant_id is not None
        new = LearnedMerchant(
            id=uuid4(),
            tenant_id=uow.tenant_id,
            merchant_key=key,
            merchant=name,
            enabled=True,
            choices=[choice.to_json()],
        )
        if uow.learned.add_new(new):
            return
        row = uow.learned.find(key, lock=True)  # a concurrent correction inserted it first
        assert row is not None
    if not row.enabled:
        return
    kept = remembered([Choice.from_json(item) for item in row.choices], choice, now)
    row.choices = [item.to_json() for item in kept]
    row.merchant = name


def learned_ahead_of(
    uow: UnitOfWork,
    base: Categoriser | None,
    category_slugs: Mapping[UUID, str],
    now: datetime,
) -> Categoriser | None:
    """The workspace's enabled learned merchants ahead of ``base``: one query, and ``base``
    itself when nothing was learned (or nothing learned can decide today)."""
    rows = uow.learned.list(enabled=True)
    if not rows:
        return base
    learned = LearnedCategoriser(
        (_learned(row) for row in rows), category_slugs, _category_names(uow), now, fallback=base
    )
    return learned if len(learned) else base


# -- helpers ---------------------------------------------------------------------------------


def _key(merchant: str) -> str:
    """A merchant's key from what a client sends: the key itself or the merchant's name."""
    key = key_of(merchant)
    if not key:
        issue = FieldIssue(("path", "merchant"), "name a merchant: letters or digits")
        raise InvalidInput("not a merchant", issues=[issue])
    return key


def _learned(row: LearnedMerchant) -> Learned:
    return Learned(
        key=row.merchant_key,
        name=row.merchant,
        enabled=row.enabled,
        choices=tuple(Choice.from_json(item) for item in row.choices),
    )


def _view(row: LearnedMerchant, names: Mapping[UUID, str], now: datetime) -> LearnedView:
    choices = tuple(Choice.from_json(item) for item in row.choices)
    decision = decide(choices, now)
    evidence = None
    if decision is not None:
        name = names.get(decision.category_id, str(decision.category_id))
        evidence = decision.evidence(name, row.merchant)
    return LearnedView(
        key=row.merchant_key,
        merchant=row.merchant,
        enabled=row.enabled,
        choices=choices,
        decision=decision,
        evidence=evidence,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _preview(view: LearnedView, count: int) -> ApplyPreview:
    assert view.decision is not None
    assert view.evidence is not None
    return ApplyPreview(
        key=view.key,
        merchant=view.merchant,
        category_id=view.decision.category_id,
        confidence=view.decision.confidence,
        evidence=view.evidence,
        would_change=count,
    )


def _category_names(uow: UnitOfWork) -> dict[UUID, str]:
    return {category.id: category.name for category in uow.categories.all()}


def _merchant_transactions(uow: UnitOfWork, key: str, category_id: UUID | None) -> list[UUID]:
    """Ids of the stored transactions of the merchant ``key`` that are not in ``category_id``
    and whose category a learned one may replace. Merchant keys are computed in Python (the
    same fold as the categorisers'), over the candidates read in batches."""
    assert category_id is not None
    found: list[UUID] = []
    keys: dict[tuple[str | None, str], str] = {}
    after: tuple[date, UUID] | None = None
    while True:
        batch = uow.transactions.learning_candidates(
            keep_sources=KEPT_SOURCES, other_than=category_id, after=after, limit=SCAN_BATCH
        )
        for transaction_id, _, merchant, description in batch:
            named = (merchant, description)
            if named not in keys:
                if len(keys) >= _REMEMBERED_KEYS:
                    keys.clear()
                keys[named] = merchant_key(merchant, description)
            if keys[named] == key:
                found.append(transaction_id)
        if len(batch) < SCAN_BATCH:
            return found
        last_id, last_booked_on, _, _ = batch[-1]
        after = (last_booked_on, last_id)


def _after(cursor: str) -> str:
    return Cursor.decode(cursor, expected_sort=LIST_SORT).value
