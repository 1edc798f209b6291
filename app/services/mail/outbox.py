"""The outbox: every e-mail Oblik sends goes through here.

A message is a row of ``mail_delivery`` — (kind, account, period) unique, so a message is
queued at most once — with its status: ``queued`` → ``sending`` → ``sent`` (the server's
answer) or ``failed`` (the reason; ``retry`` with the next attempt's time for a temporary
SMTP error), ``skipped`` (its composer found nothing to send any more) or ``unknown``. The
database, not the broker, decides what was sent.

What a message says is composed when it is sent, by the composer registered for its kind
(:func:`register`), a batch of messages at a time.

At most once (docs/invoices.md, «Розсилка рахунків e-mail»):

* one sender per kind and period at a time — a ``mail_lock`` row (the primary key refuses a
  second) with a heartbeat; a second task (re-run, delivered twice) finds it held and stops;
* each message is claimed (``queued``/``retry`` due → ``sending``, committed) before the SMTP
  transaction, and marked ``sent`` in the commit right after the server accepted it;
* a message left in ``sending`` by a sender that died (its lock gone silent) is never sent
  again by itself: it becomes ``unknown`` — the server may have accepted it in the moment
  before the sender recorded it. A person checks and resends it from the screen.

Nothing is skipped: whatever is still ``queued`` or due for ``retry`` with no live sender is
taken up again by the beat sweep (:func:`sweep`, from ``oblik.sweep``).
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..heartbeat import Heartbeat, now, stale

log = logging.getLogger(__name__)

COMPOSERS: dict[str, Callable] = {}
DUE = ("queued", "retry")
BATCH = 50  # messages composed at once (their PDFs built together)
QUEUE_CHUNK = 1000


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


def _composer(kind: str) -> Callable:
    if kind not in COMPOSERS:  # the composers register themselves when their module is imported
        from . import invoices  # noqa: F401
        try:
            from .. import reminders  # noqa: F401
        except ImportError:
            pass
    return COMPOSERS[kind]


# --- queueing -------------------------------------------------------------------------------------

def _insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def queue(session, kind: str, period: str, recipients, user: str | None = None) -> int:
    """Queue a message of ``kind`` for ``period`` to each ``(account_id, address)``; an account
    that already has one of this kind and period is left as it is. Returns how many were queued.
    Commits (the sender, another process, must see them)."""
    from ...models import MailDelivery

    dialect_insert = _insert(session)
    moment = now()
    queued = 0
    rows = [{"kind": kind, "account_id": account_id, "period": period, "recipient": address, "status": "queued",
             "attempts": 0, "queued_at": moment, "updated_at": moment, "queued_by": user}
            for account_id, address in recipients]
    for start in range(0, len(rows), QUEUE_CHUNK):
        stmt = dialect_insert(MailDelivery).values(rows[start:start + QUEUE_CHUNK]).on_conflict_do_nothing(
            index_elements=["kind", "account_id", "period"])
        queued += max(session.execute(stmt).rowcount, 0)
    session.commit()
    return queued


def dispatch(kind: str, period: str, user: str | None = None) -> None:
    """Start (or resume) sending the queued messages of ``kind`` and ``period`` in the background.
    The broker away: nothing lost — the messages stay queued and the sweep starts them."""
    from ...tasks.mail import send_mail

    try:
        send_mail.delay(kind, period)
    except Exception:
        log.warning("mail %s %s not dispatched; the sweep will", kind, period, exc_info=True)


def resend(session, delivery_id: int, user: str | None = None) -> bool:
    """A failed or unknown message queued again (a person decided). Commits; False when the
    message is in another state."""
    from ...models import MailDelivery

    done = session.execute(update(MailDelivery).where(MailDelivery.id == delivery_id,
                                                      MailDelivery.status.in_(("failed", "unknown", "skipped")))
                           .values(status="queued", next_attempt_at=None, attempts=0, queued_by=user,
                                   queued_at=now(), updated_at=now())).rowcount == 1
    session.commit()
    return done


# --- the lock -------------------------------------------------------------------------------------

def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def _acquire(session, kind, period, holder, user=None) -> bool:
    from ...models import MailLock

    moment = now()
    try:
        session.execute(insert(MailLock).values(kind=kind, period=period, holder=holder, acquired_by=user,
                                                acquired_at=moment, heartbeat_at=moment))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def _release(session, kind, period, holder) -> None:
    from ...models import MailLock

    session.rollback()
    session.execute(delete(MailLock).where(MailLock.kind == kind, MailLock.period == period,
                                           MailLock.holder == holder))
    session.commit()


def _keep_alive(kind, period, holder) -> Heartbeat:
    from ...extensions import db
    from ...models import MailLock

    def statement():
        return (update(MailLock).where(MailLock.kind == kind, MailLock.period == period, MailLock.holder == holder)
                .values(heartbeat_at=now()))

    return Heartbeat(db.engine, statement)


def _drop_silent(session, kind=None, period=None) -> int:
    from ...models import MailLock

    stmt = delete(MailLock).where(MailLock.heartbeat_at < now() - stale())
    if kind is not None:
        stmt = stmt.where(MailLock.kind == kind, MailLock.period == period)
    dropped = session.execute(stmt).rowcount
    session.commit()
    return dropped


def _orphans_unknown(session, kind=None, period=None) -> int:
    """Messages left ``sending`` with no live sender of their kind and period: ``unknown``. With
    ``kind`` and ``period``: called by the sender that has just taken their lock — whatever is
    ``sending`` there was left by a sender before it."""
    from ...models import MailDelivery, MailLock

    if kind is not None:
        orphaned = and_(MailDelivery.kind == kind, MailDelivery.period == period)
    else:
        orphaned = ~exists().where(MailLock.kind == MailDelivery.kind, MailLock.period == MailDelivery.period)
    count = session.execute(
        update(MailDelivery).where(MailDelivery.status == "sending", orphaned)
        .values(status="unknown", updated_at=now(),
                error=_("The sending process stopped while this message was being handed to the mail server: "
                        "it may or may not have been delivered. Check the mail server's log for its Message-ID, "
                        "then resend it if it was not delivered."))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return count


# --- sending --------------------------------------------------------------------------------------

@dataclass
class SendResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    busy: bool = False
    disabled: bool = False
    stopped: str | None = None  # why the sender stopped before the end (the server unreachable …)

    def as_dict(self):
        return dict(self.__dict__)


def _due(kind, period, moment):
    from ...models import MailDelivery

    return and_(MailDelivery.kind == kind, MailDelivery.period == period,
                or_(MailDelivery.status == "queued",
                    and_(MailDelivery.status == "retry", or_(MailDelivery.next_attempt_at.is_(None),
                                                             MailDelivery.next_attempt_at <= moment))))


def _backoff(attempts: int, base: int) -> timedelta:
    return timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


def send_pending(kind: str, period: str, user: str | None = None) -> SendResult:
    """Send the due messages of ``kind`` and ``period`` (the body of the Celery task). Returns
    at once (``busy``) when another sender holds them."""
    from flask import current_app

    from ...extensions import db
    from ...models import MailDelivery
    from . import transport

    session = db.session
    result = SendResult()
    _drop_silent(session, kind, period)
    holder = _holder()
    if not _acquire(session, kind, period, holder, user):
        result.busy = True
        return result
    try:
        result.unknown += _orphans_unknown(session, kind, period)  # ours now: «sending» lost its sender
        config = transport.current(session)
        if not config.enabled:
            result.disabled = True
            return result
        base = int(current_app.config.get("MAIL_RETRY_SECONDS", 60))
        max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
        composer = _composer(kind)
        spacing = transport.Spacing(config.rate_per_minute)
        with _keep_alive(kind, period, holder) as heart, transport.Connection(config) as connection:
            while heart.beat() and result.stopped is None:
                rows = list(session.scalars(select(MailDelivery).where(_due(kind, period, now()))
                                            .order_by(MailDelivery.id).limit(BATCH)))
                if not rows:
                    break
                plan = [(row.id, row.attempts) for row in rows]
                try:
                    composed = composer(session, rows)
                except Exception as error:
                    log.exception("mail %s %s: composing failed", kind, period)
                    session.rollback()
                    _schedule_retry(session, [i for i, _a in plan], transport.Temporary(
                        _("The message could not be composed: %(error)s", error=error)), base, max_attempts)
                    result.retry += len(plan)
                    continue
                session.rollback()  # end the composer's read transaction; the rows are plain values now
                for number, (delivery_id, attempts) in enumerate(plan):
                    if not heart.beat():
                        result.stopped = "lock lost"
                        break
                    message = composed.get(delivery_id)
                    if message is None:
                        _set(session, delivery_id, status="skipped",
                             error=_("Nothing to send any more (no consent or no e-mail address)."))
                        result.skipped += 1
                        continue
                    spacing.wait(lambda: heart.beat())
                    if not connection.open_:
                        try:
                            connection.open()
                        except transport.Temporary as error:
                            rest = [i for i, _a in plan[number:]]
                            _schedule_retry(session, rest, error, base, max_attempts, count_attempt=True)
                            result.retry += len(rest)
                            result.stopped = str(error)
                            break
                    message_id = transport.new_message_id(config.sender, f"{kind}.{delivery_id}.{period}")
                    if not _claim(session, delivery_id, holder, message_id, message.to):
                        continue
                    try:
                        reply = connection.send(transport.build_message(config, message, message_id),
                                                config.envelope_sender, message.to)
                    except transport.Uncertain as error:
                        _set(session, delivery_id, status="unknown", error=_(
                            "The connection was lost after the message was handed over: it may have been "
                            "delivered. Check the mail server's log for its Message-ID. (%(error)s)", error=error))
                        result.unknown += 1
                        continue
                    except transport.Permanent as error:
                        _set(session, delivery_id, status="failed", error=error.text, error_code=error.code)
                        result.failed += 1
                        continue
                    except transport.Temporary as error:
                        if _schedule_retry(session, [delivery_id], error, base, max_attempts, attempts=attempts + 1):
                            result.retry += 1
                        else:
                            result.failed += 1
                        continue
                    _set(session, delivery_id, status="sent", sent_at=now(), server_reply=reply, error=None,
                         error_code=None, next_attempt_at=None)
                    result.sent += 1
    finally:
        _release(session, kind, period, holder)
    log.info("mail %s %s: %s", kind, period, result.as_dict())
    return result


def _claim(session, delivery_id, holder, message_id, recipient) -> bool:
    from ...models import MailDelivery

    moment = now()
    claimed = session.execute(
        update(MailDelivery).where(MailDelivery.id == delivery_id, MailDelivery.status.in_(DUE))
        .values(status="sending", attempts=MailDelivery.attempts + 1, claimed_by=holder, claimed_at=moment,
                message_id=message_id, recipient=recipient[:254], updated_at=moment, server_reply=None)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.commit()
    return claimed


def _set(session, delivery_id, **values) -> None:
    from ...models import MailDelivery

    session.execute(update(MailDelivery).where(MailDelivery.id == delivery_id)
                    .values(updated_at=now(), **values).execution_options(synchronize_session=False))
    session.commit()


def _schedule_retry(session, ids, error, base, max_attempts, attempts=None, count_attempt=True) -> bool:
    """Temporary failure of ``ids``: ``retry`` after the back-off, or ``failed`` once
    ``max_attempts`` were made. ``attempts``: the claimed message's count (already counted);
    else each row's count goes up by one. Returns whether (the last) was left to retry."""
    from ...models import MailDelivery

    if not ids:
        return True
    code = getattr(error, "code", None)
    text = getattr(error, "text", str(error))
    left = True
    rows = [(attempts, i) for i in ids] if attempts is not None else [
        (a + 1, i) for i, a in session.execute(select(MailDelivery.id, MailDelivery.attempts)
                                               .where(MailDelivery.id.in_(ids))).all()]
    moment = now()
    for count, delivery_id in rows:
        status = "retry" if count < max_attempts else "failed"
        left = status == "retry"
        message = text if left else _("Gave up after %(n)s attempts: %(error)s", n=count, error=text)
        session.execute(update(MailDelivery).where(MailDelivery.id == delivery_id,
                                                   MailDelivery.status.in_(("sending",) + DUE))
                        .values(status=status, attempts=count, error=message, error_code=code, updated_at=moment,
                                next_attempt_at=moment + _backoff(count, base) if left else None)
                        .execution_options(synchronize_session=False))
    session.commit()
    return left


