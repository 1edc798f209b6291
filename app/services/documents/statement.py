"""The statement of account (акт звірки взаєморозрахунків) as a document: PDF to print and sign
(A4 portrait) and XLSX, both from one :class:`app.services.ledger.statement.Statement` — the
documents only lay out the ledger's figures, they compute none but the page."""
from __future__ import annotations

import re

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..language import current_language
from ..ledger.statement import Statement, StatementMonth
from ..spreadsheets import xlsx_bytes
from . import pdf
from .pdf import date_text, escape, money_text
from .words import money_in_words

COLUMNS = ("opening", "charged", "recalculated", "benefits", "subsidies", "paid", "written_off", "closing")
PAID_COLUMN = 1 + COLUMNS.index("paid")


def column_labels() -> list[str]:
    return [_("Opening balance"), _("Charged"), _("Recalculation"), _("Benefits"), _("Subsidies"), _("Paid"),
            _("Written off"), _("Closing balance")]


def month_label(month: StatementMonth) -> str:
    """«жовтень 2026» (the month's name in the user's language)."""
    return format_date(month.first_day, "LLLL yyyy")


def source_label(source: str) -> str:
    return {"cash": _("cash desk"), "import": _("import of a payment register")}.get(source, source)


def payment_text(item) -> str:
    """«оплата від 10.11.2026, P-1 (ПриватБанк)» or «сторнування 01.12.2026 оплати P-1 від
    10.11.2026 (причина: …)»."""
    if item.reversal:
        values = dict(id=item.identifier, paid_on=date_text(item.paid_on), day=date_text(item.day))
        if item.reason:
            return _("reversal on %(day)s of payment %(id)s of %(paid_on)s (reason: %(reason)s)", reason=item.reason,
                     **values)
        return _("reversal on %(day)s of payment %(id)s of %(paid_on)s", **values)
    if not item.identifier:
        return _("other payment entries")
    text = _("payment of %(day)s, %(id)s", day=date_text(item.day), id=item.identifier)
    return f"{text} ({source_label(item.source)})" if item.source else text


def balance_text(st: Statement) -> str:
    """«Сальдо станом на 30.11.2026: заборгованість 23 782,41 грн»."""
    amount = money_text(abs(st.closing))
    if st.closing > 0:
        return _("Balance at %(day)s: debt %(amount)s UAH", day=date_text(st.last_day), amount=amount)
    if st.closing < 0:
        return _("Balance at %(day)s: advance %(amount)s UAH", day=date_text(st.last_day), amount=amount)
    return _("Balance at %(day)s: no debt", day=date_text(st.last_day))


def title(st: Statement) -> str:
    return _("Statement of mutual settlements")


def subtitle(st: Statement) -> str:
    return _("for personal account %(number)s for the period from %(first)s to %(last)s", number=st.account.number,
             first=date_text(st.first_day), last=date_text(st.last_day))


def file_name(st: Statement, ext: str) -> str:
    number = re.sub(r"[^\w.-]+", "_", st.account.number)
    return f"akt-zvirky-{number}-{st.first_period}-{st.last_period}.{ext}"


def _ukrainian() -> bool:
    return current_language().startswith("uk")


# -- PDF -------------------------------------------------------------------------------------

