"""A report table as JSON (a dict), CSV and XLSX.

Amounts are written with the currency's decimals (``Money.quantized``), ratios with four;
nothing goes through a float except XLSX cells, whose numbers are IEEE doubles by the file
format's definition (15 significant digits: exact for any amount Fluxo stores).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.money import Money
from shared.reports.definition import Kind, ReportTable

RATIO_PLACES = Decimal("0.0001")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel reads a CSV without a byte order mark in the machine's legacy code page (Windows-1252
# in Brazil), turning "Alimentação" into "AlimentaÃ§Ã£o"; the UTF-8 BOM makes it read UTF-8.
# Other readers (pandas, Python's csv with utf-8-sig, LibreOffice) skip it.
UTF8_BOM = "\ufeff"


def text(value: Any, kind: Kind, currency: str) -> str | None:
    """A value as plain text: ISO dates, decimals with a dot, no thousands separator."""
    if value is None:
        return None
    if kind is Kind.MONEY:
        return str(Money(Decimal(value), currency).quantized().amount)
    if kind is Kind.RATIO:
        return str(Decimal(value).quantize(RATIO_PLACES))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_json(table: ReportTable) -> dict[str, Any]:
    report = table.definition
    kinds = {column.name: column.kind for column in table.columns}
    return {
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "currency": table.currency,
        "dimensions": list(report.dimensions),
        "measures": [measure.value for measure in report.measures],
        "columns": [{"name": c.name, "kind": c.kind.value} for c in table.columns],
        "rows": [
            {
                column.name: _json_value(value, column.kind, table.currency)
                for column, value in zip(table.columns, row, strict=True)
            }
            for row in table.rows
        ],
        "totals": {
            measure.value: _json_value(value, kinds[measure.value], table.currency)
            for measure, value in table.totals.items()
        },
    }


def _json_value(value: Any, kind: Kind, currency: str) -> Any:
    # Counts stay JSON numbers; amounts and ratios are decimal strings, as everywhere in the API.
    if kind is Kind.COUNT:
        return value
    return text(value, kind, currency)


def to_csv(table: ReportTable) -> bytes:
    """RFC 4180: a header row, then one row per group; commas, dots for decimals, ISO dates,
    empty for none. Machine-readable on purpose: people who want a spreadsheet take the XLSX,
    whose numbers Excel shows in their own locale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                text(value, column.kind, table.currency) or ""
                for column, value in zip(table.columns, row, strict=True)
            ]
        )
    return (UTF8_BOM + buffer.getvalue()).encode("utf-8")


def currency_format(currency: str, decimals: int) -> str:
    """An Excel number format that shows the currency: ``[$R$-416] #,##0.00`` for BRL, else
    the code after the number. Excel puts its own thousands and decimal marks in."""
    places = "." + "0" * decimals if decimals else ""
    if currency == "BRL":
        return f"[$R$-416] #,##0{places};-[$R$-416] #,##0{places}"
    return f'#,##0{places} "{currency}";-#,##0{places} "{currency}"'


def to_xlsx(table: ReportTable) -> bytes:
    """One sheet: a header row, one row per group, a totals row when grouped; amounts, ratios
    and counts as numbers with a format (the currency, a percentage), dates as dates."""
    import xlsxwriter  # only the XLSX answer needs it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    exponent = Money(Decimal(0), table.currency).quantized().amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) else 2
    styles = {
        Kind.DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        Kind.TEXT: workbook.add_format(),
        Kind.MONEY: workbook.add_format({"num_format": currency_format(table.currency, decimals)}),
        Kind.RATIO: workbook.add_format({"num_format": "0.00%"}),
        Kind.COUNT: workbook.add_format({"num_format": "0"}),
    }
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("Report")
    for index, column in enumerate(table.columns):
        sheet.write_string(0, index, column.name, bold)
        sheet.set_column(index, index, 28 if column.kind is Kind.TEXT else 14)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(table.rows, start=1):
        _row(sheet, number, table, row, styles)
    if len(table.columns) != len(table.totals):  # grouped: the totals under the groups
        totals = {measure.value: value for measure, value in table.totals.items()}
        last = len(table.rows) + 1
        _row(sheet, last, table, tuple(totals.get(c.name) for c in table.columns), styles)
        sheet.write_string(last, 0, "total", bold)
    workbook.close()
    return buffer.getvalue()


def _row(
    sheet: Any, number: int, table: ReportTable, row: tuple[Any, ...], styles: dict[Kind, Any]
) -> None:
    for index, (column, value) in enumerate(zip(table.columns, row, strict=True)):
        exact = _exact(value, column.kind, table.currency)
        _cell(sheet, number, index, exact, styles[column.kind])


def _exact(value: Any, kind: Kind, currency: str) -> Any:
    """Amounts rounded to the currency's decimals and ratios to four before they become a
    cell's double, so the cell holds what the CSV and JSON say."""
    if value is None or kind not in (Kind.MONEY, Kind.RATIO):
        return value
    return Decimal(text(value, kind, currency) or 0)


def _cell(sheet: Any, row: int, column: int, value: Any, style: Any) -> None:
    if value is None:
        sheet.write_blank(row, column, None, style)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, style)
    elif isinstance(value, Decimal | int):
        sheet.write_number(row, column, float(value), style)
    else:
        sheet.write_string(row, column, str(value), style)
