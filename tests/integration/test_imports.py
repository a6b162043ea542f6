"""Importing statement files: the original kept in the lake, counts, de-duplication with reasons,
one ImportCompleted event per import, and tenant isolation of the report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from shared.bootstrap import Container
from shared.db.models import OutboxEvent, Transaction
from shared.domain.access import Principal, Role
from shared.domain.errors import NotFound
from shared.domain.transactions import AccountKind, TransactionStatus
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.imports import normalise, safe_filename
from shared.services.transactions import NewTransaction
from shared.services.workspaces import NewWorkspace

STATEMENTS = Path(__file__).parents[1] / "fixtures" / "statements"


def _caller(container: Container, name: str = "ana") -> Caller:
    principal = Principal(uuid4(), None, frozenset({Role.OWNER}), email=f"{name}@example.com")
    view, _ = container.workspaces.create(principal, NewWorkspace(name=f"Casa {name}"))
    tenant_id = view.tenant.id
    return Caller(Principal(principal.user_id, tenant_id, frozenset({Role.OWNER})), tenant_id)


@pytest.fixture
def caller(container: Container, backend: str) -> Caller:
    return _caller(container)


@pytest.fixture
def account_id(container: Container, caller: Caller) -> UUID:
    account, _ = container.accounts.create(caller, NewAccount("Conta", AccountKind.CHECKING))
    return account.id


def _fixture(relative: str) -> bytes:
    return (STATEMENTS / relative).read_bytes()


def _transactions(container: Container, account_id: UUID) -> list[Transaction]:
    with container.db.admin_session() as session:
        statement = (
            select(Transaction)
            .where(Transaction.account_id == account_id)
            .order_by(Transaction.booked_on, Transaction.id)
        )
        return list(session.scalars(statement))


def _events(container: Container, tenant_id: UUID) -> list[OutboxEvent]:
    with container.db.admin_session() as session:
        statement = select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id)
        return list(session.scalars(statement))


def _csv(*rows: str) -> bytes:
    """A Nubank card export (date,title,amount; a purchase is positive there, a debit here)."""
    return ("date,title,amount\n" + "\n".join(rows) + "\n").encode()


# -- one import per format ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected_format", "rows", "imported"),
    [
        ("csv/itau.csv", "csv", 3, 3),
        ("csv/nuconta.csv", "csv", 3, 3),
        ("ofx/itau_est_padded.ofx", "ofx", 3, 3),
        ("openfinance/accounts_transactions_v2.json", "open_finance", 5, 5),
    ],
)
def test_given_a_statement_when_imported_then_its_lines_become_transactions(
    container: Container,
    caller: Caller,
    account_id: UUID,
    relative: str,
    expected_format: str,
    rows: int,
    imported: int,
) -> None:
    data = _fixture(relative)

    record = container.imports.import_file(caller, account_id, data, filename=Path(relative).name)

    assert record.status == "completed"
    assert record.format == expected_format
    assert (record.rows_read, record.imported, record.duplicates) == (rows, imported, 0)
    assert record.rejected == []
    assert record.error is None
    assert record.finished_at is not None
    assert record.finished_at >= record.started_at
    assert len(_transactions(container, account_id)) == imported
    # The original, byte for byte, under the tenant's and the user's prefix.
    assert record.lake_key == (
        f"raw/bank_statements/{caller.tenant_id}/{caller.user_id}/{record.id}/{Path(relative).name}"
    )
    assert container.object_store.get(record.lake_key) == data
    assert container.imports.get(caller, record.id).imported == imported


def test_given_an_import_then_one_import_completed_event_and_one_created_event_per_row(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(
        caller, account_id, _fixture("csv/nuconta.csv"), filename="nuconta.csv"
    )

    events = _events(container, caller.tenant_id)
    completed = [event for event in events if event.type == "ImportCompleted"]
    created = [event for event in events if event.type == "TransactionCreated"]
    assert len(completed) == 1
    assert len(created) == record.imported == 3
    envelope: dict[str, Any] = completed[0].envelope
    assert envelope["aggregateType"] == "Import"
    assert envelope["aggregateId"] == str(record.id)
    assert envelope["data"]["imported"] == 3
    assert envelope["data"]["status"] == "completed"
    assert envelope["metadata"]["tenantId"] == str(caller.tenant_id)


# -- de-duplication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative", ["csv/itau.csv", "csv/nuconta.csv", "openfinance/accounts_transactions_v2.json"]
)
def test_given_an_imported_file_when_imported_again_then_nothing_is_created(
    container: Container, caller: Caller, account_id: UUID, relative: str
) -> None:
    data = _fixture(relative)
    first = container.imports.import_file(caller, account_id, data, filename="a")
    stored = {row.id for row in _transactions(container, account_id)}

    again = container.imports.import_file(caller, account_id, data, filename="a")

    assert again.status == "completed"
    assert (again.imported, again.duplicates) == (0, first.imported)
    assert {row.id for row in _transactions(container, account_id)} == stored
    for decision in again.duplicate_decisions:
        assert decision["reason"]
        assert UUID(decision["matched_transaction_id"]) in stored
    # Still exactly one ImportCompleted per import, and no new TransactionCreated.
    events = _events(container, caller.tenant_id)
    assert sum(event.type == "ImportCompleted" for event in events) == 2
    assert sum(event.type == "TransactionCreated" for event in events) == first.imported


def test_given_external_ids_when_reimported_then_the_reason_names_the_id(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    data = _fixture("csv/nuconta.csv")
    container.imports.import_file(caller, account_id, data, filename="nuconta.csv")

    again = container.imports.import_file(caller, account_id, data, filename="nuconta.csv")

    reasons = [decision["reason"] for decision in again.duplicate_decisions]
    assert reasons == [f"external id '65a1b2c3-000{n}' already in the account" for n in (1, 2, 3)]
    assert [decision["line"] for decision in again.duplicate_decisions] == [2, 3, 4]


def test_given_an_overlapping_statement_when_imported_then_only_the_new_rows_are_created(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    january = _csv("2024-01-05,Padaria São João,25.90", "2024-01-06,Mercado,100.00")
    overlapping = _csv(
        "2024-01-05,  PADARIA sao  joao ,25.90",  # the same line, written differently
        "2024-01-06,Mercado,100.00",
        "2024-01-07,Farmácia,12.00",
    )
    container.imports.import_file(caller, account_id, january, filename="jan.csv")

    record = container.imports.import_file(caller, account_id, overlapping, filename="jan2.csv")

    assert (record.rows_read, record.imported, record.duplicates) == (3, 1, 2)
    assert [decision["line"] for decision in record.duplicate_decisions] == [2, 3]
    descriptions = [row.description for row in _transactions(container, account_id)]
    assert descriptions == ["Padaria São João", "Mercado", "Farmácia"]


def test_given_two_identical_rows_in_one_file_then_both_survive_and_a_reimport_adds_none(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    data = _csv("2024-01-05,Café,5.00", "2024-01-05,Café,5.00", "2024-01-05,Pão,3.00")

    first = container.imports.import_file(caller, account_id, data, filename="cafe.csv")
    again = container.imports.import_file(caller, account_id, data, filename="cafe.csv")
    # A later statement with a third coffee that day: only that one is new.
    third = container.imports.import_file(
        caller,
        account_id,
        _csv(*["2024-01-05,Café,5.00"] * 3, "2024-01-05,Pão,3.00"),
        filename="cafe3.csv",
    )

    assert (first.imported, first.duplicates) == (3, 0)
    assert (again.imported, again.duplicates) == (0, 3)
    assert (third.imported, third.duplicates) == (1, 3)
    coffees = [row for row in _transactions(container, account_id) if row.description == "Café"]
    assert len(coffees) == 3


def test_given_external_ids_repeated_within_a_file_then_the_repeat_is_a_duplicate(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    data = (
        "Data,Valor,Identificador,Descrição\n"
        "05/01/2024,-50.00,abc-1,Pix enviado\n"
        "05/01/2024,-50.00,abc-1,Pix enviado\n"
    ).encode()

    record = container.imports.import_file(caller, account_id, data, filename="nuconta.csv")

    assert (record.imported, record.duplicates) == (1, 1)
    assert record.duplicate_decisions[0]["line"] == 3
    assert "repeated (line 2)" in record.duplicate_decisions[0]["reason"]
    assert len(_transactions(container, account_id)) == 1


def test_given_a_pending_entry_when_it_arrives_booked_then_it_is_updated_not_duplicated(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    pending, _ = container.transactions.create(
        caller,
        NewTransaction(
            account_id,
            Decimal("-42.50"),
            date(2024, 1, 5),
            "IFD*RESTAURANTE SABOR",
            status=TransactionStatus.PENDING,
        ),
    )

    record = container.imports.import_file(
        caller, account_id, _csv("2024-01-07,IFD*RESTAURANTE SABOR SAO PAULO,42.50"), filename="x"
    )

    assert (record.imported, record.duplicates) == (0, 1)
    decision = record.duplicate_decisions[0]
    assert decision["matched_transaction_id"] == str(pending.id)
    assert "now booked" in decision["reason"]
    [stored] = _transactions(container, account_id)
    assert stored.id == pending.id
    assert stored.status == "booked"
    assert stored.booked_on == date(2024, 1, 7)
    events = _events(container, caller.tenant_id)
    assert sum(event.type == "TransactionUpdated" for event in events) == 1


def test_given_a_booked_line_far_from_the_pending_one_then_it_is_a_new_transaction(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    container.transactions.create(
        caller,
        NewTransaction(
            account_id,
            Decimal("-42.50"),
            date(2024, 1, 1),
            "IFD*RESTAURANTE SABOR",
            status=TransactionStatus.PENDING,
        ),
    )

    record = container.imports.import_file(
        caller, account_id, _csv("2024-01-09,IFD*RESTAURANTE SABOR,42.50"), filename="x"
    )

    assert (record.imported, record.duplicates) == (1, 0)


# -- bad input ---------------------------------------------------------------------------------


def test_given_binary_junk_then_a_failed_record_no_transactions_and_the_original_kept(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    junk = bytes(range(256)) * 8

    record = container.imports.import_file(caller, account_id, junk, filename="junk.csv")

    assert record.status == "failed"
    assert record.error
    assert (record.imported, record.duplicates) == (0, 0)
    assert _transactions(container, account_id) == []
    assert container.object_store.get(record.lake_key) == junk
    assert container.imports.get(caller, record.id).status == "failed"
    events = _events(container, caller.tenant_id)
    assert [event.type for event in events if event.aggregate_type == "Import"] == [
        "ImportCompleted"
    ]


def test_given_an_empty_file_then_the_import_fails_with_a_reason(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(caller, account_id, b"", filename="empty.csv")

    assert record.status == "failed"
    assert record.error == "the file is empty"


@pytest.mark.parametrize(
    ("relative", "imported", "lines"),
    [
        ("csv/broken_rows.csv", 2, [3, 4, 5, 7]),
        ("openfinance/bad_items.json", 2, [2, 3, 4, 5, 6, 7, 8]),
    ],
)
def test_given_bad_rows_then_they_are_reported_with_their_lines_and_the_rest_imported(
    container: Container,
    caller: Caller,
    account_id: UUID,
    relative: str,
    imported: int,
    lines: list[int],
) -> None:
    record = container.imports.import_file(caller, account_id, _fixture(relative), filename="b")

    assert record.status == "completed"
    assert record.imported == imported
    assert [row["line"] for row in record.rejected] == lines
    for row in record.rejected:
        assert set(row) == {"line", "column", "raw", "reason"}
        assert row["reason"]
    assert len(_transactions(container, account_id)) == imported


def test_given_lines_in_another_currency_then_they_are_rejected_with_the_reason(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(
        caller, account_id, _fixture("csv/revolut.csv"), filename="revolut.csv"
    )

    assert record.imported == 0
    assert {row["column"] for row in record.rejected} == {"currency", "State"}
    assert all(row["reason"] for row in record.rejected)


# -- tenants -----------------------------------------------------------------------------------


def test_given_another_tenant_when_reading_the_import_then_not_found(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(
        caller, account_id, _fixture("csv/itau.csv"), filename="itau.csv"
    )
    stranger = _caller(container, "bruno")

    with pytest.raises(NotFound):
        container.imports.get(stranger, record.id)


def test_given_another_tenants_account_when_importing_then_not_found_and_nothing_stored(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    stranger = _caller(container, "bruno")

    with pytest.raises(NotFound):
        container.imports.import_file(
            stranger, account_id, _fixture("csv/itau.csv"), filename="itau.csv"
        )

    assert _transactions(container, account_id) == []
    assert list(container.object_store.list(f"raw/bank_statements/{stranger.tenant_id}/")) == []


# -- helpers -----------------------------------------------------------------------------------


def test_descriptions_are_normalised_for_fingerprints() -> None:
    assert normalise("  Padaria   SÃO João\t") == "padaria sao joao"
    assert normalise("STRASSE") == normalise("straße")


def test_file_names_are_made_safe_for_the_lake() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\ana\\extrato março.csv") == "extrato_marco.csv"
    assert safe_filename("...") == "statement"
