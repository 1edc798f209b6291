"""The print form of a restructuring agreement (договір реструктуризації заборгованості): the
parties, the debt restructured, the schedule of instalments with its total, and the signature
lines of both parties — A4 portrait, via :mod:`.pdf`. It lays out the agreement as stored;
it computes nothing but the page."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from . import pdf
from .pdf import date_text, escape, money_text
from .words import money_in_words


def file_name(agreement) -> str:
    return "dohovir-restrukturyzatsii-" + re.sub(r"[^\w.-]+", "_", agreement.number or "draft") + ".pdf"


def _provider(session):
    from ..ledger.statement import _provider as provider

    return provider(session)


def agreement_pdf(session, agreement) -> bytes:
    s = pdf.styles()
    provider = _provider(session)
    account = agreement.account
    story = []
    if provider is not None:
        story.append(Paragraph(f"<b>{escape(provider.name)}</b>", s["normal"]))
        details = [_("EDRPOU code %(code)s", code=provider.edrpou)] + ([provider.address] if provider.address else [])
        story.append(Paragraph(escape("; ".join(details)), s["small"]))
    story.append(Paragraph(escape(_("Debt restructuring agreement No. %(number)s", number=agreement.number)),
                           s["title"]))
    story.append(Paragraph(escape(_("of %(day)s", day=date_text(agreement.agreement_date))), s["subtitle"]))
    if agreement.status != "approved":
        story.append(Paragraph(f"<b>{escape(_('Status: %(status)s', status=_status(agreement.status)))}</b>",
                               s["normal"]))
    rows = [(_("Personal account"), account.account_number), (_("Owner (tenant)"), account.owner_name or ""),
            (_("Address"), str(account.premise) if account.premise is not None else ""),
            (_("Debt restructured"), _("%(amount)s UAH at %(day)s", amount=money_text(agreement.amount),
                                       day=date_text(agreement.debt_date)))]
    facts = Table([[Paragraph(escape(k) + ":", s["normal"]), Paragraph(f"<b>{escape(v)}</b>", s["normal"])]
                   for k, v in rows], colWidths=[50 * mm, pdf.content_width() - 50 * mm], hAlign="LEFT")
    facts.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [facts, Spacer(1, 3 * mm)]
    terms = _("The consumer acknowledges the debt of %(amount)s UAH (%(words)s) at %(day)s and pays it in "
              "%(count)s monthly instalments by the dates of the schedule below, besides the current charges. "
              "A payment pays the current charges first; the rest goes to the instalments in order. While the "
              "schedule is kept, no penalty is charged on the restructured debt. If an instalment is not paid, "
              "the provider may terminate the agreement: the rest of the debt becomes due at once.",
              amount=money_text(agreement.amount), words=money_in_words(agreement.amount),
              day=date_text(agreement.debt_date), count=len(agreement.schedule))
    story += [Paragraph(escape(terms), s["normal"]), Spacer(1, 3 * mm)]
    header = [Paragraph(escape(t), s["header"]) for t in (_("No."), _("Due date"), _("Amount, UAH"),
                                                            _("Paid on"), _("Consumer's note"))]
    table_rows = [header] + [[str(i.seq), date_text(i.due_date), money_text(i.amount), "", ""]
                             for i in agreement.schedule]
    table_rows.append([_("Total"), "", money_text(sum((i.amount for i in agreement.schedule), 0)), "", ""])
    width = pdf.content_width()
    table = Table(table_rows, colWidths=[14 * mm, 30 * mm, 32 * mm, 32 * mm, width - 108 * mm], repeatRows=1)
    style = pdf.table_style(numeric_from=2, total_row=True, font_size=8.5)
    style.add("ALIGN", (3, 1), (-1, -1), "LEFT")
    table.setStyle(style)
    story += [table, Spacer(1, 10 * mm)]
    story.append(KeepTogether(_signatures(agreement, s)))
    footer = _("Debt restructuring agreement No. %(number)s, personal account %(account)s",
               number=agreement.number, account=account.account_number)
    return pdf.build(story, title=footer, footer=footer,
                     page_label=lambda n, total: _("page %(page)s of %(pages)s", page=n, pages=total),
                     author=provider.name if provider else "", subject=footer)


def _status(code: str) -> str:
    from ...models.restructuring import RESTRUCTURING_STATUSES

    return str(RESTRUCTURING_STATUSES.label(code))


def _signatures(agreement, s) -> list:
    line = "_" * 22
    provider = [Paragraph(f"<b>{escape(_('Service provider'))}</b>", s["normal"]), Spacer(1, 6 * mm),
                Paragraph(f"{line} {escape(_('position'))}", s["normal"]), Spacer(1, 6 * mm),
                Paragraph(f"{line} {escape(_('signature'))}", s["normal"]), Spacer(1, 6 * mm),
                Paragraph(f"{line} {escape(_('full name'))}", s["normal"]), Spacer(1, 4 * mm),
                Paragraph(escape(_("Stamp (if any)")), s["small"])]
    consumer = [Paragraph(f"<b>{escape(_('Consumer'))}</b>", s["normal"]), Spacer(1, 6 * mm),
                Paragraph(escape(agreement.account.owner_name or ""), s["normal"]), Spacer(1, 6 * mm),
                Paragraph(f"{line} {escape(_('signature'))}", s["normal"]), Spacer(1, 6 * mm),
                Paragraph(f"{line} {escape(_('date'))}", s["normal"])]
    half = pdf.content_width() / 2
    table = Table([[provider, consumer]], colWidths=[half, half], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [table]
