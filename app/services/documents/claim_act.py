"""The claim act (акт-претензія, Закон № 2189-VIII ст. 27) and the outage act as a document to
print and sign: the consumer's claim, the provider's visit, what the act covers, the reduction,
the provider's deadline and the signature lines — the provider's representative, the consumer
and two other consumers (who sign when the provider did not come or refused)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from ...models import Organisation
from ...models.billing import CLAIM_KINDS, CLAIM_VISITS
from ..claim_acts import witness_names
from . import pdf
from .pdf import date_text, escape


def _when(value) -> str:
    return f"{value:%d.%m.%Y %H:%M}" if value is not None else "—"


def title(act) -> str:
    return _("Outage act No. %(number)s", number=act.number) if act.outage else \
        _("Claim act No. %(number)s", number=act.number)


def file_name(act) -> str:
    return re.sub(r"[^\w.-]+", "_", f"akt-{act.number}") + ".pdf"


def claim_act_pdf(session, act) -> bytes:
    s = pdf.styles()
    story = []
    provider = session.scalar(select(Organisation).limit(1))
    if provider is not None:
        story.append(Paragraph(f"<b>{escape(provider.name)}</b>", s["normal"]))
        story.append(Paragraph(escape(_("EDRPOU code %(code)s", code=provider.edrpou)), s["small"]))
    story.append(Paragraph(escape(title(act)), s["title"]))
    story.append(Paragraph(escape(_("on the violation of the quality or the non-provision of a utility service "
                                    "(Law of Ukraine No. 2189-VIII, Article 27)")), s["subtitle"]))
    covers = "; ".join(str(t) for t in act.targets) or "—"
    reduction = "100 %" if act.kind == "not_provided" else f"{pdf.money_text(act.reduction_pct or 0)} %"
    rows = [
        (_("Act date"), date_text(act.act_date)),
        (_("Service"), str(act.service)),
        (_("Kind"), str(CLAIM_KINDS.labels.get(act.kind, act.kind))),
        (_("Period"), f"{date_text(act.date_from)} – {date_text(act.date_to)}"),
        (_("Reduction of the charge"), reduction),
        (_("Covers"), covers),
        (_("Notified at"), _when(act.notified_at)),
        (_("Claimant"), ", ".join(v for v in (act.claimant_name, act.claimant_contacts,
                                              act.claimant_account.account_number if act.claimant_account else None)
                                  if v) or "—"),
        (_("What was claimed"), act.claim_text or "—"),
        (_("Where"), act.place or "—"),
        (_("The provider's visit"), str(CLAIM_VISITS.labels.get(act.visit, "—")) if act.visit else "—"),
        (_("Visited at"), _when(act.visited_at)),
        (_("Provider's representative"), act.representative or "—"),
        (_("Provider's deadline"), date_text(act.deadline) if act.deadline else "—"),
    ]
    if act.note:
        rows.append((_("Note"), act.note))
    table = Table([[Paragraph(escape(k) + ":", s["normal"]), Paragraph(escape(v), s["normal"])] for k, v in rows],
                  colWidths=[50 * mm, pdf.content_width() - 50 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [table, Spacer(1, 8 * mm), KeepTogether(_signatures(act, s))]
    return pdf.build(story, title=title(act), footer=title(act),
                     page_label=lambda n, total: _("page %(page)s of %(pages)s", page=n, pages=total),
                     author=provider.name if provider else "", subject=title(act))


def _signatures(act, s) -> list:
    line = "_" * 22

    def block(heading, name=""):
        return [Paragraph(f"<b>{escape(heading)}</b>", s["normal"]), Spacer(1, 4 * mm),
                Paragraph(escape(name) if name else f"{line} {escape(_('full name'))}", s["normal"]),
                Spacer(1, 4 * mm), Paragraph(f"{line} {escape(_('signature'))}", s["normal"])]

    witnesses = witness_names(act.witnesses) + ["", ""]
    half = pdf.content_width() / 2
    cells = [[block(_("Provider's representative"), act.representative or ""),
              block(_("Consumer"), act.claimant_name or "")],
             [block(_("Consumer (witness) 1"), witnesses[0]), block(_("Consumer (witness) 2"), witnesses[1])]]
    table = Table(cells, colWidths=[half, half], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), pdf.FONT, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    note = Paragraph(escape(_("If the provider's representative did not come or refused to sign, the act is signed "
                              "by the consumer and at least two other consumers.")), s["small"])
    return [table, note]
