"""Loads generated households into workspaces through the same services the API uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from shared.adapters.local.directory import local_user_id
from shared.bootstrap import Container
from shared.clock import local_today
from shared.demo.generator import DemoHousehold, generate_household
from shared.domain.access import Principal, Role
from shared.domain.transactions import AccountKind, CategorySource
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace


@dataclass(frozen=True)
class LoadedDemo:
    tenant_id: UUID
    user_id: UUID
    email: str
    transactions: int
    created: bool


def demo_today(container: Container) -> date:
    """Today where the demo workspaces live (they keep the default time zone): a history that
    ends here has no line dated tomorrow, whatever the hour in UTC."""
    return local_today(container.clock.now(), NewWorkspace(name="demo").timezone)


def load_demo(
    container: Container,
    *,
    households: int = 1,
    months: int = 12,
    seed: int = 42,
    if_missing: bool = False,
    end: date | None = None,
) -> list[LoadedDemo]:
    """``end``: the history's last day (the generator's pinned day when None)."""
    loaded: list[LoadedDemo] = []
    for index in range(households):
        household = generate_household(index, months, seed=seed, end=end)
        loaded.append(_load(container, household, if_missing=if_missing))
    return loaded


def _load(container: Container, household: DemoHousehold, *, if_missing: bool) -> LoadedDemo:
    principal = Principal(
        user_id=local_user_id(household.owner_email),
        tenant_id=None,
        roles=frozenset({Role.OWNER}),
        email=household.owner_email,
        name=household.owner_name,
    )
    existing = [
        view
        for view in container.workspaces.list_mine(principal)
        if view.tenant.is_demo and view.tenant.name == household.name
    ]
    if existing and if_missing:
        return LoadedDemo(
            existing[0].tenant.id, principal.user_id, household.owner_email, 0, created=False
        )
    view, _ = container.workspaces.create(
        principal, NewWorkspace(name=household.name), is_demo=True
    )
    caller = Caller(principal, view.tenant.id)
    accounts = {
        account.key: container.accounts.create(
            caller,
            NewAccount(
                name=account.name,
                kind=AccountKind(account.kind),
                currency=account.currency,
                institution=account.institution,
            ),
        )[0].id
        for account in household.accounts
    }
    categories = {
        node.category.slug: node.category.id
        for top in container.categories.tree(caller)
        for node in (top, *top.children)
    }
    specs = [
        NewTransaction(
            account_id=accounts[line.account_key],
            amount=line.amount,
            booked_on=line.booked_on,
            description=line.description,
            merchant=line.merchant,
            category_id=categories[line.category_slug],
            category_source=CategorySource.IMPORT,
            type=line.type,
            counterparty_document=line.counterparty_document,
            instalment_number=line.instalment_number,
            instalment_total=line.instalment_total,
            external_id=line.external_id,
        )
        for line in household.transactions
    ]
    ids = container.transactions.create_many(caller, specs)
    return LoadedDemo(
        view.tenant.id, principal.user_id, household.owner_email, len(ids), created=True
    )
