"""Mail templates: the subject and body of each kind of message, in Ukrainian and English,
editable on a screen with a preview (``app/views/mail_templates.py``); the defaults live here
and a kind and language never edited use them (table ``mail_template`` holds the edits).

``render(kind, lang, context) -> (subject, text)``: ``context`` holds the message's values
(for ``invoice``: ``account_number``, ``owner``, ``address``, ``period`` (the month's name),
``amount_due`` (formatted), ``qr_url``, ``unsubscribe_url``, ``provider``; for ``reminder``:
``account_number``, ``owner``, ``address``, ``month``, ``meters`` (text lines), ``link``,
``expires``, ``provider``, ``unsubscribe_url``).

A template names its values as ``{placeholder}``; saving one with a name not in
:data:`PLACEHOLDERS` of its kind, or with a stray brace, is refused with the field's message
(:func:`template_errors`). The stored templates are read once per application context (a
request, a task), so a batch of messages reads them once.
"""
from __future__ import annotations

import string

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

KINDS = ("invoice", "reminder")
LANGUAGES = ("uk", "en")
KIND_LABELS = {"invoice": _l("Invoice"), "reminder": _l("Reading reminder")}
LANGUAGE_LABELS = {"uk": _l("Ukrainian"), "en": _l("English")}

PLACEHOLDERS: dict[str, dict[str, object]] = {
    "invoice": {
        "account_number": _l("account number"), "owner": _l("owner"), "address": _l("address"),
        "period": _l("the month"), "amount_due": _l("amount due"), "qr_url": _l("payment link (QR)"),
        "unsubscribe_url": _l("unsubscribe link"), "provider": _l("provider"),
    },
    "reminder": {
        "account_number": _l("account number"), "owner": _l("owner"), "address": _l("address"),
        "month": _l("the month"), "meters": _l("the meters, one a line"), "link": _l("personal link"),
        "expires": _l("link valid until"), "provider": _l("provider"), "unsubscribe_url": _l("unsubscribe link"),
    },
}

# Sample values of the preview (when no real account is chosen).
SAMPLES = {
    "invoice": {"account_number": "1234567", "owner": "Іваненко Іван Іванович", "address": "вул. Свободи 1, кв. 24",
                "period": "червень 2019", "amount_due": "576,45", "qr_url": "https://bank.gov.ua/qr/…",
                "unsubscribe_url": "https://oblik.example/unsubscribe/…", "provider": "ПрАТ АК «Водопостачання»"},
    "reminder": {"account_number": "1234567", "owner": "Іваненко Іван Іванович", "address": "вул. Свободи 1, кв. 24",
                 "month": "грудень 2026",
                 "meters": "• № 0012345, холодна вода: 106,000 (31.10.2026)\n• № 0067890, гаряча вода: 41,500 (31.10.2026)",
                 "link": "https://oblik.example/readings/online/…", "expires": "31.12.2026",
                 "provider": "ПрАТ АК «Водопостачання»", "unsubscribe_url": ""},
}

DEFAULTS = {
    ("invoice", "uk"): ("Рахунок за {period}, о/р {account_number}",
                        ("Шановний(а) {owner}!\n\nДо сплати за {period}: {amount_due} грн.\n"
                        "Оплатити: {qr_url}\n\nРахунок — у вкладенні.\n\n{provider}\n"
                        "Відписатися від рахунків e-mail: {unsubscribe_url}\n")),
    ("invoice", "en"): ("Invoice for {period}, account {account_number}",
                        ("Dear {owner},\n\nAmount due for {period}: UAH {amount_due}.\n"
                        "Pay: {qr_url}\n\nThe invoice is attached.\n\n{provider}\n"
                        "Unsubscribe from e-mailed invoices: {unsubscribe_url}\n")),
    ("reminder", "uk"): ("Передайте показники лічильників за {month}",
                         ("Шановний(а) {owner}!\n\nЗа {month} ще не передано показники лічильників "
                         "(о/р {account_number}, {address}):\n{meters}\n\n"
                         "Передати показники: {link}\nПосилання дійсне до {expires} включно.\n\n{provider}\n")),
    ("reminder", "en"): ("Please submit your meter readings for {month}",
                         ("Dear {owner},\n\nThe readings for {month} have not been submitted yet "
                         "(account {account_number}, {address}):\n{meters}\n\n"
                         "Submit them here: {link}\nThe link is valid until {expires} inclusive.\n\n{provider}\n")),
}


