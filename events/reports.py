"""Payloads of the Report aggregate's events (the ``data`` of the envelope).

A scheduled report is one person's report of one workspace for one period (a month, or an ISO
week for those who asked for weekly ones). ``ReportGenerated`` says it is stored in the lake
and where to read it; generating it again (a re-run) replaces the files and raises the event
again, with the next version, and the notifications consumer still e-mails the person once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ReportGenerated(_Payload):
    report_id: UUID = Field(description="The same for the same person, workspace and period.")
    tenant_id: UUID
    user_id: UUID = Field(description="Whose report it is: the one person it is announced to.")
    frequency: Literal["monthly", "weekly"]
    period: str = Field(description="2026-10 for a month, 2026-W44 for an ISO week.")
    period_start: date
    period_end: date = Field(description="Inclusive.")
    language: str = Field(description="pt-BR or en: the language it was written in.")
    html_key: str = Field(description="The report's lake key (reports/…/report.html).")
    csv_key: str = Field(description="Its figures by category as CSV (reports/…/report.csv).")
    url: str = Field(description="A link to the HTML report, valid until expires_at.")
    expires_at: datetime | None = Field(description="When the link stops working; None: never.")


PAYLOADS: dict[str, type[BaseModel]] = {"ReportGenerated": ReportGenerated}
