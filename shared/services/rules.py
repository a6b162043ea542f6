"""A workspace's categorisation rules: kept in order, previewed on what is stored, applied.

The rules themselves (conditions, actions, how they match, which regular expressions are safe)
are plain domain code in ``shared.categorisation.rules``; this service keeps them, checks what
needs the database (the category exists in the workspace and is not archived), and runs one
rule over the stored transactions: ``preview`` says what it would change, ``apply`` changes
exactly that, each transaction through ``record_changes`` (a new version and its events).

A category a person chose by hand (source ``user``) is never replaced by a rule: a rule may
still tag such a transaction or rename its merchant, which the person did not choose.
Imports, and transactions recorded without a category, run the enabled rules first, then what
the workspace's corrections taught, then the given categoriser (``for_import``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from shared.categorisation.model import short_evidence
from shared.categorisation.rules import (
    OWN_ACCOUNTS,
    Actions,
    Condition,
    Rule,
    RuleCategoriser,
    Subject,
    decide,
    definition_issues,
)
from shared.db.models import CategorisationRule, Transaction, TransactionTag
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import (
    Conflict,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from shared.domain.pagination import Cursor
from shared.domain.transactions import CategorySource
from shared.ports import Categoriser, Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once
from shared.services.learning import learned_ahead_of
from shared.services.tags import tags_named
from shared.services.transaction_events import record_changes, snapshot
from shared.services.versions import check_version

PREVIEW_SORT = "-booked_on"
"""Previews list the newest transactions first; their cursors are those of that sort."""
SCAN_BATCH = 500
"""Transactions read at once while looking for those a rule changes."""


@dataclass(frozen=True)
class RuleSpec:
    """A rule as a person writes it: to create, or to preview without saving."""

    name: str
    conditions: tuple[Condition, ...]
    actions: Actions
    enabled: bool = True
    stop_processing: bool = False
    position: int | None = None
    """0 first; None: after the others."""


@dataclass(frozen=True)
class Effect:
    """What a rule can change of a transaction."""

    category_id: UUID | None
    merchant: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PlannedChange:
    transaction_id: UUID
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    before: Effect
    after: Effect


@dataclass(frozen=True)
class PreviewPage:
    items: list[PlannedChange]
    next_cursor: str | None


@dataclass(frozen=True)
class ImportRules:
    """What an import needs of the workspace's rules, read once per import."""

    categoriser: Categoriser | None
    tag_ids: dict[str, UUID]
    """The tags the rules may add, by name (created when missing)."""


