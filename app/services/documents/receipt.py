"""The cash receipt (квитанція) of a payment taken at the desk: an A4 page with two copies — the
payer's and the cash desk's — divided by a cut line. Each copy: the provider (name, EDRPOU code,
address), «Квитанція № КВ-2026-0001 від 03.12.2026», from whom (the owner), the personal account
and the premise's address, the purpose, the amount in figures and in words, who took it
(the cashier) and signature lines; then the account's balance on the day the receipt is printed
(the ledger's figure). A reversed payment is marked as such on both copies.

Only lays out the payment's facts and the ledger's balance: it computes nothing."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from ...models import Account, Building, Organisation, Payment, PaymentReversal, Premise
from ..ledger import account_balance
from ..reports import address_maker
from . import pdf
from .pdf import date_text, escape, money_text
from .words import money_in_words


def title() -> str:
    return _("Receipt")


def file_name(payment: Payment) -> str:
    return f"kvytantsiia-{payment.external_id}.pdf"


def _address(session, account: Account) -> str:
    row = session.execute(select(Building.address, Premise.number).join(Premise, Premise.building_id == Building.id)
                          .where(Premise.id == account.premise_id)).first()
    if row is None:
        return ""
    return address_maker()(*row)


def receipt_pdf(session, payment: Payment, today: date | None = None) -> bytes:
    today = today or date.today()
    s = pdf.styles()
    provider = session.scalar(select(Organisation).limit(1))
    account = session.get(Account, payment.account_id)
    reversal = session.get(PaymentReversal, payment.id)
    _book, balance = account_balance(session, account.id)
    address = _address(session, account)
    story = []
    for number, copy in enumerate((_("Payer's copy"), _("Cash desk copy"))):
        if number:
            story += [Spacer(1, 6 * mm), _cut_line(s), Spacer(1, 6 * mm)]
        story += _copy(s, copy, provider, payment, account, address, balance, reversal, today)
    footer = _("Receipt No. %(number)s of %(day)s", number=payment.external_id, day=date_text(payment.paid_on))
    return pdf.build(story, title=f"{title()} {payment.external_id}", footer=footer,
                     page_label=lambda n, pages: _("page %(page)s of %(pages)s", page=n, pages=pages),
                     author=provider.name if provider else "", subject=title())


def _copy(s, copy, provider, payment, account, address, balance, reversal, today) -> list:
    head = []
    if provider is not None:
        head.append(Paragraph(f"<b>{escape(provider.name)}</b>", s["normal"]))
        details = [_("EDRPOU code %(code)s", code=provider.edrpou)]
        if provider.address:
            details.append(provider.address)
        head.append(Paragraph(escape("; ".join(details)), s["small"]))
    right = Paragraph(escape(copy), s["right"])
    top = Table([[head, right]], colWidths=[pdf.content_width() - 45 * mm, 45 * mm], hAlign="LEFT")
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story = [top,
             Paragraph(escape(_("Receipt No. %(number)s", number=payment.external_id)), s["title"]),
             Paragraph(escape(_("of %(day)s", day=date_text(payment.paid_on))), s["subtitle"])]
    if reversal is not None:
        story.append(Paragraph(f"<b>{escape(_('REVERSED on %(day)s: %(reason)s', day=date_text(reversal.reversed_at), reason=reversal.reason))}</b>",
                               s["normal"]))
        story.append(Spacer(1, 2 * mm))
    facts = [
        (_("Received from"), account.owner_name or ""),
        (_("Personal account"), account.account_number),
        (_("Address"), address),
        (_("Purpose"), _("payment for housing and utility services, personal account %(number)s",
                         number=account.account_number)),
        (_("Amount"), _("%(amount)s UAH", amount=money_text(payment.amount))),
        (_("In words"), money_in_words(payment.amount)),
        (_("Received by (cashier)"), payment.created_by or ""),
    ]
    table = Table([[Paragraph(escape(k) + ":", s["normal"]), Paragraph(escape(v), s["bold"] if k == _("Amount") else s["normal"])]
                   for k, v in facts], colWidths=[42 * mm, pdf.content_width() - 42 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                               ("LINEBELOW", (1, 0), (1, -1), 0.3, colors.HexColor("#BBBBBB"))]))
    story += [table, Spacer(1, 3 * mm)]
    if balance > 0:
        state = _("Debt on %(day)s: %(amount)s UAH", day=date_text(today), amount=money_text(balance))
    elif balance < 0:
        state = _("Advance on %(day)s: %(amount)s UAH", day=date_text(today), amount=money_text(-balance))
    else:
        state = _("On %(day)s the account owes nothing", day=date_text(today))
    story.append(Paragraph(escape(state), s["small"]))
    story.append(Spacer(1, 7 * mm))
    line = "_" * 22
    signatures = Table([[Paragraph(escape(_("Cashier")) + f" {line}", s["normal"]),
                         Paragraph(escape(_("Payer")) + f" {line}", s["normal"])]],
                       colWidths=[pdf.content_width() / 2] * 2, hAlign="LEFT")
    signatures.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(signatures)
    return story


def _cut_line(s):
    return Paragraph(escape("✂ " + "- " * 60), s["small"])