# --- the sweep ------------------------------------------------------------------------------------

def sweep() -> dict:
    """Beat's sweep: drop silent locks, mark what their senders left ``sending`` as ``unknown``,
    and start a sender for every kind and period with messages due and no live sender."""
    from ...extensions import db
    from ...models import MailDelivery, MailLock

    session = db.session
    dropped = _drop_silent(session)
    unknown = _orphans_unknown(session)
    moment = now()
    held = exists().where(MailLock.kind == MailDelivery.kind, MailLock.period == MailDelivery.period)
    work = session.execute(select(MailDelivery.kind, MailDelivery.period).where(
        MailDelivery.status.in_(DUE), or_(MailDelivery.next_attempt_at.is_(None), MailDelivery.next_attempt_at <= moment),
        ~held).group_by(MailDelivery.kind, MailDelivery.period)).all()
    session.commit()
    from . import transport

    if work and not transport.current(session).enabled:  # switched off: they wait, nobody is started
        work = []
    for kind, period in work:
        dispatch(kind, period)
    return {"locks_dropped": dropped, "unknown": unknown, "dispatched": [f"{k} {p}" for k, p in work]}


def counts(session, kind=None, period=None) -> dict[str, int]:
    """How many messages are in each status (of ``kind`` and ``period`` if given)."""
    from ...models import MailDelivery

    stmt = select(MailDelivery.status, func.count()).group_by(MailDelivery.status)
    if kind:
        stmt = stmt.where(MailDelivery.kind == kind)
    if period:
        stmt = stmt.where(MailDelivery.period == period)
    return dict(session.execute(stmt).all())
