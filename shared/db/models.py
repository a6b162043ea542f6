"""SQLAlchemy models: the persistent shape of the domain.

Every tenant-owned table carries ``tenant_id``; repositories filter on it and, on PostgreSQL,
row-level security filters on it a second time (see the migrations).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db.types import JSONType, Money, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(120))
    base_currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class User(Base):
    """A person; global, not owned by a tenant (one person may belong to many workspaces)."""

    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index(None, "user_id"),)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    institution: Mapped[str | None] = mapped_column(String(120))
    opening_balance: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index(None, "tenant_id", "name"),
    )


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    parent_id: Mapped[UUID | None]
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    kind: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("tenant_id", "slug"),
        UniqueConstraint("tenant_id", "id"),
        # The parent must belong to the same tenant: a composite key makes that structural.
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["categories.tenant_id", "categories.id"]),
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    color: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "id"))


class Transaction(Base):
    __tablename__ = "transactions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account_id: Mapped[UUID]
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[date] = mapped_column(Date)
    value_on: Mapped[date | None] = mapped_column(Date)
    booked_at: Mapped[time | None] = mapped_column(Time)
    description: Mapped[str] = mapped_column(Text)
    merchant: Mapped[str | None] = mapped_column(String(200))
    category_id: Mapped[UUID | None]
    category_source: Mapped[str | None] = mapped_column(String(16))
    category_confidence: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    category_evidence: Mapped[str | None] = mapped_column(String(200))
    """Why the category is what it is (or why a categoriser was not sure): short text."""
    category_rule_id: Mapped[UUID | None]
    """The workspace's rule that decided the category, when one did (the rule may be gone)."""
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    """A categoriser was asked and was not sure: the transaction waits for a person. False once
    it has a category, or a person set or cleared one."""
    notes: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(16))
    counterparty_document: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    instalment_number: Mapped[int | None] = mapped_column(SmallInteger)
    instalment_total: Mapped[int | None] = mapped_column(SmallInteger)
    external_id: Mapped[str | None] = mapped_column(String(200))
    import_id: Mapped[UUID | None]
    """The import that created the transaction, if one did."""
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    tag_links: Mapped[list[TransactionTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TransactionTag.tag_id"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "category_id"], ["categories.tenant_id", "categories.id"]
        ),
        UniqueConstraint("tenant_id", "id"),
        Index(None, "tenant_id", "booked_on"),
        Index(None, "tenant_id", "account_id", "booked_on"),
        Index(None, "tenant_id", "category_id", "booked_on"),
        Index(None, "tenant_id", "amount"),
        # The review queue (``needs_review=true``): only the few rows waiting for a person.
        Index(
            "ix_transactions_review_queue",
            "tenant_id",
            "booked_on",
            "id",
            sqlite_where=text("needs_review = 1"),
            postgresql_where=text("needs_review"),
        ),
        Index(
            "uq_transactions_external_id",
            "tenant_id",
            "account_id",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )


class TransactionTag(Base):
    __tablename__ = "transaction_tags"

    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    transaction_id: Mapped[UUID] = mapped_column(primary_key=True)
    tag_id: Mapped[UUID] = mapped_column(primary_key=True)

    # Read-only: tag_id is written explicitly; this only loads the tag's name with the link.
    tag: Mapped[Tag] = relationship(lazy="joined", viewonly=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["transactions.tenant_id", "transactions.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "tag_id"], ["tags.tenant_id", "tags.id"], ondelete="CASCADE"
        ),
        Index(None, "tenant_id", "tag_id"),
    )


class OutboxEvent(Base):
    """Domain events written in the same transaction as the change they describe."""

    __tablename__ = "outbox"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    aggregate_type: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[UUID]
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime]
    envelope: Mapped[dict[str, Any]]
    published_at: Mapped[datetime | None]

    __table_args__ = (
        # One event per aggregate version: a concurrent writer cannot slip in a second one.
        UniqueConstraint("aggregate_id", "version"),
        Index(
            "ix_outbox_unpublished",
            "occurred_at",
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )


class IdempotencyKey(Base):
    """What a POST with an ``Idempotency-Key`` created, so that a retry returns the same thing."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ImportRecord(Base):
    """One statement file brought into an account: where the original is, what became of it."""

    __tablename__ = "imports"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account_id: Mapped[UUID]
    user_id: Mapped[UUID | None]
    filename: Mapped[str] = mapped_column(String(255))
    lake_key: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str | None] = mapped_column(String(16))
    profile: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    """Rows that could not be read or stored; each one is an ``ImportIssue``."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the file as a whole was rejected (status failed)."""
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "id"),
        Index(None, "tenant_id", "account_id", "started_at"),
    )


