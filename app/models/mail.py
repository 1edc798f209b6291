"""Пошта: the mail settings and the delivery log (issue 9 §3).

* ``MailDelivery`` — one message of a kind (``invoice``, ``reminder``) to an account for a
  period; UNIQUE(kind, account, period): a message is queued at most once. Its status:
  ``queued`` → ``sending`` (claimed by the sender, committed before the SMTP transaction) →
  ``sent`` | ``retry`` (a temporary error, tried again at ``next_attempt_at``) | ``failed``
  (a permanent error, not tried again) | ``skipped`` (nothing to send any more) | ``unknown``
  (the sender died between claiming and recording the answer: a person checks and resends).
* ``MailLock`` — one sender per kind and period at a time (the primary key refuses a
  second), with its heartbeat (:mod:`app.services.heartbeat`).
* ``MailSettings`` — one row: the SMTP server as the «Розсилка» screen sets it; empty fields
  fall back to the environment (``OBLIK_MAIL_*``, config.py).
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from .choices import Choices
from .types import enum_check

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

MAIL_KINDS = Choices(("invoice", _l("Invoice")), ("reminder", _l("Reading reminder")))
MAIL_STATUSES = Choices(
    ("queued", _l("Queued")),
    ("sending", _l("Sending")),
    ("sent", _l("Sent")),
    ("retry", _l("Will be retried")),
    ("failed", _l("Failed")),
    ("skipped", _l("Skipped")),
    ("unknown", _l("Unknown: check")),
)
MAIL_SECURITY = Choices(("none", _l("None")), ("starttls", _l("STARTTLS")), ("ssl", _l("SSL/TLS")))

__all__ = ["MAIL_KINDS", "MAIL_SECURITY", "MAIL_STATUSES", "MailDelivery", "MailLock", "MailSettings"]


class MailDelivery(Model):
    """One e-mail of ``kind`` to an account for ``period`` and what became of it."""

    __tablename__ = "mail_delivery"
    __table_args__ = (
        UniqueConstraint("kind", "account_id", "period", name="uq_mail_delivery"),
        Index("ix_mail_delivery_work", "kind", "period", "status"),
        enum_check("kind", MAIL_KINDS.codes, "ck_mail_delivery_kind"),
        enum_check("status", MAIL_STATUSES.codes, "ck_mail_delivery_status"),
    )
    id = Column(BIG_ID, primary_key=True)
    kind = Column(String(20), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account", lazy="joined")
    period = Column(String(7), nullable=False)
    recipient = Column(String(254), nullable=False)
    status = Column(String(10), nullable=False, default="queued")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime)
    # ours, made before the message is handed to the server (Message-ID header), and what the
    # server answered on accepting it (often its queue id: «250 2.0.0 Ok: queued as 4Xyz»)
    message_id = Column(String(250))
    server_reply = Column(String(500))
    error = Column(Text)
    error_code = Column(Integer)  # the SMTP reply code of the last error, if any
    queued_at = Column(DateTime, nullable=False)
    queued_by = Column(String(100))
    sent_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False)
    claimed_by = Column(String(100))  # the sender (lock holder) that claimed it last
    claimed_at = Column(DateTime)


class MailLock(Model):
    """Held while a sender sends the messages of ``kind`` and ``period``."""

    __tablename__ = "mail_lock"
    kind = Column(String(20), primary_key=True)
    period = Column(String(7), primary_key=True)
    holder = Column(String(100), nullable=False)
    acquired_by = Column(String(100))
    acquired_at = Column(DateTime, nullable=False)
    heartbeat_at = Column(DateTime, nullable=False)


class MailSettings(Model):
    """The SMTP server and the sending rules (one row, id 1); an empty field: the environment's."""

    __tablename__ = "mail_settings"
    __table_args__ = (enum_check("security", MAIL_SECURITY.codes, "ck_mail_settings_security"),)
    id = Column(Integer, primary_key=True)
    server = Column(String(250))
    port = Column(Integer)
    security = Column(String(10))
    username = Column(String(250))
    password = Column(String(250))  # the environment's OBLIK_MAIL_PASSWORD wins when set
    sender = Column(String(254))
    bounce_address = Column(String(254))
    rate_per_minute = Column(Integer)
    enabled = Column(Boolean)
    updated_at = Column(DateTime)
    updated_by = Column(String(100))