def statement_pdf(st: Statement) -> bytes:
    s = pdf.styles()
    story = []
    provider = st.provider
    if provider is not None:
        story.append(Paragraph(f"<b>{escape(provider.name)}</b>", s["normal"]))
        details = [_("EDRPOU code %(code)s", code=provider.edrpou)]
        if provider.address:
            details.append(provider.address)
        if provider.iban:
            details.append(_("IBAN %(iban)s in %(bank)s", iban=provider.iban, bank=provider.bank_name)
                           if provider.bank_name else f"IBAN {provider.iban}")
        contacts = ", ".join(v for v in (provider.phone, provider.email) if v)
        if contacts:
            details.append(contacts)
        story.append(Paragraph(escape("; ".join(details)), s["small"]))
    story.append(Paragraph(escape(title(st)), s["title"]))
    story.append(Paragraph(escape(subtitle(st)), s["subtitle"]))

    account_rows = [(_("Personal account"), st.account.number), (_("Owner (tenant)"), st.account.owner),
                    (_("Address"), st.account.address)]
    account = Table([[Paragraph(escape(k) + ":", s["normal"]), Paragraph(f"<b>{escape(v)}</b>", s["normal"])]
                     for k, v in account_rows], colWidths=[38 * mm, pdf.content_width() - 38 * mm], hAlign="LEFT")
    account.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [account, Spacer(1, 3 * mm), Paragraph(escape(_("Amounts in UAH")), s["small"]), Spacer(1, 1 * mm)]
    story.append(_pdf_table(st, s))
    story.append(Spacer(1, 3 * mm))
    if st.preliminary:
        story.append(Paragraph(escape("* " + _("preliminary, the period is not closed: its charges may "
                                               "still change until it closes")), s["small"]))
        story.append(Spacer(1, 2 * mm))
    # the closing balance, the date and the signatures stay on one page
    end = [Paragraph(f"<b>{escape(balance_text(st))}</b>", s["normal"])]
    if _ukrainian() and st.closing != 0:
        end.append(Paragraph(escape(f"({money_in_words(st.closing)})"), s["normal"]))
    end += [Spacer(1, 2 * mm), Paragraph(escape(_("Date of issue: %(day)s", day=date_text(st.issued_on))), s["normal"]),
            Spacer(1, 8 * mm), *_signatures(st, s)]
    story.append(KeepTogether(end))
    footer = _("%(title)s, personal account %(number)s, %(first)s – %(last)s", title=title(st),
               number=st.account.number, first=st.first_period, last=st.last_period)
    return pdf.build(story, title=f"{title(st)} — {st.account.number}", footer=footer,
                     page_label=lambda n, total: _("page %(page)s of %(pages)s", page=n, pages=total),
                     author=provider.name if provider else "", subject=subtitle(st))


def _pdf_table(st: Statement, s) -> Table:
    header = [Paragraph(escape(label), s["header"]) for label in [_("Month"), *column_labels()]]
    rows = [header]
    sub_rows = []
    for month in st.months:
        label = month_label(month) + ("*" if month.preliminary else "")
        rows.append([label, *(money_text(getattr(month, c)) for c in COLUMNS)])
        for item in month.payments:
            sub_rows.append(len(rows))
            line = [Paragraph(escape(payment_text(item)), s["small"])] + [""] * len(COLUMNS)
            line[PAID_COLUMN] = money_text(item.amount)
            rows.append(line)
    rows.append([_("Total"), money_text(st.opening), *(money_text(getattr(st.totals, c)) for c in COLUMNS[1:-1]),
                 money_text(st.closing)])
    month_width = 24.5 * mm
    width = (pdf.content_width() - month_width) / len(COLUMNS)
    table = Table(rows, colWidths=[month_width] + [width] * len(COLUMNS), repeatRows=1)
    size = pdf.fitting_size([v for row in rows[1:] for v in row[1:] if isinstance(v, str)], width)
    style = pdf.table_style(numeric_from=1, total_row=True, font_size=size)
    for r in sub_rows:
        style.add("SPAN", (0, r), (PAID_COLUMN - 1, r))
        style.add("FONT", (0, r), (-1, r), pdf.FONT, min(size, 7))
        style.add("TEXTCOLOR", (0, r), (-1, r), colors.HexColor("#444444"))
        style.add("LEFTPADDING", (0, r), (0, r), 10)
    table.setStyle(style)
    return table


