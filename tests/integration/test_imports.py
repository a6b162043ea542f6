"""Importing statement files: the original kept in the lake, counts, de-duplication with reasons,
one ImportCompleted event per import, and tenant isolation of the report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from events.imports import TransactionsImported
from shared.bootstrap import Container
from shared.db.models import Category, ImportIssue, ImportRecord, OutboxEvent, Transaction
from shared.domain.access import Principal, Role
from shared.domain.errors import NotFound
from shared.domain.transactions import (
    AccountKind,
    TransactionFilter,
    TransactionQuery,
    TransactionStatus,
)
from shared.services.access import Caller
from shared.services.accounts import NewAccount
from shared.services.imports import normalise, safe_filename
from shared.services.transaction_events import snapshot
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


def _issues(
    container: Container, caller: Caller, record: ImportRecord, kind: str
) -> list[ImportIssue]:
    return container.imports.issues(caller, record.id, kind=kind, limit=10_000)


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
    assert record.rejected == 0
    assert _issues(container, caller, record, "rejected") == []
    assert record.error is None
    assert record.finished_at is not None
    assert record.finished_at >= record.started_at
    assert len(_transactions(container, account_id)) == imported
    # The original, byte for byte, under the tenant's and the user's prefix.
    assert record.lake_key == (
        f"raw/bank_statements/{caller.tenant_id}/{caller.user_id}/{account_id}/{record.id}/"
        f"{Path(relative).name}"
    )
    assert container.object_store.get(record.lake_key) == data
    assert container.imports.get(caller, record.id).imported == imported


def test_given_an_import_then_its_transactions_in_parts_and_one_import_completed_event(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(
        caller, account_id, _fixture("csv/nuconta.csv"), filename="nuconta.csv"
    )

    events = _events(container, caller.tenant_id)
    completed = [event for event in events if event.type == "ImportCompleted"]
    [part] = [event for event in events if event.type == "TransactionsImported"]
    assert len(completed) == 1
    assert [event.version for event in (part, completed[0])] == [1, 2]
    imported = TransactionsImported.model_validate(part.envelope["data"])
    assert imported.import_id == record.id
    assert {t.id for t in imported.transactions} == {
        t.id for t in _transactions(container, account_id)
    }
    assert [t.external_id for t in imported.transactions] == [f"65a1b2c3-000{n}" for n in (1, 2, 3)]
    # Delivered right after the commit, in version order.
    assert all(event.published_at is not None for event in events)
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
    decisions = _issues(container, caller, again, "duplicate")
    assert len(decisions) == first.imported
    for decision in decisions:
        assert decision.reason
        assert decision.matched_transaction_id in stored
    # Still exactly one ImportCompleted per import, and nothing announced the second time.
    events = _events(container, caller.tenant_id)
    assert sum(event.type == "ImportCompleted" for event in events) == 2
    assert sum(event.type == "TransactionsImported" for event in events) == 1


def test_given_external_ids_when_reimported_then_the_reason_names_the_id(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    data = _fixture("csv/nuconta.csv")
    container.imports.import_file(caller, account_id, data, filename="nuconta.csv")

    again = container.imports.import_file(caller, account_id, data, filename="nuconta.csv")

    decisions = _issues(container, caller, again, "duplicate")
    reasons = [decision.reason for decision in decisions]
    assert reasons == [f"external id '65a1b2c3-000{n}' already in the account" for n in (1, 2, 3)]
    assert [decision.line for decision in decisions] == [2, 3, 4]


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
    assert [decision.line for decision in _issues(container, caller, record, "duplicate")] == [
        2,
        3,
    ]
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
    [decision] = _issues(container, caller, record, "duplicate")
    assert decision.line == 3
    assert "repeated (line 2)" in decision.reason
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
    [decision] = _issues(container, caller, record, "duplicate")
    assert decision.matched_transaction_id == pending.id
    assert "now booked" in decision.reason
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
    rejected = _issues(container, caller, record, "rejected")
    assert record.rejected == len(rejected)
    assert [row.line for row in rejected] == lines
    assert all(row.reason for row in rejected)
    assert len(_transactions(container, account_id)) == imported


def test_given_lines_in_another_currency_then_they_are_rejected_with_the_reason(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    record = container.imports.import_file(
        caller, account_id, _fixture("csv/revolut.csv"), filename="revolut.csv"
    )

    assert record.imported == 0
    rejected = _issues(container, caller, record, "rejected")
    assert {row.column for row in rejected} == {"currency", "State"}
    assert all(row.reason for row in rejected)


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


# -- in chunks ---------------------------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Three rows per chunk, so that a short file crosses several chunk boundaries."""
    monkeypatch.setattr("shared.services.imports.CHUNK_ROWS", 3)
    return 3


