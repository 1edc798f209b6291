"""Нагадування: mail templates and the reading reminders' links (issue 9 §4).

* :class:`MailTemplate` — the subject and body of a kind of message (``invoice``,
  ``reminder``) in a language (``uk``, ``en``) as edited on the screen; a kind and language
  without a row use the default of :mod:`app.services.mail.templates`.
* :class:`OnlineThrottle` — the requests to the public readings page counted per link and per
  address in fixed windows, in the database so that every gunicorn worker sees the same count.
"""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String, Text, UniqueConstraint, func

from .types import enum_check

MAIL_TEMPLATE_KINDS = ("invoice", "reminder")
MAIL_TEMPLATE_LANGUAGES = ("uk", "en")
THROTTLE_KINDS = ("link", "ip")


class MailTemplate(Model):
    __tablename__ = "mail_template"
    __table_args__ = (
        UniqueConstraint("kind", "lang", name="uq_mail_template_kind_lang"),
        enum_check("kind", MAIL_TEMPLATE_KINDS, "ck_mail_template_kind"),
        enum_check("lang", MAIL_TEMPLATE_LANGUAGES, "ck_mail_template_lang"),
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    lang = Column(String(2), nullable=False)
    subject = Column(String(250), nullable=False)
    body = Column(Text, nullable=False)
    changed_by = Column(String(100))
    changed_at = Column(DateTime, server_default=func.now())

    def __repr__(self):
        return f"{self.kind} ({self.lang})"


class OnlineThrottle(Model):
    __tablename__ = "online_throttle"
    __table_args__ = (
        UniqueConstraint("kind", "key", "window_start", name="uq_online_throttle_window"),
        enum_check("kind", THROTTLE_KINDS, "ck_online_throttle_kind"),
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)
    key = Column(String(100), nullable=False)
    window_start = Column(DateTime, nullable=False, index=True)
    hits = Column(Integer, nullable=False, default=0)


__all__ = ["MAIL_TEMPLATE_KINDS", "MAIL_TEMPLATE_LANGUAGES", "MailTemplate", "OnlineThrottle"]