class RuleService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def list(self, caller: Caller) -> list[CategorisationRule]:
        """In the order they run."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.rules.list()

    def get(self, caller: Caller, rule_id: UUID) -> CategorisationRule:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.rules.get(rule_id)

    def create(
        self, caller: Caller, spec: RuleSpec, idempotency: IdempotencyRequest | None = None
    ) -> tuple[CategorisationRule, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)

            def create() -> UUID:
                # Inside create_once: a replayed request returns what it created, even if its
                # category has been archived since.
                _check(uow, spec.conditions, spec.actions)
                actions = _with_tags(uow, spec.actions)
                others = uow.rules.list()
                rule = CategorisationRule(
                    id=uuid4(),
                    tenant_id=caller.tenant_id,
                    name=spec.name,
                    position=len(others),
                    enabled=spec.enabled,
                    stop_processing=spec.stop_processing,
                    conditions=[condition.to_json() for condition in spec.conditions],
                    actions=actions.to_json(),
                )
                uow.rules.add(rule)
                _place(others, rule, spec.position)
                return rule.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.rules.get(created.id), created

    def update(
        self,
        caller: Caller,
        rule_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> CategorisationRule:
        """``changes`` by field name: ``conditions`` (a tuple of ``Condition``) and ``actions``
        (``Actions``) replace the rule's whole; ``position`` moves it, the others shifting."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            rule = uow.rules.get(rule_id)
            check_version("rule", rule.version, expected_version, required=True)
            current = rule_of(rule)
            conditions: tuple[Condition, ...] = changes.get("conditions", current.conditions)
            actions: Actions = changes.get("actions", current.actions)
            # Everything is read before anything changes: a query's autoflush would otherwise
            # write the rule twice, and bump its version twice.
            redefined = "conditions" in changes or "actions" in changes
            if redefined:
                _check(uow, conditions, actions)
                actions = _with_tags(uow, actions)
            others = uow.rules.list() if "position" in changes else []
            if redefined:
                rule.conditions = [condition.to_json() for condition in conditions]
                rule.actions = actions.to_json()
            for name in ("name", "enabled", "stop_processing"):
                if name in changes:
                    setattr(rule, name, changes[name])
            if "position" in changes:
                _place(others, rule, changes["position"])
            uow.commit()
            return rule

    def delete(self, caller: Caller, rule_id: UUID, expected_version: int | None) -> None:
        """What the rule did to transactions stays: deleting a rule changes no transaction."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            rule = uow.rules.get(rule_id)
            check_version("rule", rule.version, expected_version, required=False)
            others = [other for other in uow.rules.list() if other.id != rule.id]
            uow.rules.delete(rule)
            _place(others, None, None)
            uow.commit()

    def preview(
        self,
        caller: Caller,
        target: RuleSpec | UUID,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> PreviewPage:
        """The stored transactions the rule (a saved one, or a definition not saved) would
        change, newest first, with what they hold and what they would hold; changes nothing."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            if isinstance(target, UUID):
                rule = rule_of(uow.rules.get(target))
                _check_saved(uow, rule)
            else:
                _check(uow, target.conditions, target.actions)
                rule = Rule(uuid4(), target.name, 0, True, False, target.conditions, target.actions)
            after = _after(cursor)
            planned, last = _plan(uow, rule, after=after, limit=limit)
            items = [_described(transaction, before, then) for transaction, before, then in planned]
            next_cursor = None
            if last is not None:
                booked_on, last_id = last
                next_cursor = Cursor(PREVIEW_SORT, booked_on.isoformat(), last_id).encode()
            return PreviewPage(items, next_cursor)

    def apply(self, caller: Caller, rule_id: UUID) -> int:
        """Applies the saved rule (enabled or not: the person asked) to every stored transaction
        its preview lists, in one unit of work; returns how many changed."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            rule = rule_of(uow.rules.get(rule_id))
            _check_saved(uow, rule)
            tags = {tag.name: tag for tag in tags_named(uow, caller.tenant_id, rule.actions.tags)}
            planned, _ = _plan(uow, rule, after=None, limit=None)
            for transaction, before, after in planned:
                state = snapshot(transaction)
                if after.category_id != before.category_id:
                    transaction.category_id = after.category_id
                    transaction.category_source = CategorySource.RULE
                    transaction.category_confidence = Decimal(1)
                    transaction.category_evidence = short_evidence(f"rule {rule.name!r}")
                    transaction.category_rule_id = rule.id
                    transaction.needs_review = False
                if after.merchant != before.merchant:
                    transaction.merchant = after.merchant
                for name in after.tags:
                    if name not in before.tags:
                        transaction.tag_links.append(
                            TransactionTag(
                                tenant_id=caller.tenant_id,
                                transaction_id=transaction.id,
                                tag_id=tags[name].id,
                                tag=tags[name],
                            )
                        )
                record_changes(uow, caller, transaction, state, self._clock)
            uow.commit()
            return len(planned)


def for_import(
    uow: UnitOfWork, base: Categoriser | None, category_slugs: Mapping[UUID, str]
) -> ImportRules:
    """The chain that categorises new transactions, for one import (or one transaction
    recorded without a category): the workspace's enabled rules, then what its corrections
    taught (``learned_ahead_of``), then ``base``. One query each; ``base`` itself when there
    are no rules and nothing learned. The tags the rules add exist (and are flushed) before
    the import's bulk writer takes the session."""
    chain = learned_ahead_of(uow, base, category_slugs, uow.now())
    rules = [rule_of(row) for row in uow.rules.list(enabled_only=True)]
    if not rules:
        return ImportRules(chain, {})
    categoriser = RuleCategoriser(rules, category_slugs, fallback=chain)
    assert uow.tenant_id is not None
    tags = tags_named(uow, uow.tenant_id, categoriser.tag_names)
    if tags:
        uow.flush()
    return ImportRules(categoriser, {tag.name: tag.id for tag in tags})


def rule_of(row: CategorisationRule) -> Rule:
    """The domain rule a stored row holds."""
    return Rule(
        id=row.id,
        name=row.name,
        position=row.position,
        enabled=row.enabled,
        stop_processing=row.stop_processing,
        conditions=tuple(Condition.from_json(condition) for condition in row.conditions),
        actions=Actions.from_json(row.actions),
    )


# -- checks ----------------------------------------------------------------------------------


def _check(uow: UnitOfWork, conditions: Sequence[Condition], actions: Actions) -> None:
    issues = definition_issues(conditions, actions) + _category_issues(uow, actions)
    if issues:
        raise InvalidInput("the rule is not valid", issues=issues)


