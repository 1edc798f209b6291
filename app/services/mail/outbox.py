"""The outbox: every e-mail Oblik sends goes through here (PLACEHOLDER — the contract; the mail
work implements it).

A message is a row of ``mail_delivery`` — (kind, account, period) unique, so a message is
queued at most once — with its status: ``queued`` → ``sending`` → ``sent`` (the server's
message id) or ``failed`` (the reason; ``retry`` with the next attempt's time for a temporary
SMTP error). The database, not the broker, decides what was sent.

What a message says is composed when it is sent, by the composer registered for its kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

COMPOSERS: dict[str, Callable] = {}


@dataclass
class Composed:
    """What a composer returns for one delivery: ``None`` instead means «nothing to send any
    more» (the delivery is marked skipped, with the reason the composer logs)."""

    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file name, MIME type, data)
    headers: dict[str, str] = field(default_factory=dict)


def register(kind: str, composer: Callable) -> None:
    """``composer(session, deliveries) -> {delivery_id: Composed | None}`` — called with a batch
    of ``mail_delivery`` rows of ``kind``; it loads what it needs for the whole batch at once."""
    COMPOSERS[kind] = composer


def queue(session, kind: str, period: str, recipients) -> int:
    """Queue a message of ``kind`` for ``period`` to each ``(account_id, address)``; an account
    that already has one of this kind and period is left as it is. Returns how many were queued."""
    raise NotImplementedError


def dispatch(kind: str, period: str, user: str | None = None) -> None:
    """Start (or resume) sending the queued messages of ``kind`` and ``period`` in the background."""
    raise NotImplementedError
