"""Imports: a statement file becomes transactions in an account, once, with a report.

The original is stored in the lake before anything is read, so nothing received is ever lost.
Then the file is read as a stream, ``CHUNK_ROWS`` rows at a time: each line is de-duplicated
against what the account already holds and against the rest of the file, and the new
transactions are written in bulk with their events (``TransactionsImported``, in parts), every
rejected or duplicate line as an issue of the import, and one ``ImportCompleted`` — all in one
unit of work: the whole import or none of it. Memory stays flat whatever the file's size.

De-duplication, in order, for each line of the file:

1. a line with an external id (OFX FITID, Open Finance ``transactionId``) is a duplicate when the
   account already holds that id, or an earlier line of the file carries it; otherwise it is
   compared as in 2, but only with transactions stored without an id (the same movements
   imported earlier from a file without ids), which then take its id;
2. a line without one is compared by fingerprint (account, booked date, amount, normalised
   description): the k-th identical line of the file is a duplicate when the account held at
   least k transactions with that fingerprint before the import, so two identical purchases on
   one day both survive while re-importing the same file creates nothing;
3. a booked line that is still new is matched to a pending transaction of the account with the
   same amount, a date at most three days away and a similar description; that transaction is
   marked booked (a ``TransactionUpdated`` event) instead of being duplicated.

Each decision is kept as an issue of the import, with the transaction it matched.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from itertools import islice
from typing import Any, BinaryIO, Protocol, cast
from uuid import UUID, uuid4

from sqlalchemy import Table

from events.envelope import DomainEvent, EventMetadata
from events.imports import IMPORTED_PER_EVENT, ImportCompleted
from shared.categorisation.model import REVIEW_BELOW, LineToCategorise, Verdict, short_evidence
from shared.db.bulk import BulkWriter
from shared.db.models import (
    Account,
    ImportIssue,
    ImportRecord,
    OutboxEvent,
    Transaction,
    TransactionTag,
)
from shared.db.unit_of_work import UnitOfWork, outbox_values
from shared.domain.access import Principal
from shared.domain.errors import FieldIssue, InvalidInput, NotFound
from shared.domain.money import Money
from shared.domain.transactions import TransactionStatus
from shared.imports.detect import open_statement
from shared.imports.model import FileRejected, RowError, StatementLine, StatementStream
from shared.imports.profiles import ColumnMapping, mapping_from_json, mapping_to_json
from shared.ports import Categoriser, Clock, ObjectStore
from shared.services.access import Caller, Need, UnitOfWorkFactory, authorize
from shared.services.rules import for_import
from shared.services.transaction_events import record_changes, snapshot
from shared.services.transactions import value_issues

AGGREGATE = "Import"
LAKE_PREFIX = "raw/bank_statements"
REPORT_PREFIX = "processed/import_reports"
DROP_REPORT_ISSUES = 1_000
"""Issues written into a drop's report; GET /v1/imports/{id}/issues has all of them."""
STORED_BY = "fluxo-import-id"
"""Object metadata naming the import that stored an upload's original: the drop handler leaves
such objects alone, their import has run already."""
PENDING_WINDOW = timedelta(days=3)
"""How far apart the dates of a pending entry and its booked line may be."""
CHUNK_ROWS = 10_000
"""Rows de-duplicated and written together: large enough for bulk writes to pay, small enough
to keep memory flat."""
SPOOL_BYTES = 8 * 2**20
"""A dropped file up to this size is fetched into memory, a larger one into a temporary file."""

_TYPE_LENGTH = 16
_DOCUMENT_LENGTH = 20
_MERCHANT_LENGTH = 200
_EXTERNAL_ID_LENGTH = 200
_FILENAME_LENGTH = 255


class ImportStatus:
    COMPLETED = "completed"
    FAILED = "failed"


class IssueKind:
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


Fingerprint = tuple[date, Decimal, str]


class EventDelivery(Protocol):
    """What delivers an aggregate's events once they are committed (the outbox relay)."""

    def deliver_aggregate(self, aggregate_id: UUID) -> int: ...


Progress = Callable[[int], None]


