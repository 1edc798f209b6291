"""Sessions and sign-in attempts — the one place that decides who stays signed in and who may
try a password.

* **Revocable sessions.** The session cookie is signed on the client, so it cannot be deleted
  on the server; instead every user has a *session version* (``user_session``). A session (and
  an API token) carries the version it was opened with; a logout or a password change bumps the
  version and every older cookie or token is refused on its next request.
* **Idle expiry.** A session unused for ``SESSION_IDLE_MINUTES`` (default 8 hours) is refused.
* **Failed sign-ins** are counted in the database (``login_throttle``), so every worker process
  and every server sees the same counts, for the account typed and for the client address. Too
  many failures lock the key for ``LOGIN_LOCK_SECONDS``, doubled after each further lockout up
  to ``LOGIN_LOCK_MAX_SECONDS``: every lockout ends by itself (the last admin's too), an admin
  can end it earlier (the notice on every page of an admin), and a locked account is logged.

The time is ``now()``: ``OBLIK_CLOCK`` in the app's config (a callable, for tests) or UTC —
:func:`app.validation.readings.utcnow`, the clock of every stamp.
"""
import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginThrottle, UserSession
from ..validation.readings import utcnow

log = logging.getLogger("oblik.security")

# session keys: the version the session was opened with, and when it was last used (epoch s)
VERSION_KEY = "_oblik_sv"
SEEN_KEY = "_oblik_seen"
TOKEN_CLAIM = "sv"
# how often the last-use time is rewritten (a Set-Cookie on every request is not needed)
SEEN_RESOLUTION = 60


class LoginBlocked(Exception):
    """Sign-in refused before the password is checked: ``seconds`` until it may be tried again."""

    def __init__(self, seconds: int, kind: str):
        super().__init__(seconds)
        self.seconds = max(1, int(seconds))
        self.kind = kind


def now() -> datetime:
    """The current time, naive UTC (as stored): the stamps' one clock, ``OBLIK_CLOCK`` included."""
    return utcnow()


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


# --- session versions ------------------------------------------------------------------------
def user_and_version(user_model, user_id: int):
    """The user and their session version, in one query (it replaces the user's own load)."""
    row = db.session.execute(
        select(user_model, UserSession.version)
        .outerjoin(UserSession, UserSession.user_id == user_model.id)
        .where(user_model.id == user_id)
    ).first()
    if row is None:
        return None, 0
    return row[0], row[1] or 0


def session_version(user_id: int) -> int:
    return db.session.scalar(select(UserSession.version).where(UserSession.user_id == user_id)) or 0


def bump_session_version(user_id: int, commit: bool = True) -> int:
    """End every session and API token of the user; returns the new version."""
    updated = db.session.execute(
        update(UserSession).where(UserSession.user_id == user_id).values(version=UserSession.version + 1)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(UserSession(user_id=user_id, version=1))
        except IntegrityError:  # another process created it meanwhile
            db.session.execute(update(UserSession).where(UserSession.user_id == user_id)
                               .values(version=UserSession.version + 1))
    if commit:
        db.session.commit()
    return session_version(user_id)


def open_session(session, user_id: int) -> None:
    """Mark a freshly signed-in session with the user's version and the time."""
    session[VERSION_KEY] = session_version(user_id)
    session[SEEN_KEY] = int(now().replace(tzinfo=UTC).timestamp())


def session_problem(session, version: int) -> str | None:
    """Why a session cookie is no longer accepted ("revoked", "idle"), or None — then its
    last-use time is refreshed."""
    if session.get(VERSION_KEY) != version:
        return "revoked"
    seen = session.get(SEEN_KEY)
    current = int(now().replace(tzinfo=UTC).timestamp())
    if not isinstance(seen, int) or current - seen > _setting("SESSION_IDLE_MINUTES", 480) * 60:
        return "idle"
    if current - seen >= SEEN_RESOLUTION:
        session[SEEN_KEY] = current
    return None


# --- failed sign-ins -------------------------------------------------------------------------
def _keys(username: str | None, ip: str | None) -> list[tuple[str, str]]:
    keys = []
    if username:
        keys.append(("user", username.strip().lower()[:256]))
    if ip:
        keys.append(("ip", ip[:256]))
    return keys


def login_blocked(username: str | None, ip: str | None) -> None:
    """Raise :class:`LoginBlocked` when the account or the address is locked now."""
    keys = _keys(username, ip)
    if not keys:
        return
    moment = now()
    rows = db.session.execute(
        select(LoginThrottle.kind, LoginThrottle.locked_until).where(
            or_(*[and_(LoginThrottle.kind == kind, LoginThrottle.key == key) for kind, key in keys]),
            LoginThrottle.locked_until > moment,
        )
    ).all()
    if rows:
        kind, until = max(rows, key=lambda r: r[1])
        raise LoginBlocked((until - moment).total_seconds(), kind)


def _row(kind: str, key: str) -> LoginThrottle:
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key))
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(kind=kind, key=key, failures=0, lockouts=0)
                db.session.add(row)
        except IntegrityError:  # created meanwhile by another process
            row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.kind == kind,
                                                                LoginThrottle.key == key))
    return row


