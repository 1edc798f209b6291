"""Invoices by e-mail (issue 9 §3): the period's invoice of every account whose owner agreed to
e-invoices (``account.einvoice_consent``) and has an e-mail address, as a PDF attachment, with
the amount due and the payment (QR) link in the body, and an unsubscribe link.

:func:`queue_period` queues a message per such account (the outbox refuses a second one for the
same account and period); :func:`send_period` queues and starts the sender. :func:`compose` —
the outbox's composer of kind ``invoice`` — builds a batch's PDFs from one :func:`load_invoices`
of the batch's accounts.

The unsubscribe link carries a signed token (itsdangerous, the app's ``SECRET_KEY`` and a salt
of its own): the account id. :func:`unsubscribe` turns the consent off through the ORM, so the
audit log records it.
"""
from __future__ import annotations

import re
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select

from ...billing.money import format_money
from ...models import Account, Building, Organisation, Premise
from . import outbox, templates

KIND = "invoice"
SALT = "oblik-mail-unsubscribe"
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTHS = ("січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
          "жовтень", "листопад", "грудень")


class MailRefused(Exception):
    """A request refused (a bad period …): the message for the user."""


def check_period(period: str) -> str:
    period = (period or "").strip()
    if not PERIOD.match(period):
        raise MailRefused(_("Period «%(period)s»: expected a month as YYYY-MM, for example 2026-10.", period=period))
    return period


def period_name(period: str) -> str:
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def consenting(session, period: str):
    """(account id, e-mail) of every account that agreed to e-invoices, has an address and was
    open in ``period`` — one query."""
    year, month = (int(p) for p in period.split("-"))
    first = date(year, month, 1)
    email = func.trim(Account.email)
    return session.execute(
        select(Account.id, email).where(Account.einvoice_consent.is_(True), Account.email.is_not(None), email != "",
                                        or_(Account.closed_on.is_(None), Account.closed_on >= first))
        .order_by(Account.id)).all()


def queue_period(session, period: str, user: str | None = None) -> int:
    period = check_period(period)
    return outbox.queue(session, KIND, period, consenting(session, period), user=user)


def send_period(session, period: str, user: str | None = None) -> int:
    """Queue the period's invoices and start sending them; returns how many were queued now."""
    queued = queue_period(session, period, user)
    outbox.dispatch(KIND, check_period(period), user)
    return queued


# --- the unsubscribe link ---------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(account_id: int) -> str:
    return _serializer().dumps({"a": int(account_id)})


def token_account(token: str) -> int | None:
    """The account of a valid token, None for a tampered or foreign one."""
    try:
        data = _serializer().loads(token or "")
    except (BadSignature, ValueError, TypeError, UnicodeError):
        return None
    account_id = data.get("a") if isinstance(data, dict) else None
    return account_id if isinstance(account_id, int) and not isinstance(account_id, bool) else None


def unsubscribe_url(account_id: int) -> str:
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/mail/unsubscribe/{unsubscribe_token(account_id)}"


def mask_email(address: str | None) -> str:
    if not address or "@" not in address:
        return ""
    name, _at, domain = address.strip().partition("@")
    return f"{name[:2]}{'•' * max(3, len(name) - 2)}@{domain}"


def subscriber(session, account_id: int) -> dict | None:
    """What the public unsubscribe page shows of an account: its e-mail masked and its
    building's address (no flat, no name)."""
    row = session.execute(select(Account.email, Account.einvoice_consent, Building.address)
                          .join(Premise, Account.premise_id == Premise.id)
                          .join(Building, Premise.building_id == Building.id)
                          .where(Account.id == account_id)).first()
    if row is None:
        return None
    return {"email": mask_email(row[0]), "consent": bool(row[1]), "address": row[2]}


def unsubscribe(session, account_id: int) -> bool:
    """Consent off, dated today, through the ORM (the audit log records it, as written by the
    unsubscribe link). Commits; False when the account is gone."""
    from .. import audit

    account = session.get(Account, account_id)
    if account is None:
        return False
    if account.einvoice_consent:
        with audit.acting("unsubscribe link", None, "web"):
            account.einvoice_consent = False
            account.einvoice_consent_on = date.today()
            session.commit()
    return True


# --- the composer -----------------------------------------------------------------------------

def compose(session, deliveries) -> dict:
    """The outbox's composer of ``invoice``: a batch of deliveries (one period) → their
    messages; one query for the accounts, one :func:`load_invoices` for their invoices."""
    from ..invoices import file_name, invoice_pdf, load_invoices

    if not deliveries:
        return {}
    period = deliveries[0].period
    ids = sorted({d.account_id for d in deliveries})
    accounts = {row[0]: row for row in session.execute(
        select(Account.id, Account.einvoice_consent, Account.email).where(Account.id.in_(ids)))}
    wanted = [i for i in ids if i in accounts and accounts[i][1] and (accounts[i][2] or "").strip()]
    invoices = {inv.account_id: inv for inv in load_invoices(session, period, account_ids=wanted)} if wanted else {}
    provider = session.scalar(select(Organisation.name).order_by(Organisation.id).limit(1)) or ""
    result = {}
    for delivery in deliveries:
        invoice = invoices.get(delivery.account_id)
        if invoice is None:  # consent withdrawn or no address since it was queued
            result[delivery.id] = None
            continue
        link = unsubscribe_url(delivery.account_id)
        subject, text = templates.render(KIND, "uk", {
            "account_number": invoice.account_number, "owner": invoice.owner, "address": invoice.address,
            "period": period_name(period), "amount_due": format_money(invoice.amount_due),
            "qr_url": invoice.qr_url or "—", "unsubscribe_url": link, "provider": provider,
        })
        result[delivery.id] = outbox.Composed(
            to=accounts[delivery.account_id][2].strip(), subject=subject, text=text,
            attachments=[(file_name(invoice), "application/pdf", invoice_pdf(invoice))],
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return result


outbox.register(KIND, compose)
