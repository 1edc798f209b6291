"""What the «Розсилка» screen reads and writes: the delivery log (filtered, paged, counted by
status), the mail settings (checked field by field) and the test message."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...models import Account, MailDelivery, MailSettings
from ...models.mail import MAIL_KINDS, MAIL_SECURITY, MAIL_STATUSES
from ..heartbeat import now

FILTERS = ("period", "kind", "status", "account")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _filtered(stmt, args: dict, with_status=True):
    if args.get("period"):
        stmt = stmt.where(MailDelivery.period == args["period"])
    if args.get("kind") in MAIL_KINDS.codes:
        stmt = stmt.where(MailDelivery.kind == args["kind"])
    if with_status and args.get("status") in MAIL_STATUSES.codes:
        stmt = stmt.where(MailDelivery.status == args["status"])
    if args.get("account"):
        stmt = stmt.where(MailDelivery.account_id.in_(
            select(Account.id).where(Account.account_number == args["account"])))
    return stmt


def deliveries_page(session, args: dict, page: int, size: int):
    """(rows of (delivery, account number), whether there is a next page)."""
    stmt = _filtered(select(MailDelivery, Account.account_number).join(Account, Account.id == MailDelivery.account_id),
                     args).order_by(MailDelivery.id.desc()).offset(page * size).limit(size + 1)
    rows = session.execute(stmt).all()
    return rows[:size], len(rows) > size


def status_counts(session, args: dict) -> dict[str, int]:
    """How many messages of the filters (any status) are in each status."""
    stmt = _filtered(select(MailDelivery.status, func.count()), args, with_status=False).group_by(MailDelivery.status)
    return dict(session.execute(stmt).all())


def periods(session, limit: int = 36) -> list[str]:
    return list(session.scalars(select(MailDelivery.period).group_by(MailDelivery.period)
                                .order_by(MailDelivery.period.desc()).limit(limit)))


# --- settings ---------------------------------------------------------------------------------

@dataclass
class SettingsForm:
    values: dict
    errors: dict


FIELDS = ("server", "port", "security", "username", "password", "sender", "bounce_address", "rate_per_minute",
          "enabled")


def settings_values(session) -> dict:
    row = session.get(MailSettings, 1)
    values = {name: getattr(row, name, None) if row is not None else None for name in FIELDS}
    values["password"] = ""  # never shown back
    values["password_stored"] = bool(row is not None and row.password)
    values["enabled"] = True if values["enabled"] is None else values["enabled"]
    return values


def save_settings(session, form: dict, user: str | None) -> dict:
    """Check the form (``{field: text}``) and store it; returns the errors per field (nothing
    stored when there is any)."""
    errors = {}
    text = {name: (form.get(name) or "").strip() for name in FIELDS}
    values = {"server": text["server"] or None, "username": text["username"] or None,
              "sender": text["sender"] or None, "bounce_address": text["bounce_address"] or None,
              "security": text["security"] or None, "enabled": form.get("enabled") in ("1", "on", "y", "true")}
    if len(text["server"]) > 250 or re.search(r"\s", text["server"]):
        errors["server"] = _("A host name or address without spaces, at most 250 characters.")
    for name, label in (("port", None), ("rate_per_minute", None)):
        values[name] = None
        if text[name]:
            high = 65535 if name == "port" else 10000
            try:
                number = int(text[name])
            except ValueError:
                number = None
            if number is None or not 1 <= number <= high:
                errors[name] = _("A whole number from 1 to %(high)s.", high=high)
            else:
                values[name] = number
    if values["security"] is not None and values["security"] not in MAIL_SECURITY.codes:
        errors["security"] = _("Choose one of the offered values.")
    for name in ("sender", "bounce_address"):
        address = text[name]
        plain = address.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in address else address
        if address and (len(address) > 254 or not EMAIL.match(plain)):
            errors[name] = _("An e-mail address, for example rakhunky@vodokanal.ua.")
    if len(text["username"]) > 250:
        errors["username"] = _("At most 250 characters.")
    if len(form.get("password") or "") > 250:
        errors["password"] = _("At most 250 characters.")
    if errors:
        return errors
    row = session.get(MailSettings, 1)
    if row is None:
        row = MailSettings(id=1)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    if form.get("clear_password"):
        row.password = None
    elif form.get("password"):
        row.password = form["password"]
    row.updated_at, row.updated_by = now(), user
    session.commit()
    return {}


def send_test(session, to: str) -> tuple[bool, str]:
    """A test message to ``to`` with the settings in force, straight through SMTP (not a
    delivery of the log: it belongs to no account). (sent, the server's answer or the error)."""
    from . import outbox, transport

    to = (to or "").strip()
    if not EMAIL.match(to):
        return False, _("An e-mail address, for example rakhunky@vodokanal.ua.")
    config = transport.current(session)
    config.timeout = min(config.timeout, 10.0)  # a person waits for the answer
    message = outbox.Composed(to=to, subject=_("Oblik: test message"),
                              text=_("This is a test message from Oblik: the mail settings work."))
    try:
        with transport.Connection(config) as connection:
            connection.open()
            reply = connection.send(transport.build_message(config, message, transport.new_message_id(
                config.sender, "test")), config.envelope_sender, to)
    except transport.MailError as error:
        return False, str(error)
    return True, reply
