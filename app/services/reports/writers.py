"""Writing a report as CSV or XLSX, safe to open in a spreadsheet.

* Numbers are written as numbers (CSV: ``1234.50`` with a decimal point; XLSX: numeric cells
  with ``0.00`` / ``0.000`` formats), texts as texts.
* Formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return would be run as a formula by Excel or LibreOffice; such a text gets a
  leading apostrophe (OWASP's advice). XLSX cells are written with ``write_string`` and the
  workbook has ``strings_to_formulas`` off, so no text ever becomes a formula there either.
* CSV: UTF-8 (no BOM), comma-separated, header row first — what scripts expect; people who
  open reports in Excel take the XLSX.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    return "'" + value if value and value.startswith(DANGEROUS) else value


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


def write_csv(report, stream) -> int:
    """Write to a text stream; returns the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(report.columns)
    count = 0
    for row in report.rows:
        writer.writerow([_csv_value(v) for v in row])
        count += 1
    return count


def write_xlsx(report, target) -> int:
    """Write to a path or a binary stream; returns the number of rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False,
                                            "in_memory": not isinstance(target, str)})
    sheet = workbook.add_worksheet(report.kind[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "0.00"})
    quantity = workbook.add_format({"num_format": "0.000"})
    formats = [money if c in report.money_columns else quantity if c in report.quantity_columns else None
               for c in report.columns]
    for col, name in enumerate(report.columns):
        sheet.write_string(0, col, name, bold)
    count = 0
    for count, row in enumerate(report.rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_number(count, col, int(value))
            elif isinstance(value, (Decimal, int)):
                # the cell's number (a spreadsheet keeps binary floats; two places are exact enough)
                sheet.write_number(count, col, float(value), formats[col])
            else:
                sheet.write_string(count, col, safe_text(value.isoformat() if isinstance(value, date) else str(value)))
    sheet.freeze_panes(1, 0)
    workbook.close()
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
