"""Writing a report as CSV or XLSX, through the one safe writer (``app/services/spreadsheets.py``:
numbers stay numbers, a text never becomes a formula).

* CSV: UTF-8 (no BOM), comma-separated, header row first, a decimal point (``-12.50``) — what
  scripts expect (formats.md §4); people who open reports in Excel take the XLSX.
* XLSX: numeric cells with ``0.00`` / ``0.000`` formats, texts as text cells.
"""
from __future__ import annotations

import io
from datetime import date

from ..spreadsheets import CsvWriter, Workbook


def write_csv(report, stream) -> int:
    """Write to a text stream; returns the number of rows."""
    writer = CsvWriter(stream)
    keep = [i for i, c in enumerate(report.columns) if c.machine]
    writer.writerow([report.columns[i].code for i in keep])
    count = 0
    for row in report.rows:
        writer.writerow([row[i] for i in keep])
        count += 1
    return count


def write_xlsx(report, target) -> int:
    """Write to a path or a binary stream; returns the number of rows."""
    with Workbook(target, constant_memory=True) as book:
        sheet = book.sheet(report.kind)
        bold = book.format(bold=True)
        money = book.format(num_format="0.00")
        quantity = book.format(num_format="0.000")
        formats = [money if c.kind == "money" else quantity if c.kind == "quantity" else None
                   for c in report.columns]
        sheet.write_row(0, [c.code for c in report.columns], bold)
        count = 0
        for count, row in enumerate(report.rows, start=1):
            for col, value in enumerate(row):
                # dates as the CSV's text (YYYY-MM-DD): the same columns in both files
                sheet.write(count, col, value.isoformat() if isinstance(value, date) else value, formats[col])
        sheet.freeze_panes(1, 0)
    return count


def render(report, fmt: str) -> bytes:
    """The whole file in memory (downloads)."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(report, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(report, text)
    return text.getvalue().encode("utf-8")