def _signatures(st: Statement, s) -> list:
    line = "_" * 22
    provider = [
        Paragraph(f"<b>{escape(_('Service provider'))}</b>", s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"{line} {escape(_('position'))}", s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"{line} {escape(_('signature'))}", s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"{line} {escape(_('full name'))}", s["normal"]),
    ]
    consumer = [
        Paragraph(f"<b>{escape(_('Consumer'))}</b>", s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(escape(st.account.owner), s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"{line} {escape(_('signature'))}", s["normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"{line} {escape(_('date'))}", s["normal"]),
    ]
    half = pdf.content_width() / 2
    table = Table([[provider, consumer]], colWidths=[half, half], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [table]


# -- XLSX ------------------------------------------------------------------------------------

def statement_xlsx(st: Statement) -> bytes:
    """Sheet «Акт звірки»: the heading, the account, one row per month and the totals; sheet
    «Оплати»: each payment and reversal. Written by the one safe writer
    (``app/services/spreadsheets.py``): numbers are numeric cells (0.00), texts are text cells,
    never formulas."""
    return xlsx_bytes(lambda book: _fill(book, st),
                      properties={"title": f"{title(st)} — {st.account.number}", "subject": subtitle(st),
                                  "company": st.provider.name if st.provider else ""})


def _fill(book, st: Statement) -> None:
    bold = book.format(bold=True)
    big = book.format(bold=True, font_size=14)
    header = book.format(bold=True, bg_color="#E6E6E6", border=1, text_wrap=True, align="center",
                         valign="vcenter")
    money = book.format(num_format="#,##0.00", border=1)
    text = book.format(border=1)
    total_text = book.format(bold=True, bg_color="#F2F2F2", border=1)
    total_money = book.format(bold=True, bg_color="#F2F2F2", border=1, num_format="#,##0.00")
    day = book.format(num_format="dd.mm.yyyy", border=1)

    def put(sheet, row, col, value, fmt=None):
        sheet.write(row, col, str(value or ""), fmt)

    sheet = book.sheet(_("Statement of account"))
    row = 0
    put(sheet, row, 0, title(st), big)
    row += 1
    if st.provider is not None:
        put(sheet, row, 0, f"{st.provider.name}, {_('EDRPOU code %(code)s', code=st.provider.edrpou)}", bold)
        row += 1
        if st.provider.address:
            put(sheet, row, 0, st.provider.address)
            row += 1
    put(sheet, row, 0, subtitle(st))
    row += 2
    for label, value in ((_("Personal account"), st.account.number), (_("Owner (tenant)"), st.account.owner),
                         (_("Address"), st.account.address)):
        put(sheet, row, 0, label, bold)
        put(sheet, row, 1, value)
        row += 1
    row += 1
    labels = [_("Month"), *column_labels(), _("Note")]
    for col, label in enumerate(labels):
        put(sheet, row, col, label, header)
    sheet.set_row(row, 30)
    sheet.freeze_panes(row + 1, 1)
    row += 1
    for month in st.months:
        put(sheet, row, 0, month.period, text)
        for col, name in enumerate(COLUMNS, start=1):
            sheet.write(row, col, getattr(month, name), money)
        put(sheet, row, len(COLUMNS) + 1, _("preliminary, the period is not closed") if month.preliminary else "",
            text)
        row += 1
    put(sheet, row, 0, _("Total"), total_text)
    sheet.write(row, 1, st.opening, total_money)
    for col, name in enumerate(COLUMNS[1:-1], start=2):
        sheet.write(row, col, getattr(st.totals, name), total_money)
    sheet.write(row, len(COLUMNS), st.closing, total_money)
    put(sheet, row, len(COLUMNS) + 1, "", total_text)
    row += 2
    put(sheet, row, 0, balance_text(st), bold)
    row += 1
    put(sheet, row, 0, _("Date of issue: %(day)s", day=date_text(st.issued_on)))
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, len(COLUMNS), 14)
    sheet.set_column(len(COLUMNS) + 1, len(COLUMNS) + 1, 30)

    payments = book.sheet(_("Payments"))
    for col, label in enumerate((_("Month"), _("Date"), _("Amount, UAH"), _("Document"), _("Source"), _("Note"))):
        put(payments, 0, col, label, header)
    payments.freeze_panes(1, 0)
    r = 1
    for month in st.months:
        for item in month.payments:
            put(payments, r, 0, month.period, text)
            payments.write(r, 1, item.day, day)
            payments.write(r, 2, item.amount, money)
            put(payments, r, 3, item.identifier, text)
            put(payments, r, 4, source_label(item.source), text)
            put(payments, r, 5, payment_text(item) if item.reversal or not item.identifier else "", text)
            r += 1
    payments.set_column(0, 0, 10)
    payments.set_column(1, 2, 13)
    payments.set_column(3, 4, 22)
    payments.set_column(5, 5, 50)
