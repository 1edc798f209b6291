"""The lock: one billing run or close of a period at a time.

A ``billing_lock`` row per period, keyed by the period: inserting a second one fails on the
primary key — on SQLite and PostgreSQL alike, across processes and machines. A run's lock is
its heartbeat: every process billing a chunk of the run moves ``heartbeat_at`` on while it
works (:func:`keep_alive`, :mod:`app.services.heartbeat`); a lock silent for :func:`stale`
(``WORKER_STALE_SECONDS``, 45 s) was left by a process that died. It is swept —
:func:`.run.sweep_orphans`: the lock dropped and its run marked failed — by beat, and by the
next Run or Close of the period before it takes the lock.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import BillingLock
from ...validation.readings import local_moment
from ..heartbeat import Heartbeat, now, stale  # noqa: F401 — now: the run's clock too (run.py)


class BillingBusy(Exception):
    """Another run or close of the period is going (message for the user)."""


def acquire(session, period: str, holder: str, run_id: int | None = None, user: str | None = None) -> None:
    """Take the period's lock or raise :class:`BillingBusy`. Commits (with whatever the caller
    added: a run is recorded with its lock, or not at all). A silent lock is not taken over
    here: :func:`.run.sweep_orphans` drops it and fails its run first."""
    moment = now()
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
    since = local_moment(lock.acquired_at).strftime("%d.%m.%Y %H:%M") if lock.acquired_at else ""
    seen = local_moment(lock.heartbeat_at).strftime("%H:%M:%S") if lock.heartbeat_at else ""
    if lock.holder == "close":
        return _("Period %(period)s is being closed (started by %(who)s at %(since)s); wait until it finishes.",
                 period=period, who=who, since=since)
    return _("A billing run of period %(period)s is already in progress (started by %(who)s at %(since)s, "
             "last sign of life at %(seen)s); wait until it finishes.", period=period, who=who, since=since,
             seen=seen)


def heartbeat(session, period: str, run_id: int | None = None) -> None:
    stmt = update(BillingLock).where(BillingLock.period == period).values(heartbeat_at=now())
    if run_id is not None:
        stmt = stmt.where(BillingLock.run_id == run_id)
    session.execute(stmt)


def keep_alive(period: str, run_id: int | None = None, holder: str = "run") -> Heartbeat:
    """The heartbeat of a lock while its holder works — a process billing a chunk of run
    ``run_id``, or the close (a context manager; ``beat()`` between steps). Not alive once the
    lock is gone: the run was swept."""
    def statement():
        stmt = update(BillingLock).where(BillingLock.period == period, BillingLock.holder == holder)
        if run_id is not None:
            stmt = stmt.where(BillingLock.run_id == run_id)
        return stmt.values(heartbeat_at=now())

    return Heartbeat(db.engine, statement)


def silent(session, period: str | None = None) -> list[BillingLock]:
    """Locks whose heartbeat is older than :func:`stale` (of ``period``, or all)."""
    stmt = select(BillingLock).where(BillingLock.heartbeat_at < now() - stale())
    if period is not None:
        stmt = stmt.where(BillingLock.period == period)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def drop_silent(session, period: str) -> bool:
    """Drop the period's lock if it is still silent (no commit): whether it was dropped."""
    result = session.execute(delete(BillingLock).where(BillingLock.period == period,
                                                       BillingLock.heartbeat_at < now() - stale()))
    return result.rowcount == 1


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
    if lock is not None and lock.heartbeat_at < now() - stale():
        return None
    return lock
