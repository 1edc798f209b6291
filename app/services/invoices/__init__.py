"""Рахунки на оплату (issue 9): the invoice of an account for a period — its data read from the
ledger (:mod:`app.services.ledger`) and the billing results, the NBU payment QR code, the PDF.

The contract the rest of the product uses (builds, mail, the screens):

* :func:`load_invoices` — the invoices of a period for some accounts or buildings, in
  delivery order (building, entrance, flat number sorted naturally), the data of a whole chunk
  loaded in a few queries;
* :func:`invoice_pdf` — one invoice as a PDF (bytes); :func:`combined_pdf` — many, one
  document, pages in the given order (a building's printing file);
* :func:`file_name` — the invoice's file name; ``Invoice.qr_url`` — the payment link (None
  where nothing is due).

THIS IS A PLACEHOLDER written so that the builds and the mail can be built beside the real
document; the invoice's own work replaces the internals, keeping these names.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from ...models import Account, Building, Premise
from ..ledger import balances, open_period

ZERO = Decimal("0.00")


@dataclass
class Invoice:
    account_id: int
    account_number: str
    owner: str
    email: str | None
    building_id: int
    building_code: str
    address: str
    entrance: int | None
    premise_number: str
    period: str
    amount_due: Decimal  # ≥ 0: nothing to pay where the account has an advance
    balance: Decimal  # the balance at the end of the period (negative: advance)
    preliminary: bool  # the open period's draft: «Попередній розрахунок»
    qr_url: str | None = None


def load_invoices(session, period: str, *, account_ids=None, building_ids=None) -> list[Invoice]:
    stmt = (select(Account.id, Account.account_number, Account.owner_name, Account.email, Building.id,
                   Building.code, Building.address, Premise.entrance, Premise.number)
            .join(Premise, Account.premise_id == Premise.id).join(Building, Premise.building_id == Building.id))
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(list(account_ids)))
    if building_ids is not None:
        stmt = stmt.where(Building.id.in_(list(building_ids)))
    rows = session.execute(stmt).all()
    preliminary = period == open_period(session)
    books = balances(session, [r[0] for r in rows], period=period, draft=preliminary)
    result = []
    for r in rows:
        total = sum(books.get(r[0], {}).values(), ZERO)
        result.append(Invoice(r[0], r[1], r[2], r[3], r[4], r[5], f"{r[6]}, кв. {r[8]}", r[7], r[8], period,
                              max(total, ZERO), total, preliminary))
    result.sort(key=lambda i: (i.building_code, i.entrance or 0, _natural(i.premise_number)))
    return result


def _natural(text: str):
    import re

    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def invoice_pdf(invoice: Invoice) -> bytes:
    return combined_pdf([invoice])


def combined_pdf(invoices: list[Invoice]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from ..documents.pdf import register_fonts

    register_fonts()
    buffer = BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for inv in invoices:
        c.setFont("DejaVuSans", 12)
        c.drawString(60, 780, f"Рахунок {inv.account_number} за {inv.period}: {inv.amount_due} грн")
        c.showPage()
    c.save()
    return buffer.getvalue()


def file_name(invoice: Invoice) -> str:
    return f"rakhunok-{invoice.account_number}-{invoice.period}.pdf"