@dataclass(frozen=True)
class _Target:
    """One import about to run: its id, where its original is, how to read it."""

    import_id: UUID
    key: str
    filename: str
    profile: str | None
    store: bool
    """Whether the original still has to be put in the lake (an upload) or is there (a drop)."""
    progress: Progress | None = None


@dataclass(frozen=True)
class Drop:
    """Where a dropped file says it belongs: its key names the tenant, the user and the account."""

    tenant_id: UUID
    user_id: UUID
    account_id: UUID
    filename: str

    @classmethod
    def parse(cls, key: str) -> Drop:
        parts = key.split("/")
        prefix = LAKE_PREFIX.split("/")
        if len(parts) != len(prefix) + 4 or parts[: len(prefix)] != prefix or not parts[-1]:
            raise InvalidInput(
                f"{key!r} is not a drop: expected {LAKE_PREFIX}/{{tenant}}/{{user}}/{{account}}/"
                "{filename}"
            )
        try:
            tenant_id, user_id, account_id = (UUID(part) for part in parts[len(prefix) : -1])
        except ValueError as exc:
            raise InvalidInput(
                f"{key!r} is not a drop: the tenant, user and account are ids"
            ) from exc
        return cls(tenant_id, user_id, account_id, parts[-1])

    def report_key(self, import_id: UUID) -> str:
        return (
            f"{REPORT_PREFIX}/{self.tenant_id}/{self.user_id}/{self.account_id}/"
            f"{import_id}-{safe_filename(self.filename)}.json"
        )


def drop_report(record: ImportRecord, issues: Sequence[ImportIssue]) -> dict[str, Any]:
    """The import report of a drop, for whoever dropped the file (the API has the full one)."""
    summary = {
        name: getattr(record, name)
        for name in (
            "filename",
            "lake_key",
            "format",
            "profile",
            "status",
            "rows_read",
            "imported",
            "duplicates",
            "rejected",
            "error",
        )
    }
    return {
        "import_id": str(record.id),
        "account_id": str(record.account_id),
        **summary,
        "started_at": record.started_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
        "issues": [
            {
                "kind": issue.kind,
                "line": issue.line,
                "reason": issue.reason,
                "column": issue.column,
                "raw": issue.raw,
                "matched_transaction_id": (
                    str(issue.matched_transaction_id) if issue.matched_transaction_id else None
                ),
            }
            for issue in issues
        ],
    }


