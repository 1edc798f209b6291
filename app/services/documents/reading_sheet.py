"""The files of a readings sheet (:func:`app.services.reading_sheet.sheet`):

* :func:`sheet_pdf` — the blank sheet of the round, A4: the rows of the screen (flat, resource,
  serial, previous value and date) with empty boxes for the new value and its date, and a
  signature line for the inspector;
* :func:`sheet_xlsx` — the same rows in the columns of the ``readings`` import (formats.md:
  ``serial, date, value, source``) with the serial, the round's date and the source filled in,
  the value left to fill; then, for the reader, the flat, the resource and the previous reading
  (columns the import ignores, with a warning). Filled in, it is imported as it is; a meter not
  read has its row deleted (an import row needs its value)."""
from __future__ import annotations

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from ..spreadsheets import Workbook, xlsx_bytes
from . import pdf

IMPORT_COLUMNS = ("serial", "date", "value", "source")


def _number(value) -> str:
    if value is None:
        return ""
    from decimal import Decimal

    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _title(sheet) -> str:
    where = sheet.address + (f", {_('entrance')} {sheet.entrance}" if sheet.entrance is not None else "")
    return f"{_('Readings sheet')} — {where}"


def sheet_pdf(sheet, inspector: str = "") -> bytes:
    s = pdf.styles()
    width = pdf.content_width()
    story = [
        Paragraph(pdf.escape(_("Readings sheet")), s["title"]),
        Paragraph(pdf.escape(f"{sheet.address} ({sheet.building_code})" + (
            f", {_('entrance')} {sheet.entrance}" if sheet.entrance is not None else "")), s["subtitle"]),
        Paragraph(pdf.escape(_("Round of %(day)s; previous readings as of that day.",
                               day=pdf.date_text(sheet.on))), s["normal"]),
        Spacer(1, 3 * mm),
    ]
    header = [_("No."), _("Flat"), _("Resource"), _("Meter"), _("Previous reading"), _("Previous date"), _("New value"), _("Date"),
              _("Note")]
    data = [[Paragraph(pdf.escape(h), s["header"]) for h in header]]
    for r in sheet.rows:
        data.append([str(r.number), _("house meter") if r.is_house_meter else r.premise_number, r.resource_name, r.serial,
                     _number(r.previous_value), pdf.date_text(r.previous_date) if r.previous_date else "—",
                     "", "", ""])
    widths = [8 * mm, 19 * mm, 25 * mm, 29 * mm, 20 * mm, 18 * mm, 26 * mm, 20 * mm]
    widths.append(width - sum(widths))
    table = Table(data, colWidths=widths, repeatRows=1, rowHeights=[None] + [8 * mm] * len(sheet.rows))
    style = pdf.table_style(header_rows=1, font_size=8)
    style.add("ALIGN", (4, 1), (4, -1), "RIGHT")
    style.add("BACKGROUND", (6, 1), (7, -1), pdf.colors.white)
    style.add("LINEBELOW", (6, 1), (7, -1), 0.8, pdf.colors.black)
    table.setStyle(style)
    story += [table, Spacer(1, 10 * mm)]
    signature = [[_("Inspector"), inspector, "", _("Signature"), "", _("Date"), ""]]
    line = Table(signature, colWidths=[22 * mm, 55 * mm, 6 * mm, 20 * mm, 40 * mm, 12 * mm, 25 * mm])
    line.setStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9),
                   ("LINEBELOW", (1, 0), (1, 0), 0.6, pdf.colors.black),
                   ("LINEBELOW", (4, 0), (4, 0), 0.6, pdf.colors.black),
                   ("LINEBELOW", (6, 0), (6, 0), 0.6, pdf.colors.black)])
    story.append(line)
    footer = _title(sheet)
    return pdf.build(story, title=_title(sheet), footer=footer,
                     page_label=lambda n, pages: _("page %(page)s of %(pages)s", page=n, pages=pages),
                     subject=_("Readings sheet"))


def sheet_xlsx(sheet) -> bytes:
    def build(book: Workbook):
        page = book.sheet(_("Readings"))
        head = book.format(bold=True, bg_color="#E6E6E6", border=1)
        fill = book.format(bg_color="#FFF2CC", border=1)
        plain = book.format(border=1)
        number = book.format(border=1, num_format="0.###")
        headers = [*IMPORT_COLUMNS, _("Flat"), _("Resource"), _("Previous reading"), _("Date of the previous reading")]
        page.write_row(0, headers, head)
        for index, r in enumerate(sheet.rows, 1):
            page.write(index, 0, r.serial, plain)
            page.write(index, 1, sheet.on.strftime("%d.%m.%Y"), fill)
            page.write(index, 2, None, fill)
            page.write(index, 3, "inspector", plain)
            page.write(index, 4, _("house meter") if r.is_house_meter else r.premise_number, plain)
            page.write(index, 5, r.resource_name, plain)
            page.write(index, 6, r.previous_value, number)
            page.write(index, 7, r.previous_date.strftime("%d.%m.%Y") if r.previous_date else "", plain)
        page.set_column(0, 0, 18)
        page.set_column(1, 3, 12)
        page.set_column(4, 4, 10)
        page.set_column(5, 5, 20)
        page.set_column(6, 7, 18)
        page.freeze_panes(1, 0)

    return xlsx_bytes(build, properties={"title": _title(sheet)})
