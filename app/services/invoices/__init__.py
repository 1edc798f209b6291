"""Рахунки на оплату (issue 9): the invoice of an account for a period — its data read from the
ledger (:mod:`app.services.ledger`) and the billing results, the NBU payment QR code, the PDF.

The contract the rest of the product uses (builds, mail, the screens):

* :func:`load_invoices` — the invoices of a period for some accounts or buildings, in
  delivery order (building, entrance, flat number sorted naturally), the data of a whole chunk
  loaded in a few queries (:mod:`.data`), each with its QR link and payment purpose;
* :func:`invoice_pdf` — one invoice as a PDF (bytes); :func:`combined_pdf` — many, one
  document, pages in the given order (a building's printing file), drawn on one canvas
  (:mod:`.render`);
* :func:`file_name` — the invoice's file name; ``Invoice.qr_url`` — the payment link (None
  where nothing is due), :mod:`.qr` the NBU format.

docs/invoices.md «Рахунок на оплату» tells where each figure comes from.
"""
from __future__ import annotations

import re

from . import qr  # noqa: F401
from .data import (  # noqa: F401
    Consumption, HouseMeter, Invoice, Payment, Provider, Recalculation, ServiceLine, delivery_key, natural_key,
)
from .data import load_invoices as _load
from .render import labels, prepare, render


def load_invoices(session, period: str, *, account_ids=None, building_ids=None) -> list[Invoice]:
    invoices = _load(session, period, account_ids=account_ids, building_ids=building_ids)
    if invoices:
        text = labels()
        for invoice in invoices:
            prepare(invoice, text)
    return invoices


def invoice_pdf(invoice: Invoice) -> bytes:
    return render([invoice], title=file_name(invoice).removesuffix(".pdf"))


def combined_pdf(invoices: list[Invoice]) -> bytes:
    return render(list(invoices))


def file_name(invoice: Invoice) -> str:
    number = re.sub(r"[^\w.-]+", "_", invoice.account_number)
    return f"rakhunok-{number}-{invoice.period}.pdf"
