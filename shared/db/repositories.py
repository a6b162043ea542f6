"""Repositories: every query of a tenant-owned table is filtered by the tenant of the session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db.models import (
    Account,
    Budget,
    CategorisationRule,
    Category,
    CsvMapping,
    Goal,
    IdempotencyKey,
    ImportIssue,
    ImportRecord,
    LearnedMerchant,
    Membership,
    Tag,
    Tenant,
    Transaction,
    TransactionTag,
    User,
)
from shared.domain.errors import NotFound
from shared.domain.pagination import Cursor, Page, TransactionSort
from shared.domain.transactions import TransactionFilter, TransactionQuery

if TYPE_CHECKING:
    # The rules engine compiles its patterns on import; every function imports the
    # repositories, few of them narrow by a rule.
    from shared.categorisation.rules import Narrowing

M = TypeVar(
    "M",
    Account,
    Category,
    Tag,
    Transaction,
    ImportRecord,
    CategorisationRule,
    LearnedMerchant,
    Budget,
    Goal,
)
T = TypeVar("T")


class _TenantScoped:
    model: type[Any]
    noun: str

    def __init__(self, session: Session, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id
        # Entities read in this unit of work, kept alive (the session only holds weak references)
        # so that bulk loads looking up the same account or category for every line hit memory.
        self._seen: dict[UUID, Any] = {}

    def _owned(self) -> ColumnElement[bool]:
        return self.model.tenant_id == self.tenant_id  # type: ignore[no-any-return]

    def _get(self, model: type[M], entity_id: UUID) -> M:
        seen = self._seen.get(entity_id)
        if isinstance(seen, model) and seen in self.session:
            return seen
        statement = select(model).where(model.id == entity_id, model.tenant_id == self.tenant_id)
        entity = self.session.scalars(statement).first()
        if entity is None:
            raise NotFound(f"{self.noun} {entity_id} not found", resource=self.noun)
        self._seen[entity_id] = entity
        return entity

    def add(self, entity: Any) -> None:
        if entity.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        self.session.add(entity)

    def delete(self, entity: Any) -> None:
        self._seen.pop(entity.id, None)
        self.session.delete(entity)


class TenantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tenant_id: UUID) -> Tenant:
        tenant = self.session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound(f"workspace {tenant_id} not found", resource="workspace")
        return tenant

    def add(self, tenant: Tenant) -> None:
        self.session.add(tenant)

    def of_user(self, user_id: UUID) -> list[tuple[Tenant, str]]:
        rows = self.session.execute(
            select(Tenant, Membership.role)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user_id)
            .order_by(Tenant.created_at, Tenant.id)
        ).all()
        return [(tenant, role) for tenant, role in rows]


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, user_id: UUID) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        """Only among the people this session may see (itself and co-members, on PostgreSQL)."""
        return self.session.scalars(select(User).where(User.email == email.lower())).first()

    def register(
        self,
        user_id: UUID,
        *,
        email: str | None,
        name: str | None,
        locale: str,
        timezone: str,
        now: datetime,
    ) -> bool:
        """Adds a person unless one with this id exists (who may be invisible to this session).
        False when the e-mail already belongs to another person; nothing is written then.

        A plain INSERT in a savepoint, not ON CONFLICT: PostgreSQL would also hold the new row
        to the SELECT policy, which an invitee does not meet until their membership exists.
        """
        statement = insert(User).values(
            id=user_id,
            email=email,
            display_name=name,
            locale=locale,
            timezone=timezone,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.execute(statement)
        except IntegrityError as error:
            return "email" not in str(error.orig)
        return True


class MembershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, tenant_id: UUID, user_id: UUID) -> Membership | None:
        return self.session.get(Membership, (tenant_id, user_id))

    def of_tenant(self, tenant_id: UUID) -> list[Membership]:
        statement = (
            select(Membership)
            .where(Membership.tenant_id == tenant_id)
            .order_by(Membership.created_at, Membership.user_id)
        )
        return list(self.session.scalars(statement))

    def count_owners(self, tenant_id: UUID) -> int:
        """Locks the owners' rows (PostgreSQL), so two owners demoting each other at once cannot
        leave a workspace with none: the second waits and then counts one owner."""
        statement = (
            select(Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.role == "owner")
            .with_for_update()
        )
        return len(self.session.scalars(statement).all())

    def add(self, membership: Membership) -> None:
        self.session.add(membership)

    def delete(self, membership: Membership) -> None:
        self.session.delete(membership)


class AccountRepository(_TenantScoped):
    model = Account
    noun = "account"

    def get(self, account_id: UUID) -> Account:
        return self._get(Account, account_id)

    def list(self, *, include_archived: bool = False) -> list[Account]:
        statement = select(Account).where(self._owned())
        if not include_archived:
            statement = statement.where(Account.archived.is_(False))
        return list(self.session.scalars(statement.order_by(Account.name, Account.id)))

    def lock(self, account_id: UUID) -> Account:
        """Reads the account and, on PostgreSQL, locks its row until the end of the transaction:
        two imports into one account run one after the other, so each sees what the other
        wrote and a file imported twice at once is still imported once."""
        statement = (
            select(Account)
            .where(Account.id == account_id, Account.tenant_id == self.tenant_id)
            .with_for_update()
        )
        account = self.session.scalars(statement).first()
        if account is None:
            raise NotFound(f"account {account_id} not found", resource="account")
        self._seen[account_id] = account
        return account

    def has_transactions(self, account_id: UUID) -> bool:
        statement = select(
            exists().where(
                Transaction.tenant_id == self.tenant_id, Transaction.account_id == account_id
            )
        )
        return bool(self.session.scalar(statement))


class CategoryRepository(_TenantScoped):
    model = Category
    noun = "category"

    def get(self, category_id: UUID) -> Category:
        return self._get(Category, category_id)

    def all(self) -> list[Category]:
        statement = select(Category).where(self._owned()).order_by(Category.position, Category.name)
        return list(self.session.scalars(statement))

    def by_slug(self, slug: str) -> Category | None:
        statement = select(Category).where(self._owned(), Category.slug == slug)
        return self.session.scalars(statement).first()

    def slugs(self) -> set[str]:
        return set(self.session.scalars(select(Category.slug).where(self._owned())))

    def with_descendants(self, category_ids: Iterable[UUID]) -> set[UUID]:
        frontier = list(category_ids)
        if not frontier:
            return set()
        children: dict[UUID | None, list[UUID]] = {}
        for category_id, parent_id in self.session.execute(
            select(Category.id, Category.parent_id).where(self._owned())
        ):
            children.setdefault(parent_id, []).append(category_id)
        found: set[UUID] = set()
        while frontier:
            current = frontier.pop()
            if current not in found:
                found.add(current)
                frontier.extend(children.get(current, []))
        return found


class TagRepository(_TenantScoped):
    model = Tag
    noun = "tag"

    def get(self, tag_id: UUID) -> Tag:
        return self._get(Tag, tag_id)

    def list(self) -> list[Tag]:
        return list(self.session.scalars(select(Tag).where(self._owned()).order_by(Tag.name)))

    def by_names(self, names: Sequence[str]) -> dict[str, Tag]:
        if not names:
            return {}
        statement = select(Tag).where(self._owned(), Tag.name.in_(list(names)))
        return {tag.name: tag for tag in self.session.scalars(statement)}


class RuleRepository(_TenantScoped):
    model = CategorisationRule
    noun = "rule"

    def get(self, rule_id: UUID) -> CategorisationRule:
        return self._get(CategorisationRule, rule_id)

    def list(self, *, enabled_only: bool = False) -> list[CategorisationRule]:
        """In the order they run."""
        statement = select(CategorisationRule).where(self._owned())
        if enabled_only:
            statement = statement.where(CategorisationRule.enabled.is_(True))
        order = (
            CategorisationRule.position,
            CategorisationRule.created_at,
            CategorisationRule.id,
        )
        return list(self.session.scalars(statement.order_by(*order)))


class BudgetRepository(_TenantScoped):
    model = Budget
    noun = "budget"

    def get(self, budget_id: UUID, *, lock: bool = False) -> Budget:
        """``lock``: held until the unit of work ends (PostgreSQL), so that the budget's
        alerts are decided by one unit of work at a time."""
        if not lock:
            return self._get(Budget, budget_id)
        statement = (
            select(Budget)
            .where(self._owned(), Budget.id == budget_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        budget = self.session.scalars(statement).first()
        if budget is None:
            raise NotFound(f"budget {budget_id} not found", resource=self.noun)
        return budget

    def list(self, *, lock: bool = False, currencies: Iterable[str] | None = None) -> list[Budget]:
        """By name; ``lock`` as in ``get`` (rows locked in id order: no deadlock between two
        units of work locking several)."""
        statement = select(Budget).where(self._owned())
        if currencies is not None:
            statement = statement.where(Budget.currency.in_(sorted(set(currencies))))
        if lock:
            statement = (
                statement.order_by(Budget.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            return list(self.session.scalars(statement))
        return list(self.session.scalars(statement.order_by(Budget.name, Budget.id)))


class GoalRepository(_TenantScoped):
    model = Goal
    noun = "goal"

    def get(self, goal_id: UUID, *, lock: bool = False) -> Goal:
        """``lock``: held until the unit of work ends (PostgreSQL), so that the goal's
        milestones are decided by one unit of work at a time."""
        if not lock:
            return self._get(Goal, goal_id)
        statement = (
            select(Goal)
            .where(self._owned(), Goal.id == goal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        goal = self.session.scalars(statement).first()
        if goal is None:
            raise NotFound(f"goal {goal_id} not found", resource=self.noun)
        return goal

    def list(self) -> list[Goal]:
        """By name."""
        statement = select(Goal).where(self._owned()).order_by(Goal.name, Goal.id)
        return list(self.session.scalars(statement))

    def measuring_account(self, account_id: UUID) -> bool:
        """Whether a goal measures this account (it cannot be deleted then, only archived)."""
        statement = select(Goal.id).where(self._owned(), Goal.account_id == account_id).limit(1)
        return self.session.scalar(statement) is not None


class LearnedMerchantRepository(_TenantScoped):
    model = LearnedMerchant
    noun = "learned merchant"

    def find(self, merchant_key: str, *, lock: bool = False) -> LearnedMerchant | None:
        """``lock``: on PostgreSQL the row stays locked until the end of the transaction, so
        two corrections of one merchant at once both land (one waits for the other)."""
        statement = select(LearnedMerchant).where(
            self._owned(), LearnedMerchant.merchant_key == merchant_key
        )
        if lock:
            statement = statement.with_for_update()
        return self.session.scalars(statement).first()

    def get(self, merchant_key: str) -> LearnedMerchant:
        found = self.find(merchant_key)
        if found is None:
            raise NotFound(f"nothing learned for the merchant {merchant_key!r}", resource=self.noun)
        return found

    def add_new(self, merchant: LearnedMerchant) -> bool:
        """Inserts the merchant in a savepoint; False (nothing written, the transaction still
        usable) when a concurrent correction inserted its key first."""
        if merchant.tenant_id != self.tenant_id:
            raise ValueError("entity belongs to another tenant")
        self.session.flush()  # what is pending belongs outside the savepoint and its verdict
        try:
            with self.session.begin_nested():
                self.session.add(merchant)
        except IntegrityError:
            return False
        return True

    def list(
        self, *, enabled: bool | None = None, after: str | None = None, limit: int | None = None
    ) -> list[LearnedMerchant]:
        """By key; ``after`` a key, for the next page."""
        statement = select(LearnedMerchant).where(self._owned())
        if enabled is not None:
            statement = statement.where(LearnedMerchant.enabled.is_(enabled))
        if after is not None:
            statement = statement.where(LearnedMerchant.merchant_key > after)
        statement = statement.order_by(LearnedMerchant.merchant_key)
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))


class TransactionRepository(_TenantScoped):
    model = Transaction
    noun = "transaction"

    def get(self, transaction_id: UUID) -> Transaction:
        return self._get(Transaction, transaction_id)

    def tagged_with(self, tag_id: UUID) -> list[Transaction]:
        statement = (
            select(Transaction)
            .join(TransactionTag, TransactionTag.transaction_id == Transaction.id)
            .where(
                self._owned(),
                TransactionTag.tenant_id == self.tenant_id,
                TransactionTag.tag_id == tag_id,
            )
        )
        return list(self.session.scalars(statement))

    def existing_external_ids(self, wanted: Iterable[tuple[UUID, str]]) -> set[tuple[UUID, str]]:
        """Which of these (account id, external id) pairs are already stored."""
        pairs = set(wanted)
        found: set[tuple[UUID, str]] = set()
        by_account: dict[UUID, list[str]] = {}
        for account_id, external_id in pairs:
            by_account.setdefault(account_id, []).append(external_id)
        for account_id, external_ids in by_account.items():
            for chunk in _chunks(external_ids, 500):
                statement = select(Transaction.external_id).where(
                    self._owned(),
                    Transaction.account_id == account_id,
                    Transaction.external_id.in_(chunk),
                )
                found.update(
                    (account_id, value)
                    for value in self.session.scalars(statement)
                    if value is not None
                )
        return found

    def by_external_ids(
        self, account_id: UUID, external_ids: Iterable[str]
    ) -> dict[str, Transaction]:
        """The account's transactions carrying these external ids, by external id."""
        found: dict[str, Transaction] = {}
        for chunk in _chunks(sorted(set(external_ids)), 500):
            statement = select(Transaction).where(
                self._owned(),
                Transaction.account_id == account_id,
                Transaction.external_id.in_(chunk),
            )
            for transaction in self.session.scalars(statement):
                if transaction.external_id is not None:
                    found[transaction.external_id] = transaction
        return found

    def in_account_between(self, account_id: UUID, first: date, last: date) -> list[Transaction]:
        """The account's transactions booked in [first, last], oldest first (stable order)."""
        statement = (
            select(Transaction)
            .where(
                self._owned(),
                Transaction.account_id == account_id,
                Transaction.booked_on >= first,
                Transaction.booked_on <= last,
            )
            .order_by(Transaction.booked_on, Transaction.created_at, Transaction.id)
        )
        return list(self.session.scalars(statement))

    def date_span(self, account_id: UUID) -> tuple[date, date] | None:
        """The first and last booked dates of the account, None when it holds nothing."""
        statement = select(func.min(Transaction.booked_on), func.max(Transaction.booked_on)).where(
            self._owned(), Transaction.account_id == account_id
        )
        first, last = self.session.execute(statement).one()
        return None if first is None else (first, last)

    def pending(self, account_id: UUID) -> list[Transaction]:
        statement = select(Transaction).where(
            self._owned(),
            Transaction.account_id == account_id,
            Transaction.status == "pending",
        )
        return list(self.session.scalars(statement))

    def with_date_and_amount(
        self,
        account_id: UUID,
        pairs: Iterable[tuple[date, Decimal]],
        *,
        excluding_import: UUID | None = None,
    ) -> list[Transaction]:
        """The account's transactions booked on one of these (date, amount) pairs, except those
        created by ``excluding_import``; oldest first (stable order)."""
        found: list[Transaction] = []
        for chunk in _chunks(sorted(set(pairs)), 500):
            statement = select(Transaction).where(
                self._owned(),
                Transaction.account_id == account_id,
                Transaction.booked_on >= chunk[0][0],
                Transaction.booked_on <= chunk[-1][0],
                tuple_(Transaction.booked_on, Transaction.amount).in_(chunk),
            )
            if excluding_import is not None:
                statement = statement.where(
                    or_(
                        Transaction.import_id.is_(None),
                        Transaction.import_id != excluding_import,
                    )
                )
            found.extend(self.session.scalars(statement))
        found.sort(key=lambda t: (t.booked_on, t.created_at, t.id))
        return found

    def scan(
        self, narrowing: Narrowing, *, after: tuple[date, UUID] | None, limit: int
    ) -> list[Transaction]:
        """The next ``limit`` transactions, newest first, after the (booked on, id) ``after``,
        of those that may meet a rule's conditions (``narrowing``): the rule's own test runs in
        Python, on what this returns."""
        conditions: list[ColumnElement[bool]] = [self._owned()]
        if narrowing.account_ids is not None:
            conditions.append(Transaction.account_id.in_(sorted(narrowing.account_ids)))
        if narrowing.types is not None:
            conditions.append(func.upper(func.trim(Transaction.type)).in_(sorted(narrowing.types)))
        if narrowing.amount_min is not None:
            conditions.append(Transaction.amount >= narrowing.amount_min)
        if narrowing.amount_max is not None:
            conditions.append(Transaction.amount <= narrowing.amount_max)
        if narrowing.credit is not None:
            conditions.append(
                Transaction.amount > 0 if narrowing.credit else Transaction.amount < 0
            )
        if after is not None:
            conditions.append(_older_than(*after))
        statement = (
            select(Transaction)
            .where(*conditions)
            .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def learning_candidates(
        self,
        *,
        keep_sources: Sequence[str],
        other_than: UUID,
        after: tuple[date, UUID] | None,
        limit: int,
    ) -> list[tuple[UUID, date, str | None, str]]:
        """The next ``limit`` (id, booked on, merchant, description) of transactions not in
        category ``other_than`` whose category source is none of ``keep_sources`` (a category
        set by hand, a rule's), newest first after ``after``: what applying a learned category
        may change, to be narrowed to one merchant in Python."""
        conditions: list[ColumnElement[bool]] = [
            self._owned(),
            or_(Transaction.category_id.is_(None), Transaction.category_id != other_than),
            or_(
                Transaction.category_source.is_(None),
                Transaction.category_source.not_in(list(keep_sources)),
            ),
        ]
        if after is not None:
            conditions.append(_older_than(*after))
        statement = (
            select(
                Transaction.id,
                Transaction.booked_on,
                Transaction.merchant,
                Transaction.description,
            )
            .where(*conditions)
            .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
            .limit(limit)
        )
        return [tuple(row) for row in self.session.execute(statement)]  # type: ignore[misc]

    def with_ids(self, ids: Sequence[UUID]) -> list[Transaction]:
        found: list[Transaction] = []
        for chunk in _chunks(list(ids), 500):
            statement = select(Transaction).where(self._owned(), Transaction.id.in_(chunk))
            found.extend(self.session.scalars(statement))
        return found

    def search(self, query: TransactionQuery, *, category_ids: set[UUID]) -> Page[Transaction]:
        """``category_ids`` is the filter's categories already expanded with their children."""
        conditions = self._conditions(query.filter)
        if query.filter.category_ids:
            conditions.append(Transaction.category_id.in_(category_ids))
        statement = self._after_cursor(select(Transaction).where(self._owned(), *conditions), query)
        column = _sort_column(query.sort)
        order = (
            (column.desc(), Transaction.id.desc())
            if query.sort.descending
            else (column.asc(), Transaction.id.asc())
        )
        rows = list(self.session.scalars(statement.order_by(*order).limit(query.limit + 1)))
        if len(rows) <= query.limit:
            return Page(rows, None)
        last = rows[query.limit - 1]
        value = getattr(last, query.sort.field)
        cursor = Cursor(sort=query.sort.value, value=str(value), id=last.id)
        return Page(rows[: query.limit], cursor.encode())

    def _conditions(self, spec: TransactionFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if spec.date_from is not None:
            conditions.append(Transaction.booked_on >= spec.date_from)
        if spec.date_to is not None:
            conditions.append(Transaction.booked_on <= spec.date_to)
        if spec.account_ids:
            conditions.append(Transaction.account_id.in_(spec.account_ids))
        if spec.uncategorized:
            conditions.append(Transaction.category_id.is_(None))
        if spec.needs_review is not None:
            # The bare column (``needs_review`` / ``needs_review = 1``) is the partial index's
            # predicate, which both engines then use; ``IS true`` would not match it.
            waiting: ColumnElement[bool] = Transaction.needs_review.expression
            conditions.append(waiting if spec.needs_review else ~waiting)
        if spec.amount_min is not None:
            conditions.append(Transaction.amount >= spec.amount_min)
        if spec.amount_max is not None:
            conditions.append(Transaction.amount <= spec.amount_max)
        if spec.types:
            conditions.append(Transaction.type.in_(spec.types))
        if spec.status is not None:
            conditions.append(Transaction.status == spec.status.value)
        if spec.tags:
            conditions.append(self._tagged_with(spec.tags))
        if spec.text:
            conditions.append(_text_matches(spec.text))
        return conditions

    def _tagged_with(self, names: Sequence[str]) -> ColumnElement[bool]:
        return exists().where(
            TransactionTag.tenant_id == self.tenant_id,
            TransactionTag.transaction_id == Transaction.id,
            TransactionTag.tag_id == Tag.id,
            Tag.tenant_id == self.tenant_id,
            Tag.name.in_(list(names)),
        )

    def _after_cursor(
        self, statement: Select[Transaction], query: TransactionQuery
    ) -> Select[Transaction]:
        if query.cursor is None:
            return statement
        cursor = Cursor.decode(query.cursor, expected_sort=query.sort.value)
        value = cursor.sort_value()
        column = _sort_column(query.sort)
        if query.sort.descending:
            after = or_(column < value, and_(column == value, Transaction.id < cursor.id))
        else:
            after = or_(column > value, and_(column == value, Transaction.id > cursor.id))
        return statement.where(after)


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    return (items[start : start + size] for start in range(0, len(items), size))


def _sort_column(sort: TransactionSort) -> Any:
    return Transaction.booked_on if sort.field == "booked_on" else Transaction.amount


def _text_matches(text: str) -> ColumnElement[bool]:
    words = [word for word in text.lower().split() if word]
    return and_(
        *[
            or_(
                func.lower(Transaction.description).contains(word, autoescape=True),
                func.lower(func.coalesce(Transaction.merchant, "")).contains(word, autoescape=True),
                func.lower(func.coalesce(Transaction.notes, "")).contains(word, autoescape=True),
            )
            for word in words
        ]
    )


class ImportRepository(_TenantScoped):
    model = ImportRecord
    noun = "import"

    def get(self, import_id: UUID) -> ImportRecord:
        return self._get(ImportRecord, import_id)

    def mapping(self, account_id: UUID) -> CsvMapping | None:
        statement = select(CsvMapping).where(
            CsvMapping.tenant_id == self.tenant_id, CsvMapping.account_id == account_id
        )
        return self.session.scalars(statement).first()

    def forget_mapping(self, account_id: UUID) -> bool:
        """False when the account had none."""
        saved = self.mapping(account_id)
        if saved is not None:
            self.session.delete(saved)
        return saved is not None

    def save_mapping(self, account_id: UUID, mapping: dict[str, Any], now: datetime) -> None:
        saved = self.mapping(account_id)
        if saved is None:
            self.session.add(
                CsvMapping(
                    account_id=account_id, tenant_id=self.tenant_id, mapping=mapping, updated_at=now
                )
            )
        else:
            saved.mapping, saved.updated_at = mapping, now

    def issues(
        self, import_id: UUID, *, kind: str | None = None, after: int = -1, limit: int = 100
    ) -> list[ImportIssue]:
        """An import's issues in file order, from position ``after + 1`` on."""
        statement = select(ImportIssue).where(
            ImportIssue.tenant_id == self.tenant_id,
            ImportIssue.import_id == import_id,
            ImportIssue.position > after,
        )
        if kind is not None:
            statement = statement.where(ImportIssue.kind == kind)
        statement = statement.order_by(ImportIssue.position).limit(limit)
        return list(self.session.scalars(statement))


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, user_id: UUID, scope: str, key: str) -> IdempotencyKey | None:
        return self.session.get(IdempotencyKey, (user_id, scope, key))

    def claim(self, record: IdempotencyKey) -> bool:
        """Inserts the key now, before anything is created under it; False when it is taken.

        On PostgreSQL a concurrent request with the same key waits here until the first one
        commits (then False) or rolls back (then True). The insert runs in a savepoint, so a
        taken key leaves the rest of the transaction usable.
        """
        self.session.flush()  # what is pending belongs outside the savepoint and its verdict
        try:
            with self.session.begin_nested():
                self.session.add(record)
        except IntegrityError:
            return False
        return True


def _older_than(booked_on: date, last_id: UUID) -> ColumnElement[bool]:
    """Newest-first keyset paging: the transactions after (booked on, id) in that order."""
    return or_(
        Transaction.booked_on < booked_on,
        and_(Transaction.booked_on == booked_on, Transaction.id < last_id),
    )
