"""Routes of the transactions context: accounts, categories, tags, transactions, rules, and
what corrections taught about merchants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from pydantic import StringConstraints

from functions.transactions.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    CategoryTreeOut,
    ChoiceOut,
    LearnedAppliedOut,
    LearnedApplyOut,
    LearnedMerchantOut,
    LearnedMerchantPage,
    LearnedMerchantPatch,
    MerchantRef,
    RuleApplied,
    RuleChangeOut,
    RuleIn,
    RuleOut,
    RulePatch,
    RulePreviewIn,
    RulePreviewPage,
    TagIn,
    TagOut,
    TagPatch,
    TransactionIn,
    TransactionOut,
    TransactionPage,
    TransactionPatch,
)
from shared.db.models import CategorisationRule, Transaction
from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.pagination import TransactionSort
from shared.domain.transactions import (
    TransactionFilter,
    TransactionQuery,
    TransactionStatus,
    TransactionType,
)
from shared.http.edge import (
    CallerDep,
    ContainerDep,
    FluxoRoute,
    IdempotencyKeyHeader,
    idempotency,
    mark_replay,
)
from shared.http.versions import etag, expected_version
from shared.services.accounts import NewAccount
from shared.services.categories import CategoryNode, NewCategory
from shared.services.learning import ApplyPreview, LearnedView
from shared.services.rules import PreviewPage, RuleSpec
from shared.services.transactions import NewTransaction

router = APIRouter(prefix="/v1", route_class=FluxoRoute)

# PostgreSQL text cannot hold U+0000: refused here rather than failing in the database.
QueryText = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
# What the amount column can hold (numeric(16, 4)); SQLite could not even compare beyond it.
QueryAmount = Annotated[Decimal | None, Query(max_digits=16, decimal_places=4)]

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The strong ETag you read, e.g. "3".')
]


# Accounts


@router.get("/accounts", tags=["accounts"], summary="Accounts of the workspace")
def list_accounts(
    container: ContainerDep, caller: CallerDep, include_archived: bool = False
) -> list[AccountOut]:
    accounts = container.accounts.list(caller, include_archived=include_archived)
    return [AccountOut.model_validate(account) for account in accounts]


@router.post(
    "/accounts", tags=["accounts"], status_code=status.HTTP_201_CREATED, summary="Open an account"
)
def create_account(
    request: Request,
    response: Response,
    body: AccountIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AccountOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    spec = NewAccount(**body.model_dump())
    account, created = container.accounts.create(caller, spec, key)
    mark_replay(response, created)
    return AccountOut.model_validate(account)


@router.get("/accounts/{account_id}", tags=["accounts"], summary="One account")
def get_account(account_id: UUID, container: ContainerDep, caller: CallerDep) -> AccountOut:
    return AccountOut.model_validate(container.accounts.get(caller, account_id))


@router.patch("/accounts/{account_id}", tags=["accounts"], summary="Rename, archive, …")
def update_account(
    account_id: UUID, body: AccountPatch, container: ContainerDep, caller: CallerDep
) -> AccountOut:
    return AccountOut.model_validate(container.accounts.update(caller, account_id, body.changes()))


@router.delete(
    "/accounts/{account_id}",
    tags=["accounts"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty account; one with history is archived instead",
)
def delete_account(account_id: UUID, container: ContainerDep, caller: CallerDep) -> None:
    container.accounts.delete(caller, account_id)


# Categories


@router.get("/categories", tags=["categories"], summary="The category tree")
def category_tree(
    container: ContainerDep, caller: CallerDep, include_archived: bool = False
) -> list[CategoryTreeOut]:
    return [
        _node(node) for node in container.categories.tree(caller, include_archived=include_archived)
    ]


@router.post(
    "/categories",
    tags=["categories"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a category, at the top or under a parent",
)
def create_category(
    request: Request,
    response: Response,
    body: CategoryIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CategoryOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    category, created = container.categories.create(caller, NewCategory(**body.model_dump()), key)
    mark_replay(response, created)
    return CategoryOut.model_validate(category)


@router.get("/categories/{category_id}", tags=["categories"], summary="One category")
def get_category(category_id: UUID, container: ContainerDep, caller: CallerDep) -> CategoryOut:
    return CategoryOut.model_validate(container.categories.get(caller, category_id))


@router.patch(
    "/categories/{category_id}", tags=["categories"], summary="Rename, move, archive or restore"
)
def update_category(
    category_id: UUID, body: CategoryPatch, container: ContainerDep, caller: CallerDep
) -> CategoryOut:
    category = container.categories.update(caller, category_id, body.changes())
    return CategoryOut.model_validate(category)


def _node(node: CategoryNode) -> CategoryTreeOut:
    out = CategoryTreeOut.model_validate(node.category)
    out.children = [_node(child) for child in node.children]
    return out


# Tags


@router.get("/tags", tags=["tags"], summary="Tags of the workspace")
def list_tags(container: ContainerDep, caller: CallerDep) -> list[TagOut]:
    return [TagOut.model_validate(tag) for tag in container.tags.list(caller)]


@router.post("/tags", tags=["tags"], status_code=status.HTTP_201_CREATED, summary="Create a tag")
def create_tag(
    request: Request,
    response: Response,
    body: TagIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> TagOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    tag, created = container.tags.create(caller, body.name, body.color, key)
    mark_replay(response, created)
    return TagOut.model_validate(tag)


@router.patch("/tags/{tag_id}", tags=["tags"], summary="Rename or recolour a tag")
def update_tag(tag_id: UUID, body: TagPatch, container: ContainerDep, caller: CallerDep) -> TagOut:
    return TagOut.model_validate(container.tags.update(caller, tag_id, body.changes()))


@router.delete(
    "/tags/{tag_id}",
    tags=["tags"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a tag (it is removed from its transactions)",
)
def delete_tag(tag_id: UUID, container: ContainerDep, caller: CallerDep) -> None:
    container.tags.delete(caller, tag_id)


# Transactions


@router.get("/transactions", tags=["transactions"], summary="Search transactions, page by page")
def list_transactions(
    container: ContainerDep,
    caller: CallerDep,
    date_from: Annotated[date | None, Query(description="Booked on or after.")] = None,
    date_to: Annotated[date | None, Query(description="Booked on or before.")] = None,
    account_id: Annotated[list[UUID] | None, Query()] = None,
    category_id: Annotated[list[UUID] | None, Query(description="With its children.")] = None,
    uncategorized: bool = False,
    needs_review: Annotated[
        bool | None,
        Query(
            description="true: the review queue (a categoriser was not sure); false: none of it."
        ),
    ] = None,
    amount_min: QueryAmount = None,
    amount_max: QueryAmount = None,
    type: Annotated[list[TransactionType] | None, Query()] = None,
    tag: Annotated[list[QueryText] | None, Query()] = None,
    q: Annotated[QueryText | None, Query(max_length=200, description="Words in the text.")] = None,
    status_: Annotated[TransactionStatus | None, Query(alias="status")] = None,
    sort: TransactionSort = TransactionSort.DATE_DESC,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> TransactionPage:
    _check_range("date", date_from, date_to)
    _check_range("amount", amount_min, amount_max)
    query = TransactionQuery(
        filter=TransactionFilter(
            date_from=date_from,
            date_to=date_to,
            account_ids=tuple(account_id or ()),
            category_ids=tuple(category_id or ()),
            uncategorized=uncategorized,
            needs_review=needs_review,
            amount_min=amount_min,
            amount_max=amount_max,
            types=tuple(kind.value for kind in type or ()),
            tags=tuple(tag or ()),
            text=q or None,
            status=status_,
        ),
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    page = container.transactions.list(caller, query)
    return TransactionPage(
        items=[_transaction(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/transactions",
    tags=["transactions"],
    status_code=status.HTTP_201_CREATED,
    summary="Record a transaction",
)
def create_transaction(
    request: Request,
    response: Response,
    body: TransactionIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> TransactionOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    fields = body.model_dump()
    spec = NewTransaction(**{**fields, "tags": tuple(fields["tags"])})
    transaction, created = container.transactions.create(caller, spec, key)
    mark_replay(response, created)
    response.headers["ETag"] = etag(transaction.version)
    return _transaction(transaction)


@router.get("/transactions/{transaction_id}", tags=["transactions"], summary="One transaction")
def get_transaction(
    transaction_id: UUID, response: Response, container: ContainerDep, caller: CallerDep
) -> TransactionOut:
    transaction = container.transactions.get(caller, transaction_id)
    response.headers["ETag"] = etag(transaction.version)
    return _transaction(transaction)


@router.patch(
    "/transactions/{transaction_id}",
    tags=["transactions"],
    summary="Change a transaction; needs the version you read (409 if it moved on)",
)
def update_transaction(
    transaction_id: UUID,
    body: TransactionPatch,
    response: Response,
    container: ContainerDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> TransactionOut:
    version = expected_version(if_match, body.version, "transaction")
    changes = body.changes(exclude=frozenset({"version"}))
    transaction = container.transactions.update(caller, transaction_id, changes, version)
    response.headers["ETag"] = etag(transaction.version)
    return _transaction(transaction)


@router.delete(
    "/transactions/{transaction_id}",
    tags=["transactions"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a transaction",
)
def delete_transaction(
    transaction_id: UUID, container: ContainerDep, caller: CallerDep, if_match: IfMatch = None
) -> None:
    container.transactions.delete(
        caller, transaction_id, expected_version(if_match, None, "transaction")
    )


# Categorisation rules

PreviewCursor = Annotated[str | None, Query(max_length=500)]
PreviewLimit = Annotated[int, Query(ge=1, le=500)]


@router.get("/rules", tags=["rules"], summary="Categorisation rules, in the order they run")
def list_rules(container: ContainerDep, caller: CallerDep) -> list[RuleOut]:
    return [_rule(rule) for rule in container.rules.list(caller)]


@router.post(
    "/rules",
    tags=["rules"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a rule (imports use it from now on; apply it to what is stored apart)",
)
def create_rule(
    request: Request,
    response: Response,
    body: RuleIn,
    container: ContainerDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RuleOut:
    key = idempotency(request, idempotency_key, caller.tenant_id, body.model_dump(mode="json"))
    rule, created = container.rules.create(caller, _rule_spec(body), key)
    mark_replay(response, created)
    response.headers["ETag"] = etag(rule.version)
    return _rule(rule)


@router.post(
    "/rules/preview",
    tags=["rules"],
    summary="What a rule, not saved, would change in the stored transactions",
)
def preview_rule(
    body: RulePreviewIn,
    container: ContainerDep,
    caller: CallerDep,
    cursor: PreviewCursor = None,
    limit: PreviewLimit = 50,
) -> RulePreviewPage:
    page = container.rules.preview(caller, _rule_spec(body), cursor=cursor, limit=limit)
    return _preview(page)


@router.get("/rules/{rule_id}", tags=["rules"], summary="One rule")
def get_rule(
    rule_id: UUID, response: Response, container: ContainerDep, caller: CallerDep
) -> RuleOut:
    rule = container.rules.get(caller, rule_id)
    response.headers["ETag"] = etag(rule.version)
    return _rule(rule)


@router.patch(
    "/rules/{rule_id}",
    tags=["rules"],
    summary="Change, enable, disable or move a rule; needs the version you read",
)
def update_rule(
    rule_id: UUID,
    body: RulePatch,
    response: Response,
    container: ContainerDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> RuleOut:
    version = expected_version(if_match, body.version, "rule")
    changes = body.changes(exclude=frozenset({"version", "conditions", "actions"}))
    if body.conditions is not None:
        changes["conditions"] = tuple(condition.to_domain() for condition in body.conditions)
    if body.actions is not None:
        changes["actions"] = body.actions.to_domain()
    rule = container.rules.update(caller, rule_id, changes, version)
    response.headers["ETag"] = etag(rule.version)
    return _rule(rule)


@router.delete(
    "/rules/{rule_id}",
    tags=["rules"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a rule (what it changed stays)",
)
def delete_rule(
    rule_id: UUID, container: ContainerDep, caller: CallerDep, if_match: IfMatch = None
) -> None:
    container.rules.delete(caller, rule_id, expected_version(if_match, None, "rule"))


@router.get(
    "/rules/{rule_id}/preview",
    tags=["rules"],
    summary="What a saved rule would change in the stored transactions",
)
def preview_saved_rule(
    rule_id: UUID,
    container: ContainerDep,
    caller: CallerDep,
    cursor: PreviewCursor = None,
    limit: PreviewLimit = 50,
) -> RulePreviewPage:
    return _preview(container.rules.preview(caller, rule_id, cursor=cursor, limit=limit))


@router.post(
    "/rules/{rule_id}/apply",
    tags=["rules"],
    summary="Apply a rule to the stored transactions (a category set by hand is kept)",
)
def apply_rule(rule_id: UUID, container: ContainerDep, caller: CallerDep) -> RuleApplied:
    return RuleApplied(rule_id=rule_id, changed=container.rules.apply(caller, rule_id))


# What corrections taught: merchant → category

MerchantPath = Annotated[
    MerchantRef,
    Path(description="The learned merchant's key, or its name (accents and case do not matter)."),
]


@router.get(
    "/merchants/learned",
    tags=["learning"],
    summary="What recategorising by hand taught: each merchant's category, by key",
)
def list_learned(
    container: ContainerDep,
    caller: CallerDep,
    enabled: Annotated[bool | None, Query(description="Only those on (true) or off.")] = None,
    cursor: PreviewCursor = None,
    limit: PreviewLimit = 50,
) -> LearnedMerchantPage:
    page = container.learning.list(caller, enabled=enabled, cursor=cursor, limit=limit)
    return LearnedMerchantPage(
        items=[_learned(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get("/merchants/learned/{merchant}", tags=["learning"], summary="One learned merchant")
def get_learned(
    merchant: MerchantPath, container: ContainerDep, caller: CallerDep
) -> LearnedMerchantOut:
    return _learned(container.learning.get(caller, merchant))


@router.patch(
    "/merchants/learned/{merchant}",
    tags=["learning"],
    summary="Turn learning off or back on for a merchant",
)
def update_learned(
    merchant: MerchantPath, body: LearnedMerchantPatch, container: ContainerDep, caller: CallerDep
) -> LearnedMerchantOut:
    return _learned(container.learning.set_enabled(caller, merchant, body.enabled))


@router.get(
    "/merchants/learned/{merchant}/preview",
    tags=["learning"],
    summary="How many of the merchant's other transactions applying its learned category changes",
)
def preview_learned(
    merchant: MerchantPath, container: ContainerDep, caller: CallerDep
) -> LearnedApplyOut:
    return _apply_out(container.learning.preview(caller, merchant))


@router.post(
    "/merchants/learned/{merchant}/apply",
    tags=["learning"],
    summary="Give the merchant's other transactions its learned category (never over one "
    "set by hand or by a rule)",
)
def apply_learned(
    merchant: MerchantPath, container: ContainerDep, caller: CallerDep
) -> LearnedAppliedOut:
    applied = container.learning.apply(caller, merchant)
    return LearnedAppliedOut(
        key=applied.key, category_id=applied.category_id, changed=applied.would_change
    )


def _learned(view: LearnedView) -> LearnedMerchantOut:
    return LearnedMerchantOut(
        key=view.key,
        merchant=view.merchant,
        enabled=view.enabled,
        category_id=view.category_id,
        confidence=view.confidence,
        confident=view.confident,
        evidence=view.evidence,
        choices=[ChoiceOut.model_validate(choice) for choice in view.choices],
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def _apply_out(preview: ApplyPreview) -> LearnedApplyOut:
    return LearnedApplyOut.model_validate(preview)


def _rule_spec(body: RuleIn | RulePreviewIn) -> RuleSpec:
    return RuleSpec(
        name=body.name,
        conditions=tuple(condition.to_domain() for condition in body.conditions),
        actions=body.actions.to_domain(),
        enabled=body.enabled,
        stop_processing=body.stop_processing,
        position=body.position,
    )


def _rule(rule: CategorisationRule) -> RuleOut:
    return RuleOut.model_validate(
        {
            **{
                name: getattr(rule, name)
                for name in RuleOut.model_fields
                if name not in ("conditions", "actions")
            },
            "conditions": rule.conditions,
            "actions": rule.actions,
        }
    )


def _preview(page: PreviewPage) -> RulePreviewPage:
    return RulePreviewPage(
        items=[RuleChangeOut.model_validate(change) for change in page.items],
        next_cursor=page.next_cursor,
    )


def _transaction(transaction: Transaction) -> TransactionOut:
    return TransactionOut.model_validate(
        {
            **{
                name: getattr(transaction, name)
                for name in TransactionOut.model_fields
                if name != "tags"
            },
            "tags": sorted(link.tag.name for link in transaction.tag_links),
        }
    )


def _check_range(name: str, low: object, high: object) -> None:
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        raise InvalidInput(
            f"{name} range is empty: the start is after the end",
            issues=[
                FieldIssue(
                    ("query", f"{name}_from" if name == "date" else f"{name}_min"), "after the end"
                )
            ],
        )
