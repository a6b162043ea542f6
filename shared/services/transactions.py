"""Transactions: create, read, list, change and delete, each change with its domain event.

A transaction recorded without a category goes through the workspace's categorisation chain
(its rules, what its corrections taught, then the container's categoriser); one the chain is
not sure of waits for review (``needs_review``). A category set or cleared by hand is the
person's (source ``user``): nothing automatic replaces it, and a category chosen by hand is
remembered for the transaction's merchant (``shared.services.learning``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from events.transactions import (
    TransactionCreated,
    TransactionDeleted,
    TransactionSnapshot,
)
from shared.categorisation.model import LineToCategorise, Verdict, short_evidence
from shared.db.models import Transaction, TransactionTag
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import (
    Conflict,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from shared.domain.money import Money, currency_exponent
from shared.domain.pagination import Page
from shared.domain.transactions import (
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_AMOUNT,
    CategorySource,
    TransactionQuery,
    TransactionStatus,
    category_evidence,
    instalment_is_coherent,
)
from shared.ports import Categoriser, Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from shared.services.learning import remember
from shared.services.rules import for_import
from shared.services.tags import tags_named
from shared.services.transaction_events import record_changes, snapshot, transaction_event
from shared.services.versions import check_version


@dataclass(frozen=True)
class NewTransaction:
    account_id: UUID
    amount: Decimal
    booked_on: date
    description: str
    currency: str | None = None
    value_on: date | None = None
    booked_at: time | None = None
    merchant: str | None = None
    category_id: UUID | None = None
    category_source: CategorySource | None = None
    category_confidence: Decimal | None = None
    category_evidence: str | None = None
    """Why: by default what the source implies (``chosen by hand`` for ``user``)."""
    category_rule_id: UUID | None = None
    needs_review: bool = False
    notes: str | None = None
    tags: tuple[str, ...] = ()
    type: str | None = None
    counterparty_document: str | None = None
    status: TransactionStatus = TransactionStatus.BOOKED
    instalment_number: int | None = None
    instalment_total: int | None = None
    external_id: str | None = None


class TransactionService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        categoriser: Callable[[], Categoriser] | None = None,
    ) -> None:
        """``categoriser`` gives the categoriser at the end of the chain; it is asked for only
        when a transaction without a category is recorded (a model may be slow to load)."""
        self._uow = uow
        self._clock = clock
        self._categoriser = categoriser

    def create(
        self, caller: Caller, spec: NewTransaction, idempotency: IdempotencyRequest | None = None
    ) -> tuple[Transaction, Created]:
        """Without a category, the transaction is categorised by the workspace's chain."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                # Inside create_once: a replayed request must return what it created, not 409.
                _refuse_known_external_ids(uow, [spec])
                return self._add(uow, caller, self._categorised(uow, spec)).id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.transactions.get(created.id), created

    def create_many(self, caller: Caller, specs: Iterable[NewTransaction]) -> list[UUID]:
        """All or nothing, in one unit of work: for loaders that bring many lines at once.
        They are stored as the loader states them: no categorisation chain runs."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            batch = list(specs)
            _refuse_known_external_ids(uow, batch)
            ids = [self._add(uow, caller, spec).id for spec in batch]
            uow.commit()
            return ids

    def get(self, caller: Caller, transaction_id: UUID) -> Transaction:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.transactions.get(transaction_id)

    def list(self, caller: Caller, query: TransactionQuery) -> Page[Transaction]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            categories = uow.categories.with_descendants(query.filter.category_ids)
            return uow.transactions.search(query, category_ids=categories)

    def update(
        self,
        caller: Caller,
        transaction_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> Transaction:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            transaction = uow.transactions.get(transaction_id)
            check_version("transaction", transaction.version, expected_version, required=True)
            by_hand = "category_id" in changes and "category_source" not in changes
            if by_hand and changes["category_id"] is not None:
                changes = {
                    **changes,
                    "category_source": CategorySource.USER,
                    "category_confidence": Decimal(1),
                    "category_evidence": category_evidence(CategorySource.USER),
                    "category_rule_id": None,
                    "needs_review": False,
                }
            before = snapshot(transaction)
            self._apply(uow, transaction, changes)
            record_changes(uow, caller, transaction, before, self._clock)
            if by_hand and _chosen(before, transaction):
                remember(uow, transaction, self._clock.now())
            uow.commit()
            return transaction

    def delete(self, caller: Caller, transaction_id: UUID, expected_version: int | None) -> None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            transaction = uow.transactions.get(transaction_id)
            check_version("transaction", transaction.version, expected_version, required=False)
            data = TransactionDeleted(transaction=snapshot(transaction))
            uow.record(
                transaction_event(
                    caller, transaction, data, self._clock, version=transaction.version + 1
                )
            )
            uow.transactions.delete(transaction)
            uow.commit()

    def _add(self, uow: UnitOfWork, caller: Caller, spec: NewTransaction) -> Transaction:
        return add_transaction(uow, caller, spec, self._clock)

    def _categorised(self, uow: UnitOfWork, spec: NewTransaction) -> NewTransaction:
        """``spec`` with what the chain decides (category, or review; a rule's tags and
        merchant), when it has no category of its own."""
        if spec.category_id is not None or self._categoriser is None:
            return spec
        account = _account(uow, spec.account_id)
        issues = value_issues(
            spec.amount,
            account.currency,
            booked_on=spec.booked_on,
            value_on=spec.value_on,
            instalment_number=spec.instalment_number,
            instalment_total=spec.instalment_total,
        )
        if issues:
            return spec  # refused by add_transaction, before any categoriser reads it
        categories = [category for category in uow.categories.all() if not category.archived]
        ids = {category.slug: category.id for category in categories}
        chain = for_import(
            uow, self._categoriser(), {category.id: category.slug for category in categories}
        )
        if chain.categoriser is None:
            return spec
        line = LineToCategorise(
            description=spec.description,
            amount=spec.amount,
            type=spec.type,
            counterparty_name=spec.merchant,
            account_id=spec.account_id,
            counterparty_document=spec.counterparty_document,
        )
        [verdict] = chain.categoriser.categorise([line])
        return _with_verdict(spec, verdict, ids.get(verdict.slug) if verdict.slug else None)

    def _apply(self, uow: UnitOfWork, transaction: Transaction, changes: dict[str, Any]) -> None:
        # No autoflush: the lookups below (tags, account, category) must not write the changes
        # before they are validated, or a bad value surfaces as a database error (409/500)
        # instead of a 422 that points at the field.
        with uow.deferred_writes():
            for name, value in changes.items():
                if name == "tags":
                    _set_tags(uow, transaction, value or ())
                elif name == "account_id":
                    account = _account(uow, value)
                    if account.currency != transaction.currency:
                        raise _invalid("account_id", "the new account has another currency")
                    transaction.account_id = account.id
                else:
                    setattr(transaction, name, value)
            if changes.get("category_id") is None and "category_id" in changes:
                # Cleared deliberately: no category, and nothing left to review.
                transaction.category_source = None
                transaction.category_confidence = None
                transaction.category_evidence = None
                transaction.category_rule_id = None
                transaction.needs_review = False
            _validate(uow, transaction)


def add_transaction(
    uow: UnitOfWork, caller: Caller, spec: NewTransaction, clock: Clock
) -> Transaction:
    """Validates and adds one transaction with its TransactionCreated event, inside ``uow``;
    raises ``InvalidInput`` (nothing added) when the transaction is not valid."""
    account = _account(uow, spec.account_id)
    if spec.currency is not None and spec.currency != account.currency:
        raise _invalid("currency", f"the account is in {account.currency}, not {spec.currency}")
    source = spec.category_source or (CategorySource.USER if spec.category_id else None)
    confidence = spec.category_confidence
    if source is CategorySource.USER and confidence is None:
        confidence = Decimal(1)
    evidence = spec.category_evidence
    if evidence is None and spec.category_id is not None and source is not None:
        evidence = category_evidence(source)
    transaction = Transaction(
        id=uuid4(),
        tenant_id=caller.tenant_id,
        account_id=account.id,
        currency=account.currency,
        status=spec.status,
        version=1,
        created_by=caller.user_id,
        category_source=source,
        category_confidence=confidence,
        category_evidence=short_evidence(evidence),
        category_rule_id=spec.category_rule_id if spec.category_id else None,
        needs_review=spec.needs_review and spec.category_id is None,
        **{name: getattr(spec, name) for name in _PLAIN_FIELDS},
    )
    _validate(uow, transaction)
    uow.transactions.add(transaction)
    _set_tags(uow, transaction, spec.tags)
    data = TransactionCreated(transaction=snapshot(transaction))
    uow.record(transaction_event(caller, transaction, data, clock))
    return transaction


_PLAIN_FIELDS = (
    "amount",
    "booked_on",
    "value_on",
    "booked_at",
    "description",
    "merchant",
    "category_id",
    "notes",
    "type",
    "counterparty_document",
    "instalment_number",
    "instalment_total",
    "external_id",
)


def _with_verdict(
    spec: NewTransaction, verdict: Verdict, category_id: UUID | None
) -> NewTransaction:
    """``spec`` categorised by ``verdict`` (its category the workspace's ``category_id``), or
    waiting for review when the verdict is not sure or its category is not there."""
    tags = tuple(dict.fromkeys([*spec.tags, *verdict.tags]))
    merchant = verdict.merchant_override or spec.merchant
    if verdict.decided and category_id is not None:
        return replace(
            spec,
            category_id=category_id,
            category_source=CategorySource(verdict.source),
            category_confidence=Decimal(f"{verdict.confidence:.4f}"),
            category_evidence=verdict.evidence,
            category_rule_id=verdict.rule_id,
            tags=tags,
            merchant=merchant,
        )
    return replace(
        spec, category_evidence=verdict.evidence, needs_review=True, tags=tags, merchant=merchant
    )


def _chosen(before: TransactionSnapshot, transaction: Transaction) -> bool:
    """Whether a change by hand chose a category: a new one, or the one a categoriser had
    given, now confirmed."""
    return transaction.category_id is not None and (
        before.category_id != transaction.category_id
        or before.category_source != CategorySource.USER
    )


def _refuse_known_external_ids(uow: UnitOfWork, specs: Sequence[NewTransaction]) -> None:
    wanted = [(spec.account_id, spec.external_id) for spec in specs if spec.external_id]
    duplicates = uow.transactions.existing_external_ids(wanted)
    if len(set(wanted)) < len(wanted):
        duplicates |= {pair for pair in wanted if wanted.count(pair) > 1}
    if duplicates:
        shown = ", ".join(sorted(repr(external_id) for _, external_id in duplicates)[:5])
        raise Conflict(
            f"external id(s) already in the account: {shown}", duplicates=len(duplicates)
        )


def _account(uow: UnitOfWork, account_id: UUID) -> Any:
    try:
        account = uow.accounts.get(account_id)
    except NotFound as missing:
        raise _invalid("account_id", f"account {account_id} not found") from missing
    if account.archived:
        raise _invalid("account_id", "the account is archived")
    return account


def _validate(uow: UnitOfWork, transaction: Transaction) -> None:
    issues = value_issues(
        transaction.amount,
        transaction.currency,
        booked_on=transaction.booked_on,
        value_on=transaction.value_on,
        instalment_number=transaction.instalment_number,
        instalment_total=transaction.instalment_total,
    )
    if transaction.category_id is not None:
        issues.extend(_category_issues(uow, transaction.category_id))
    if issues:
        raise InvalidInput("the transaction is not valid", issues=issues)


def value_issues(
    amount: Decimal,
    currency: str,
    *,
    booked_on: date,
    value_on: date | None,
    instalment_number: int | None,
    instalment_total: int | None,
) -> list[FieldIssue]:
    """What is wrong with a transaction's own values, whatever else it refers to."""
    issues: list[FieldIssue] = []
    if not _in_minor_units(amount, currency):
        try:
            Money(amount, currency).check_precision()
        except InvalidInput as error:
            issues.append(FieldIssue(("body", "amount"), error.detail, "too_many_decimals"))
    if abs(amount) > MAX_AMOUNT:
        issues.append(FieldIssue(("body", "amount"), f"must be at most {MAX_AMOUNT} in size"))
    for name, value in (("booked_on", booked_on), ("value_on", value_on)):
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            issues.append(
                FieldIssue(("body", name), f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
            )
    if not instalment_is_coherent(instalment_number, instalment_total):
        issues.append(
            FieldIssue(
                ("body", "instalment_number"),
                "instalment needs both number and total, 1 ≤ number ≤ total",
            )
        )
    return issues


def _in_minor_units(amount: Decimal, currency: str) -> bool:
    """The cheap test first (it runs for every imported line): no finer than the minor unit."""
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -currency_exponent(currency)


def _category_issues(uow: UnitOfWork, category_id: UUID) -> list[FieldIssue]:
    try:
        category = uow.categories.get(category_id)
    except NotFound:
        return [FieldIssue(("body", "category_id"), f"category {category_id} not found")]
    if category.archived:
        return [FieldIssue(("body", "category_id"), "the category is archived")]
    return []


def _set_tags(uow: UnitOfWork, transaction: Transaction, names: Sequence[str]) -> None:
    tags = tags_named(uow, transaction.tenant_id, names)
    transaction.tag_links = [
        TransactionTag(
            tenant_id=transaction.tenant_id, transaction_id=transaction.id, tag_id=tag.id, tag=tag
        )
        for tag in tags
    ]


def _invalid(field_name: str, message: str) -> InvalidInput:
    return InvalidInput(message, issues=[FieldIssue(("body", field_name), message)])