class CsvMapping(Base):
    """How an account's CSV files are read when no bank profile fits: a user's saved
    ``ColumnMapping`` (see ``shared.imports.profiles``)."""

    __tablename__ = "csv_mappings"

    account_id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    mapping: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            ondelete="CASCADE",
        ),
    )


class ImportIssue(Base):
    """One line of an import that did not become a new transaction, and why: rejected (it could
    not be read or stored) or duplicate (it matched what the account holds). Rows, not a list in
    the import record, so that a file of any size reports every line."""

    __tablename__ = "import_issues"

    import_id: Mapped[UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """Order of the decision within the import (file order)."""
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    column: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[str | None] = mapped_column(Text)
    matched_transaction_id: Mapped[UUID | None]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "import_id"], ["imports.tenant_id", "imports.id"], ondelete="CASCADE"
        ),
    )


class CategorisationRule(Base):
    """A tenant's categorisation rule (see ``shared.categorisation.rules``): its conditions and
    actions are JSON, read and written only through ``Condition``/``Actions``, so that a new
    kind of condition needs no migration."""

    __tablename__ = "categorisation_rules"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    """0 first; the rules of a tenant are numbered 0, 1, 2… without gaps."""
    enabled: Mapped[bool] = mapped_column(Boolean)
    stop_processing: Mapped[bool] = mapped_column(Boolean)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    actions: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every UPDATE (the ETag); an UPDATE of a version read earlier changes nothing
    and fails as a version conflict."""

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (Index(None, "tenant_id", "position"),)


class LearnedMerchant(Base):
    """What a workspace's corrections taught about one merchant (see
    ``shared.categorisation.learned``): its recent hand-chosen categories, as JSON read only
    through ``Choice``, and whether learning is on for it."""

    __tablename__ = "learned_merchants"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    merchant_key: Mapped[str] = mapped_column(String(200))
    """``learned.merchant_key``: accents, case and punctuation folded."""
    merchant: Mapped[str] = mapped_column(String(200))
    """The merchant's name as the last corrected transaction showed it."""
    enabled: Mapped[bool] = mapped_column(Boolean)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """The newest choices, oldest first: ``{"category_id", "chosen_at", "transaction_id"}``."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("tenant_id", "merchant_key"),)


class ProcessedEvent(Base):
    """A domain event one consumer has applied (``shared.consumers``): written in the same
    transaction as the consumer's effect, so an event delivered twice is applied once."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(80))
    processed_at: Mapped[datetime]

    __table_args__ = (Index(None, "tenant_id", "processed_at"),)


NO_CATEGORY = UUID(int=0)
"""Stands for "uncategorised" in the rollups' keys, where a column of the primary key cannot be
NULL."""


class Rollup(Base):
    """Transactions summed per day (grain ``d``) and per month (grain ``m``), account, category
    and currency: how many came in and went out, and how much. Kept by the ``activity`` consumer
    from the transactions' events (``shared.services.activity``) and rebuilt from the
    transactions by ``fluxo analytics rebuild``; the transactions stay the truth. Dashboards read
    these rows, not the transactions (docs/analytics.md)."""

    __tablename__ = "rollups"

    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    grain: Mapped[str] = mapped_column(String(1))
    period_start: Mapped[date] = mapped_column(Date)
    """The day, or the first day of the month."""
    account_id: Mapped[UUID] = mapped_column()
    """No foreign key: an event may arrive after its account was deleted."""
    category_id: Mapped[UUID] = mapped_column()
    """``NO_CATEGORY`` for uncategorised transactions."""
    currency: Mapped[str] = mapped_column(String(3))
    credits: Mapped[int] = mapped_column(Integer)
    """How many amounts > 0."""
    debits: Mapped[int] = mapped_column(Integer)
    """How many amounts ≤ 0."""
    inflow: Mapped[Decimal] = mapped_column(Money())
    """Sum of the credits."""
    outflow: Mapped[Decimal] = mapped_column(Money())
    """Sum of the debits: a negative number or zero."""
    updated_at: Mapped[datetime]

    __table_args__ = (
        # Covering on PostgreSQL: a dashboard's reads are index-only scans of one tenant's
        # contiguous entries, never a visit to scattered heap pages (docs/analytics.md).
        PrimaryKeyConstraint(
            "tenant_id",
            "grain",
            "period_start",
            "account_id",
            "category_id",
            "currency",
            postgresql_include=["credits", "debits", "inflow", "outflow"],
        ),
    )


