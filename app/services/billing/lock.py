"""The lock: one billing run or close of a period at a time.

A ``billing_lock`` row per period, keyed by the period: inserting a second one fails on the
primary key — on SQLite and PostgreSQL alike, across processes and machines. The holder
moves ``heartbeat_at`` on as it works; a lock whose heartbeat is older than ``STALE`` was
left by a process that died and is taken over.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from ...models import BillingLock

STALE = timedelta(minutes=15)


class BillingBusy(Exception):
    """Another run or close of the period is going (message for the user)."""


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def acquire(session, period: str, holder: str, run_id: int | None = None, user: str | None = None) -> None:
    """Take the period's lock or raise :class:`BillingBusy`. Commits."""
    moment = now()
    session.execute(delete(BillingLock).where(BillingLock.period == period, BillingLock.heartbeat_at < moment - STALE))
    try:
        session.execute(insert(BillingLock).values(period=period, holder=holder, run_id=run_id, acquired_by=user,
                                                   acquired_at=moment, heartbeat_at=moment))
        session.commit()
    except IntegrityError:
        session.rollback()
        current = session.get(BillingLock, period, populate_existing=True)
        raise BillingBusy(busy_message(period, current)) from None


def busy_message(period: str, lock: BillingLock | None) -> str:
    if lock is None:
        return _("Period %(period)s is busy: try again in a minute.", period=period)
    who = lock.acquired_by or "—"
    since = lock.acquired_at.strftime("%d.%m.%Y %H:%M") if lock.acquired_at else ""
    if lock.holder == "close":
        return _("Period %(period)s is being closed (started by %(who)s at %(since)s); wait until it finishes.",
                 period=period, who=who, since=since)
    return _("A billing run of period %(period)s is already in progress (started by %(who)s at %(since)s); "
             "wait until it finishes.", period=period, who=who, since=since)


def heartbeat(session, period: str, run_id: int | None = None) -> None:
    stmt = update(BillingLock).where(BillingLock.period == period).values(heartbeat_at=now())
    if run_id is not None:
        stmt = stmt.where(BillingLock.run_id == run_id)
    session.execute(stmt)


def release(session, period: str, run_id: int | None = None, holder: str | None = None) -> None:
    """Give the lock back (only if still ours). Commits."""
    stmt = delete(BillingLock).where(BillingLock.period == period)
    if run_id is not None:
        stmt = stmt.where(BillingLock.run_id == run_id)
    if holder is not None:
        stmt = stmt.where(BillingLock.holder == holder)
    session.execute(stmt)
    session.commit()


def held(session, period: str) -> BillingLock | None:
    lock = session.get(BillingLock, period)
    if lock is not None and lock.heartbeat_at < now() - STALE:
        return None
    return lock
