"""The Flask extensions, created once and bound in ``create_app``."""
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_mail import Mail
from flask_migrate import Migrate

db = SQLA()
migrate = Migrate()
mail = Mail()


def current_appbuilder() -> AppBuilder:
    """The AppBuilder of the running app (one per ``create_app``, so tests can make many)."""
    from flask import current_app

    return current_app.appbuilder


def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys only when asked, per connection."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # SQLite lowercases only ASCII: make lower() (used by ILIKE) know Cyrillic, so that
        # «шевч» finds «Шевченка» in every search and picker.
        dbapi_connection.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v,
                                         deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_busy_timeout_ms()}")
        cursor.close()


def _busy_timeout_ms() -> int:
    """How long a write waits for SQLite's one writer (an import, a billing run) before it
    gives up with «database is locked» (``SQLITE_BUSY_TIMEOUT_MS``, answered as «try again»:
    :mod:`app.services.concurrency`)."""
    from flask import current_app, has_app_context

    value = current_app.config.get("SQLITE_BUSY_TIMEOUT_MS") if has_app_context() else None
    return int(value if value is not None else 10000)


def install_sqlite_pragmas():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
