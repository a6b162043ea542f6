"""Accounts: where money lives (checking, savings, cards, investments, cash)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from shared.db.models import Account
from shared.domain.errors import Conflict, FieldIssue, InvalidInput
from shared.domain.money import Money, is_currency
from shared.domain.transactions import MAX_AMOUNT, AccountKind
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.idempotency import Created, IdempotencyRequest, create_once


@dataclass(frozen=True)
class NewAccount:
    name: str
    kind: AccountKind
    currency: str | None = None
    """Defaults to the workspace's base currency."""
    institution: str | None = None
    opening_balance: Decimal = Decimal(0)


class AccountService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create(
        self, caller: Caller, spec: NewAccount, idempotency: IdempotencyRequest | None = None
    ) -> tuple[Account, Created]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            currency = spec.currency or uow.tenants.get(caller.tenant_id).base_currency
            _check_money(spec.opening_balance, currency)

            def create() -> UUID:
                account = Account(
                    id=uuid4(),
                    tenant_id=caller.tenant_id,
                    name=spec.name,
                    kind=spec.kind,
                    currency=currency,
                    institution=spec.institution,
                    opening_balance=spec.opening_balance,
                    archived=False,
                )
                uow.accounts.add(account)
                return account.id

            created = create_once(uow, idempotency, create)
            uow.commit()
            return uow.accounts.get(created.id), created

    def list(self, caller: Caller, *, include_archived: bool = False) -> list[Account]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.accounts.list(include_archived=include_archived)

    def get(self, caller: Caller, account_id: UUID) -> Account:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.accounts.get(account_id)

    def update(self, caller: Caller, account_id: UUID, changes: dict[str, Any]) -> Account:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            account = uow.accounts.get(account_id)
            changes_currency = changes.get("currency", account.currency) != account.currency
            if changes_currency and uow.accounts.has_transactions(account_id):
                raise Conflict("the currency of an account with transactions cannot change")
            currency = changes.get("currency", account.currency)
            _check_money(changes.get("opening_balance", account.opening_balance), currency)
            for name, value in changes.items():
                setattr(account, name, value)
            uow.commit()
            return account

    def delete(self, caller: Caller, account_id: UUID) -> None:
        """An account with history is archived, not deleted: reports must still add up; so is
        one a savings goal measures (the goal keeps reading its balance)."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            account = uow.accounts.get(account_id)
            if uow.accounts.has_transactions(account_id) or uow.goals.measuring_account(account_id):
                account.archived = True
            else:
                uow.accounts.delete(account)
            uow.commit()


def _check_money(amount: Decimal, currency: str) -> None:
    if not is_currency(currency):
        raise InvalidInput(
            f"unknown currency {currency!r}",
            issues=[FieldIssue(("body", "currency"), "not an ISO 4217 code")],
        )
    try:
        Money(amount, currency).check_precision()
    except InvalidInput as error:
        raise _invalid_balance(error.detail, "too_many_decimals") from error
    if abs(amount) > MAX_AMOUNT:
        # numeric(16, 4): PostgreSQL would refuse it with a 500, SQLite would store it.
        raise _invalid_balance(f"must be at most {MAX_AMOUNT} in size", "too_large")


def _invalid_balance(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, issues=[FieldIssue(("body", "opening_balance"), message, code)])
