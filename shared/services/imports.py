"""Imports: a statement file becomes transactions in an account, once, with a report.

The original is stored in the lake before anything is read, so nothing received is ever lost.
Then the file is parsed, each line is de-duplicated against what the account already holds and
against the rest of the file, and the new transactions, their events, one ``ImportCompleted``
event and the import record are written in one unit of work: the whole import or none of it.

De-duplication, in order, for each line of the file:

1. a line with an external id (OFX FITID, Open Finance ``transactionId``) is a duplicate when the
   account already holds that id, or an earlier line of the file carries it;
2. a line without one is compared by fingerprint (account, booked date, amount, normalised
   description): the k-th identical line of the file is a duplicate when the account already
   holds at least k transactions with that fingerprint, so two identical purchases on one day
   both survive while re-importing the same file creates nothing;
3. a booked line that is still new is matched to a pending transaction of the account with the
   same amount, a date at most three days away and a similar description; that transaction is
   marked booked (a ``TransactionUpdated`` event) instead of being duplicated.

Each decision is kept in the record with the transaction it matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any
from uuid import UUID, uuid4

from events.envelope import DomainEvent, EventMetadata
from events.imports import ImportCompleted
from shared.db.models import Account, ImportRecord, Transaction
from shared.db.unit_of_work import UnitOfWork
from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.transactions import TransactionStatus
from shared.imports.detect import read_statement
from shared.imports.model import FileRejected, ParsedStatement, StatementLine
from shared.ports import Clock, ObjectStore
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.transaction_events import record_changes, snapshot
from shared.services.transactions import NewTransaction, add_transaction

AGGREGATE = "Import"
LAKE_PREFIX = "raw/bank_statements"
PENDING_WINDOW = timedelta(days=3)
"""How far apart the dates of a pending entry and its booked line may be."""

_TYPE_LENGTH = 16
_DOCUMENT_LENGTH = 20
_MERCHANT_LENGTH = 200
_EXTERNAL_ID_LENGTH = 200
_FILENAME_LENGTH = 255


class ImportStatus:
    COMPLETED = "completed"
    FAILED = "failed"


Fingerprint = tuple[UUID, date, Decimal, str]


class ImportService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, object_store: ObjectStore) -> None:
        self._uow = uow
        self._clock = clock
        self._store = object_store

    def import_file(
        self,
        caller: Caller,
        account_id: UUID,
        data: bytes,
        *,
        filename: str,
        profile: str | None = None,
    ) -> ImportRecord:
        import_id = uuid4()
        started_at = self._clock.now()
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            # Locked: imports into one account run one at a time (PostgreSQL), so two copies of
            # a file sent at once still de-duplicate against each other.
            account = uow.accounts.lock(account_id)
            if account.archived:
                raise InvalidInput(
                    "the account is archived",
                    issues=[FieldIssue(("body", "account_id"), "the account is archived")],
                )
            key = lake_key(caller.tenant_id, caller.user_id, import_id, filename)
            self._store.put(key, data)  # first: whatever happens next, the original is kept
            record = ImportRecord(
                id=import_id,
                tenant_id=caller.tenant_id,
                account_id=account.id,
                user_id=caller.user_id,
                filename=_display_name(filename),
                lake_key=key,
                profile=profile,
                status=ImportStatus.COMPLETED,
                rows_read=0,
                imported=0,
                duplicates=0,
                rejected=[],
                duplicate_decisions=[],
                started_at=started_at,
            )
            try:
                parsed = read_statement(data, filename=filename, profile=profile)
            except FileRejected as rejected:
                record.status = ImportStatus.FAILED
                record.error = rejected.reason
            else:
                outcome = _Importer(uow, caller, self._clock, account).run(parsed)
                record.format = parsed.format.value
                record.profile = parsed.profile or profile
                record.rows_read = parsed.rows_read
                record.imported = len(outcome.created)
                record.duplicates = len(outcome.decisions)
                record.rejected = outcome.rejected
                record.duplicate_decisions = outcome.decisions
            record.finished_at = self._clock.now()
            uow.imports.add(record)
            uow.record(self._completed(caller, record))
            uow.commit()
            return uow.imports.get(import_id)

    def get(self, caller: Caller, import_id: UUID) -> ImportRecord:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.imports.get(import_id)

    def _completed(self, caller: Caller, record: ImportRecord) -> DomainEvent:
        data = ImportCompleted(
            import_id=record.id,
            account_id=record.account_id,
            filename=record.filename,
            lake_key=record.lake_key,
            format=record.format,
            profile=record.profile,
            status=record.status,
            rows_read=record.rows_read,
            imported=record.imported,
            duplicates=record.duplicates,
            rejected=len(record.rejected),
            error=record.error,
        )
        return DomainEvent(
            type=type(data).__name__,
            aggregate_id=record.id,
            aggregate_type=AGGREGATE,
            version=1,
            timestamp=self._clock.now(),
            data=data.model_dump(mode="json", by_alias=True),
            metadata=EventMetadata(
                user_id=caller.user_id,
                tenant_id=caller.tenant_id,
                correlation_id=caller.correlation_id,
            ),
        )


@dataclass
class _Outcome:
    created: list[UUID] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


class _Importer:
    """One import's de-duplication and writing, inside the caller's unit of work."""

    def __init__(self, uow: UnitOfWork, caller: Caller, clock: Clock, account: Account) -> None:
        self.uow = uow
        self.caller = caller
        self.clock = clock
        self.account = account
        self.outcome = _Outcome()
        self.claimed: set[UUID] = set()
        """Stored transactions already matched by a line of this file."""
        self.file_ids: dict[str, tuple[int, UUID | None]] = {}
        """External id → (line, transaction) for the ids this file has already used."""

    def run(self, parsed: ParsedStatement) -> _Outcome:
        self.outcome.rejected.extend(
            _rejection(error.line, error.reason, error.column, error.raw) for error in parsed.errors
        )
        lines = [line for line in parsed.lines if self._currency_fits(line, parsed.currency)]
        self._load(lines)
        counts: Counter[Fingerprint] = Counter()
        for line in lines:
            if line.external_id:
                if self._known_external_id(line):
                    continue
            else:
                print_ = fingerprint(self.account.id, line.booked_on, line.amount, line.description)
                seen = counts[print_]
                counts[print_] += 1
                if self._stored_twin(line, print_, seen):
                    continue
            if line.status == TransactionStatus.BOOKED and self._pending_twin(line):
                continue
            self._create(line)
        self.outcome.rejected.sort(key=lambda row: row["line"])
        return self.outcome

    # -- what the account already holds ------------------------------------------------------

    def _load(self, lines: Sequence[StatementLine]) -> None:
        transactions = self.uow.transactions
        external_ids = [line.external_id for line in lines if line.external_id]
        self.by_external_id = transactions.by_external_ids(self.account.id, external_ids)
        self.by_fingerprint: dict[Fingerprint, list[Transaction]] = {}
        self.pending: list[Transaction] = []
        if not lines:
            return
        first = min(line.booked_on for line in lines) - PENDING_WINDOW
        last = max(line.booked_on for line in lines) + PENDING_WINDOW
        for stored in transactions.in_account_between(self.account.id, first, last):
            key = fingerprint(
                stored.account_id, stored.booked_on, stored.amount, stored.description
            )
            self.by_fingerprint.setdefault(key, []).append(stored)
            if stored.status == TransactionStatus.PENDING:
                self.pending.append(stored)

    # -- the three rules ---------------------------------------------------------------------

    def _known_external_id(self, line: StatementLine) -> bool:
        external_id = line.external_id
        assert external_id is not None
        stored = self.by_external_id.get(external_id)
        if stored is not None:
            if stored.status == TransactionStatus.PENDING and line.status == "booked":
                self._book(
                    stored, line, f"pending entry with external id {external_id!r} now booked"
                )
            else:
                self._duplicate(
                    line, f"external id {external_id!r} already in the account", stored.id
                )
            self.claimed.add(stored.id)
            return True
        earlier = self.file_ids.get(external_id)
        if earlier is not None:
            where, matched = earlier
            self._duplicate(line, f"external id {external_id!r} repeated (line {where})", matched)
            return True
        return False

    def _stored_twin(self, line: StatementLine, print_: Fingerprint, seen: int) -> bool:
        stored = self.by_fingerprint.get(print_, [])
        if seen >= len(stored):
            return False
        twin = stored[seen]
        self.claimed.add(twin.id)
        if twin.status == TransactionStatus.PENDING and line.status == "booked":
            self._book(
                twin, line, "pending entry with the same date, amount and description now booked"
            )
            return True
        reason = (
            "same date, amount and description as a stored transaction "
            f"(occurrence {seen + 1}; {len(stored)} already stored)"
        )
        self._duplicate(line, reason, twin.id)
        return True

    def _pending_twin(self, line: StatementLine) -> bool:
        wanted = normalise(line.description)
        candidates = [
            stored
            for stored in self.pending
            if stored.id not in self.claimed
            and stored.amount == line.amount
            and abs(stored.booked_on - line.booked_on) <= PENDING_WINDOW
            and similar(normalise(stored.description), wanted)
        ]
        if not candidates:
            return False
        twin = min(candidates, key=lambda stored: abs(stored.booked_on - line.booked_on))
        self.claimed.add(twin.id)
        self._book(twin, line, "pending entry with the same amount and a close date now booked")
        return True

    # -- writing -----------------------------------------------------------------------------

    def _book(self, stored: Transaction, line: StatementLine, reason: str) -> None:
        before = snapshot(stored)
        stored.status = TransactionStatus.BOOKED
        stored.booked_on = line.booked_on
        if line.value_on is not None:
            stored.value_on = line.value_on
        new_id = line.external_id
        if (
            new_id
            and new_id != stored.external_id
            and new_id not in self.by_external_id
            and new_id not in self.file_ids
        ):
            stored.external_id = new_id
            self.file_ids[new_id] = (line.line, stored.id)
        record_changes(self.uow, self.caller, stored, before, self.clock)
        self._duplicate(line, reason, stored.id)

    def _duplicate(self, line: StatementLine, reason: str, matched: UUID | None) -> None:
        self.outcome.decisions.append(
            {
                "line": line.line,
                "reason": reason,
                "matched_transaction_id": None if matched is None else str(matched),
            }
        )

    def _create(self, line: StatementLine) -> None:
        if line.external_id and len(line.external_id) > _EXTERNAL_ID_LENGTH:
            self.outcome.rejected.append(
                _rejection(
                    line.line,
                    f"the external id is longer than {_EXTERNAL_ID_LENGTH} characters",
                    "external_id",
                    line.external_id[:80],
                )
            )
            return
        spec = NewTransaction(
            account_id=self.account.id,
            amount=line.amount,
            booked_on=line.booked_on,
            description=line.description,
            value_on=line.value_on,
            booked_at=line.booked_at,
            merchant=line.counterparty_name[:_MERCHANT_LENGTH] if line.counterparty_name else None,
            type=line.type[:_TYPE_LENGTH] if line.type else None,
            counterparty_document=_fits(line.counterparty_document, _DOCUMENT_LENGTH),
            status=TransactionStatus(line.status),
            instalment_number=line.instalment_number,
            instalment_total=line.instalment_total,
            external_id=line.external_id,
        )
        try:
            created = add_transaction(self.uow, self.caller, spec, self.clock)
        except InvalidInput as invalid:
            self.outcome.rejected.extend(_invalid_rows(line, invalid))
            return
        self.outcome.created.append(created.id)
        if line.external_id:
            self.file_ids[line.external_id] = (line.line, created.id)

    def _currency_fits(self, line: StatementLine, statement_currency: str | None) -> bool:
        currency = line.currency or statement_currency
        if currency is None or currency.upper() == self.account.currency:
            return True
        reason = f"the account is in {self.account.currency}, the line in {currency}"
        self.outcome.rejected.append(_rejection(line.line, reason, "currency", currency))
        return False


# -- helpers ---------------------------------------------------------------------------------


def normalise(description: str) -> str:
    """Case folded, accents removed, spaces collapsed: ``"  Padaria  São João"`` →
    ``"padaria sao joao"``."""
    decomposed = unicodedata.normalize("NFKD", description)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def fingerprint(
    account_id: UUID, booked_on: date, amount: Decimal, description: str
) -> Fingerprint:
    # Decimals hash by value: -25.9 and -25.90 are the same amount.
    return (account_id, booked_on, amount, normalise(description))


def similar(left: str, right: str) -> bool:
    """Descriptions of one movement as pending and as booked: equal, one inside the other, or
    close enough (banks append a city, trim a suffix, add an authorisation code)."""
    if not left or not right:
        return left == right
    if left == right or left in right or right in left:
        return True
    left_words, right_words = set(left.split()), set(right.split())
    overlap = len(left_words & right_words) / len(left_words | right_words)
    return overlap >= 0.5 or SequenceMatcher(None, left, right).ratio() >= 0.75


def lake_key(tenant_id: UUID, user_id: UUID, import_id: UUID, filename: str) -> str:
    return f"{LAKE_PREFIX}/{tenant_id}/{user_id}/{import_id}/{safe_filename(filename)}"


def safe_filename(filename: str) -> str:
    """The last part of the name, in plain ASCII letters, digits, dots, dashes and underscores."""
    base = re.split(r"[\\/]", filename)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")
    return cleaned[:200] or "statement"


def _display_name(filename: str) -> str:
    return (re.split(r"[\\/]", filename)[-1] or "statement")[:_FILENAME_LENGTH]


def _fits(value: str | None, length: int) -> str | None:
    return value if value and len(value) <= length else None


def _rejection(line: int, reason: str, column: str | None, raw: str | None) -> dict[str, Any]:
    return {"line": line, "column": column, "raw": raw, "reason": reason}


def _invalid_rows(line: StatementLine, invalid: InvalidInput) -> list[dict[str, Any]]:
    if not invalid.issues:
        return [_rejection(line.line, invalid.detail, None, None)]
    rows = []
    for issue in invalid.issues:
        column = str(issue.location[-1]) if issue.location else None
        raw = getattr(line, column, None) if column else None
        rows.append(_rejection(line.line, issue.message, column, None if raw is None else str(raw)))
    return rows
