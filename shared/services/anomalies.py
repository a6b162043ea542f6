"""Anomalies: new transactions judged against the workspace's history, kept, and listed.

The ``anomalies`` consumer hears ``TransactionCreated`` (one transaction) and ``ImportCompleted``
(every transaction the import wrote). It reads the workspace's lines from the earliest judged
day minus ``HISTORY_DAYS`` (``shared.services.model_inputs.load_lines``), runs the detector
(``shared.anomalies.detect``) on the new ones only, and for each anomaly not already stored
inserts an ``anomalies`` row and records ``AnomalyDetected`` in the same unit of work, so the
row and the event commit together with the runner's claim. The row is unique by (workspace,
transaction, kind): a replayed event, or a transaction judged again by a later import, flags
nothing twice.

Each line is judged against the lines booked before it, so what a line is flagged for does not
depend on whether it arrived alone or in an import. Reasons are not stored as text: the list
words them from the evidence in the caller's language (``shared.anomalies.reasons``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import or_, select

from events.anomalies import AnomalyDetected
from events.envelope import DomainEvent, EventMetadata
from events.imports import ImportCompleted
from events.registry import payload
from events.transactions import TransactionCreated
from shared.anomalies import Anomaly as Found
from shared.anomalies import AnomalyKind, detect
from shared.anomalies.reasons import render
from shared.consumers import Consumer
from shared.db.models import Anomaly, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import FieldIssue, InvalidInput, NotFound
from shared.domain.notifications import Language, language_for
from shared.domain.pagination import Cursor, Page, TransactionSort
from shared.forecasting.lines import Line
from shared.ports import Clock
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.model_inputs import load_lines

CONSUMER = "anomalies"
EVENT_TYPES = frozenset({"TransactionCreated", "ImportCompleted"})
AGGREGATE = "Anomaly"
HISTORY_DAYS = 400
"""History read before the earliest judged day: a year of usual amounts and last year's same
weeks for card activity, with room to spare."""
MAX_LIST = 200
_SORT = TransactionSort.DATE_DESC


@dataclass(frozen=True)
class AnomalyFilter:
    date_from: date | None = None
    date_to: date | None = None
    kinds: tuple[AnomalyKind, ...] = ()
    account_ids: tuple[UUID, ...] = ()
    dismissed: bool | None = False
    """False (default): the ones still open; True: the dismissed ones; None: both."""


@dataclass(frozen=True)
class AnomalyView:
    """A stored anomaly with its reason worded in the reader's language."""

    anomaly: Anomaly
    reason: str
    amount: Decimal
    currency: str
    counterparty: str
    booked_on: date
    """The transaction's date and account as they are now: an edit may have moved it."""
    account_id: UUID


@dataclass(frozen=True)
class AnomalyList:
    page: Page[AnomalyView]
    language: Language


