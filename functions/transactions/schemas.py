"""Request and response bodies of the transactions context."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BeforeValidator, Field, StringConstraints, field_serializer

from shared.categorisation.rules import (
    MAX_CONDITIONS,
    MAX_VALUES,
    Actions,
    Condition,
    ConditionField,
    Operator,
)
from shared.domain.money import Money
from shared.domain.transactions import (
    AccountKind,
    CategorySource,
    TransactionStatus,
    TransactionType,
)
from shared.http.schemas import (
    CurrencyCode,
    Name,
    PatchBody,
    RequestBody,
    ResponseBody,
    plain_decimal,
)

Amount = Annotated[
    Decimal,
    BeforeValidator(plain_decimal("-123.45")),
    Field(
        allow_inf_nan=False,
        description="Signed decimal: credit > 0, debit < 0.",
        examples=["-123.45"],
    ),
]
Description = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Merchant = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=2000)]
TagName = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Document = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z./-]{1,20}$")]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Instalment = Annotated[int, Field(ge=1, le=999)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class AccountIn(RequestBody):
    name: Name
    kind: AccountKind
    currency: CurrencyCode | None = Field(None, description="Defaults to the workspace's.")
    institution: Name | None = None
    opening_balance: Amount = Decimal(0)


class AccountPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"name", "kind", "currency", "opening_balance", "archived"}
    )
    name: Name | None = None
    kind: AccountKind | None = None
    currency: CurrencyCode | None = None
    institution: Name | None = None
    opening_balance: Amount | None = None
    archived: bool | None = None


class AccountOut(ResponseBody):
    id: UUID
    name: str
    kind: AccountKind
    currency: str
    institution: str | None
    opening_balance: Decimal
    archived: bool
    created_at: datetime

    @field_serializer("opening_balance")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class CategoryIn(RequestBody):
    name: Name
    parent_id: UUID | None = None
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")] | None = None
    kind: Annotated[str, StringConstraints(pattern=r"^(expense|income|transfer)$")] | None = None


class CategoryPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"name", "archived"})
    name: Name | None = None
    parent_id: UUID | None = Field(None, description="Move under another category; null = top.")
    archived: bool | None = Field(None, description="Archiving hides the category and children.")


class CategoryOut(ResponseBody):
    id: UUID
    parent_id: UUID | None
    slug: str
    name: str
    labels: dict[str, str]
    kind: str
    archived: bool


class CategoryTreeOut(CategoryOut):
    children: list[CategoryTreeOut] = []


class TagIn(RequestBody):
    name: TagName
    color: Color | None = None


class TagPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"name"})
    name: TagName | None = None
    color: Color | None = None


class TagOut(ResponseBody):
    id: UUID
    name: str
    color: str | None


class TransactionIn(RequestBody):
    account_id: UUID
    amount: Amount
    currency: CurrencyCode | None = Field(None, description="Must be the account's, if given.")
    booked_on: date
    value_on: date | None = None
    booked_at: time | None = None
    description: Description = Field(description="The line as the bank wrote it.")
    merchant: Merchant | None = None
    category_id: UUID | None = None
    notes: Notes | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=20)
    type: TransactionType | None = None
    counterparty_document: Document | None = Field(None, description="CPF/CNPJ of the other side.")
    status: TransactionStatus = TransactionStatus.BOOKED
    instalment_number: Instalment | None = None
    instalment_total: Instalment | None = None
    external_id: ExternalId | None = Field(None, description="The bank's id (FITID, etc.).")


class TransactionPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"account_id", "amount", "booked_on", "description", "tags", "status", "version"}
    )
    version: int | None = Field(None, ge=1, description="Or send it in If-Match.")
    account_id: UUID | None = None
    amount: Amount | None = None
    booked_on: date | None = None
    value_on: date | None = None
    booked_at: time | None = None
    description: Description | None = None
    merchant: Merchant | None = None
    category_id: UUID | None = None
    notes: Notes | None = None
    tags: list[TagName] | None = Field(None, max_length=20)
    type: TransactionType | None = None
    counterparty_document: Document | None = None
    status: TransactionStatus | None = None
    instalment_number: Instalment | None = None
    instalment_total: Instalment | None = None


class TransactionOut(ResponseBody):
    id: UUID
    account_id: UUID
    amount: Decimal
    currency: str
    booked_on: date
    value_on: date | None
    booked_at: time | None
    description: str
    merchant: str | None
    category_id: UUID | None
    category_source: CategorySource | None
    category_confidence: Decimal | None
    category_evidence: str | None = Field(
        description="Why the category is what it is, or why the categoriser was not sure."
    )
    category_rule_id: UUID | None = Field(description="The rule that decided the category.")
    needs_review: bool = Field(
        description="A categoriser was not sure: waiting for a person to categorise it."
    )
    notes: str | None
    tags: list[str]
    type: str | None
    counterparty_document: str | None
    status: TransactionStatus
    instalment_number: int | None
    instalment_total: int | None
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @field_serializer("amount")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class TransactionPage(ResponseBody):
    items: list[TransactionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


# Categorisation rules

RuleText = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
"""A text to compare or a regular expression; the service holds each to its own limit."""
RuleValue = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ConditionIn(RequestBody):
    """One test of a line; which of ``value``, ``values``, ``min`` and ``max`` it takes depends
    on the operator."""

    field: ConditionField = Field(
        description="description, merchant, amount, account, type, counterparty_document, mcc."
    )
    operator: Operator = Field(
        description=(
            "description/merchant: contains, equals, starts_with, regex (accents and case "
            "ignored). amount: between (min/max, signed), sign (value credit or debit). "
            "account, type, counterparty_document, mcc: equals (value) or in (values)."
        )
    )
    value: RuleText | None = None
    values: list[RuleValue] | None = Field(None, min_length=1, max_length=MAX_VALUES)
    min: Amount | None = None
    max: Amount | None = None

    def to_domain(self) -> Condition:
        return Condition(
            field=self.field,
            operator=self.operator,
            value=self.value,
            values=tuple(self.values or ()),
            min=self.min,
            max=self.max,
        )


class ActionsIn(RequestBody):
    category_id: UUID | None = Field(None, description="A category of the workspace.")
    tags: list[TagName] = Field(default_factory=list, max_length=20, description="Added.")
    merchant: Merchant | None = Field(None, description="The merchant's new name.")
    own_transfer: bool = Field(
        False, description="A transfer between own accounts: the category own_accounts."
    )

    def to_domain(self) -> Actions:
        return Actions(
            category_id=self.category_id,
            tags=tuple(self.tags),
            merchant=self.merchant,
            own_transfer=self.own_transfer,
        )


Conditions = Annotated[list[ConditionIn], Field(min_length=1, max_length=MAX_CONDITIONS)]


class RuleIn(RequestBody):
    name: Name
    enabled: bool = True
    stop_processing: bool = Field(False, description="When it matches, no later rule applies.")
    position: int | None = Field(None, ge=0, le=10_000, description="0 first; omitted: last.")
    conditions: Conditions = Field(description="All must hold.")
    actions: ActionsIn


class RulePreviewIn(RequestBody):
    """A rule as it would be created, not saved."""

    name: Name = "preview"
    enabled: bool = True
    stop_processing: bool = False
    position: int | None = Field(None, ge=0, le=10_000)
    conditions: Conditions
    actions: ActionsIn


class RulePatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"version", "name", "enabled", "stop_processing", "position", "conditions", "actions"}
    )
    version: int | None = Field(None, ge=1, description="Or send it in If-Match.")
    name: Name | None = None
    enabled: bool | None = None
    stop_processing: bool | None = None
    position: int | None = Field(None, ge=0, le=10_000, description="Moves it; others shift.")
    conditions: Conditions | None = Field(None, description="Replaces them all.")
    actions: ActionsIn | None = Field(None, description="Replaces them all.")


class ConditionOut(ResponseBody):
    field: ConditionField
    operator: Operator
    value: str | None = None
    values: list[str] | None = None
    min: Decimal | None = None
    max: Decimal | None = None


class ActionsOut(ResponseBody):
    category_id: UUID | None = None
    tags: list[str] = []
    merchant: str | None = None
    own_transfer: bool = False


class RuleOut(ResponseBody):
    id: UUID
    name: str
    position: int
    enabled: bool
    stop_processing: bool
    conditions: list[ConditionOut]
    actions: ActionsOut
    version: int
    created_at: datetime
    updated_at: datetime


class RuleEffectOut(ResponseBody):
    category_id: UUID | None
    merchant: str | None
    tags: list[str]


class RuleChangeOut(ResponseBody):
    transaction_id: UUID
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    before: RuleEffectOut
    after: RuleEffectOut

    @field_serializer("amount")
    def _to_currency_precision(self, value: Decimal) -> str:
        return str(Money(value, self.currency).quantized().amount)


class RulePreviewPage(ResponseBody):
    items: list[RuleChangeOut] = Field(description="Transactions the rule would change.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class RuleApplied(ResponseBody):
    rule_id: UUID
    changed: int = Field(description="Transactions changed, each with a new version and events.")


# What corrections taught

MerchantRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00/]*$"),
]
"""A learned merchant's key, or its name as a transaction shows it (accents and case do not
matter)."""


class ChoiceOut(ResponseBody):
    category_id: UUID
    chosen_at: datetime
    transaction_id: UUID | None = Field(description="The transaction recategorised.")


class LearnedMerchantOut(ResponseBody):
    key: str = Field(description="The merchant, accents, case and punctuation folded.")
    merchant: str
    enabled: bool = Field(description="False: corrections are neither used nor recorded.")
    category_id: UUID | None = Field(
        description="The most frequent recent choice; null when no choice is recent."
    )
    confidence: float | None
    confident: bool = Field(
        description="Sure enough (0.6) to categorise the merchant's new transactions; when "
        "not, they wait for review."
    )
    evidence: str | None
    choices: list[ChoiceOut] = Field(description="The last choices, oldest first.")
    created_at: datetime
    updated_at: datetime


class LearnedMerchantPage(ResponseBody):
    items: list[LearnedMerchantOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class LearnedMerchantPatch(PatchBody):
    not_nullable: ClassVar[frozenset[str]] = frozenset({"enabled"})
    enabled: bool = Field(description="Turn learning off (false) or back on for the merchant.")


class LearnedApplyOut(ResponseBody):
    key: str
    merchant: str
    category_id: UUID
    confidence: float
    evidence: str
    would_change: int = Field(
        description="Its other transactions whose category applying changes (never one set "
        "by hand or by a rule)."
    )


class LearnedAppliedOut(ResponseBody):
    key: str
    category_id: UUID
    changed: int = Field(description="Transactions changed, each with a new version and event.")
