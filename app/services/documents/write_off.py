"""The write-off statement (відомість списання) as documents: the PDF to print and sign (A4,
the lines with their totals, signature lines Склав / Перевірив — головний бухгалтер /
Затверджую — керівник) and the XLSX of the list of statements. Both only lay out the figures
of :mod:`app.services.write_offs`; the XLSX is written by ``app/services/spreadsheets.py``."""
from __future__ import annotations

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from ...models import Organisation
from ...models.write_offs import WRITE_OFF_REASONS, WRITE_OFF_STATUSES
from ..spreadsheets import xlsx_bytes
from . import pdf
from .pdf import date_text, escape, money_text
from .words import money_in_words

PDF_PAGE = 2000  # lines read per query while laying out the PDF


def title() -> str:
    return _("Write-off statement")


def file_name(wo, ext: str) -> str:
    return f"vidomist-spysannia-{wo.number}.{ext}"


def statement_pdf(session, wo) -> bytes:
    from .. import write_offs as service

    s = pdf.styles()
    story = []
    provider = session.scalar(select(Organisation).limit(1))
    if provider is not None:
        story.append(Paragraph(f"<b>{escape(provider.name)}</b>", s["normal"]))
        story.append(Paragraph(escape(_("EDRPOU code %(code)s", code=provider.edrpou)), s["small"]))
    story.append(_approval_box(s))
    story.append(Paragraph(escape(_("Write-off statement No. %(number)s", number=wo.number)), s["title"]))
    story.append(Paragraph(escape(_("of debts of consumers, dated %(day)s", day=date_text(wo.doc_date))),
                           s["subtitle"]))
    facts = [(_("Reason"), str(WRITE_OFF_REASONS.label(wo.reason)))]
    if wo.reason == "limitation" and wo.limitation_months:
        facts.append((_("Limitation period"), _("%(months)s months (Civil Code of Ukraine, art. 257), debts found "
                                                "by FIFO on %(day)s", months=wo.limitation_months,
                                                day=date_text(wo.as_of or wo.doc_date))))
    if wo.note:
        facts.append((_("Note"), wo.note))
    facts.append((_("Status"), str(WRITE_OFF_STATUSES.label(wo.status))))
    table = Table([[Paragraph(escape(k) + ":", s["normal"]), Paragraph(escape(v), s["normal"])] for k, v in facts],
                  colWidths=[38 * mm, pdf.content_width() - 38 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    story += [table, Spacer(1, 3 * mm), Paragraph(escape(_("Amounts in UAH")), s["small"]), Spacer(1, 1 * mm)]
    count, total = service.totals(session, wo.id)
    header = [Paragraph(escape(t), s["header"]) for t in (
        _("No."), _("Personal account"), _("Owner (tenant)"), _("Service"), _("Oldest unpaid month"),
        _("Debt at review"), _("Amount written off"), _("Note"))]
    rows, page, position = [header], 0, 0
    while True:
        chunk = service.lines_page(session, wo.id, page, PDF_PAGE)
        for line in chunk:
            position += 1
            rows.append([str(position), line.account_number, Paragraph(escape(line.owner_name), s["cell"]),
                         Paragraph(escape(line.service), s["cell"]), line.oldest_unpaid or "",
                         money_text(line.debt), money_text(line.amount), Paragraph(escape(line.note or ""), s["cell"])])
        if len(chunk) < PDF_PAGE:
            break
        page += 1
    rows.append(["", _("Total"), "", _("%(n)s lines", n=count), "", "", money_text(total), ""])
    widths = [9 * mm, 24 * mm, 38 * mm, 30 * mm, 17 * mm, 20 * mm, 20 * mm]
    widths.append(pdf.content_width() - sum(widths))
    lines = Table(rows, colWidths=widths, repeatRows=1)
    style = pdf.table_style(numeric_from=5, total_row=True)
    style.add("ALIGN", (7, 1), (7, -1), "LEFT")
    style.add("ALIGN", (0, 1), (0, -1), "RIGHT")
    lines.setStyle(style)
    story.append(lines)
    end = [Spacer(1, 3 * mm), Paragraph(f"<b>{escape(_('Total written off: %(amount)s UAH', amount=money_text(total)))}</b>",
                                        s["normal"])]
    if total:
        end.append(Paragraph(escape(f"({money_in_words(total)})"), s["normal"]))
    end += [Spacer(1, 8 * mm), *_signatures(s, wo)]
    story.append(KeepTogether(end))
    footer = _("Write-off statement No. %(number)s of %(day)s", number=wo.number, day=date_text(wo.doc_date))
    return pdf.build(story, title=f"{title()} {wo.number}", footer=footer,
                     page_label=lambda n, pages: _("page %(page)s of %(pages)s", page=n, pages=pages),
                     author=provider.name if provider else "", subject=title())


def _approval_box(s):
    """«ЗАТВЕРДЖУЮ / Керівник ____ / «__» ______ 20__ р.» at the top right."""
    line = "_" * 18
    box = [Paragraph(f"<b>{escape(_('APPROVED'))}</b>", s["normal"]),
           Paragraph(escape(_("Head")) + f" {line}", s["normal"]),
           Paragraph("«___» ____________ 20___", s["normal"])]
    half = pdf.content_width() / 2
    table = Table([["", box]], colWidths=[half + 20 * mm, half - 20 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _signatures(s, wo) -> list:
    line = "_" * 20
    rows = [
        (_("Prepared by"), wo.created_by or ""),
        (_("Checked by: chief accountant"), wo.approved_by or ""),
        (_("Approved by: head"), ""),
    ]
    cells = [[Paragraph(f"<b>{escape(label)}</b>", s["normal"]), Paragraph(f"{line} {escape(_('signature'))}", s["normal"]),
              Paragraph(f"{line} {escape(_('full name'))}" if not who else escape(who), s["normal"])]
             for label, who in rows]
    table = Table(cells, colWidths=[55 * mm, 65 * mm, pdf.content_width() - 120 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 7 * mm)]))
    return [table]


# -- XLSX of the list ------------------------------------------------------------------------

def list_xlsx(rows) -> bytes:
    """The statements of the list screen (its filters): one row each with the number of lines
    and the total; numbers as numeric cells."""
    return xlsx_bytes(lambda book: _fill(book, rows), properties={"title": _("Write-off statements")})


def _fill(book, rows) -> None:
    header = book.format(bold=True, bg_color="#E6E6E6", border=1, text_wrap=True)
    money = book.format(num_format="#,##0.00", border=1)
    day = book.format(num_format="dd.mm.yyyy", border=1)
    text = book.format(border=1)
    sheet = book.sheet(_("Write-off statements"))
    labels = (_("Number"), _("Date"), _("Reason"), _("Status"), _("Lines"), _("Total, UAH"), _("Prepared by"),
              _("Approved by"), _("Cancelled by"), _("Note"))
    for col, label in enumerate(labels):
        sheet.write(0, col, str(label), header)
    sheet.freeze_panes(1, 0)
    for r, (wo, lines, total) in enumerate(rows, start=1):
        sheet.write(r, 0, wo.number, text)
        sheet.write(r, 1, wo.doc_date, day)
        sheet.write(r, 2, str(WRITE_OFF_REASONS.label(wo.reason)), text)
        sheet.write(r, 3, str(WRITE_OFF_STATUSES.label(wo.status)), text)
        sheet.write(r, 4, lines or 0, text)
        sheet.write(r, 5, total, money)
        sheet.write(r, 6, wo.created_by or "", text)
        sheet.write(r, 7, wo.approved_by or "", text)
        sheet.write(r, 8, wo.cancelled_by or "", text)
        sheet.write(r, 9, wo.note or "", text)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 8, 14)
    sheet.set_column(9, 9, 40)
