"""Concurrent work on the same data: a stale edit refused, a busy database answered.

* **Two users editing one record.** The registry records carry a row version
  (:mod:`app.models.versioned`). The form (a hidden field) and the API (``If-Match`` or a
  ``version`` field) send back the version the user saw; :func:`check_version` refuses a save
  made from an older one before anything is written, and :func:`is_stale` recognises the
  ORM's own refusal (``StaleDataError``) when the other save came between the check and the
  ``UPDATE``. The transaction is rolled back: nothing half-written.
* **A busy database.** SQLite has one writer: a request that waits longer than the busy
  timeout for an import or a billing run gets ``database is locked`` — answered as «try again»
  (HTTP 503, :func:`is_busy`), never as a server error.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..models.versioned import is_versioned


class DatabaseBusy(Exception):
    """SQLite's one writer is busy past the busy timeout (message for the user)."""


class StaleEdit(Exception):
    """The record was changed by someone else since the user read it (message for the user)."""


def read_version(value) -> int | None:
    """The version a client sent (``"3"``, ``3``, an ETag ``"3"`` or ``W/"3"``); None = not
    sent; ``ValueError`` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 18:
        raise ValueError(value)
    return int(text)


def stale_message(item=None) -> str:
    return _("The record was changed by another user after you opened it: nothing was saved. "
             "The form shows the current values now; repeat your changes and save again.")


def bad_version_message(value) -> str:
    return _("Version: not a whole number (%(value)s).", value=str(value)[:40])


def check_version(item, seen) -> None:
    """Raise :class:`StaleEdit` if ``seen`` (what the user's form or request carried; None =
    not sent) is not the record's current version."""
    if seen is None or not is_versioned(type(item)):
        return
    if seen != item.version:
        raise StaleEdit(stale_message(item))


def _causes(error):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def is_stale(error) -> bool:
    """The ORM's version check failed (``StaleDataError``), also wrapped by FAB."""
    return any(isinstance(e, StaleDataError) for e in _causes(error))


def is_busy(error) -> bool:
    """SQLite's «database is locked» (or «busy») after the busy timeout, also wrapped."""
    for e in _causes(error):
        if isinstance(e, DatabaseBusy):
            return True
        if isinstance(e, OperationalError):
            text = str(getattr(e, "orig", e)).lower()
            if "database is locked" in text or "database is busy" in text or "database table is locked" in text:
                return True
    return False


def answer_busy(app) -> None:
    """Every other request that meets a busy database (the login's last-login stamp, the
    billing screen's Run, an upload): HTTP 503 with :func:`busy_message`, never a 500."""
    from flask import jsonify, request

    from ..extensions import db

    def handler(error):
        if not is_busy(error):
            raise error  # Flask's own handling: logged, 500
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(message=busy_message()), 503
        return busy_message(), 503, {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "30"}

    app.register_error_handler(OperationalError, handler)
    app.register_error_handler(DatabaseBusy, handler)


def busy_message() -> str:
    return _("The database is busy with another write (an import or a billing run): nothing was saved. "
             "Try again in a minute.")