class ImportService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        object_store: ObjectStore,
        delivery: EventDelivery | None = None,
        categoriser: Categoriser | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._store = object_store
        self._delivery = delivery
        self._categoriser = categoriser

    def import_file(
        self,
        caller: Caller,
        account_id: UUID,
        source: bytes | BinaryIO,
        *,
        filename: str,
        profile: str | None = None,
        progress: Progress | None = None,
    ) -> ImportRecord:
        """Imports an uploaded file (bytes, or a seekable binary file read as a stream),
        keeping the original in the lake first. ``progress`` hears the line of the file
        reached after each chunk."""
        stream = io.BytesIO(source) if isinstance(source, bytes) else source
        import_id = uuid4()
        key = lake_key(caller.tenant_id, caller.user_id, account_id, import_id, filename)
        target = _Target(import_id, key, filename, profile, store=True, progress=progress)
        return self._import(caller, account_id, stream, target)

    def import_drop(self, key: str) -> ImportRecord | None:
        """Imports a file dropped in the lake at ``raw/bank_statements/{tenant}/{user}/
        {account}/{filename}``, as that user, leaving the original where it is; then writes the
        report next to the other drop reports (``processed/import_reports/…``). Returns None for
        the original of an upload, which its own import has already read.

        Raises ``InvalidInput`` for a key outside that layout, ``NotFound`` when the object is
        gone or the user or account is not the tenant's, ``PermissionDenied`` for a user who
        may not write there: none of these can succeed by retrying."""
        drop = Drop.parse(key)
        caller = Caller(Principal(drop.user_id, drop.tenant_id), drop.tenant_id)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spooled:
            spool = cast(BinaryIO, spooled)  # typeshed's SpooledTemporaryFile is IO[bytes]
            metadata = self._store.download(key, spool)
            if STORED_BY in metadata:
                return None
            target = _Target(uuid4(), key, drop.filename, None, store=False)
            record = self._import(caller, drop.account_id, spool, target)
        report = drop_report(record, self.issues(caller, record.id, limit=DROP_REPORT_ISSUES))
        self._store.put(
            drop.report_key(record.id),
            json.dumps(report, ensure_ascii=False, indent=2).encode(),
            content_type="application/json",
        )
        return record

    def save_mapping(self, caller: Caller, account_id: UUID, mapping: ColumnMapping) -> None:
        """How the account's CSV files are read from now on, when no profile is forced."""
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            uow.accounts.get(account_id)
            uow.imports.save_mapping(account_id, mapping_to_json(mapping), self._clock.now())
            uow.commit()

    def mapping(self, caller: Caller, account_id: UUID) -> ColumnMapping | None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            uow.accounts.get(account_id)
            saved = uow.imports.mapping(account_id)
            return None if saved is None else mapping_from_json(saved.mapping)

    def forget_mapping(self, caller: Caller, account_id: UUID) -> None:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.WRITE)
            uow.accounts.get(account_id)
            if not uow.imports.forget_mapping(account_id):
                raise NotFound(f"account {account_id} has no CSV mapping", resource="csv mapping")
            uow.commit()

    def get(self, caller: Caller, import_id: UUID) -> ImportRecord:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            return uow.imports.get(import_id)

    def issues(
        self,
        caller: Caller,
        import_id: UUID,
        *,
        kind: str | None = None,
        after: int = -1,
        limit: int = 100,
    ) -> list[ImportIssue]:
        with self._uow(caller.tenant_id, caller.user_id) as uow:
            authorize(uow, caller, Need.READ)
            uow.imports.get(import_id)
            return uow.imports.issues(import_id, kind=kind, after=after, limit=limit)

    def _import(
        self, caller: Caller, account_id: UUID, source: BinaryIO, target: _Target
    ) -> ImportRecord:
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
            if target.store:  # first: whatever happens next, the original is kept
                self._store.put(target.key, source, metadata={STORED_BY: str(target.import_id)})
                source.seek(0)
            record = self._new_record(caller, account, target)
            uow.imports.add(record)
            uow.flush()
            saved = uow.imports.mapping(account.id)
            mapping = None if saved is None else mapping_from_json(saved.mapping)
            try:
                statement = open_statement(
                    source, filename=target.filename, profile=target.profile, mapping=mapping
                )
            except FileRejected as rejected:
                record.status = ImportStatus.FAILED
                record.error = rejected.reason
                parts = 0
            else:
                record.format = statement.format.value
                record.profile = statement.profile or target.profile or _mapped(mapping)
                importer = _Importer(
                    uow, caller, self._clock, account, record, target.progress, self._categoriser
                )
                parts = importer.run(statement)
            record.finished_at = self._clock.now()
            uow.record(self._completed(caller, record, parts + 1), deliver_after_commit=False)
            uow.commit()
        if self._delivery is not None:
            self._delivery.deliver_aggregate(target.import_id)
        return self.get(caller, target.import_id)

    def _new_record(self, caller: Caller, account: Account, target: _Target) -> ImportRecord:
        return ImportRecord(
            id=target.import_id,
            tenant_id=caller.tenant_id,
            account_id=account.id,
            user_id=caller.user_id,
            filename=_display_name(target.filename),
            lake_key=target.key,
            profile=target.profile,
            status=ImportStatus.COMPLETED,
            rows_read=0,
            imported=0,
            duplicates=0,
            rejected=0,
            started_at=self._clock.now(),
        )

    def _completed(self, caller: Caller, record: ImportRecord, version: int) -> DomainEvent:
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
            rejected=record.rejected,
            error=record.error,
        )
        wire = data.model_dump(mode="json", by_alias=True)
        return _event("ImportCompleted", caller, record.id, version, wire, self._clock)


def _event(
    kind: str, caller: Caller, import_id: UUID, version: int, data: dict[str, Any], clock: Clock
) -> DomainEvent:
    return DomainEvent(
        type=kind,
        aggregate_id=import_id,
        aggregate_type=AGGREGATE,
        version=version,
        timestamp=clock.now(),
        data=data,
        metadata=EventMetadata(
            user_id=caller.user_id,
            tenant_id=caller.tenant_id,
            correlation_id=caller.correlation_id,
        ),
    )


