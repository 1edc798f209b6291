"""Fixtures of the billing tests with a database: every test gets a database of its own — a copy
of a migrated template (SQLite file copy; PostgreSQL ``CREATE DATABASE … TEMPLATE``) — because
periods, the journal and the change log are global state that a test must own.

The default database is SQLite, or PostgreSQL when ``OBLIK_TEST_DATABASE_URL`` names one.
``bdb_any`` runs a test on both (PostgreSQL skipped when no server answers at
``OBLIK_TEST_PG_SERVER``, default ``postgresql+psycopg2://postgres@127.0.0.1:5432``).
"""
import os
import shutil
import sqlite3
import tempfile

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.conftest import DATABASE_URL, PASSWORD, ROLES, login, make_app

PG_SERVER = os.environ.get("OBLIK_TEST_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
_DATABASES = {}


class Database:
    """A migrated template and the current copy a test works on, behind one Flask app."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        suffix = f"{os.getpid()}"
        if dialect == "sqlite":
            self.dir = tempfile.mkdtemp(prefix="oblik-billing-")
            self.template = os.path.join(self.dir, "template.db")
            self.current = os.path.join(self.dir, "current.db")
            self.url = f"sqlite:///{self.current}"
            template_url = f"sqlite:///{self.template}"
        else:
            server = _pg_server()
            self.admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
            self.template = f"oblik_billing_{suffix}_tpl"
            self.current = f"oblik_billing_{suffix}"
            self.url = f"{server}/{self.current}"
            template_url = f"{server}/{self.template}"
            with self.admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.current}"))
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.template}"))
                conn.execute(sa.text(f"CREATE DATABASE {self.template}"))
        builder = make_app(SQLALCHEMY_DATABASE_URI=template_url)
        with builder.app_context():
            from app.extensions import db
            from app.services.setup import upgrade_database
            from app.services.users import create_user

            upgrade_database()
            for role in ROLES:
                create_user(role, PASSWORD, role)
            db.session.remove()
            db.engine.dispose()
        if dialect == "sqlite":
            connection = sqlite3.connect(self.template)
            connection.execute("PRAGMA journal_mode=DELETE")  # fold the WAL into the file
            connection.close()
        self.app = None

    def reset(self):
        from app.extensions import db

        if self.app is not None:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.dialect == "sqlite":
            for extra in ("", "-wal", "-shm"):
                if os.path.exists(self.current + extra):
                    os.remove(self.current + extra)
            shutil.copyfile(self.template, self.current)
        else:
            with self.admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.current} WITH (FORCE)"))
                conn.execute(sa.text(f"CREATE DATABASE {self.current} TEMPLATE {self.template}"))
        if self.app is None:
            self.app = make_app(SQLALCHEMY_DATABASE_URI=self.url)
        return self.app

    def drop(self):
        if self.dialect == "sqlite":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            if self.app is not None:
                from app.extensions import db

                with self.app.app_context():
                    db.session.remove()
                    db.engine.dispose()
            with self.admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.current} WITH (FORCE)"))
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.template}"))
            self.admin.dispose()


def _pg_server():
    if DATABASE_URL.startswith("postgresql"):
        return DATABASE_URL.rsplit("/", 1)[0]
    return PG_SERVER


def _pg_available() -> bool:
    try:
        engine = sa.create_engine(f"{_pg_server()}/postgres")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _database(dialect: str) -> Database:
    if dialect not in _DATABASES:
        if dialect == "postgresql" and not _pg_available():
            pytest.skip("no PostgreSQL server for the billing tests")
        _DATABASES[dialect] = Database(dialect)
    return _DATABASES[dialect]


def pytest_sessionfinish(session, exitstatus):
    for database in _DATABASES.values():
        try:
            database.drop()
        except Exception:
            pass


DEFAULT_DIALECT = "postgresql" if DATABASE_URL.startswith("postgresql") else "sqlite"


@pytest.fixture()
def bdb(app):
    """The Flask app on a fresh billing database (the default dialect), with an app context.
    Depends on the session ``app`` so that it is created first."""
    billing_app = _database(DEFAULT_DIALECT).reset()
    with billing_app.app_context():
        yield billing_app
        from app.extensions import db

        db.session.rollback()


@pytest.fixture(params=["sqlite", "postgresql"])
def bdb_any(request, app):
    """The same on SQLite and on PostgreSQL."""
    billing_app = _database(request.param).reset()
    with billing_app.app_context():
        yield billing_app
        from app.extensions import db

        db.session.rollback()


class _FreshClient(FlaskClient):
    """The tests keep the billing app's context pushed (to read the database), so Flask reuses
    it for each request — and its ``g`` with the previous request's user. A request of a
    real browser starts with an empty ``g``: so does each request of this client."""

    def open(self, *args, **kwargs):
        from flask import g

        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture()
def web(bdb):
    """``web("accountant")`` → a test client of the billing app, logged in."""
    bdb.test_client_class = _FreshClient

    def make(role):
        return login(bdb.test_client(), role)

    return make


def fresh_database(dialect: str = DEFAULT_DIALECT):
    """Reset the current billing database inside a test (each Hypothesis example gets its own);
    call it with the billing app's context pushed."""
    from app.extensions import db

    db.session.remove()
    return _database(dialect).reset()
