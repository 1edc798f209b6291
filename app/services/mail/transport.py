"""SMTP: the settings in force and one connection that tells what became of each message.

The settings (:func:`current`): the «Розсилка» screen's row (``mail_settings``) where a field is
filled in, else the environment (``OBLIK_MAIL_*``, config.py). The password: the environment's
``OBLIK_MAIL_PASSWORD`` when set, else the one stored from the screen.

:class:`Connection` speaks SMTP step by step (smtplib: ``MAIL FROM``, ``RCPT TO``, ``DATA``),
so that each failure is classified by when it happened:

* refused before the message's text was handed over — :class:`Temporary` (4xx, a dropped
  connection, a timeout, connection refused) or :class:`Permanent` (5xx): the server did not
  take it, so it may be tried again (temporary) or never (permanent);
* the connection lost after the text was handed over and before the server's answer —
  :class:`Uncertain`: the server may have accepted it. Such a message is never sent again by
  itself (``unknown``: a person checks the server's log for its Message-ID).
"""
from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from time import monotonic, sleep

from flask import current_app

SECURITY = ("none", "starttls", "ssl")


class MailError(Exception):
    def __init__(self, text: str, code: int | None = None):
        super().__init__(text)
        self.text = text
        self.code = code

    def __str__(self):
        return f"{self.code} {self.text}" if self.code else self.text


class Temporary(MailError):
    """Not accepted; may be tried again later (4xx, connection refused, a timeout)."""


class Permanent(MailError):
    """Refused for good (5xx): not tried again."""


class Uncertain(MailError):
    """The connection was lost after the message was handed over: maybe accepted."""


@dataclass
class MailConfig:
    server: str
    port: int
    security: str
    username: str
    password: str
    sender: str
    bounce_address: str
    rate_per_minute: int
    enabled: bool
    timeout: float
    password_stored: bool  # the password in force is the one stored in the database

    @property
    def envelope_sender(self) -> str:
        return self.bounce_address or self.sender


def current(session) -> MailConfig:
    """The settings in force: the screen's where filled in, else the environment's."""
    from ...models import MailSettings

    row = session.get(MailSettings, 1)
    config = current_app.config

    def pick(field, key, default=None):
        value = getattr(row, field, None) if row is not None else None
        if value is None or value == "":
            return config.get(key, default)
        return value

    env_password = config.get("MAIL_PASSWORD") or ""
    stored_password = (row.password if row is not None else None) or ""
    return MailConfig(
        server=pick("server", "MAIL_SERVER", "localhost"),
        port=int(pick("port", "MAIL_PORT", 25)),
        security=pick("security", "MAIL_SECURITY", "none"),
        username=pick("username", "MAIL_USERNAME", "") or "",
        password=env_password or stored_password,
        sender=pick("sender", "MAIL_DEFAULT_SENDER", "oblik@localhost"),
        bounce_address=pick("bounce_address", "MAIL_BOUNCE_ADDRESS", "") or "",
        rate_per_minute=max(1, int(pick("rate_per_minute", "MAIL_RATE_PER_MINUTE", 60))),
        enabled=bool(pick("enabled", "MAIL_ENABLED", True)),
        timeout=float(config.get("MAIL_TIMEOUT_SECONDS", 30)),
        password_stored=not env_password and bool(stored_password),
    )


def new_message_id(sender: str, idstring: str) -> str:
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    return make_msgid(idstring=re.sub(r"[^A-Za-z0-9.-]", "-", idstring), domain=domain)


def build_message(config: MailConfig, composed, message_id: str) -> EmailMessage:
    """The message as sent: From the sender, our Message-ID, the composer's headers (e.g.
    List-Unsubscribe), the text, an HTML alternative and the attachments."""
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = composed.to
    message["Subject"] = composed.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id
    for name, value in composed.headers.items():
        message[name] = value
    message.set_content(composed.text)
    if composed.html:
        message.add_alternative(composed.html, subtype="html")
    for file_name, mime, data in composed.attachments:
        maintype, _slash, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=file_name)
    return message


def _classify(code: int, text) -> MailError:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return (Permanent if 500 <= code < 600 else Temporary)(str(text).strip(), code)


class Connection:
    """One SMTP session (a context manager); :meth:`send` hands over one message."""

    def __init__(self, config: MailConfig):
        self.config = config
        self.smtp = None

    def open(self) -> Connection:
        c = self.config
        try:
            if c.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(c.server, c.port, timeout=c.timeout,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(c.server, c.port, timeout=c.timeout)
            self.smtp.ehlo_or_helo_if_needed()
            if c.security == "starttls":
                self.smtp.starttls(context=ssl.create_default_context())
                self.smtp.ehlo()
            if c.username:
                self.smtp.login(c.username, c.password)
        except smtplib.SMTPResponseException as error:
            self.close()
            # the server refuses us as a whole (a login refused, 5xx at the greeting): no message
            # of the batch was handed over — tried again later, with the back-off
            raise Temporary(_text(error.smtp_error), error.smtp_code) from None
        except (OSError, smtplib.SMTPException) as error:  # refused, timed out, TLS, disconnected
            self.close()
            raise Temporary(f"{c.server}:{c.port}: {error}") from None
        return self

    def send(self, message: EmailMessage, envelope_from: str, to: str) -> str:
        """Hand ``message`` over; returns the server's answer (its queue id where it says it)."""
        smtp = self.smtp
        try:
            code, reply = smtp.mail(envelope_from)
            if code != 250:
                self._reset()
                raise _classify(code, reply)
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                self._reset()
                raise _classify(code, reply)
            code, reply = smtp.docmd("DATA")
            if code != 354:
                self._reset()
                raise _classify(code, reply)
        except (OSError, smtplib.SMTPServerDisconnected) as error:  # before the text: not accepted
            self.close()
            raise Temporary(f"{self.config.server}:{self.config.port}: {error}") from None
        payload = re.sub(rb"(?m)^\.", b"..", message.as_bytes(policy=SMTP_POLICY))
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        try:
            smtp.send(payload + b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.close()
            raise Uncertain(f"{self.config.server}:{self.config.port}: {error}") from None
        if code != 250:
            raise _classify(code, reply)
        return f"{code} {_text(reply)}"[:500]

    def _reset(self):
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                try:
                    self.smtp.close()
                except OSError:
                    pass
            self.smtp = None

    @property
    def open_(self) -> bool:
        return self.smtp is not None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


class Spacing:
    """At most ``per_minute`` messages a minute: each one starts 60/N seconds after the last."""

    def __init__(self, per_minute: int):
        self.gap = 60.0 / max(1, per_minute)
        self.last = None

    def wait(self, alive=lambda: True):
        if self.last is not None:
            while True:
                left = self.last + self.gap - monotonic()
                if left <= 0 or not alive():
                    break
                sleep(min(left, 1.0))
        self.last = monotonic()


__all__ = [
    "Connection",
    "MailConfig",
    "Permanent",
    "Spacing",
    "Temporary",
    "Uncertain",
    "build_message",
    "current",
    "new_message_id",
]
