"""Every CSV and XLSX file Oblik writes — reports, import templates, import problem reports, the
statement of account — is written through this module, safe to open in a spreadsheet
(``tests/test_spreadsheets.py`` scans the source: nothing else imports ``csv`` to write or
``xlsxwriter`` at all).

The rule, one for every file:

* **Numbers stay numbers.** ``Decimal``, ``int`` and ``float`` are written as numbers: in CSV
  ``-12.50`` (a decimal point, the places the ``Decimal`` carries, never an exponent), in XLSX a
  numeric cell (with the format given). ``True``/``False`` are ``1``/``0``; ``None`` an empty cell.
  Dates are ``YYYY-MM-DD`` in CSV; in XLSX a date cell when a format is given, else that text.
* **A text never becomes a formula.** A text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return would be run as a formula (``=HYPERLINK(…)``, ``=cmd|…``) by Excel or LibreOffice
  when the file is opened. In CSV it gets a leading apostrophe (OWASP's advice on CSV injection).
  In XLSX every text is a text cell, written with ``write_string`` into a workbook whose
  ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` are off, so no text ever
  turns into a formula, a number or a link, whatever it starts with; such a text also carries
  Excel's own apostrophe (the cell style's ``quotePrefix``: invisible, and it keeps the cell a
  text when someone edits it), so the value itself stays as it was (``+380671234567`` in a
  template, a name imported back).

So a negative amount is ``-12.50`` (a number), while a text ``-12.50`` — the value a user typed in a
rejected row — is ``'-12.50`` in CSV: only what the product knows to be a number is written as one.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + value if value and value.startswith(DANGEROUS) else value


def is_number(value) -> bool:
    return isinstance(value, (Decimal, int, float)) and not isinstance(value, bool)


def csv_cell(value, decimal: str = ".") -> str:
    """The CSV text of one value (see the module's rule); ``decimal`` "," for Ukrainian Excel's
    decimal comma (numbers only: a text keeps its own characters)."""
    if decimal != "." and is_number(value):
        return csv_cell(value).replace(".", decimal)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


class CsvWriter:
    """``csv.writer`` whose every cell goes through :func:`csv_cell`. A row with a carriage return
    in a cell is written with every cell quoted: ``csv`` quotes only the line terminator's own
    characters, and a bare CR would split the row for every reader."""

    def __init__(self, stream, *, delimiter: str = ",", lineterminator: str = "\n", decimal: str = "."):
        self._decimal = decimal
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator=lineterminator)
        self._quoted = csv.writer(stream, delimiter=delimiter, lineterminator=lineterminator, quoting=csv.QUOTE_ALL)

    def writerow(self, values) -> None:
        cells = [csv_cell(v, self._decimal) for v in values]
        (self._quoted if any("\r" in c for c in cells) else self._writer).writerow(cells)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_bytes(rows, *, delimiter: str = ",", bom: bool = False, lineterminator: str = "\n",
              decimal: str = ".") -> bytes:
    """A whole (small) CSV file in memory, UTF-8; ``bom`` for files meant for Excel (and
    ``decimal`` "," for Ukrainian Excel's decimal comma)."""
    out = io.StringIO()
    CsvWriter(out, delimiter=delimiter, lineterminator=lineterminator, decimal=decimal).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: no ``[]:*?/\\``, at most 31 characters."""
    name = str(name)
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name.strip()[:31] or "Sheet"


class Sheet:
    """One worksheet: cells are written only by :meth:`write` (the module's rule); the layout
    methods of xlsxwriter's worksheet pass through."""

    LAYOUT = frozenset({"set_column", "set_row", "freeze_panes", "autofilter", "set_landscape", "set_portrait",
                        "fit_to_pages", "repeat_rows", "hide_gridlines", "set_paper", "activate"})

    def __init__(self, worksheet, book: Workbook):
        self._sheet = worksheet
        self._book = book

    def write(self, row: int, col: int, value, fmt=None) -> None:
        sheet = self._sheet
        if value is None:
            if fmt is not None:
                sheet.write_blank(row, col, None, fmt)
            return
        if isinstance(value, bool):
            sheet.write_number(row, col, int(value), fmt)
        elif is_number(value):
            # a spreadsheet keeps binary floats; two or three places are exact enough there
            sheet.write_number(row, col, float(value), fmt)
        elif isinstance(value, date) and fmt is not None:
            moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
            sheet.write_datetime(row, col, moment, fmt)
        else:
            text = csv_cell(value) if isinstance(value, date) else str(value)
            if text.startswith(DANGEROUS):
                fmt = self._book.quoted(fmt)
            sheet.write_string(row, col, text, fmt)

    def write_row(self, row: int, values, fmt=None, *, first_col: int = 0) -> None:
        for col, value in enumerate(values, start=first_col):
            self.write(row, col, value, fmt)

    def __getattr__(self, name):
        if name in self.LAYOUT:
            return getattr(self._sheet, name)
        raise AttributeError(f"Sheet.{name}: write cells with Sheet.write (app/services/spreadsheets.py)")


class Workbook:
    """An XLSX workbook written safely: ``with Workbook(target) as book: sheet = book.sheet(name)``.
    ``target`` is a path or a binary stream; :func:`xlsx_bytes` gives the file in memory."""

    def __init__(self, target, *, constant_memory: bool = False, properties: dict | None = None):
        import xlsxwriter

        self._book = xlsxwriter.Workbook(target, {
            "constant_memory": constant_memory, "in_memory": not isinstance(target, str),
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})
        if properties:
            self._book.set_properties(properties)
        self._properties = {}   # id(format) → its properties
        self._quoted = {}       # id(format) → the same format with quote_prefix

    def format(self, **properties):
        fmt = self._book.add_format(properties)
        self._properties[id(fmt)] = properties
        return fmt

    def quoted(self, fmt):
        """``fmt`` with Excel's text prefix (the apostrophe that keeps a cell a text)."""
        key = id(fmt)
        if key not in self._quoted:
            self._quoted[key] = self._book.add_format({**self._properties.get(key, {}), "quote_prefix": True})
        return self._quoted[key]

    def sheet(self, name: str) -> Sheet:
        return Sheet(self._book.add_worksheet(sheet_name(name)), self)

    def close(self) -> None:
        self._book.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def xlsx_bytes(build, **options) -> bytes:
    """The workbook ``build(book)`` fills, as bytes."""
    buffer = io.BytesIO()
    with Workbook(buffer, **options) as book:
        build(book)
    return buffer.getvalue()
