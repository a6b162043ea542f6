"""The lake export: each day's rollups of every workspace as one Parquet file, read back with
pyarrow, on SQLite and PostgreSQL (row-level security on)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shared.analytics.lake_export import SCHEMA, LakeExportService, collect, day_key
from shared.bootstrap import Container
from shared.db.unit_of_work import UnitOfWork
from shared.settings import Settings
from tests.integration.analytics.conftest import Books
from tests.support.api import Actor, ok

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _read(container: Container, day: date) -> list[dict[str, Any]]:
    table = pq.read_table(io.BytesIO(container.object_store.get(day_key(day))))
    assert table.schema.equals(SCHEMA, check_metadata=False)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _export(container: Container, since: date, until: date | None = None) -> list[Any]:
    return list(container.lake_export.export(since, until or since))


def _kinds_and_roots(actor: Actor) -> dict[str, tuple[str, str]]:
    """slug → (kind, top-level slug), from the categories API."""
    found: dict[str, tuple[str, str]] = {}
    for node in ok(actor.get("/v1/categories")):
        found[node["slug"]] = (node["kind"], node["slug"])
        for child in node["children"]:
            found[child["slug"]] = (child["kind"], node["slug"])
    return found


def test_a_day_file_holds_the_days_rows_with_their_category_and_exact_money(
    november: Books, container: Container
) -> None:
    written = _export(container, *NOVEMBER)

    assert [e.day for e in written if e.written] == [
        date(2026, 11, day) for day in (3, 5, 7, 10, 12, 14, 15, 16)
    ]
    kinds = _kinds_and_roots(november.actor)
    tenant = str(november.actor.tenant_id)
    checking, card = november.checking["id"], november.card["id"]
    assert _read(container, date(2026, 11, 15)) == sorted(
        [
            {
                "tenant_id": tenant,
                "account_id": account,
                "category_id": november.categories["card_payment"],
                "category_kind": kinds["card_payment"][0],
                "category_root": kinds["card_payment"][1],
                "currency": "BRL",
                "credits": credits,
                "debits": 1 - credits,
                "inflow": Decimal(inflow),
                "outflow": Decimal(outflow),
            }
            for account, credits, inflow, outflow in (
                (checking, 0, "0.0000", "-1000.0000"),
                (card, 1, "1000.0000", "0.0000"),
            )
        ],
        key=lambda row: row["account_id"],
    )
    [uncategorised] = _read(container, date(2026, 11, 14))
    assert (uncategorised["category_id"], uncategorised["category_kind"]) == (None, None)
    assert uncategorised["category_root"] is None
    assert uncategorised["outflow"] == Decimal("-100.0000")
    [restaurant] = _read(container, date(2026, 11, 12))
    assert restaurant["category_root"] == kinds["restaurants"][1]
    assert restaurant["category_kind"] == "expense"
    assert not container.object_store.exists(day_key(date(2026, 11, 4)))


def test_exporting_a_day_again_replaces_its_file_with_the_edits(
    books: Books, container: Container
) -> None:
    groceries = books.add("-300.00", "2026-11-07", "supermarket", "PAO DE ACUCAR")
    books.add("-0.07", "2026-11-07", "supermarket", "PAO DE ACUCAR")
    _export(container, date(2026, 11, 7))
    assert _read(container, date(2026, 11, 7))[0]["outflow"] == Decimal("-300.07")

    books.edit(groceries, amount="-312.34")
    books.add("-0.01", "2026-11-07", "supermarket", "LATE")
    [again] = _export(container, date(2026, 11, 7))

    [row] = _read(container, date(2026, 11, 7))
    assert (row["debits"], row["outflow"]) == (3, Decimal("-312.42"))
    assert again.rows == 1
    assert list(container.object_store.list("processed/daily_aggregations/")) == [
        day_key(date(2026, 11, 7))
    ]


def test_a_day_left_without_rows_loses_its_file(books: Books, container: Container) -> None:
    only = books.add("-100.00", "2026-11-14", None, "PIX ALGO")
    moved = books.add("-20.00", "2026-11-13", "supermarket", "MERCADO")
    _export(container, date(2026, 11, 13), date(2026, 11, 14))
    assert container.object_store.exists(day_key(date(2026, 11, 14)))

    books.delete(only)
    books.edit(moved, booked_on="2026-11-20")
    exported = _export(container, date(2026, 11, 13), date(2026, 11, 14))

    assert [(e.day.day, e.rows, e.written) for e in exported] == [(13, 0, False), (14, 0, False)]
    assert not container.object_store.exists(day_key(date(2026, 11, 13)))
    assert not container.object_store.exists(day_key(date(2026, 11, 14)))


class _Recording:
    """The container's unit of work factory, remembering which workspace each session was for
    and which workspaces' rows each one returned."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self.sessions: list[UUID | None] = []

    def __call__(self, tenant_id: UUID | None, user_id: UUID | None) -> UnitOfWork:
        self.sessions.append(tenant_id)
        return self._container.unit_of_work(tenant_id, user_id)


