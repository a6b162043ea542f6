"""The scheduled report as one self-contained HTML page, in the person's language: the period's
figures against the period before, income and expenses month by month, spending by category
(both as SVG charts), the top merchants and the largest expenses. Amounts, percentages and
dates are written for the locale (``R$ 1.234,56`` in pt-BR)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from babel.dates import format_date

from shared.domain.notification_templates import money, percent
from shared.domain.notifications import Language
from shared.reports import charts
from shared.reports.periods import ReportPeriod

_BABEL = {Language.PT_BR: "pt_BR", Language.EN: "en"}

WORDS: dict[Language, dict[str, str]] = {
    Language.PT_BR: {
        "title": "Relatório de {period}",
        "workspace": "Espaço {workspace}",
        "summary": "Resumo",
        "figure": "Indicador",
        "this": "Neste período",
        "before": "Período anterior ({start} a {end})",
        "change": "Variação",
        "income": "Receitas",
        "expenses": "Despesas",
        "net": "Saldo",
        "savings_rate": "Taxa de poupança",
        "transactions": "Transações",
        "average_ticket": "Tíquete médio",
        "by_month": "Receitas e despesas por mês",
        "by_category": "Despesas por categoria",
        "category": "Categoria",
        "uncategorised": "Sem categoria",
        "other": "Outras",
        "merchants": "Principais estabelecimentos",
        "merchant": "Estabelecimento",
        "amount": "Valor",
        "count": "Compras",
        "largest": "Maiores despesas",
        "day": "Data",
        "description": "Descrição",
        "nothing": "Nada neste período.",
        "footer": "Gerado pelo Fluxo. Os números por categoria estão também no CSV ao lado.",
    },
    Language.EN: {
        "title": "Report for {period}",
        "workspace": "Workspace {workspace}",
        "summary": "Summary",
        "figure": "Figure",
        "this": "This period",
        "before": "Previous period ({start} to {end})",
        "change": "Change",
        "income": "Income",
        "expenses": "Expenses",
        "net": "Net",
        "savings_rate": "Savings rate",
        "transactions": "Transactions",
        "average_ticket": "Average ticket",
        "by_month": "Income and expenses by month",
        "by_category": "Spending by category",
        "category": "Category",
        "uncategorised": "Uncategorised",
        "other": "Other",
        "merchants": "Top merchants",
        "merchant": "Merchant",
        "amount": "Amount",
        "count": "Purchases",
        "largest": "Largest expenses",
        "day": "Date",
        "description": "Description",
        "nothing": "Nothing in this period.",
        "footer": "Made by Fluxo. The figures by category are also in the CSV beside it.",
    },
}
FIGURES = ("income", "expenses", "net", "savings_rate", "transactions", "average_ticket")


@dataclass(frozen=True)
class ReportContent:
    """What the page shows: the data of the dashboard widgets of the same names
    (``shared.analytics.board.BUILDERS``), computed for the period."""

    period: ReportPeriod
    language: Language
    currency: str
    workspace: str
    kpis: dict[str, Any]
    months: list[dict[str, Any]]
    categories: dict[str, Any]
    merchants: list[dict[str, Any]]
    largest: list[dict[str, Any]]


class _Writer:
    def __init__(self, content: ReportContent) -> None:
        self.content = content
        self.words = WORDS[content.language]

    def money(self, amount: Decimal | None) -> str:
        if amount is None:
            return "–"
        return money(amount, self.content.currency, self.content.language)

    def ratio(self, value: Decimal | None) -> str:
        return "–" if value is None else percent(value * 100, self.content.language)

    def day(self, value: date) -> str:
        return format_date(value, "short", locale=_BABEL[self.content.language])

    def figure(self, name: str, value: Decimal | None) -> str:
        if name == "savings_rate":
            return self.ratio(value)
        if name == "transactions":
            return "–" if value is None else str(int(value))
        return self.money(value)


def render(content: ReportContent) -> str:
    writer = _Writer(content)
    words = writer.words
    title = words["title"].format(period=content.period.name(content.language))
    sections = [
        f"<h1>{escape(title)}</h1>",
        f"<p class='muted'>{escape(words['workspace'].format(workspace=content.workspace))}</p>",
        _summary(writer),
        f"<h2>{escape(words['by_month'])}</h2>",
        _months_chart(writer),
        f"<h2>{escape(words['by_category'])}</h2>",
        _categories(writer),
        f"<h2>{escape(words['merchants'])}</h2>",
        _merchants(writer),
        f"<h2>{escape(words['largest'])}</h2>",
        _largest(writer),
        f"<p class='muted'>{escape(words['footer'])}</p>",
    ]
    lang = content.language.value
    body = "\n".join(sections)
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


_CSS = (
    "body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f5f5f5}"
    "main{max-width:760px;margin:0 auto;padding:24px;background:#fff}"
    "table{border-collapse:collapse;width:100%;margin:8px 0 24px}"
    "th,td{padding:6px 8px;border-bottom:1px solid #ddd;text-align:left}"
    "td.n,th.n{text-align:right;white-space:nowrap}.muted{color:#666}"
    "svg{max-width:100%;height:auto}"
)


def _table(head: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """``head``: (title, numeric); numeric columns are right-aligned."""
    cells = "".join(f"<th{' class=n' if n else ''}>{escape(t)}</th>" for t, n in head)
    lines = [
        "<tr>"
        + "".join(
            f"<td{' class=n' if numeric else ''}>{escape(value)}</td>"
            for value, (_, numeric) in zip(row, head, strict=True)
        )
        + "</tr>"
        for row in rows
    ]
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _summary(writer: _Writer) -> str:
    words, kpis = writer.words, writer.content.kpis
    before = kpis["previous_period"]
    head = [
        (words["figure"], False),
        (words["this"], True),
        (
            words["before"].format(start=writer.day(before["from"]), end=writer.day(before["to"])),
            True,
        ),
        (words["change"], True),
    ]
    rows = []
    for name in FIGURES:
        item = kpis["figures"][name]
        rows.append(
            [
                words[name],
                writer.figure(name, item["value"]),
                writer.figure(name, item["previous"]),
                writer.ratio(item["change"]),
            ]
        )
    return f"<h2>{escape(words['summary'])}</h2>" + _table(head, rows)


def _months_chart(writer: _Writer) -> str:
    months = writer.content.months
    locale = _BABEL[writer.content.language]
    return charts.income_vs_expenses(
        [format_date(item["month"], "MMM yy", locale=locale) for item in months],
        [item["income"] for item in months],
        [item["expenses"] for item in months],
        names=(writer.words["income"], writer.words["expenses"]),
        formatter=lambda value: writer.money(Decimal(str(value))),
    )


def _categories(writer: _Writer) -> str:
    words, breakdown = writer.words, writer.content.categories
    entries = [
        (item["name"] or words["uncategorised"], item["amount"]) for item in breakdown["categories"]
    ]
    if breakdown["other"]:
        entries.append((words["other"], breakdown["other"]))
    if not entries:
        return f"<p>{escape(words['nothing'])}</p>"
    chart = charts.categories(
        [name for name, _ in entries],
        [amount for _, amount in entries],
        formatter=lambda value: writer.money(Decimal(str(value))),
    )
    total = breakdown["total"]
    rows = [
        [name, writer.money(amount), writer.ratio(amount / total if total else None)]
        for name, amount in entries
    ]
    head = [(words["category"], False), (words["amount"], True), ("%", True)]
    return chart + _table(head, rows)


def _merchants(writer: _Writer) -> str:
    words = writer.words
    if not writer.content.merchants:
        return f"<p>{escape(words['nothing'])}</p>"
    head = [(words["merchant"], False), (words["amount"], True), (words["count"], True)]
    rows = [
        [item["merchant"], writer.money(item["amount"]), str(item["transactions"])]
        for item in writer.content.merchants
    ]
    return _table(head, rows)


def _largest(writer: _Writer) -> str:
    words = writer.words
    if not writer.content.largest:
        return f"<p>{escape(words['nothing'])}</p>"
    head = [(words["day"], False), (words["description"], False), (words["amount"], True)]
    rows = [
        [
            writer.day(item["booked_on"]),
            item["merchant"] or item["description"],
            writer.money(-item["amount"]),
        ]
        for item in writer.content.largest
    ]
    return _table(head, rows)
