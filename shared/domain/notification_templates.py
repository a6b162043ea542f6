"""The words of each notification, per alert event and language, with amounts, percentages and
dates formatted for the locale by babel (``R$ 1.234,56`` in pt-BR, ``R$1,234.56`` in en).

Babel separates a currency symbol from its amount with a no-break space (U+00A0) and some
locales use a narrow one (U+202F); both become a plain space here, so an SMS stays in the GSM
alphabet and the text reads the same in every client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_percent
from pydantic import BaseModel

from events.anomalies import AnomalyDetected
from events.budgets import BudgetAlert, BudgetExceeded, BudgetThresholdReached
from events.goals import GoalMilestone, GoalMilestoneReached, GoalReached
from events.reports import ReportGenerated
from shared.anomalies.model import AnomalyKind
from shared.anomalies.reasons import render as reason
from shared.domain.notifications import Language
from shared.reports.periods import ReportPeriod

_BABEL_LOCALE = {Language.PT_BR: "pt_BR", Language.EN: "en"}
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


@dataclass(frozen=True)
class Rendered:
    subject: str
    """The e-mail's subject and a push notification's title."""
    text: str
    """The e-mail's body; SMS and push send ``short``."""
    short: str


def money(amount: Decimal, currency: str, language: Language) -> str:
    return format_currency(amount, currency, locale=_BABEL_LOCALE[language]).translate(_SPACES)


def percent(value: Decimal, language: Language) -> str:
    """``value`` in percent (85.5 → ``85,5%``)."""
    return format_percent(value / 100, format="#,##0.#%", locale=_BABEL_LOCALE[language]).translate(
        _SPACES
    )


def day(value: date, language: Language) -> str:
    return format_date(value, "long", locale=_BABEL_LOCALE[language]).translate(_SPACES)


def _budget_fields(alert: BudgetAlert, language: Language) -> dict[str, str]:
    return {
        "name": alert.name,
        "threshold": percent(Decimal(alert.threshold), language),
        "spent": money(alert.spent, alert.currency, language),
        "limit": money(alert.limit, alert.currency, language),
        "over": money(alert.spent - alert.limit, alert.currency, language),
        "percentage": percent(alert.percentage, language) if alert.percentage is not None else "",
        "start": day(alert.period_start, language),
        "end": day(alert.period_end, language),
    }


def _goal_fields(goal: GoalMilestone, language: Language) -> dict[str, str]:
    return {
        "name": goal.name,
        "milestone": percent(Decimal(goal.milestone), language),
        "saved": money(goal.saved, goal.currency, language),
        "target": money(goal.target, goal.currency, language),
    }


def _anomaly_fields(anomaly: AnomalyDetected, language: Language) -> dict[str, str]:
    return {
        "counterparty": anomaly.counterparty,
        "amount": money(abs(anomaly.amount), anomaly.currency, language),
        "day": day(anomaly.booked_on, language),
        "reason": reason(
            AnomalyKind(anomaly.kind), anomaly.evidence, str(language), anomaly.currency
        ),
    }


@dataclass(frozen=True)
class Template:
    subject: str
    text: str
    short: str