def test_every_workspace_is_read_in_its_own_session_and_all_land_in_the_file(
    new_actor: Any, container: Container
) -> None:
    ana, bia = Books(new_actor("Ana")), Books(new_actor("Bia"))
    ana.add("-10.00", "2026-11-02", "supermarket", "MERCADO")
    bia.add("-20.00", "2026-11-02", "supermarket", "MERCADO")
    bia.add("700.00", "2026-11-02", "salary", "SALARIO")
    recording = _Recording(container)
    exporter = LakeExportService(recording, container.db, container.object_store)

    [day] = list(exporter.export(date(2026, 11, 2), date(2026, 11, 2)))

    workspaces = sorted(str(books.actor.tenant_id) for books in (ana, bia))
    assert sorted(str(tenant) for tenant in recording.sessions) == workspaces
    assert (day.rows, day.workspaces) == (3, 2)
    rows = _read(container, date(2026, 11, 2))
    assert Counter(row["tenant_id"] for row in rows) == {
        str(ana.actor.tenant_id): 1,
        str(bia.actor.tenant_id): 2,
    }
    for books in (ana, bia):
        tenant = UUID(str(books.actor.tenant_id))
        with container.unit_of_work(tenant, None) as uow:
            mine = collect(uow, date(2026, 11, 2), date(2026, 11, 2))
        assert {row.tenant_id for row in mine} == {tenant}
        assert {str(row.account_id) for row in mine} <= {books.checking["id"], books.card["id"]}
        assert [r for r in rows if r["tenant_id"] == str(tenant)] == [
            {**_as_file_row(row)} for row in mine
        ]


def _as_file_row(row: Any) -> dict[str, Any]:
    return {
        "tenant_id": str(row.tenant_id),
        "account_id": str(row.account_id),
        "category_id": str(row.category_id) if row.category_id else None,
        "category_kind": row.category_kind,
        "category_root": row.category_root,
        "currency": row.currency,
        "credits": row.credits,
        "debits": row.debits,
        "inflow": row.inflow,
        "outflow": row.outflow,
    }


def test_money_with_more_decimals_than_the_file_keeps_is_refused_not_rounded() -> None:
    from shared.analytics.lake_export import MONEY

    with pytest.raises(pa.ArrowInvalid):
        pa.array([Decimal("1.23456")], MONEY)


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    from shared.settings import get_settings

    monkeypatch.setenv("FLUXO_HOME", str(settings.home))
    monkeypatch.setenv("FLUXO_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("FLUXO_LAKE_PATH", str(settings.lake_path))
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_the_cli_exports_a_day_or_a_range_and_says_what_it_wrote(
    november: Books, container: Container, cli_settings: Settings
) -> None:
    from shared.cli import app

    runner = CliRunner()
    one = runner.invoke(app, ["analytics", "export", "--day", "2026-11-15"])
    several = runner.invoke(
        app, ["analytics", "export", "--since", "2026-11-13", "--until", "2026-11-15"]
    )
    both = runner.invoke(
        app, ["analytics", "export", "--day", "2026-11-15", "--since", "2026-11-1"]
    )
    backwards = runner.invoke(
        app, ["analytics", "export", "--since", "2026-11-15", "--until", "2026-11-13"]
    )

    assert one.exit_code == 0, one.output
    assert one.output.splitlines() == [
        f"2026-11-15: 2 row(s) of 1 workspace(s) -> {day_key(date(2026, 11, 15))}",
        "1 day(s) written (2 row(s)), 0 without rows, 2026-11-15 to 2026-11-15",
    ]
    assert several.exit_code == 0, several.output
    assert several.output.splitlines()[0] == "2026-11-13: no rows, no file"
    assert several.output.splitlines()[-1] == (
        "2 day(s) written (3 row(s)), 1 without rows, 2026-11-13 to 2026-11-15"
    )
    lake = Path(str(cli_settings.lake_path))
    assert (lake / day_key(date(2026, 11, 14))).is_file()
    assert both.exit_code == 2
    assert "--day goes alone" in both.output
    assert backwards.exit_code == 2


def test_the_lambda_entry_exports_the_days_its_event_names(
    november: Books, container: Container, cli_settings: Settings
) -> None:
    from functions.analytics import lake_export

    lake_export._container.cache_clear()
    try:
        answer = lake_export.handler({"since": "2026-11-14", "until": "2026-11-16"}, None)
    finally:
        lake_export._container.cache_clear()

    assert answer == {
        "since": "2026-11-14",
        "until": "2026-11-16",
        "written": ["2026-11-14", "2026-11-15", "2026-11-16"],
        "rows": 5,
    }
    assert len(_read(container, date(2026, 11, 16))) == 2