class MerchantRollup(Base):
    """Transactions summed per month, merchant (the merchant found, else the description),
    category and currency: the top merchants of a month without reading its transactions."""

    __tablename__ = "merchant_rollups"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    merchant: Mapped[str] = mapped_column(String(200), primary_key=True)
    category_id: Mapped[UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    credits: Mapped[int] = mapped_column(Integer)
    debits: Mapped[int] = mapped_column(Integer)
    inflow: Mapped[Decimal] = mapped_column(Money())
    outflow: Mapped[Decimal] = mapped_column(Money())
    updated_at: Mapped[datetime]


class AnalyticsGeneration(Base):
    """Counts the changes to a workspace's rollups: cached analytics carry the generation they
    were computed at, so a change makes them unreachable (``shared.services.analytics``)."""

    __tablename__ = "analytics_generations"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class Dashboard(Base):
    """A person's saved dashboard: its widgets and their settings, as JSON."""

    __tablename__ = "dashboards"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    __table_args__ = (Index(None, "tenant_id", "user_id"),)


class DashboardSnapshot(Base):
    """A dashboard's data for its default period, as computed for one person at one rollup
    generation and one local day: served as it is while all of them still hold
    (``shared.services.analytics``), else computed again."""

    __tablename__ = "dashboard_snapshots"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    dashboard_id: Mapped[UUID] = mapped_column(primary_key=True)
    shape: Mapped[str] = mapped_column(String(64))
    """A fingerprint of the widgets and the dashboard's version it was computed for."""
    today: Mapped[date] = mapped_column(Date)
    generation: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    widgets: Mapped[str] = mapped_column(Text)
    """The widgets' data as JSON text: served without being parsed and written again."""
    expires_at: Mapped[datetime] = mapped_column(index=True)
    """When its day ends in the workspace's time zone: the refresh computes it again then."""
    opened_on: Mapped[date] = mapped_column(Date)
    """The last day an opening computed it (refreshes ahead of openings leave it)."""
    computed_at: Mapped[datetime]


class Budget(Base):
    """A spending limit per period, for one category and its children or, without a category,
    for everything spent (``shared.services.budgets``; the period rules in
    ``shared.domain.budgets``)."""

    __tablename__ = "budgets"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[UUID | None]
    """None: the overall budget (every expense)."""
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[str] = mapped_column(String(16))
    period_starts: Mapped[str] = mapped_column(String(16))
    period_day: Mapped[int | None] = mapped_column(SmallInteger)
    rollover: Mapped[bool] = mapped_column(Boolean, default=False)
    thresholds: Mapped[list[int]] = mapped_column(JSONType)
    """Percentages of the period's limit, ascending."""
    starts_on: Mapped[date] = mapped_column(Date)
    """The budget counts from the period holding this day (alerts and rollover)."""
    event_version: Mapped[int] = mapped_column(Integer, default=0)
    """The version of the budget's latest event (its alerts); not the ETag."""
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    """The ETag: bumped by every UPDATE of the budget's definition."""

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "category_id"], ["categories.tenant_id", "categories.id"]
        ),
        Index(None, "tenant_id", "category_id"),
    )