TEMPLATES: dict[tuple[str, Language], Template] = {
    ("BudgetThresholdReached", Language.PT_BR): Template(
        subject="Orçamento {name}: {threshold} do limite atingido",
        text=(
            "Você já gastou {spent} de {limit} no orçamento {name} no período de {start} a "
            "{end} e atingiu o alerta de {threshold}."
        ),
        short="Fluxo: {name} chegou a {threshold} do limite ({spent} de {limit}).",
    ),
    ("BudgetThresholdReached", Language.EN): Template(
        subject="Budget {name}: {threshold} of the limit reached",
        text=(
            "You have spent {spent} of {limit} in the budget {name} for {start} to {end}, "
            "reaching the {threshold} alert."
        ),
        short="Fluxo: {name} reached {threshold} of its limit ({spent} of {limit}).",
    ),
    ("BudgetExceeded", Language.PT_BR): Template(
        subject="Orçamento {name} estourado",
        text=(
            "Você gastou {spent} no orçamento {name} no período de {start} a {end}, {over} "
            "acima do limite de {limit}."
        ),
        short="Fluxo: {name} estourou o limite de {limit} ({spent} gastos).",
    ),
    ("BudgetExceeded", Language.EN): Template(
        subject="Budget {name} exceeded",
        text=(
            "You have spent {spent} in the budget {name} for {start} to {end}, {over} over "
            "the limit of {limit}."
        ),
        short="Fluxo: {name} went over its limit of {limit} ({spent} spent).",
    ),
    ("GoalMilestoneReached", Language.PT_BR): Template(
        subject="Meta {name}: {milestone} alcançados",
        text="Você chegou a {milestone} da meta {name}: {saved} de {target}.",
        short="Fluxo: você chegou a {milestone} da meta {name} ({saved} de {target}).",
    ),
    ("GoalMilestoneReached", Language.EN): Template(
        subject="Goal {name}: {milestone} reached",
        text="You reached {milestone} of the goal {name}: {saved} of {target}.",
        short="Fluxo: you reached {milestone} of the goal {name} ({saved} of {target}).",
    ),
    ("GoalReached", Language.PT_BR): Template(
        subject="Meta {name} alcançada!",
        text="Parabéns! Você alcançou a meta {name}: {saved} de {target}.",
        short="Fluxo: meta {name} alcançada ({saved} de {target}).",
    ),
    ("GoalReached", Language.EN): Template(
        subject="Goal {name} reached!",
        text="Congratulations! You reached the goal {name}: {saved} of {target}.",
        short="Fluxo: goal {name} reached ({saved} of {target}).",
    ),
    ("AnomalyDetected", Language.PT_BR): Template(
        subject="Transação incomum: {counterparty}",
        text="{reason} Foi em {day}. Se não reconhece essa cobrança, fale com seu banco.",
        short="Fluxo: {reason}",
    ),
    ("AnomalyDetected", Language.EN): Template(
        subject="Unusual transaction: {counterparty}",
        text="{reason} It was on {day}. If you do not recognise this charge, call your bank.",
        short="Fluxo: {reason}",
    ),
    ("ReportGenerated", Language.PT_BR): Template(
        subject="Seu relatório de {period} está pronto",
        text="Seu relatório de {period} está pronto: {url}",
        short="Fluxo: seu relatório de {period} está pronto.",
    ),
    ("ReportGenerated", Language.EN): Template(
        subject="Your report for {period} is ready",
        text="Your report for {period} is ready: {url}",
        short="Fluxo: your report for {period} is ready.",
    ),
}

_FIELDS: dict[type[BaseModel], Callable[[BaseModel, Language], dict[str, str]]] = {
    BudgetThresholdReached: lambda alert, language: _budget_fields(_alert(alert), language),
    BudgetExceeded: lambda alert, language: _budget_fields(_alert(alert), language),
    GoalMilestoneReached: lambda goal, language: _goal_fields(_goal(goal), language),
    GoalReached: lambda goal, language: _goal_fields(_goal(goal), language),
    ReportGenerated: lambda report, language: _report_fields(_report(report), language),
    AnomalyDetected: lambda anomaly, language: _anomaly_fields(_anomaly(anomaly), language),
}


def _anomaly(payload: BaseModel) -> AnomalyDetected:
    assert isinstance(payload, AnomalyDetected)
    return payload


def _goal(payload: BaseModel) -> GoalMilestone:
    assert isinstance(payload, GoalMilestone)
    return payload


def _report(payload: BaseModel) -> ReportGenerated:
    assert isinstance(payload, ReportGenerated)
    return payload


def _report_fields(report: ReportGenerated, language: Language) -> dict[str, str]:
    period = ReportPeriod.parse(report.period)
    return {"period": period.name(language), "url": report.url}


def _alert(payload: BaseModel) -> BudgetAlert:
    assert isinstance(payload, BudgetAlert)
    return payload


def render(event_type: str, payload: BaseModel, language: Language) -> Rendered:
    """The notification of an alert event in ``language``; ``KeyError`` for an event type
    without templates (``ALERT_EVENT_TYPES`` all have both languages: a test checks it)."""
    template = TEMPLATES[(event_type, language)]
    fields = _FIELDS[type(payload)](payload, language)
    return Rendered(
        subject=template.subject.format(**fields),
        text=template.text.format(**fields),
        short=template.short.format(**fields),
    )


def period_key(payload: BaseModel) -> str:
    """What makes two alerts the same for a person: for a budget, the budget, the period and
    the threshold (50 % and 80 % of one month are two alerts; the 80 % of this month fired
    again after a re-arm is the same one); for a goal, the goal and the milestone (reached
    again after a withdrawal, it is not announced again); for a report, its period (made
    again, it is not announced again); for an anomaly, its transaction and kind."""
    if isinstance(payload, ReportGenerated):
        return f"report:{payload.period}"
    if isinstance(payload, AnomalyDetected):
        return f"anomaly:{payload.transaction_id}:{payload.kind}"
    if isinstance(payload, GoalMilestone):
        return f"goal:{payload.goal_id}:{payload.milestone}"
    alert = _alert(payload)
    return f"budget:{alert.budget_id}:{alert.period_start.isoformat()}:{alert.threshold}"
