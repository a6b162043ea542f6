"""Imports every statement file of a folder into a throwaway workspace and reports per file.

``python bench/conformance.py DIR [--json]`` (``make conformance`` runs it on ../shared/data):
one account per file (a statement detected as a credit card goes into a credit-card account);
per file the detected format, profile, rows, sum of amounts (credits positive), date range and
errors. With ``--json``, one JSON object per file with the keys
``file, format, profile, rows, sum, min_date, max_date, errors``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import uuid4

from shared.bootstrap import Container, bootstrap
from shared.db.migrate import upgrade
from shared.domain.access import Principal, Role
from shared.domain.errors import DomainError
from shared.domain.money import Money
from shared.domain.transactions import AccountKind, TransactionStatus
from shared.imports.detect import read_statement
from shared.imports.model import AccountHint, FileRejected, ParsedStatement
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace
from shared.settings import Settings

STATEMENT_SUFFIXES = {".csv", ".tsv", ".txt", ".ofx", ".qfx", ".json"}


@dataclass
class FileResult:
    file: str
    format: str | None = None
    profile: str | None = None
    rows: int = 0
    sum: str = "0"
    min_date: str | None = None
    max_date: str | None = None
    errors: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    arguments = parser.parse_args()
    files = sorted(p for p in arguments.folder.rglob("*") if p.suffix.lower() in STATEMENT_SUFFIXES)
    with tempfile.TemporaryDirectory(prefix="fluxo-conformance-") as home:
        container = bootstrap(Settings(home=Path(home)))
        upgrade(container.db.engine)
        caller = _workspace(container)
        for path in files:
            result = import_file(container, caller, path)
            print(
                json.dumps(result.__dict__, ensure_ascii=False) if arguments.json else _line(result)
            )
        container.close()


def import_file(container: Container, caller: Caller, path: Path) -> FileResult:
    result = FileResult(file=path.name)
    try:
        statement = read_statement(path.read_bytes(), filename=path.name)
    except FileRejected as rejected:
        result.errors.append(f"file rejected: {rejected.reason}")
        return result
    result.format, result.profile = statement.format.value, statement.profile
    result.errors.extend(
        f"line {e.line}{f', {e.column}' if e.column else ''}: {e.reason}" for e in statement.errors
    )
    try:
        _write(container, caller, path, statement)
    except DomainError as error:
        result.errors.append(f"not imported: {error.detail}")
        return result
    amounts = [line.amount for line in statement.lines]
    dates = [line.booked_on for line in statement.lines]
    result.rows = len(statement.lines)
    total = Money(sum(amounts, Decimal(0)), _currency(statement) or "BRL")
    result.sum = str(total.quantized().amount)
    result.min_date = min(dates).isoformat() if dates else None
    result.max_date = max(dates).isoformat() if dates else None
    return result


def _workspace(container: Container) -> Caller:
    principal = Principal(uuid4(), None, frozenset({Role.OWNER}))
    view, _ = container.workspaces.create(principal, NewWorkspace(name="Conformance"))
    return Caller(principal, view.tenant.id)


def _write(container: Container, caller: Caller, path: Path, statement: ParsedStatement) -> None:
    kind = (
        AccountKind.CREDIT_CARD
        if statement.account_hint is AccountHint.CREDIT_CARD
        else AccountKind.CHECKING
    )
    currency = statement.currency or next(
        (line.currency for line in statement.lines if line.currency), None
    )
    account, _ = container.accounts.create(
        caller, NewAccount(name=path.name[:120], kind=kind, currency=currency)
    )
    container.transactions.create_many(
        caller,
        [
            NewTransaction(
                account_id=account.id,
                amount=line.amount,
                booked_on=line.booked_on,
                description=line.description[:500] or "(no description)",
                value_on=line.value_on,
                booked_at=line.booked_at,
                type=line.type,
                status=TransactionStatus(line.status),
                counterparty_document=line.counterparty_document,
                instalment_number=line.instalment_number,
                instalment_total=line.instalment_total,
                external_id=line.external_id,
            )
            for line in statement.lines
        ],
    )


def _currency(statement: ParsedStatement) -> str | None:
    return statement.currency or next((ln.currency for ln in statement.lines if ln.currency), None)


def _line(result: FileResult) -> str:
    span = f"{result.min_date}..{result.max_date}" if result.min_date else "-"
    errors = f"  errors: {'; '.join(result.errors)}" if result.errors else ""
    return (
        f"{result.file}: {result.format or '?'}/{result.profile or '-'} rows={result.rows} "
        f"sum={result.sum} dates={span}{errors}"
    )


if __name__ == "__main__":
    main()