class BudgetAlert(Base):
    """Whether one threshold of a budget has fired in one period: fired once, it stays quiet
    until spending goes back under it (re-armed), so every crossing alerts exactly once."""

    __tablename__ = "budget_alerts"

    budget_id: Mapped[UUID] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    threshold: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    fired: Mapped[bool] = mapped_column(Boolean)
    """Crossed and announced; False once re-armed."""
    times_fired: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[Decimal] = mapped_column(Money())
    """The period's spending when the state last changed."""
    period_limit: Mapped[Decimal] = mapped_column(Money())
    """The period's limit (amount and what rolled over) at that moment."""
    fired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "budget_id"], ["budgets.tenant_id", "budgets.id"], ondelete="CASCADE"
        ),
    )


class Goal(Base):
    """A savings goal: a target amount, measured by an account's balance or by the net money
    put into a category since ``starts_on`` (``shared.services.goals``; the rules in
    ``shared.domain.goals``). Exactly one of ``account_id`` and ``category_id`` is set."""

    __tablename__ = "goals"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    account_id: Mapped[UUID | None]
    """Measured by this account's balance (opening balance and every transaction)."""
    category_id: Mapped[UUID | None]
    """Measured by the contributions to this category and its children since ``starts_on``."""
    target_amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    target_date: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    milestones: Mapped[list[int]] = mapped_column(JSONType)
    """Percentages of the target, ascending; 100 (the goal reached) always among them."""
    event_version: Mapped[int] = mapped_column(Integer, default=0)
    """The version of the goal's latest event (its milestones); not the ETag."""
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    """The ETag: bumped by every UPDATE of the goal's definition."""

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "category_id"], ["categories.tenant_id", "categories.id"]
        ),
        CheckConstraint("(account_id IS NULL) <> (category_id IS NULL)", name="one_measure"),
        Index(None, "tenant_id", "account_id"),
        Index(None, "tenant_id", "category_id"),
    )


class GoalMilestone(Base):
    """Whether one milestone of a goal has fired: fired once, it stays quiet until the saved
    amount goes back under it (re-armed), so every crossing is announced exactly once."""

    __tablename__ = "goal_milestones"

    goal_id: Mapped[UUID] = mapped_column(primary_key=True)
    milestone: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    fired: Mapped[bool] = mapped_column(Boolean)
    """Reached and announced; False once re-armed."""
    times_fired: Mapped[int] = mapped_column(Integer, default=0)
    saved: Mapped[Decimal] = mapped_column(Money())
    """The saved amount when the state last changed."""
    target: Mapped[Decimal] = mapped_column(Money())
    """The goal's target at that moment."""
    fired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "goal_id"], ["goals.tenant_id", "goals.id"], ondelete="CASCADE"
        ),
    )


class Anomaly(Base):
    """A transaction the anomaly detector found unusual (``shared.services.anomalies``): one row
    per transaction and kind, so a replayed event or a re-judged line never flags it twice. The
    reason is rendered from ``evidence`` in the reader's language; deleting the transaction
    deletes its anomalies."""

    __tablename__ = "anomalies"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    transaction_id: Mapped[UUID]
    account_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(32))
    """outlier, new_merchant_large, duplicate, card_spike, price_rise."""
    booked_on: Mapped[date] = mapped_column(Date)
    """The transaction's, when it was judged: what the list's date filters read."""
    score: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    """1 at the detector's threshold; higher is stranger."""
    evidence: Mapped[dict[str, Any]]
    """The numbers and transaction ids behind the reason (``shared.anomalies.reasons``)."""
    detected_at: Mapped[datetime]
    dismissed_at: Mapped[datetime | None]
    """Set when a member dismissed it (known, expected); kept, so it is not raised again."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "transaction_id", "kind"),
        ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["transactions.tenant_id", "transactions.id"],
            ondelete="CASCADE",
        ),
        Index(None, "tenant_id", "booked_on"),
    )


class NotificationPreference(Base):
    """What a person wants to be told, and where (``shared.services.notifications``). Global,
    like the person: one row per user, whatever workspaces they are in. Absent: the defaults
    (every alert, by e-mail to the profile's address, no quiet hours, the profile's language)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    events: Mapped[list[str]] = mapped_column(JSONType)
    """The alert event types wanted."""
    channels: Mapped[list[str]] = mapped_column(JSONType)
    """``email``, ``sms``, ``push``: the channels turned on."""
    email: Mapped[str | None] = mapped_column(String(320))
    """None: the profile's (verified) e-mail."""
    phone: Mapped[str | None] = mapped_column(String(16))
    """E.164."""
    devices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    """Push endpoints: ``{"id", "endpoint_arn", "platform", "label", "registered_at"}``."""
    language: Mapped[str | None] = mapped_column(String(8))
    """``pt-BR`` or ``en``; None: from the profile's locale."""
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    """Local times in the profile's time zone; both or neither."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Notification(Base):
    """One message to one person on one channel for one alert: its intent, then every attempt's
    outcome (``queued`` → ``sending`` → ``sent`` | ``failed``; ``deferred`` by quiet hours).
    Unique per (person, event type, period key, channel, address): the same alert is sent once."""

    __tablename__ = "notifications"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[UUID]
    """The recipient. No foreign key: a person who left keeps their history."""
    event_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(String(80))
    period_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    """The e-mail address, the phone number or the push endpoint's ARN."""
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime]
    """No attempt before this time (quiet hours, a retry's backoff)."""
    provider_id: Mapped[str | None] = mapped_column(String(200))
    """The message id SES, SNS or the local outbox gave."""
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "user_id",
            "event_type",
            "period_key",
            "channel",
            "address",
            name="uq_notifications_dedup",
        ),
        Index(None, "tenant_id", "user_id", "created_at"),
        Index(None, "status", "not_before"),
    )


