"""Cash-flow forecasts and recurring series of a workspace.

A forecast reads the workspace's statement lines and balance (``shared.services.model_inputs``)
and hands them to the model client: the models in this process, or the SageMaker endpoints of
two regions. The database session is closed before the model is asked, so a slow endpoint never
holds a connection. Recurring series are found here, in pure Python: listing them needs no model.

Which accounts: those named, or every open (not archived) account in the workspace's base
currency. Balances in two currencies cannot be added, so the named accounts must share one.
History is the last ``HISTORY_DAYS`` days: enough for yearly series and the forecaster's
statistics, and a bounded payload however old the workspace is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.db.models import Account
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import FieldIssue, InvalidInput, StoreUnavailable
from shared.forecasting.errors import InvalidInvocation, ModelUnavailable
from shared.forecasting.lines import Line, lines_to_json
from shared.ports import ModelClient
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.model_inputs import balance, load_lines

if TYPE_CHECKING:
    from shared.forecasting.recurring import RecurringSeries

_log = logging.getLogger(__name__)

HISTORY_DAYS = 400
MAX_HORIZON_DAYS = 90
"""The forecaster's longest horizon (``shared.forecasting.forecaster``, which loads numpy: this
module is imported by a Lambda that must not)."""


@dataclass(frozen=True)
class ForecastAnswer:
    currency: str
    accounts: tuple[UUID, ...]
    forecast: dict[str, Any]
    """The model's answer as ``Forecast.to_json`` writes it."""


@dataclass(frozen=True)
class RecurringAnswer:
    today: date
    currencies: dict[str, str]
    """Account id → its currency, for every account a series may be on."""
    series: tuple[RecurringSeries, ...]


@dataclass(frozen=True)
class _Inputs:
    today: date
    currency: str
    accounts: tuple[UUID, ...]
    lines: list[Line]
    balance: Decimal


class AiService:
    def __init__(self, uow: UnitOfWorkFactory, model_client: Callable[[], ModelClient]) -> None:
        self._uow = uow
        self._model_client = model_client

    def forecast(
        self, caller: Caller, horizon_days: int, accounts: Sequence[UUID] | None = None
    ) -> ForecastAnswer:
        if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
            raise InvalidInput(
                f"horizon_days: between 1 and {MAX_HORIZON_DAYS}, not {horizon_days}",
                issues=[
                    FieldIssue(
                        ("body", "horizon_days"),
                        f"between 1 and {MAX_HORIZON_DAYS} days",
                        "out_of_range",
                    )
                ],
            )
        inputs = self._inputs(caller, accounts)
        if not any(
            line.kind != "transfer" and line.booked_on <= inputs.today for line in inputs.lines
        ):
            raise _no_history()
        payload = {
            "model": "forecast",
            "today": inputs.today.isoformat(),
            "horizon_days": horizon_days,
            "balance": str(inputs.balance),
            "lines": lines_to_json(inputs.lines),
        }
        try:
            answer = self._model_client().invoke(payload)
        except ModelUnavailable as error:
            _log.error("forecast unavailable for workspace %s: %s", caller.tenant_id, error)
            raise StoreUnavailable(
                "forecasts are unavailable right now; try again in a few minutes"
            ) from error
        except InvalidInvocation as error:
            if error.where == "lines":
                raise _no_history() from error
            _log.error("the forecaster refused a payload: %s", error)
            raise InvalidInput(f"the forecaster could not read the request: {error}") from error
        return ForecastAnswer(inputs.currency, inputs.accounts, answer)

    def recurring(self, caller: Caller, account: UUID | None = None) -> RecurringAnswer:
        from shared.forecasting.recurring import find_recurring

        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            today = uow.today()
            known = {row.id: row for row in uow.accounts.list(include_archived=True)}
            if account is not None and account not in known:
                raise InvalidInput(
                    f"account: not in this workspace: {account}",
                    issues=[FieldIssue(("query", "account"), f"unknown: {account}", "unknown")],
                )
            chosen = (
                [account]
                if account is not None
                else [row.id for row in known.values() if not row.archived]
            )
            since = today - timedelta(days=HISTORY_DAYS)
            lines = load_lines(uow, accounts=chosen, since=since, until=today)
            currencies = {str(row.id): row.currency for row in known.values()}
        series = tuple(find_recurring(lines, today))
        return RecurringAnswer(today, currencies, series)

    def _inputs(self, caller: Caller, accounts: Sequence[UUID] | None) -> _Inputs:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            tenant = uow.tenants.get(caller.tenant_id)
            today = uow.today()
            chosen, currency = _accounts(uow, accounts, tenant.base_currency)
            if not chosen:
                raise _no_history()
            since = today - timedelta(days=HISTORY_DAYS)
            return _Inputs(
                today=today,
                currency=currency,
                accounts=tuple(chosen),
                lines=load_lines(uow, accounts=chosen, since=since, until=today),
                balance=balance(uow, accounts=chosen, on=today),
            )


def _accounts(
    uow: UnitOfWork, wanted: Sequence[UUID] | None, base_currency: str
) -> tuple[list[UUID], str]:
    known = {row.id: row for row in uow.accounts.list(include_archived=True)}
    if wanted is None:
        open_accounts = [
            row for row in known.values() if not row.archived and row.currency == base_currency
        ]
        return [row.id for row in open_accounts], base_currency
    unique = list(dict.fromkeys(wanted))
    missing = [str(account) for account in unique if account not in known]
    if missing:
        raise InvalidInput(
            f"accounts: not in this workspace: {', '.join(missing)}",
            issues=[FieldIssue(("body", "accounts"), f"unknown: {', '.join(missing)}", "unknown")],
        )
    chosen: list[Account] = [known[account] for account in unique]
    currencies = sorted({row.currency for row in chosen})
    if len(currencies) > 1:
        raise InvalidInput(
            f"accounts: balances in {' and '.join(currencies)} cannot be added up; "
            "forecast the accounts of one currency at a time",
            issues=[FieldIssue(("body", "accounts"), "accounts in several currencies", "currency")],
        )
    return [row.id for row in chosen], currencies[0]


def _no_history() -> InvalidInput:
    return InvalidInput(
        "there is nothing to forecast from yet: no income or expense has been recorded in "
        "these accounts (transfers between your own accounts do not count)",
        issues=[FieldIssue(("body",), "no history", "no_history")],
    )
