"""JSON Schemas of the event envelope and every payload, for consumers in other languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from events.anomalies import PAYLOADS as ANOMALY_PAYLOADS
from events.budgets import PAYLOADS as BUDGET_PAYLOADS
from events.envelope import DomainEvent
from events.goals import PAYLOADS as GOAL_PAYLOADS
from events.imports import PAYLOADS as IMPORT_PAYLOADS
from events.notifications import PAYLOADS as NOTIFICATION_PAYLOADS
from events.reports import PAYLOADS as REPORT_PAYLOADS
from events.transactions import PAYLOADS as TRANSACTION_PAYLOADS

SCHEMA_DIR = Path(__file__).parent / "schemas"


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema (draft 2020-12, wire names in camelCase)."""
    schemas = {"DomainEvent.json": _schema(_wire_schema(DomainEvent), "DomainEvent")}
    payloads = {
        **TRANSACTION_PAYLOADS,
        **IMPORT_PAYLOADS,
        **BUDGET_PAYLOADS,
        **GOAL_PAYLOADS,
        **NOTIFICATION_PAYLOADS,
        **REPORT_PAYLOADS,
        **ANOMALY_PAYLOADS,
    }
    for name, model in sorted(payloads.items()):
        schemas[f"{name}.json"] = _schema(_wire_schema(model), name)
    return schemas


def _wire_schema(model: type[BaseModel]) -> dict[str, Any]:
    """What the events look like once serialised, e.g. a decimal amount is a string."""
    return model.model_json_schema(by_alias=True, mode="serialization")


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, schema in json_schemas().items():
        path = folder / file_name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    return written


def _schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://schemas.fluxo.dev/events/{name}.json",
        **schema,
    }