class _Importer:
    """One import's de-duplication and writing, chunk by chunk, inside the caller's unit of
    work. What it remembers across chunks is bounded by what the account already holds, not by
    the size of the file."""

    def __init__(
        self,
        uow: UnitOfWork,
        caller: Caller,
        clock: Clock,
        account: Account,
        record: ImportRecord,
        progress: Progress | None = None,
        categoriser: Categoriser | None = None,
    ) -> None:
        self.uow = uow
        self.progress = progress
        self.caller = caller
        self.clock = clock
        self.account = account
        self.record = record
        self.now = clock.now()
        # Read before anything is written: lines outside the account's span cannot match.
        self.span = uow.transactions.date_span(account.id)
        self.pending = [] if self.span is None else uow.transactions.pending(account.id)
        self.seen: Counter[Fingerprint] = Counter()
        """Lines so far per fingerprint, kept only for fingerprints the account already held."""
        self.claimed: set[UUID] = set()
        """Stored transactions already matched by a line of this file."""
        self.issues: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        """Outbox rows of the chunk's ``TransactionsImported`` events."""
        self.position = 0
        self.parts = 0
        quantum = Money(Decimal(0), account.currency).quantized().amount
        self.wire_account = _WireAccount(str(account.id), account.currency, quantum)
        self.writer: BulkWriter
        categories = [category for category in uow.categories.all() if not category.archived]
        self.category_ids = {category.slug: category.id for category in categories}
        # The workspace's own rules go first, read once for the whole import.
        rules = for_import(
            uow, categoriser, {category.id: category.slug for category in categories}
        )
        self.categoriser = rules.categoriser
        self.tag_ids = rules.tag_ids
        """The tags the rules may add, by name; empty when no rule adds any."""

    def run(self, statement: StatementStream) -> int:
        """Imports every row; returns how many ``TransactionsImported`` events were recorded."""
        rows = statement.rows
        shared: dict[str, Any] = {
            "account_id": self.account.id,
            "currency": self.account.currency,
            "import_id": self.record.id,
            "version": 1,
            "created_by": self.caller.user_id,
            "created_at": self.now,
            "updated_at": self.now,
        }
        constants: dict[Table, dict[str, Any]] = {
            _table(Transaction): shared,
            _table(OutboxEvent): {},
            _table(ImportIssue): {"import_id": self.record.id},
        }
        if self.tag_ids:
            constants[_table(TransactionTag)] = {}
        with self.uow.bulk_writer(constants) as self.writer:
            while chunk := list(islice(rows, CHUNK_ROWS)):
                self._chunk(chunk, statement.currency)
                if self.progress is not None:
                    self.progress(chunk[-1].line)
        return self.parts

    def _chunk(self, chunk: Sequence[StatementLine | RowError], currency: str | None) -> None:
        self.record.rows_read += len(chunk)
        lines = [line for row in chunk if (line := self._readable(row, currency)) is not None]
        if self._needs_the_database(lines):
            # The session is the writer's until what it has is written.
            self.writer.wait()
            new = self._new_lines(lines)
            self.uow.flush()  # a pending entry just booked, before the writer takes over
        else:
            new = lines
        verdicts = self._verdicts(new)
        rows = [self._row(line, verdict) for line, verdict in zip(new, verdicts, strict=True)]
        tagged = self._tagged(rows, verdicts)
        self.record.imported += len(rows)
        for start in range(0, len(rows), IMPORTED_PER_EVENT):
            self._announce(rows[start : start + IMPORTED_PER_EVENT], tagged)
        batch = {
            _table(Transaction): rows,
            _table(OutboxEvent): self.events,
            _table(ImportIssue): self.issues,
        }
        if self.tag_ids:  # after the transactions they link to
            batch[_table(TransactionTag)] = [
                {"transaction_id": row_id, "tag_id": self.tag_ids[name]}
                for row_id, names in tagged.items()
                for name in names
            ]
        self.writer.write(batch)  # in the background, while the next chunk is read
        self.events, self.issues = [], []

    def _needs_the_database(self, lines: Sequence[StatementLine]) -> bool:
        """Whether de-duplicating these lines reads what is stored: never for an account that
        held nothing before the import, unless lines carry external ids (a file may repeat
        one across chunks)."""
        return self.span is not None or any(line.external_id for line in lines)

    def _new_lines(self, lines: Sequence[StatementLine]) -> list[StatementLine]:
        by_external_id = self.uow.transactions.by_external_ids(
            self.account.id, [line.external_id for line in lines if line.external_id]
        )
        twins = self._stored_twins(lines)
        new: list[StatementLine] = []
        chunk_ids: dict[str, int] = {}
        for line in lines:
            if line.external_id:
                if self._known_external_id(line, by_external_id, chunk_ids):
                    continue
                chunk_ids[line.external_id] = line.line
            if self._stored_twin(line, twins):
                continue
            if line.status == TransactionStatus.BOOKED and self._pending_twin(line):
                continue
            new.append(line)
        return new

    # -- what cannot be imported at all ------------------------------------------------------

    def _readable(
        self, row: StatementLine | RowError, currency: str | None
    ) -> StatementLine | None:
        """The line, or None when it is rejected (and reported)."""
        if isinstance(row, RowError):
            self._reject(row.line, row.reason, row.column, row.raw)
            return None
        line_currency = row.currency or currency
        if line_currency is not None and line_currency.upper() != self.account.currency:
            reason = f"the account is in {self.account.currency}, the line in {line_currency}"
            self._reject(row.line, reason, "currency", line_currency)
            return None
        if row.external_id and len(row.external_id) > _EXTERNAL_ID_LENGTH:
            reason = f"the external id is longer than {_EXTERNAL_ID_LENGTH} characters"
            self._reject(row.line, reason, "external_id", row.external_id[:80])
            return None
        issues = value_issues(
            row.amount,
            self.account.currency,
            booked_on=row.booked_on,
            value_on=row.value_on,
            instalment_number=row.instalment_number,
            instalment_total=row.instalment_total,
        )
        for issue in issues:
            column = str(issue.location[-1]) if issue.location else None
            raw = getattr(row, column, None) if column else None
            self._reject(row.line, issue.message, column, None if raw is None else str(raw))
        return None if issues else row

    # -- the three rules ---------------------------------------------------------------------

    def _known_external_id(
        self,
        line: StatementLine,
        stored_ids: dict[str, Transaction],
        chunk_ids: dict[str, int],
    ) -> bool:
        external_id = line.external_id
        assert external_id is not None
        earlier = chunk_ids.get(external_id)
        if earlier is not None:
            self._duplicate(line, f"external id {external_id!r} repeated (line {earlier})", None)
            return True
        stored = stored_ids.get(external_id)
        if stored is None:
            return False
        if stored.import_id == self.record.id:
            self._duplicate(
                line, f"external id {external_id!r} repeated earlier in the file", stored.id
            )
        elif stored.status == TransactionStatus.PENDING and line.status == "booked":
            self._book(stored, line, f"pending entry with external id {external_id!r} now booked")
        else:
            self._duplicate(line, f"external id {external_id!r} already in the account", stored.id)
        self.claimed.add(stored.id)
        return True

    def _stored_twins(self, lines: Sequence[StatementLine]) -> dict[Fingerprint, list[Transaction]]:
        """The account's transactions from before this import with the fingerprint of one of
        these lines."""
        if self.span is None:
            return {}
        first, last = self.span
        pairs = {(line.booked_on, line.amount) for line in lines if first <= line.booked_on <= last}
        twins: dict[Fingerprint, list[Transaction]] = {}
        for stored in self.uow.transactions.with_date_and_amount(
            self.account.id, pairs, excluding_import=self.record.id
        ):
            key = fingerprint(stored.booked_on, stored.amount, stored.description)
            twins.setdefault(key, []).append(stored)
        return twins

    def _stored_twin(
        self, line: StatementLine, twins: dict[Fingerprint, list[Transaction]]
    ) -> bool:
        if not twins:
            return False
        print_ = fingerprint(line.booked_on, line.amount, line.description)
        stored = twins.get(print_)
        if line.external_id and stored:
            # A line the bank identifies matches only what was stored without an id (an
            # earlier import of the same movements from a file without ids, a hand entry).
            stored = [twin for twin in stored if twin.external_id is None]
        if not stored:
            return False
        seen = self.seen[print_]
        self.seen[print_] += 1
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
        if line.external_id:
            before = snapshot(twin)
            twin.external_id = line.external_id
            record_changes(self.uow, self.caller, twin, before, self.clock)
            reason += f"; it now carries the external id {line.external_id!r}"
        self._duplicate(line, reason, twin.id)
        return True

    def _pending_twin(self, line: StatementLine) -> bool:
        if not self.pending:
            return False
        wanted = normalise(line.description)
        candidates = [
            stored
            for stored in self.pending
            if stored.id not in self.claimed
            and stored.status == TransactionStatus.PENDING
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

    # -- decisions ---------------------------------------------------------------------------

    def _book(self, stored: Transaction, line: StatementLine, reason: str) -> None:
        before = snapshot(stored)
        stored.status = TransactionStatus.BOOKED
        stored.booked_on = line.booked_on
        if line.value_on is not None:
            stored.value_on = line.value_on
        new_id = line.external_id
        if new_id and new_id != stored.external_id and not self._external_id_taken(new_id):
            stored.external_id = new_id
        record_changes(self.uow, self.caller, stored, before, self.clock)
        self._duplicate(line, reason, stored.id)

    def _external_id_taken(self, external_id: str) -> bool:
        return bool(self.uow.transactions.by_external_ids(self.account.id, [external_id]))

    def _duplicate(self, line: StatementLine, reason: str, matched: UUID | None) -> None:
        self.record.duplicates += 1
        self._issue(IssueKind.DUPLICATE, line.line, reason, matched_transaction_id=matched)

    def _reject(self, line: int, reason: str, column: str | None, raw: str | None) -> None:
        self.record.rejected += 1
        self._issue(IssueKind.REJECTED, line, reason, column=column, raw=raw)

    def _issue(self, kind: str, line: int, reason: str, **details: Any) -> None:
        self.issues.append(
            {
                "position": self.position,
                "kind": kind,
                "line": line,
                "reason": reason,
                "column": details.get("column"),
                "raw": details.get("raw"),
                "matched_transaction_id": details.get("matched_transaction_id"),
            }
        )
        self.position += 1

    # -- writing -----------------------------------------------------------------------------

    def _verdicts(self, lines: Sequence[StatementLine]) -> Sequence[Verdict | None]:
        """Every line through the categoriser, the chunk in one call."""
        if self.categoriser is None or not lines:
            return [None] * len(lines)
        return self.categoriser.categorise(
            [
                LineToCategorise(
                    description=line.description,
                    amount=line.amount,
                    type=line.type,
                    mcc=line.mcc,
                    counterparty_name=line.counterparty_name,
                    category_hint=line.category_hint,
                    account_id=self.account.id,
                    counterparty_document=line.counterparty_document,
                )
                for line in lines
            ]
        )

    def _tagged(
        self, rows: Sequence[dict[str, Any]], verdicts: Sequence[Verdict | None]
    ) -> dict[UUID, list[str]]:
        """The tags the rules give each new row, by row id (rows without any left out)."""
        if not self.tag_ids:
            return {}
        return {
            row["id"]: sorted(name for name in set(verdict.tags) if name in self.tag_ids)
            for row, verdict in zip(rows, verdicts, strict=True)
            if verdict is not None and verdict.tags
        }

    def _row(self, line: StatementLine, verdict: Verdict | None) -> dict[str, Any]:
        """The row's own values; what every row of the import shares is the writer's."""
        row: dict[str, Any] = {
            "id": uuid4(),
            "amount": line.amount,
            "booked_on": line.booked_on,
            "description": line.description,
            "status": line.status,
        }
        # A rule's name for the merchant first, then the bank's, then the descriptor's.
        merchant = (
            (verdict.merchant_override if verdict else None)
            or line.counterparty_name
            or (verdict.merchant if verdict else None)
        )
        category_id = None
        if verdict is not None and verdict.slug and verdict.confidence >= REVIEW_BELOW:
            category_id = self.category_ids.get(verdict.slug)
        optional = {
            "value_on": line.value_on,
            "booked_at": line.booked_at,
            "merchant": merchant[:_MERCHANT_LENGTH] if merchant else None,
            "category_id": category_id,
            "category_source": verdict.source if category_id and verdict else None,
            "category_confidence": (
                Decimal(f"{verdict.confidence:.4f}") if category_id and verdict else None
            ),
            # Why the category, or why the categoriser was not sure (then it waits for review).
            "category_evidence": short_evidence(verdict.evidence) if verdict else None,
            "category_rule_id": verdict.rule_id if category_id and verdict else None,
            "type": line.type[:_TYPE_LENGTH] if line.type else None,
            "counterparty_document": _fits(line.counterparty_document, _DOCUMENT_LENGTH),
            "instalment_number": line.instalment_number,
            "instalment_total": line.instalment_total,
            "external_id": line.external_id,
        }
        row.update((name, value) for name, value in optional.items() if value is not None)
        row["needs_review"] = verdict is not None and category_id is None  # never null
        return row

    def _announce(self, rows: Sequence[dict[str, Any]], tagged: Mapping[UUID, list[str]]) -> None:
        self.parts += 1
        transactions = [_wire(row, self.wire_account) for row in rows]
        if tagged:
            for wire, row in zip(transactions, rows, strict=True):
                if row["id"] in tagged:
                    wire["tags"] = tagged[row["id"]]
        data = {
            "importId": str(self.record.id),
            "accountId": str(self.account.id),
            "part": self.parts,
            "transactions": transactions,
        }
        event = _event(
            "TransactionsImported", self.caller, self.record.id, self.parts, data, self.clock
        )
        self.events.append(outbox_values(event))


@dataclass(frozen=True)
class _WireAccount:
    """The account as every imported transaction's event names it."""

    id: str
    currency: str
    quantum: Decimal


_WIRE_NAMES = {
    "value_on": "valueOn",
    "booked_at": "bookedAt",
    "merchant": "merchant",
    "category_id": "categoryId",
    "category_source": "categorySource",
    "category_confidence": "categoryConfidence",
    "category_evidence": "categoryEvidence",
    "category_rule_id": "categoryRuleId",
    "needs_review": "needsReview",
    "type": "type",
    "counterparty_document": "counterpartyDocument",
    "instalment_number": "instalmentNumber",
    "instalment_total": "instalmentTotal",
    "external_id": "externalId",
}


def _wire_value(value: Any) -> Any:
    """As pydantic writes it in JSON mode: dates ISO, ids and decimals as strings (a decimal
    normalised, as snapshots hold it)."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, UUID):
        return str(value)
    return value


def _mapped(mapping: ColumnMapping | None) -> str | None:
    return None if mapping is None else "saved mapping"


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _wire(row: dict[str, Any], account: _WireAccount) -> dict[str, Any]:
    """A written row as an ``ImportedTransaction`` in wire form, built directly: a model per
    row would cost more than the rest of the import (a test holds the two equal)."""
    wire: dict[str, Any] = {
        "id": str(row["id"]),
        "accountId": account.id,
        "amount": str(row["amount"].quantize(account.quantum)),
        "currency": account.currency,
        "bookedOn": row["booked_on"].isoformat(),
        "description": row["description"],
        "status": row["status"],
    }
    for name, value in row.items():
        wire_name = _WIRE_NAMES.get(name)
        if wire_name is not None:
            wire[wire_name] = _wire_value(value)
    return wire


# -- helpers ---------------------------------------------------------------------------------


def normalise(description: str) -> str:
    """Case folded, accents removed, spaces collapsed: ``"  Padaria  São João"`` →
    ``"padaria sao joao"``."""
    decomposed = unicodedata.normalize("NFKD", description)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def fingerprint(booked_on: date, amount: Decimal, description: str) -> Fingerprint:
    """Within one account. Decimals hash by value: -25.9 and -25.90 are the same amount."""
    return (booked_on, amount, normalise(description))


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


def lake_key(
    tenant_id: UUID, user_id: UUID, account_id: UUID, import_id: UUID, filename: str
) -> str:
    """Where an upload's original is kept: under the account's drop folder, in a folder of its
    own (the drop handler recognises it by its metadata and leaves it alone)."""
    return f"{LAKE_PREFIX}/{tenant_id}/{user_id}/{account_id}/{import_id}/{safe_filename(filename)}"


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