class NotificationOutboxMessage(Base):
    """A message the embedded notifier "sent": where notifications land on one machine
    (``fluxo notifications list``). In AWS, SES and SNS take them instead and this stays empty."""

    __tablename__ = "notification_outbox"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    notification_id: Mapped[UUID]
    user_id: Mapped[UUID]
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]

    __table_args__ = (Index(None, "sent_at"),)


class SearchDocument(Base):
    """One transaction as the full-text index holds it (``shared.adapters.search``): the text
    as the engine searches it and the fields facets and filters need. Kept by the ``search``
    consumer from the transactions' current rows; the transactions stay the truth.

    ``document`` is a weighted ``tsvector`` on PostgreSQL (``fluxo_portuguese``, GIN-indexed);
    on SQLite it is the stemmed words (``shared.domain.search.terms``) that the FTS5 table
    ``search_fts`` indexes, kept in step by triggers (migration 0010)."""

    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    """The FTS5 rowid on SQLite, where it must be an INTEGER PRIMARY KEY to survive VACUUM."""
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    transaction_id: Mapped[UUID]
    """No foreign key: the consumer removes the documents of deleted transactions itself."""
    account_id: Mapped[UUID]
    category_id: Mapped[UUID | None]
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    document: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))

    __table_args__ = (
        UniqueConstraint("tenant_id", "transaction_id"),
        Index(None, "tenant_id", "booked_on"),
        # GIN on PostgreSQL. SQLite searches through FTS5 instead: there the index is partial
        # with a predicate no row meets, so it stays empty (an index both engines declare).
        Index(
            "ix_search_documents_document",
            "document",
            postgresql_using="gin",
            sqlite_where=text("0"),
        ),
    )


SQLITE_FTS_TABLES = frozenset(
    {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config"}
)
"""The FTS5 virtual table of migration 0010 and its shadow tables: SQLite only, and beyond what
SQLAlchemy models describe (``shared.db.migrate.modelled`` leaves them out of comparisons)."""


TENANT_TABLES: tuple[str, ...] = (
    "accounts",
    "categories",
    "tags",
    "transactions",
    "transaction_tags",
    "outbox",
    "imports",
    "import_issues",
    "csv_mappings",
    "categorisation_rules",
    "learned_merchants",
    "processed_events",
    "rollups",
    "merchant_rollups",
    "analytics_generations",
    "dashboards",
    "dashboard_snapshots",
    "budgets",
    "budget_alerts",
    "goals",
    "goal_milestones",
    "anomalies",
    "notifications",
    "notification_outbox",
    "search_documents",
)
"""Tables whose rows belong to exactly one tenant (row-level security: tenant_id must match)."""