def _category_issues(uow: UnitOfWork, actions: Actions) -> list[FieldIssue]:
    if actions.category_id is not None:
        where = ("body", "actions", "category_id")
        try:
            category = uow.categories.get(actions.category_id)
        except NotFound:
            return [FieldIssue(where, f"category {actions.category_id} not found")]
        if category.archived:
            return [FieldIssue(where, "the category is archived")]
    if actions.own_transfer and _own_accounts(uow) is None:
        reason = f"the workspace's {OWN_ACCOUNTS!r} category is missing or archived"
        return [FieldIssue(("body", "actions", "own_transfer"), reason)]
    return []


def _check_saved(uow: UnitOfWork, rule: Rule) -> None:
    """A saved rule was valid; its category may have been archived since."""
    issues = _category_issues(uow, rule.actions)
    if issues:
        raise Conflict(
            f"rule {rule.name!r} cannot run: {issues[0].message}; change its actions first"
        )


def _own_accounts(uow: UnitOfWork) -> UUID | None:
    category = uow.categories.by_slug(OWN_ACCOUNTS)
    return None if category is None or category.archived else category.id


def _with_tags(uow: UnitOfWork, actions: Actions) -> Actions:
    """The actions with their tags as stored (trimmed, each once), the tags created now so
    that they are listed with the others."""
    if not actions.tags:
        return actions
    assert uow.tenant_id is not None
    tags = tags_named(uow, uow.tenant_id, actions.tags)
    return replace(actions, tags=tuple(tag.name for tag in tags))


def _place(
    rules: Sequence[CategorisationRule], moved: CategorisationRule | None, position: int | None
) -> None:
    """Numbers the rules 0, 1, 2… in their order, ``moved`` at ``position`` (last if None)."""
    ordered = [rule for rule in rules if moved is None or rule.id != moved.id]
    if moved is not None:
        index = len(ordered) if position is None else min(position, len(ordered))
        ordered.insert(index, moved)
    for index, rule in enumerate(ordered):
        if rule.position != index:
            rule.position = index


def _after(cursor: str | None) -> tuple[date, UUID] | None:
    if cursor is None:
        return None
    decoded = Cursor.decode(cursor, expected_sort=PREVIEW_SORT)
    booked_on = decoded.sort_value()
    assert isinstance(booked_on, date)
    return booked_on, decoded.id


# -- planning --------------------------------------------------------------------------------

_Planned = tuple[Transaction, Effect, Effect]


def _plan(
    uow: UnitOfWork, rule: Rule, *, after: tuple[date, UUID] | None, limit: int | None
) -> tuple[list[_Planned], tuple[date, UUID] | None]:
    """The transactions after ``after`` (newest first) that ``rule`` changes, at most ``limit``
    of them, and where the next page starts (None: no more)."""
    target = _target_category(uow, rule.actions)
    narrowing = rule.narrowing()
    found: list[_Planned] = []
    while True:
        batch = uow.transactions.scan(narrowing, after=after, limit=SCAN_BATCH)
        for transaction in batch:
            planned = _planned(transaction, rule, target)
            if planned is None:
                continue
            found.append(planned)
            if limit is not None and len(found) >= limit:
                return found, (transaction.booked_on, transaction.id)
        if len(batch) < SCAN_BATCH:
            return found, None
        after = (batch[-1].booked_on, batch[-1].id)


def _target_category(uow: UnitOfWork, actions: Actions) -> UUID | None:
    if actions.own_transfer:
        return _own_accounts(uow)
    return actions.category_id


def _planned(transaction: Transaction, rule: Rule, target: UUID | None) -> _Planned | None:
    subject = Subject(
        description=transaction.description,
        amount=transaction.amount,
        merchant_name=transaction.merchant,
        account_id=transaction.account_id,
        type=transaction.type,
        counterparty_document=transaction.counterparty_document,
    )
    outcome = decide([rule], subject)
    if outcome is None:
        return None
    tags = tuple(sorted(link.tag.name for link in transaction.tag_links))
    before = Effect(transaction.category_id, transaction.merchant, tags)
    category = before.category_id
    if target is not None and transaction.category_source != CategorySource.USER:
        category = target
    after = Effect(
        category,
        outcome.merchant or before.merchant,
        tuple(sorted({*before.tags, *outcome.tags})),
    )
    return None if after == before else (transaction, before, after)


def _described(transaction: Transaction, before: Effect, after: Effect) -> PlannedChange:
    return PlannedChange(
        transaction_id=transaction.id,
        booked_on=transaction.booked_on,
        amount=transaction.amount,
        currency=transaction.currency,
        description=transaction.description,
        before=before,
        after=after,
    )
