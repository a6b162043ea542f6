"""The scheduled report's charts as SVG (pygal), drawn inline in its HTML page.

SVG is text: it is stored and e-mailed as part of the page, scales to any screen and renders
in every browser. pygal's page script (its tooltips' configuration, which holds the labels as
JSON) is removed: the report is a static document, and a category named by a person has no
business inside a script element.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
WIDTH = 720
INCOME_COLOUR = "#2e7d32"
EXPENSE_COLOUR = "#c62828"
CATEGORY_COLOUR = "#1565c0"


def _style(*colours: str) -> object:
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        colors=colours,
        font_family="Helvetica, Arial, sans-serif",
        label_font_size=12,
        legend_font_size=12,
        value_font_size=11,
    )


def _svg(chart: object) -> str:
    rendered: str = chart.render(is_unicode=True)  # type: ignore[attr-defined]
    return _SCRIPT.sub("", rendered)


def income_vs_expenses(
    months: Sequence[str],
    income: Sequence[Decimal],
    expenses: Sequence[Decimal],
    *,
    names: tuple[str, str],
    formatter: object,
) -> str:
    """Grouped bars: income and expenses of each month."""
    import pygal

    chart = pygal.Bar(
        style=_style(INCOME_COLOUR, EXPENSE_COLOUR),
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=320,
        legend_at_bottom=True,
        value_formatter=formatter,
    )
    chart.x_labels = list(months)
    chart.add(names[0], [float(value) for value in income])
    chart.add(names[1], [float(value) for value in expenses])
    return _svg(chart)


def categories(labels: Sequence[str], amounts: Sequence[Decimal], *, formatter: object) -> str:
    """Horizontal bars: spending by category, the largest on top."""
    import pygal

    chart = pygal.HorizontalBar(
        style=_style(CATEGORY_COLOUR),
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=max(160, 40 * len(labels) + 60),
        show_legend=False,
        print_values=True,
        value_formatter=formatter,
    )
    # pygal draws the first value at the bottom: reversed, the largest is on top.
    chart.x_labels = list(reversed(labels))
    chart.add("", [float(value) for value in reversed(amounts)])
    return _svg(chart)