def login_failed(username: str | None, ip: str | None) -> None:
    """Count a failed sign-in for the account typed and for the address; lock what reached its
    limit (``LOGIN_ACCOUNT_FAILURES`` for an account, ``LOGIN_IP_FAILURES`` for an address)."""
    moment = now()
    window = timedelta(seconds=_setting("LOGIN_FAILURE_WINDOW_SECONDS", 900))
    forget = timedelta(seconds=_setting("LOGIN_LOCKOUT_MEMORY_SECONDS", 86400))
    limits = {"user": _setting("LOGIN_ACCOUNT_FAILURES", 5), "ip": _setting("LOGIN_IP_FAILURES", 20)}
    for kind, key in _keys(username, ip):
        row = _row(kind, key)
        if row.last_failure is not None and moment - row.last_failure > window:
            row.failures = 0
        if row.last_failure is not None and moment - row.last_failure > forget:
            row.lockouts = 0
        db.session.flush()
        # counted in SQL, so that concurrent processes never lose a failure
        db.session.execute(update(LoginThrottle).where(LoginThrottle.id == row.id)
                           .values(failures=LoginThrottle.failures + 1, last_failure=moment))
        db.session.refresh(row)
        if row.failures >= limits[kind]:
            seconds = min(_setting("LOGIN_LOCK_SECONDS", 60) * 2 ** row.lockouts,
                          _setting("LOGIN_LOCK_MAX_SECONDS", 3600))
            row.lockouts += 1
            row.failures = 0
            row.locked_until = moment + timedelta(seconds=seconds)
            log.warning("sign-in locked: %s %r for %d s after %d failed attempts (lockout %d)",
                        "account" if kind == "user" else "address", key, seconds, limits[kind], row.lockouts)
    db.session.commit()


def login_succeeded(username: str | None, ip: str | None) -> None:
    """A right password: the account's failures and lockouts are forgotten, the address's
    failures too."""
    keys = _keys(username, ip)
    for kind, key in keys:
        values = {"failures": 0}
        if kind == "user":
            values.update(lockouts=0, locked_until=None)
        db.session.execute(update(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
                           .values(**values))
    db.session.commit()


def locked_now() -> list[LoginThrottle]:
    """Accounts and addresses locked at this moment (the admin's notice)."""
    return list(db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.locked_until > now())
        .order_by(LoginThrottle.kind.desc(), LoginThrottle.key)
    ))


def unlock(throttle_id: int, by: str | None = None) -> LoginThrottle | None:
    """End a lockout now (an admin's decision): the failures and the backoff are forgotten."""
    row = db.session.get(LoginThrottle, throttle_id)
    if row is None:
        return None
    row.locked_until = None
    row.failures = 0
    row.lockouts = 0
    db.session.commit()
    log.warning("sign-in unlocked: %s %r by %s", row.kind, row.key, by)
    return row


def unlock_account(username: str, by: str | None = None) -> bool:
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.kind == "user",
                                                        LoginThrottle.key == username.strip().lower()))
    if row is None:
        return False
    unlock(row.id, by)
    return True
