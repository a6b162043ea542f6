"""One sample of every domain event, as it travels (the envelope in camelCase JSON), built from
the payload models so a sample can never disagree with its schema. ``fluxo schemas`` writes
them to ``events/samples/<Type>.json`` beside the JSON Schemas; a test keeps both in step."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from events.anomalies import AnomalyDetected
from events.budgets import BudgetExceeded, BudgetThresholdReached
from events.envelope import DomainEvent, EventMetadata
from events.goals import GoalMilestoneReached, GoalReached
from events.imports import ImportCompleted, ImportedTransaction, TransactionsImported
from events.notifications import NotificationFailed, NotificationSent
from events.registry import AGGREGATES, CURRENT_VERSION, REGISTRY
from events.reports import ReportGenerated
from events.transactions import (
    TransactionCategorized,
    TransactionCreated,
    TransactionDeleted,
    TransactionSnapshot,
    TransactionUpdated,
)

SAMPLE_DIR = Path(__file__).parent / "samples"

TENANT = UUID("7d3c1b52-4f0e-4b8e-9a51-1c2d3e4f5a60")
USER = UUID("0b6f9a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b")
ACCOUNT = UUID("5e8d2c41-7a6b-4c3d-9e2f-1a0b9c8d7e6f")
TRANSACTION = UUID("c4a1e3f2-9b8d-4c7e-a6f5-0d1e2f3a4b5c")
IMPORT = UUID("a9e8d7c6-b5a4-4f3e-8d2c-1b0a9f8e7d6c")
DELIVERY = UUID("3f2e1d0c-9b8a-4765-a432-10fedcba9876")
GROCERIES = UUID("8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d")
BUDGET = UUID("b1d9e7c5-a3f1-4e2d-8c6b-5a4f3e2d1c0b")
NOTIFICATION = UUID("6e0f3c2a-1b4d-4f7e-9a8c-2d5e7f9a1b3c")
FOOD = UUID("e5f4d3c2-b1a0-4f9e-8d7c-6b5a4f3e2d1c")
REPORT = UUID("d2c4e6f8-0a1b-4c3d-8e5f-7a9b1c3d5e7f")
GOAL = UUID("9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a")
SAVINGS = UUID("4b3a2f1e-0d9c-4b8a-9f7e-6d5c4b3a2f1e")
ANOMALY = UUID("2a4c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f")
ORIGINAL = UUID("f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0b")
AT = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def _snapshot(**changes: Any) -> TransactionSnapshot:
    values: dict[str, Any] = {
        "account_id": ACCOUNT,
        "amount": Decimal("-42.50"),
        "currency": "BRL",
        "booked_on": date(2026, 12, 3),
        "booked_at": time(12, 41),
        "description": "IFD*RESTAURANTE SABOR",
        "merchant": "iFood",
        "category_id": DELIVERY,
        "category_source": "model",
        "category_confidence": Decimal("0.93"),
        "category_evidence": "merchant iFood",
        "tags": ["trabalho"],
        "type": "card",
        "status": "booked",
    }
    return TransactionSnapshot(**{**values, **changes})


def _payloads() -> dict[str, BaseModel]:
    before, after = _snapshot(), _snapshot(amount=Decimal("-45.00"), notes="conferido")
    return {
        "TransactionCreated": TransactionCreated(transaction=before),
        "TransactionUpdated": TransactionUpdated(
            transaction=after,
            changes={
                "amount": {"from": "-42.50", "to": "-45.00"},
                "notes": {"from": None, "to": "conferido"},
            },
        ),
        "TransactionCategorized": TransactionCategorized(
            transaction_id=TRANSACTION,
            previous_category_id=DELIVERY,
            category_id=GROCERIES,
            source="user",
            transaction=_snapshot(
                category_id=GROCERIES,
                category_source="user",
                category_confidence=None,
                category_evidence=None,
            ),
        ),
        "TransactionDeleted": TransactionDeleted(transaction=after),
        "TransactionsImported": TransactionsImported(
            import_id=IMPORT,
            account_id=ACCOUNT,
            part=1,
            transactions=[
                ImportedTransaction(
                    id=TRANSACTION,
                    **_snapshot(
                        description="PIX RECEBIDO MARIA",
                        amount=Decimal("1500.00"),
                        merchant=None,
                        category_id=None,
                        category_source=None,
                        category_confidence=None,
                        category_evidence="no rule or merchant matched",
                        needs_review=True,
                        tags=[],
                        type="pix",
                        external_id="E0000000020261203",
                    ).model_dump(),
                )
            ],
        ),
        "BudgetThresholdReached": BudgetThresholdReached(**_budget_alert(80, "650.00")),
        "BudgetExceeded": BudgetExceeded(**_budget_alert(100, "812.40")),
        "GoalMilestoneReached": GoalMilestoneReached(**_goal_milestone(50, "5000.00")),
        "GoalReached": GoalReached(**_goal_milestone(100, "10000.00")),
        "NotificationSent": NotificationSent(
            **_notification(), provider_id="0100018c-2f4e-7a1b-9c3d-5e6f7a8b9c0d-000000"
        ),
        "NotificationFailed": NotificationFailed(
            **_notification(), reason="MessageRejected: Email address is not verified."
        ),
        "ReportGenerated": ReportGenerated(
            report_id=REPORT,
            tenant_id=TENANT,
            user_id=USER,
            frequency="monthly",
            period="2026-11",
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30),
            language="pt-BR",
            html_key=f"reports/{TENANT}/{USER}/2026-11/report.html",
            csv_key=f"reports/{TENANT}/{USER}/2026-11/report.csv",
            url=f"https://fluxo-lake.s3.amazonaws.com/reports/{TENANT}/{USER}/2026-11/report.html",
            expires_at=datetime(2026, 12, 12, 9, 0, tzinfo=UTC),
        ),
        "AnomalyDetected": AnomalyDetected(
            anomaly_id=ANOMALY,
            transaction_id=TRANSACTION,
            account_id=ACCOUNT,
            kind="duplicate",
            booked_on=date(2026, 12, 3),
            amount=Decimal("-42.50"),
            currency="BRL",
            counterparty="iFood",
            score=2.0,
            evidence={
                "line_id": str(TRANSACTION),
                "date": "2026-12-03",
                "amount": "-42.50",
                "counterparty": "iFood",
                "category": "food_delivery",
                "account": str(ACCOUNT),
                "original_line_id": str(ORIGINAL),
                "original_date": "2026-12-03",
                "days_apart": 0,
            },
        ),
        "ImportCompleted": ImportCompleted(
            import_id=IMPORT,
            account_id=ACCOUNT,
            filename="extrato-dezembro.csv",
            lake_key=f"raw/bank_statements/{TENANT}/{USER}/{ACCOUNT}/{IMPORT}/extrato.csv",
            format="csv",
            profile="nubank_account",
            status="completed",
            rows_read=3,
            imported=1,
            duplicates=1,
            rejected=1,
        ),
    }


def _budget_alert(threshold: int, spent: str) -> dict[str, Any]:
    return {
        "budget_id": BUDGET,
        "name": "Alimentação",
        "category_id": FOOD,
        "currency": "BRL",
        "period_start": date(2026, 12, 5),
        "period_end": date(2027, 1, 6),
        "threshold": threshold,
        "limit": Decimal("800.00"),
        "spent": Decimal(spent),
        "percentage": (Decimal(spent) * 100 / Decimal(800)).quantize(Decimal("0.01")),
    }


def _goal_milestone(milestone: int, saved: str) -> dict[str, Any]:
    return {
        "goal_id": GOAL,
        "name": "Viagem",
        "measure": "account",
        "account_id": SAVINGS,
        "category_id": None,
        "currency": "BRL",
        "milestone": milestone,
        "target": Decimal("10000.00"),
        "saved": Decimal(saved),
        "percentage": (Decimal(saved) * 100 / Decimal(10000)).quantize(Decimal("0.01")),
        "target_date": date(2027, 7, 1),
        "reached_at": AT,
    }


def _notification() -> dict[str, Any]:
    return {
        "notification_id": NOTIFICATION,
        "user_id": USER,
        "channel": "email",
        "alert_type": "BudgetThresholdReached",
        "alert_id": UUID(int=1),
        "period_key": f"budget:{BUDGET}:2026-12-05:80",
        "attempts": 1,
    }


def samples() -> dict[str, DomainEvent]:
    """Event type → a sample envelope holding a valid payload of the current schema version."""
    built = {}
    for number, (event_type, data) in enumerate(sorted(_payloads().items()), start=1):
        aggregate = AGGREGATES[event_type]
        built[event_type] = DomainEvent(
            id=UUID(int=number),
            type=event_type,
            aggregate_id={
                "Transaction": TRANSACTION,
                "Budget": BUDGET,
                "Goal": GOAL,
                "Notification": NOTIFICATION,
                "Anomaly": ANOMALY,
            }.get(aggregate, IMPORT),
            aggregate_type=aggregate,
            version=1
            if event_type in ("TransactionCreated", "TransactionsImported")
            or aggregate in ("Notification", "Anomaly")
            else 2,
            timestamp=AT,
            data=data.model_dump(mode="json", by_alias=True),
            metadata=EventMetadata(user_id=USER, tenant_id=TENANT, correlation_id="req-sample"),
            schema_version=CURRENT_VERSION,
        )
    missing = {name for name, _ in REGISTRY} - built.keys()
    assert not missing, f"no sample for {sorted(missing)}"
    return built


def sample_files() -> dict[str, str]:
    """File name → its text, as committed under ``events/samples``."""
    return {
        f"{name}.json": json.dumps(event.to_wire(), indent=2, ensure_ascii=False) + "\n"
        for name, event in samples().items()
    }


def write_samples(folder: Path = SAMPLE_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in sample_files().items():
        path = folder / file_name
        path.write_text(text)
        written.append(path)
    return written