def test_given_chunks_then_an_external_id_repeated_in_a_later_chunk_is_a_duplicate(
    container: Container, caller: Caller, account_id: UUID, small_chunks: int
) -> None:
    rows = [f"0{day}/01/2024,-1.00,id-{day},Loja {day}" for day in range(1, 8)]
    rows.append("09/01/2024,-1.00,id-2,Loja 2 again")  # chunk 3 repeats an id of chunk 1
    data = ("Data,Valor,Identificador,Descrição\n" + "\n".join(rows) + "\n").encode()
    lines: list[int] = []

    record = container.imports.import_file(
        caller, account_id, data, filename="nuconta.csv", progress=lines.append
    )

    assert (record.rows_read, record.imported, record.duplicates) == (8, 7, 1)
    [decision] = _issues(container, caller, record, "duplicate")
    assert decision.line == 9
    assert "earlier in the file" in decision.reason
    assert lines == [4, 7, 9]  # the file line reached after each chunk


def test_given_chunks_then_identical_lines_are_counted_across_them(
    container: Container, caller: Caller, account_id: UUID, small_chunks: int
) -> None:
    # Two coffees stored; the statement has four, spread over two chunks: two are new.
    container.imports.import_file(
        caller, account_id, _csv("2024-01-05,Café,5.00", "2024-01-05,Café,5.00"), filename="a"
    )
    data = _csv(
        "2024-01-04,Pão,3.00",
        "2024-01-05,Café,5.00",
        "2024-01-05,Café,5.00",
        "2024-01-05,Café,5.00",
        "2024-01-05,Café,5.00",
    )

    record = container.imports.import_file(caller, account_id, data, filename="b")

    assert (record.imported, record.duplicates) == (3, 2)
    coffees = [row for row in _transactions(container, account_id) if row.description == "Café"]
    assert len(coffees) == 4


