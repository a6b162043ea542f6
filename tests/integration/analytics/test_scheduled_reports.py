"""Scheduled reports on both databases: the known November written into the lake as HTML (pt-BR
figures, SVG charts) and CSV, announced by one e-mail however often it runs, with an event that
matches its published schema; weekly reports only for those who asked; the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import pytest
from sqlalchemy import select

from events.registry import validate
from events.reports import ReportGenerated
from events.schemas import SCHEMA_DIR
from shared.adapters.local.notifier import outbox_messages
from shared.bootstrap import Container
from shared.db.models import OutboxEvent
from shared.reports.periods import ReportPeriod
from shared.settings import Settings
from tests.integration.analytics.conftest import Books
from tests.integration.test_cli import fluxo_environment, fluxo_executable
from tests.support.api import ok

NOVEMBER = ReportPeriod.parse("2026-11")


def _lake(settings: Settings) -> Path:
    return settings.resolved_lake_path


def _events(container: Container, tenant_id: UUID) -> list[dict[str, Any]]:
    with container.db.admin_session() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.type == "ReportGenerated")
            .order_by(OutboxEvent.version)
        )
        return [row.envelope for row in rows]


def test_the_monthly_report_is_written_to_the_lake_in_portuguese(
    november: Books, container: Container, settings: Settings
):
    tenant, user = november.actor.tenant_id, november.actor.user_id

    run = container.reports.run_scheduled(NOVEMBER, UUID(str(tenant)))

    (written,) = run.written
    assert run.failed == []
    folder = _lake(settings) / "reports" / str(tenant) / str(user) / "2026-11"
    assert written.html_key == f"reports/{tenant}/{user}/2026-11/report.html"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<html lang='pt-BR'>" in page
    assert "Relatório de novembro de 2026" in page
    assert "R$ 5.000,00" in page  # income
    assert "R$ 1.550,00" in page  # expenses
    assert "R$ 3.450,00" in page  # net
    assert "69%" in page  # savings rate
    # Spending by top-level category (electronics are Compras), merchants, largest expenses.
    assert "<td>Compras</td><td class=n>R$ 1.000,00</td><td class=n>64,5%</td>" in page
    assert "<td>Pão de Açúcar</td><td class=n>R$ 300,00</td>" in page
    assert "<td>03/11/2026</td><td>Tech</td><td class=n>R$ 1.000,00</td>" in page
    assert page.count("<svg") == 2
    assert "<script" not in page
    lines = (folder / "report.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "category,label,income,expenses,net,savings_rate,transactions,average_ticket"
    )
    assert any(line.endswith(",Supermercado,0.00,300.00,-300.00,,1,300.00") for line in lines)
    assert written.url == (folder / "report.html").resolve().as_uri()


def test_run_twice_the_files_are_replaced_and_the_email_goes_once(
    november: Books, container: Container
):
    tenant = UUID(str(november.actor.tenant_id))

    first = container.reports.run_scheduled(NOVEMBER, tenant)
    second = container.reports.run_scheduled(NOVEMBER, tenant)

    assert [r.html_key for r in first.written] == [r.html_key for r in second.written]
    envelopes = _events(container, tenant)
    assert [envelope["version"] for envelope in envelopes] == [1, 2]
    assert len({envelope["aggregateId"] for envelope in envelopes}) == 1
    (message,) = outbox_messages(container.db, user_id=november.actor.user_id, limit=10)
    assert message.channel == "email"
    assert message.subject == "Seu relatório de novembro de 2026 está pronto"
    assert message.body == f"Seu relatório de novembro de 2026 está pronto: {first.written[0].url}"


def test_the_event_matches_its_published_schema(november: Books, container: Container):
    tenant = UUID(str(november.actor.tenant_id))
    container.reports.run_scheduled(NOVEMBER, tenant)

    (envelope,) = _events(container, tenant)
    schema = json.loads((SCHEMA_DIR / "ReportGenerated.json").read_text())
    jsonschema.validate(envelope["data"], schema)
    event, data = validate(envelope)
    assert event.aggregate_type == "Report"
    assert isinstance(data, ReportGenerated)
    assert (data.user_id, data.period, data.frequency) == (
        november.actor.user_id,
        "2026-11",
        "monthly",
    )
    assert data.csv_key.endswith("/2026-11/report.csv")


def test_a_person_who_reads_english_gets_the_report_and_the_email_in_english(
    november: Books, container: Container, settings: Settings
):
    actor = november.actor
    ok(actor.put("/v1/notifications/preferences", {"language": "en"}))

    (written,) = container.reports.run_scheduled(NOVEMBER, UUID(str(actor.tenant_id))).written

    page = (_lake(settings) / written.html_key).read_text(encoding="utf-8")
    assert "Report for November 2026" in page
    assert "R$5,000.00" in page
    (message,) = outbox_messages(container.db, user_id=actor.user_id, limit=10)
    assert message.body == f"Your report for November 2026 is ready: {written.url}"


def test_weekly_reports_go_only_to_those_who_asked(november: Books, container: Container):
    actor = november.actor
    tenant = UUID(str(actor.tenant_id))
    week = ReportPeriod.parse("2026-W46")  # 9 to 15 November

    assert container.reports.run_scheduled(week, tenant).written == []

    ok(
        actor.put(
            "/v1/notifications/preferences",
            {"events": ["BudgetExceeded", "WeeklyReport"]},
        )
    )
    (written,) = container.reports.run_scheduled(week, tenant).written
    assert written.html_key.endswith("/2026-W46/report.html")
    (message,) = outbox_messages(container.db, user_id=actor.user_id, limit=10)
    assert message.subject == "Seu relatório de semana 46 de 2026 está pronto"


def _fluxo(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    environment = fluxo_environment(
        settings.home,
        FLUXO_DATABASE_URL=settings.resolved_database_url,
        FLUXO_LAKE_PATH=str(settings.resolved_lake_path),
    )
    return subprocess.run(
        [fluxo_executable(), "reports", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_the_cli_prints_a_line_per_report_and_a_summary(november: Books, settings: Settings):
    tenant, user = november.actor.tenant_id, november.actor.user_id

    done = _fluxo(settings, "run", "--period", "2026-11", "--tenant", str(tenant))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith(f"{tenant} {user} reports/{tenant}/{user}/2026-11/report.html")
    assert lines[-1] == "1 report(s) of 2026-11 written, 0 failed"
    assert (settings.resolved_lake_path / "reports" / str(tenant)).is_dir()


@pytest.mark.parametrize("period", ["2026-13", "outubro", "2026-W60"])
def test_the_cli_refuses_a_period_that_is_not_one(settings: Settings, period: str):
    done = _fluxo(settings, "run", "--period", period)

    assert done.returncode == 2
    assert "is not a period" in done.stderr
