"""The words of each insight in pt-BR and en: a title and one plain sentence with its numbers.

Money, percentages and months are formatted for the language (``R$ 1.234,56`` and
``novembro de 2026`` in pt-BR; ``R$1,234.56`` and ``November 2026`` in en) by the helpers the
notifications use, so an insight reads like the e-mails it may one day travel in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from babel.dates import format_date
from babel.lists import format_list

from shared.analytics.insights import Insight, InsightKind, worst_month
from shared.analytics.query import add_months
from shared.domain.notification_templates import money, percent
from shared.domain.notifications import Language

_BABEL_LOCALE = {Language.PT_BR: "pt_BR", Language.EN: "en"}
_MONTH_PATTERN = {Language.PT_BR: "MMMM 'de' y", Language.EN: "MMMM y"}
_UNNAMED = {Language.PT_BR: "Categoria removida", Language.EN: "Removed category"}
ONE = "one"
"""The variant of a template for a single item (one red month)."""


@dataclass(frozen=True)
class Text:
    title: str
    text: str


TEMPLATES: dict[tuple[InsightKind, Language, str], Text] = {
    (InsightKind.CATEGORY_ABOVE_AVERAGE, Language.PT_BR, ""): Text(
        "{category}: gastos acima da média",
        "Você gastou {current} com {category} em {month}, {ratio} acima da média dos 3 meses "
        "anteriores ({average}): {change} a mais.",
    ),
    (InsightKind.CATEGORY_ABOVE_AVERAGE, Language.EN, ""): Text(
        "{category}: spending above average",
        "You spent {current} on {category} in {month}, {ratio} above the average of the 3 "
        "months before ({average}): {change} more.",
    ),
    (InsightKind.CATEGORY_BELOW_AVERAGE, Language.PT_BR, ""): Text(
        "{category}: gastos abaixo da média",
        "Você gastou {current} com {category} em {month}, {ratio} abaixo da média dos 3 meses "
        "anteriores ({average}): {change} a menos.",
    ),
    (InsightKind.CATEGORY_BELOW_AVERAGE, Language.EN, ""): Text(
        "{category}: spending below average",
        "You spent {current} on {category} in {month}, {ratio} below the average of the 3 "
        "months before ({average}): {change} less.",
    ),
    (InsightKind.BIGGEST_CHANGE, Language.PT_BR, ""): Text(
        "Maior variação do mês: {category}",
        "{category} foi a categoria que mais mudou em relação a {previous_month}: {current} em "
        "{month}, contra {previous} ({change}).",
    ),
    (InsightKind.BIGGEST_CHANGE, Language.EN, ""): Text(
        "Biggest change of the month: {category}",
        "{category} changed the most since {previous_month}: {current} in {month}, against "
        "{previous} ({change}).",
    ),
    (InsightKind.NEW_RECURRING_CHARGE, Language.PT_BR, ""): Text(
        "Nova cobrança recorrente: {merchant}",
        "{merchant} cobrou {current} em {month}, depois de cobranças parecidas nos 2 meses "
        "anteriores e nenhuma antes: parece uma nova assinatura, cerca de {yearly} por ano.",
    ),
    (InsightKind.NEW_RECURRING_CHARGE, Language.EN, ""): Text(
        "New recurring charge: {merchant}",
        "{merchant} charged {current} in {month}, after similar charges in each of the 2 "
        "months before and none earlier: it looks like a new subscription, about {yearly} a "
        "year.",
    ),
    (InsightKind.NEGATIVE_NET_MONTH, Language.PT_BR, ""): Text(
        "Meses no vermelho",
        "Você gastou mais do que ganhou em {count} dos últimos 12 meses: {months}. O pior foi "
        "{worst_month}, com saldo de {worst}.",
    ),
    (InsightKind.NEGATIVE_NET_MONTH, Language.EN, ""): Text(
        "Months in the red",
        "You spent more than you earned in {count} of the last 12 months: {months}. The worst "
        "was {worst_month}, with a net of {worst}.",
    ),
    (InsightKind.NEGATIVE_NET_MONTH, Language.PT_BR, ONE): Text(
        "Mês no vermelho",
        "Você gastou mais do que ganhou em {months}: saldo de {worst}.",
    ),
    (InsightKind.NEGATIVE_NET_MONTH, Language.EN, ONE): Text(
        "A month in the red",
        "You spent more than you earned in {months}: a net of {worst}.",
    ),
}


def render(insight: Insight, language: Language, currency: str, names: Mapping[UUID, str]) -> Text:
    """``insight``'s title and sentence in ``language``; ``names``: category id → name."""
    single = insight.kind is InsightKind.NEGATIVE_NET_MONTH and len(insight.months) == 1
    template = TEMPLATES[(insight.kind, language, ONE if single else "")]
    fields = _fields(insight, language, currency, names)
    return Text(template.title.format(**fields), template.text.format(**fields))


def month_name(month: date, language: Language) -> str:
    return format_date(month, _MONTH_PATTERN[language], locale=_BABEL_LOCALE[language])


def _fields(
    insight: Insight, language: Language, currency: str, names: Mapping[UUID, str]
) -> dict[str, str]:
    amounts = insight.amounts
    month = insight.end.replace(day=1)
    fields = {
        "month": month_name(month, language),
        "previous_month": month_name(add_months(month, -1), language),
        "merchant": insight.merchant or "",
        "category": _category(insight.category_id, language, names),
    }
    # Sizes read as sizes ("R$ 400,00 a mais"); the words say the direction.
    fields.update({name: money(abs(value), currency, language) for name, value in amounts.items()})
    if "change_ratio" in amounts:
        fields["ratio"] = percent(abs(amounts["change_ratio"]) * 100, language)
    if insight.kind is InsightKind.BIGGEST_CHANGE:
        fields["change"] = _signed_change(amounts, language, currency)
    if insight.kind is InsightKind.NEGATIVE_NET_MONTH:
        fields.update(_red_months(insight, language, currency))
    return fields


def _category(category_id: UUID | None, language: Language, names: Mapping[UUID, str]) -> str:
    if category_id is None:
        return ""
    return names.get(category_id) or _UNNAMED[language]


def _signed_change(amounts: Mapping[str, Decimal], language: Language, currency: str) -> str:
    """``+R$ 400,00, +133,3%``; only the money when the category had nothing before."""
    change = amounts["change"]
    sign = "+" if change > 0 else "-"
    text = f"{sign}{money(abs(change), currency, language)}"
    if "change_ratio" in amounts:
        text += f", {sign}{percent(abs(amounts['change_ratio']) * 100, language)}"
    return text


def _red_months(insight: Insight, language: Language, currency: str) -> dict[str, str]:
    """A net is signed: "saldo de -R$ 120,00" is what the statement shows."""
    locale = _BABEL_LOCALE[language]
    worst = worst_month(insight)
    return {
        "count": str(len(insight.months)),
        "months": format_list(
            [month_name(month, language) for month, _ in insight.months], locale=locale
        ),
        "worst": money(insight.amounts["worst"], currency, language),
        "worst_month": month_name(worst, language) if worst else "",
    }