def test_given_text_with_tabs_backslashes_and_line_breaks_then_it_is_stored_as_written(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    description = 'PIX\tENVIADO \\ "Maria"\r\nSilva; Ç ✓'
    quoted = description.replace('"', '""')
    data = f'date,title,amount\n2024-01-05,"{quoted}",5.00\n'.encode()

    record = container.imports.import_file(caller, account_id, data, filename="x.csv")

    assert record.imported == 1
    [stored] = _transactions(container, account_id)
    assert stored.description == description
    [part] = [e for e in _events(container, caller.tenant_id) if e.type == "TransactionsImported"]
    assert part.envelope["data"]["transactions"][0]["description"] == description


@pytest.mark.parametrize(
    "data",
    [
        _fixture("openfinance/credit_card_transactions_v2.json"),
        _csv("2024-01-05,IFD*PIZZARIA DOM PEPE,59.90", "2024-01-07,XPTO 4471 ZZ,10.00"),
    ],
    ids=["open-finance-card", "categorised-csv"],
)
def test_the_announced_transactions_are_exactly_what_was_stored(
    container: Container, caller: Caller, account_id: UUID, data: bytes
) -> None:
    record = container.imports.import_file(caller, account_id, data, filename="card")

    stored = {row.id: row for row in _transactions(container, account_id)}
    [part] = [e for e in _events(container, caller.tenant_id) if e.type == "TransactionsImported"]
    announced = TransactionsImported.model_validate(part.envelope["data"]).transactions
    assert len(announced) == record.imported == len(stored) > 0
    for item in announced:
        expected = snapshot(stored[item.id]).model_dump()
        assert item.model_dump(exclude={"id"}) == expected


# -- categorisation ----------------------------------------------------------------------------


def _slugs(container: Container, account_id: UUID) -> dict[str, tuple[str | None, Any, Any, Any]]:
    with container.db.admin_session() as session:
        slugs = {c.id: c.slug for c in session.scalars(select(Category))}
    return {
        row.description: (
            slugs.get(row.category_id) if row.category_id else None,
            row.category_source,
            row.category_confidence,
            row.merchant,
        )
        for row in _transactions(container, account_id)
    }


def test_every_imported_line_goes_through_the_categoriser(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    data = _csv(
        "2024-01-05,IFD*PIZZARIA DOM PEPE,59.90",
        "2024-01-06,NETFLIX.COM,55.90",
        "2024-01-07,XPTO 4471 ZZ,10.00",
    )

    record = container.imports.import_file(caller, account_id, data, filename="card.csv")

    assert record.imported == 3
    found = _slugs(container, account_id)
    # The trained model or the built-in base, whichever the chain trusts for the line.
    assert found["IFD*PIZZARIA DOM PEPE"][0] == "food_delivery"
    assert found["IFD*PIZZARIA DOM PEPE"][1] in {"model", "base"}
    assert found["IFD*PIZZARIA DOM PEPE"][2] >= Decimal("0.6")
    assert found["IFD*PIZZARIA DOM PEPE"][3] == "Pizzaria Dom Pepe"
    assert found["NETFLIX.COM"][0] == "streaming"
    # Undecided: no category, waiting for review; the merchant is still cleaned.
    assert found["XPTO 4471 ZZ"] == (None, None, None, "Xpto 4471 Zz")
    page = container.transactions.list(
        caller, TransactionQuery(filter=TransactionFilter(uncategorized=True))
    )
    assert [item.description for item in page.items] == ["XPTO 4471 ZZ"]


def test_an_archived_category_is_not_given_to_imported_lines(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    with container.db.admin_session() as session:
        streaming = session.scalars(
            select(Category.id).where(
                Category.tenant_id == caller.tenant_id, Category.slug == "streaming"
            )
        ).one()
    container.categories.update(caller, streaming, {"archived": True})

    container.imports.import_file(
        caller, account_id, _csv("2024-01-06,NETFLIX.COM,55.90"), filename="card.csv"
    )

    assert _slugs(container, account_id)["NETFLIX.COM"][0] is None


# -- whatever arrives ----------------------------------------------------------------------------

_SEEDS = [
    _fixture("csv/nuconta.csv"),
    _fixture("csv/banco_inter.csv"),
    _fixture("ofx/itau_est_padded.ofx"),
    _fixture("openfinance/accounts_transactions_v2.json"),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(min_value=0, max_value=4000),
    junk=st.binary(max_size=64),
    name=st.sampled_from(["extrato.csv", "extrato.ofx", "extrato.json", "extrato"]),
)
def test_any_upload_ends_in_a_report_never_in_an_unexpected_error(
    container: Container,
    caller: Caller,
    account_id: UUID,
    seed: bytes,
    cut: int,
    junk: bytes,
    name: str,
) -> None:
    data = seed[:cut] + junk + seed[cut:]

    record = container.imports.import_file(caller, account_id, data, filename=name)

    assert record.status in {"completed", "failed"}
    assert (record.status == "failed") == (record.error is not None)
    assert record.imported + record.duplicates <= record.rows_read
    rejected = _issues(container, caller, record, "rejected")
    assert len(rejected) == record.rejected
    assert all(issue.line >= 0 and issue.reason for issue in rejected)
    assert container.object_store.get(record.lake_key) == data


def test_given_lines_stored_without_ids_when_a_file_with_ids_repeats_them_then_they_adopt_the_ids(
    container: Container, caller: Caller, account_id: UUID
) -> None:
    # January from a CSV without ids, then the bank's export with ids for the same movements.
    without_ids = "Data;Descrição;Valor\n05/01/2024;Pix enviado;-50,00\n06/01/2024;Padaria;-7,50\n"
    with_ids = (
        "Data,Valor,Identificador,Descrição\n"
        "05/01/2024,-50.00,abc-1,Pix enviado\n"
        "06/01/2024,-7.50,abc-2,Padaria\n"
        "07/01/2024,-9.90,abc-3,Farmácia\n"
    )
    container.imports.import_file(caller, account_id, without_ids.encode(), filename="a.csv")

    record = container.imports.import_file(caller, account_id, with_ids.encode(), filename="b.csv")
    again = container.imports.import_file(caller, account_id, with_ids.encode(), filename="b.csv")

    assert (record.imported, record.duplicates) == (1, 2)
    reasons = [issue.reason for issue in _issues(container, caller, record, "duplicate")]
    assert all("now carries the external id" in reason for reason in reasons)
    stored = _transactions(container, account_id)
    assert sorted(row.external_id or "" for row in stored) == ["abc-1", "abc-2", "abc-3"]
    assert (again.imported, again.duplicates) == (0, 3)  # now matched by id
    events = _events(container, caller.tenant_id)
    assert sum(event.type == "TransactionUpdated" for event in events) == 2
