"""The periods of scheduled reports: a calendar month (``2026-10``) or an ISO week
(``2026-W44``, Monday to Sunday), and how each is named in a person's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from babel.dates import format_date

from shared.analytics.query import add_months, month_end
from shared.domain.errors import FieldIssue, InvalidInput
from shared.domain.notifications import Language
from shared.domain.transactions import EARLIEST_DATE, LATEST_DATE

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_BABEL = {Language.PT_BR: "pt_BR", Language.EN: "en"}


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class ReportPeriod:
    frequency: Frequency
    start: date
    end: date
    """Inclusive."""

    @property
    def key(self) -> str:
        """``2026-10`` or ``2026-W44``: in lake keys, the CLI and the event."""
        if self.frequency is Frequency.MONTHLY:
            return f"{self.start:%Y-%m}"
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @classmethod
    def parse(cls, text: str, where: tuple[str | int, ...] = ("option", "period")) -> ReportPeriod:
        """``YYYY-MM`` or ``YYYY-Www``; ``InvalidInput`` for anything else."""
        month, week = _MONTH.fullmatch(text), _WEEK.fullmatch(text)
        period: ReportPeriod | None = None
        try:
            if month:
                period = cls.month(date(int(month[1]), int(month[2]), 1))
            elif week:
                period = cls.week(date.fromisocalendar(int(week[1]), int(week[2]), 1))
        except (ValueError, OverflowError):  # no such month or week; past the calendar's end
            period = None
        if period is not None and EARLIEST_DATE <= period.start <= period.end <= LATEST_DATE:
            return period
        raise InvalidInput(
            f"{text!r} is not a period: give a month (2026-10) or an ISO week (2026-W44) "
            f"between {EARLIEST_DATE.year} and {LATEST_DATE.year}",
            issues=[FieldIssue(where, "a month YYYY-MM or an ISO week YYYY-Www", "invalid")],
        )

    @classmethod
    def month(cls, day: date) -> ReportPeriod:
        return cls(Frequency.MONTHLY, day.replace(day=1), month_end(day))

    @classmethod
    def week(cls, day: date) -> ReportPeriod:
        monday = day - timedelta(days=day.weekday())
        return cls(Frequency.WEEKLY, monday, monday + timedelta(days=6))

    @classmethod
    def last_complete(cls, frequency: Frequency, today: date) -> ReportPeriod:
        """The month (or week) before the one ``today`` is in: what a schedule reports on."""
        if frequency is Frequency.MONTHLY:
            return cls.month(add_months(today, -1))
        return cls.week(today - timedelta(days=7))

    def name(self, language: Language) -> str:
        """``outubro de 2026`` / ``October 2026``; ``semana 44 de 2026`` / ``week 44 of 2026``."""
        locale = _BABEL[language]
        if self.frequency is Frequency.MONTHLY:
            pattern = "MMMM 'de' y" if language is Language.PT_BR else "MMMM y"
            return format_date(self.start, pattern, locale=locale)
        year, week, _ = self.start.isocalendar()
        if language is Language.PT_BR:
            return f"semana {week} de {year}"
        return f"week {week} of {year}"
