"""Heartbeats of background work (a billing run's lock, an import being checked or written):
a row's ``heartbeat_at`` moved on while its process works, so that work whose process died
is told from work that is slow — its heartbeat goes silent, and after :func:`stale` it is
swept (``app.services.billing.run.sweep_orphans``, ``app.services.imports.records.sweep_orphans``).

:class:`Heartbeat` writes through a connection of its own (autocommit), never in the
worker's transaction, so it holds no row lock while the work goes on and a rolled-back
transaction does not take a beat back. :meth:`Heartbeat.beat` is called between steps
(each building of a chunk); on PostgreSQL a thread also beats every :func:`interval`
seconds, so that one long step — the chunk's data loaded, a 200,000-row import written in one
transaction — does not look dead. On SQLite (one writer at a time) there is no thread: it
would wait for the work's own write lock.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from time import monotonic

from flask import current_app, has_app_context

from ..validation import readings as _clock

log = logging.getLogger(__name__)

DEFAULT_STALE_SECONDS = 45


def now() -> datetime:
    """The stamps of background work (heartbeats, started, finished): naive UTC to the second,
    as every stamp is stored (:func:`app.validation.readings.utcnow`)."""
    return _clock.utcnow().replace(microsecond=0)


def stale() -> timedelta:
    """How long a heartbeat may stay silent before its work counts as orphaned."""
    seconds = DEFAULT_STALE_SECONDS
    if has_app_context():
        seconds = int(current_app.config.get("WORKER_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return timedelta(seconds=max(2, seconds))


def interval() -> float:
    """Seconds between beats: a fifth of :func:`stale`."""
    return stale().total_seconds() / 5


class Heartbeat:
    """``statement()`` → the UPDATE that moves the heartbeat (built at each beat, so that its
    time is now). ``alive`` turns False when the UPDATE finds no row: the work was swept (or
    finished elsewhere) and should stop."""

    def __init__(self, engine, statement, every: float | None = None):
        self.engine = engine
        self.statement = statement
        self.every = interval() if every is None else every
        self.alive = True
        self._last = 0.0
        self._stop = threading.Event()
        self._thread = None
        self._guard = threading.Lock()

    def beat(self, force: bool = False) -> bool:
        """Move the heartbeat on (at most once per ``every`` seconds unless ``force``).
        Returns whether the work is still wanted."""
        moment = monotonic()
        if not force and moment - self._last < self.every:
            return self.alive
        with self._guard:
            self._last = moment
            try:
                with self.engine.begin() as connection:
                    if connection.execute(self.statement()).rowcount == 0:
                        self.alive = False
            except Exception:  # the database away for a moment: the next beat tries again
                log.warning("heartbeat not written", exc_info=True)
        return self.alive

    def _loop(self):
        while not self._stop.wait(max(self.every, 0.5)):
            self.beat(force=True)

    def __enter__(self):
        self.beat(force=True)
        if self.engine.dialect.name != "sqlite":
            self._thread = threading.Thread(target=self._loop, name="oblik-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return False