def template_errors(kind: str, subject: str, body: str) -> dict[str, str]:
    """{field: message} of a template being saved: empty fields, stray braces, unknown names."""
    errors = {}
    allowed = PLACEHOLDERS.get(kind, {})
    for field, text in (("subject", subject), ("body", body)):
        if not (text or "").strip():
            errors[field] = _("Required")
            continue
        if field == "subject" and ("\n" in text or "\r" in text):
            errors[field] = _("The subject must be one line")
            continue
        try:
            names = [name for _text, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
        except ValueError:
            errors[field] = _("A brace { or } without its pair: write a placeholder as {name}")
            continue
        unknown = sorted({name for name in names if name not in allowed})
        if unknown:
            errors[field] = _("Unknown placeholder %(names)s; allowed: %(allowed)s",
                              names=", ".join(f"{{{n}}}" for n in unknown),
                              allowed=", ".join(f"{{{n}}}" for n in allowed))
    return errors


def stored(kind: str, lang: str) -> tuple[str, str] | None:
    """The edited (subject, body), or None — read once per application context."""
    from flask import g, has_app_context

    if not has_app_context():
        return None
    cache = g.get("_oblik_mail_templates")
    if cache is None:
        from sqlalchemy import select

        from ...extensions import db
        from ...models import MailTemplate

        rows = db.session.execute(select(MailTemplate.kind, MailTemplate.lang, MailTemplate.subject,
                                         MailTemplate.body)).all()
        cache = {(r.kind, r.lang): (r.subject, r.body) for r in rows}
        g._oblik_mail_templates = cache
    return cache.get((kind, lang))


def current(kind: str, lang: str) -> tuple[str, str]:
    """The template in use: the edited one, else the default (of the language, else Ukrainian)."""
    return stored(kind, lang) or DEFAULTS.get((kind, lang)) or DEFAULTS[(kind, "uk")]


def fill(subject: str, body: str, context: dict) -> tuple[str, str]:
    values = _Missing(context)
    return subject.format_map(values).replace("\n", " ").strip(), body.format_map(values)


def render(kind: str, lang: str, context: dict) -> tuple[str, str]:
    subject, body = current(kind, lang)
    try:
        return fill(subject, body, context)
    except (ValueError, KeyError, IndexError, AttributeError):  # a template edited outside the screen
        return fill(*(DEFAULTS.get((kind, lang)) or DEFAULTS[(kind, "uk")]), context)


def save(session, kind: str, lang: str, subject: str, body: str, user: str | None) -> dict[str, str]:
    """Store an edited template; returns the errors (nothing stored) or {}."""
    from flask import g
    from sqlalchemy import func, select

    from ...models import MailTemplate

    errors = template_errors(kind, subject, body)
    if len(subject or "") > 250:
        errors["subject"] = _("At most %(n)s characters", n=250)
    if errors:
        return errors
    row = session.scalar(select(MailTemplate).where(MailTemplate.kind == kind, MailTemplate.lang == lang))
    if row is None:
        row = MailTemplate(kind=kind, lang=lang)
        session.add(row)
    row.subject, row.body, row.changed_by, row.changed_at = subject.strip(), body, user, func.now()
    session.commit()
    g.pop("_oblik_mail_templates", None)
    return {}


def reset(session, kind: str, lang: str) -> None:
    """Back to the default."""
    from flask import g
    from sqlalchemy import delete

    from ...models import MailTemplate

    session.execute(delete(MailTemplate).where(MailTemplate.kind == kind, MailTemplate.lang == lang))
    session.commit()
    g.pop("_oblik_mail_templates", None)


class _Missing(dict):
    def __missing__(self, key):
        return ""