class AnomalyService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @property
    def consumer(self) -> Consumer:
        return Consumer(name=CONSUMER, event_types=EVENT_TYPES, handle=apply_event)

    def list(
        self,
        caller: Caller,
        wanted: AnomalyFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AnomalyList:
        """Newest first (by the transaction's date, then id); ``next_cursor`` continues."""
        _check(wanted)
        limit = max(1, min(limit, MAX_LIST))
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            known = {row.id for row in uow.accounts.list(include_archived=True)}
            unknown = [str(account) for account in wanted.account_ids if account not in known]
            if unknown:
                raise InvalidInput(
                    "no such account in this workspace",
                    issues=[FieldIssue(("query", "account"), f"unknown: {', '.join(unknown)}")],
                )
            user = uow.users.find(caller.user_id)
            language = language_for(user.locale if user else None)
            # Dates and accounts are the transaction's own: it may have been edited since.
            query = (
                select(
                    Anomaly,
                    Transaction.amount,
                    Transaction.currency,
                    Transaction.merchant,
                    Transaction.booked_on,
                    Transaction.account_id,
                )
                .join(
                    Transaction,
                    (Transaction.tenant_id == Anomaly.tenant_id)
                    & (Transaction.id == Anomaly.transaction_id),
                )
                .where(Anomaly.tenant_id == caller.tenant_id)
            )
            if wanted.date_from is not None:
                query = query.where(Transaction.booked_on >= wanted.date_from)
            if wanted.date_to is not None:
                query = query.where(Transaction.booked_on <= wanted.date_to)
            if wanted.kinds:
                query = query.where(Anomaly.kind.in_([str(kind) for kind in wanted.kinds]))
            if wanted.account_ids:
                query = query.where(Transaction.account_id.in_(list(wanted.account_ids)))
            if wanted.dismissed is not None:
                query = query.where(
                    Anomaly.dismissed_at.is_not(None)
                    if wanted.dismissed
                    else Anomaly.dismissed_at.is_(None)
                )
            if cursor is not None:
                after = Cursor.decode(cursor, expected_sort=_SORT.value)
                day = after.sort_value()
                query = query.where(
                    or_(
                        Transaction.booked_on < day,
                        (Transaction.booked_on == day) & (Anomaly.id > after.id),
                    )
                )
            query = query.order_by(Transaction.booked_on.desc(), Anomaly.id).limit(limit + 1)
            rows = list(uow.session.execute(query))
            more = len(rows) > limit
            items = [_view(*row, language) for row in rows[:limit]]
        next_cursor = None
        if more and items:
            last = items[-1]
            next_cursor = Cursor(_SORT.value, last.booked_on.isoformat(), last.anomaly.id).encode()
        return AnomalyList(Page(items, next_cursor), language)

    def dismiss(self, caller: Caller, anomaly_id: UUID) -> AnomalyView:
        """Marks an anomaly as known; dismissing it again changes nothing."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            row = uow.session.scalar(
                select(Anomaly).where(
                    Anomaly.tenant_id == caller.tenant_id, Anomaly.id == anomaly_id
                )
            )
            if row is None:
                raise NotFound(f"anomaly {anomaly_id} not found", resource="anomaly")
            if row.dismissed_at is None:
                row.dismissed_at = uow.now()
            transaction = uow.transactions.get(row.transaction_id)
            user = uow.users.find(caller.user_id)
            language = language_for(user.locale if user else None)
            view = _view(
                row,
                transaction.amount,
                transaction.currency,
                transaction.merchant,
                transaction.booked_on,
                transaction.account_id,
                language,
            )
            uow.commit()
            return view


def _check(wanted: AnomalyFilter) -> None:
    if (
        wanted.date_from is not None
        and wanted.date_to is not None
        and wanted.date_from > wanted.date_to
    ):
        raise InvalidInput(
            "date range is empty: the start is after the end",
            issues=[FieldIssue(("query", "date_from"), "after date_to", "empty_range")],
        )


def _view(
    row: Anomaly,
    amount: Decimal,
    currency: str,
    merchant: str | None,
    booked_on: date,
    account_id: UUID,
    language: Language,
) -> AnomalyView:
    evidence = row.evidence
    return AnomalyView(
        anomaly=row,
        reason=render(AnomalyKind(row.kind), evidence, str(language), currency),
        amount=amount,
        currency=currency,
        counterparty=str(evidence.get("counterparty") or merchant or ""),
        booked_on=booked_on,
        account_id=account_id,
    )


# The consumer


def apply_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """The consumer's ``handle``: judges the event's new transactions and keeps what it finds."""
    judged = _judged(uow, event)
    if not judged:
        return
    days = [day for _, day in judged]
    today = max(uow.today(), *days)
    lines = load_lines(uow, since=min(days) - timedelta(days=HISTORY_DAYS))
    ids = {str(transaction_id) for transaction_id, _ in judged}
    found = [
        anomaly
        for same_currency in _by_currency(uow, lines)
        for anomaly in detect(same_currency, today=today, judge=ids)
    ]
    if found:
        store(uow, found, event)


def _by_currency(uow: UnitOfWork, lines: Sequence[Line]) -> list[list[Line]]:
    """The lines split by their account's currency: what is usual in reais says nothing of a
    charge in dollars."""
    currency_of = {
        str(account.id): account.currency for account in uow.accounts.list(include_archived=True)
    }
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(currency_of.get(line.account_id, ""), []).append(line)
    return list(groups.values())


def _judged(uow: UnitOfWork, event: DomainEvent) -> list[tuple[UUID, date]]:
    data = payload(event)
    if isinstance(data, TransactionCreated):
        query = select(Transaction.id, Transaction.booked_on).where(
            Transaction.tenant_id == uow.tenant_id, Transaction.id == event.aggregate_id
        )
    elif isinstance(data, ImportCompleted):
        if data.imported == 0:
            return []
        query = select(Transaction.id, Transaction.booked_on).where(
            Transaction.tenant_id == uow.tenant_id, Transaction.import_id == data.import_id
        )
    else:
        return []
    # A transaction deleted since the event was raised has nothing left to judge.
    return [(row[0], row[1]) for row in uow.session.execute(query)]


def store(uow: UnitOfWork, found: Sequence[Found], cause: DomainEvent) -> list[Anomaly]:
    """Inserts the anomalies not stored yet and records an ``AnomalyDetected`` for each."""
    tenant_id = uow.tenant_id
    assert tenant_id is not None
    transaction_ids = {UUID(anomaly.line_id) for anomaly in found}
    existing = _existing(uow, transaction_ids)
    transactions = {
        row.id: row
        for row in uow.session.scalars(
            select(Transaction).where(
                Transaction.tenant_id == tenant_id, Transaction.id.in_(list(transaction_ids))
            )
        )
    }
    now = uow.now()
    stored = []
    for anomaly in found:
        transaction_id = UUID(anomaly.line_id)
        transaction = transactions.get(transaction_id)
        if transaction is None or (transaction_id, str(anomaly.kind)) in existing:
            continue
        existing.add((transaction_id, str(anomaly.kind)))
        row = Anomaly(
            id=uuid4(),
            tenant_id=tenant_id,
            transaction_id=transaction_id,
            account_id=transaction.account_id,
            kind=str(anomaly.kind),
            booked_on=anomaly.booked_on,
            score=Decimal(str(round(anomaly.score, 4))),
            evidence=dict(anomaly.evidence),
            detected_at=now,
        )
        uow.session.add(row)
        uow.record(_detected(row, transaction, transaction.currency, anomaly, cause, now))
        stored.append(row)
    return stored


def _existing(uow: UnitOfWork, transaction_ids: Collection[UUID]) -> set[tuple[UUID, str]]:
    rows = uow.session.execute(
        select(Anomaly.transaction_id, Anomaly.kind).where(
            Anomaly.tenant_id == uow.tenant_id,
            Anomaly.transaction_id.in_(list(transaction_ids)),
        )
    )
    return {(row[0], row[1]) for row in rows}


def _detected(
    row: Anomaly,
    transaction: Transaction,
    currency: str,
    anomaly: Found,
    cause: DomainEvent,
    now: datetime,
) -> DomainEvent:
    data = AnomalyDetected(
        anomaly_id=row.id,
        transaction_id=row.transaction_id,
        account_id=row.account_id,
        kind=str(anomaly.kind),
        booked_on=row.booked_on,
        amount=transaction.amount,
        currency=currency,
        counterparty=str(anomaly.evidence.get("counterparty") or transaction.description),
        score=anomaly.score,
        evidence=dict(anomaly.evidence),
    )
    return DomainEvent(
        type="AnomalyDetected",
        aggregate_id=row.id,
        aggregate_type=AGGREGATE,
        version=1,
        timestamp=now,
        data=data.model_dump(mode="json", by_alias=True),
        metadata=EventMetadata(
            user_id=cause.metadata.user_id,
            tenant_id=row.tenant_id,
            correlation_id=cause.metadata.correlation_id,
        ),
    )
