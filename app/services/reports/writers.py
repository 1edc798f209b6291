"""Writing a report, for any kind, through the one safe writer (``app/services/spreadsheets.py``:
numbers stay numbers, a text never becomes a formula). Three files:

* ``csv`` — the **machine CSV** of formats.md: the ``machine`` columns only, their English codes,
  ``,``, a decimal point (``-12.50``), UTF-8 without a BOM. Scripts read it; ``oblik report``
  writes it by default. Never changes its shape for people.
* ``xlsx`` — the **XLSX for people**: the organisation and the report's title with the period,
  the filters in words, Ukrainian headers, the rows, a totals row («Разом»), the frozen header,
  number formats by the column's kind (money ``# ##0.00``, quantities three places, percents),
  column widths, the report's notes under the table.
* ``csv-uk`` — the **CSV for Ukrainian Excel**: ``;``, a decimal comma, UTF-8 with a BOM, the
  same title lines, Ukrainian headers and totals row as the XLSX.

Totals: :attr:`Report.totals` when the kind gives them, else the sum of its ``total`` columns
over every row (the writers read the rows once).
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from ..spreadsheets import CSV_MIME, XLSX_MIME, CsvWriter, Workbook

FORMATS = ("csv", "xlsx", "csv-uk")
WIDTHS = {"text": 24, "money": 14, "price": 12, "quantity": 12, "percent": 10, "int": 9, "date": 11}
NUMBER_FORMATS = {"money": "#,##0.00", "price": "#,##0.00###", "quantity": "#,##0.000", "percent": "0.00", "int": "0", "date": "dd.mm.yyyy"}


def format_label(fmt: str) -> str:
    return {"csv": _("CSV (machine)"), "xlsx": "XLSX", "csv-uk": _("CSV (Excel)")}.get(fmt, fmt.upper())


def mimetype(fmt: str) -> str:
    return {"xlsx": XLSX_MIME, "csv": CSV_MIME, "csv-uk": CSV_MIME}.get(fmt, "application/octet-stream")


def extension(fmt: str) -> str:
    return "csv" if fmt == "csv-uk" else fmt


class Totals:
    """The sums of the ``total`` columns, accumulated as the rows pass."""

    def __init__(self, report):
        self.report = report
        self.index = [i for i, c in enumerate(report.columns) if c.total]
        self.sums = {i: Decimal(0) for i in self.index}

    def add(self, row) -> None:
        for i in self.index:
            value = row[i]
            if value is not None:
                self.sums[i] += value

    def row(self) -> list | None:
        """The totals row in the columns' order (the label in the first text column), or None
        when the report has nothing to total."""
        given = self.report.totals
        if given is None and not self.index:
            return None
        values = [None] * len(self.report.columns)
        for i, column in enumerate(self.report.columns):
            if given is not None:
                values[i] = given.get(column.code)
            elif i in self.sums:
                values[i] = self.sums[i]
        label_at = next((i for i, c in enumerate(self.report.columns)
                         if c.kind == "text" and c.people and values[i] is None), None)
        if label_at is not None:
            values[label_at] = _("Total")
        return values


def totals_row(report, rows) -> list | None:
    totals = Totals(report)
    for row in rows:
        totals.add(row)
    return totals.row()


def organisation_name(session=None) -> str:
    from sqlalchemy import select

    from ...extensions import db
    from ...models import Organisation

    try:
        return (session or db.session).scalar(select(Organisation.name).order_by(Organisation.id).limit(1)) or ""
    except Exception:  # no database at hand (a unit test): the title without it
        return ""


def title_lines(report, organisation: str) -> list[str]:
    lines = [organisation] if organisation else []
    lines.append(f"{report.title} — {report.period}" if report.period else str(report.title))
    if report.subtitle:
        lines.append(report.subtitle)
    return lines


# -- the machine CSV (formats.md) ----------------------------------------------------------------

def write_csv(report, stream) -> int:
    """The machine CSV to a text stream; returns the number of rows."""
    writer = CsvWriter(stream)
    keep = [i for i, c in enumerate(report.columns) if c.machine]
    writer.writerow([report.columns[i].code for i in keep])
    count = 0
    for row in report.rows:
        writer.writerow([row[i] for i in keep])
        count += 1
    return count


# -- the CSV for Ukrainian Excel ----------------------------------------------------------------

def write_csv_uk(report, stream, organisation: str | None = None) -> int:
    """The CSV for Ukrainian Excel to a text stream (the caller encodes UTF-8; the BOM is
    written here); returns the number of rows."""
    organisation = organisation_name() if organisation is None else organisation
    stream.write("\ufeff")
    writer = CsvWriter(stream, delimiter=";", lineterminator="\r\n", decimal=",")
    for line in title_lines(report, organisation):
        writer.writerow([line])
    keep = report.people_index
    writer.writerow([str(report.columns[i].title) for i in keep])
    totals = Totals(report)
    shows = [(i, report.columns[i].shower()) for i in keep]
    count = 0
    for row in report.rows:
        writer.writerow([_cell(show(row[i])) for i, show in shows])
        totals.add(row)
        count += 1
    last = totals.row()
    if last is not None:
        writer.writerow([last[i] for i in keep])
    for note in report.notes:
        writer.writerow([note])
    return count


def _cell(value):
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else value


# -- the XLSX for people ------------------------------------------------------------------------

def write_xlsx(report, target, organisation: str | None = None) -> int:
    """The people's XLSX to a path or a binary stream; returns the number of rows."""
    organisation = organisation_name() if organisation is None else organisation
    keep = report.people_index
    columns = [report.columns[i] for i in keep]
    with Workbook(target, constant_memory=True, properties={"title": str(report.title), "company": organisation}) as book:
        sheet = book.sheet(str(report.title))
        heading = book.format(bold=True, font_size=13)
        plain = book.format(italic=True)
        header = book.format(bold=True, text_wrap=True, valign="top", border=1, bg_color="#EEEEEE")
        formats = [book.format(num_format=NUMBER_FORMATS[c.kind]) if c.kind in NUMBER_FORMATS else None
                   for c in columns]
        total_formats = [book.format(bold=True, top=1, **({"num_format": NUMBER_FORMATS[c.kind]}
                                                           if c.kind in NUMBER_FORMATS else {})) for c in columns]
        for i, column in enumerate(columns):
            sheet.set_column(i, i, column.width or (14 if i == 0 else WIDTHS.get(column.kind, 14)))
        row_at = 0
        lines = title_lines(report, organisation)
        for n, line in enumerate(lines):
            sheet.write(row_at, 0, line, heading if n < 2 else plain)
            row_at += 1
        row_at += 1
        sheet.write_row(row_at, [str(c.title) for c in columns], header)
        sheet.set_row(row_at, 30)
        sheet.freeze_panes(row_at + 1, 0)
        sheet.repeat_rows(row_at)
        totals = Totals(report)
        shows = [(col, i, report.columns[i].shower(), formats[col]) for col, i in enumerate(keep)]
        count = 0
        for row in report.rows:
            row_at += 1
            for col, i, show, fmt in shows:
                sheet.write(row_at, col, show(row[i]), fmt)
            totals.add(row)
            count += 1
        last = totals.row()
        if last is not None:
            row_at += 1
            for col, i in enumerate(keep):
                sheet.write(row_at, col, last[i], total_formats[col])
        for note in report.notes:
            row_at += 1
            sheet.write(row_at, 0, note, plain)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
    return count


def header_row(report, organisation: str | None = None) -> int:
    """The 1-based row of the XLSX's headers (tests and readers); the organisation as write_xlsx takes it."""
    organisation = organisation_name() if organisation is None else organisation
    return len(title_lines(report, organisation)) + 2


# -- in memory ------------------------------------------------------------------------------

def write(report, fmt: str, stream, organisation: str | None = None) -> int:
    """Write ``fmt`` to a binary stream; returns the number of rows."""
    if fmt == "xlsx":
        return write_xlsx(report, stream, organisation)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    try:
        return write_csv_uk(report, text, organisation) if fmt == "csv-uk" else write_csv(report, text)
    finally:
        text.detach()


def render(report, fmt: str, organisation: str | None = None) -> bytes:
    """The whole file in memory (downloads): ``csv``, ``xlsx`` or ``csv-uk``."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    buffer = io.BytesIO()
    write(report, fmt, buffer, organisation)
    return buffer.getvalue()
