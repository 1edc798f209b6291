"""Migration 0019 (write-off statements) goes up, down to 0018 and up again, on SQLite and on
PostgreSQL (a database of its own next to ``OBLIK_TEST_DATABASE_URL``)."""
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.test_scope_migration import PG_URL, _drop

TABLES = {"write_off", "write_off_line", "write_off_posting"}


def _url(dialect, tmp):
    if dialect == "sqlite":
        return f"sqlite:///{tmp}/migrate.db"
    if not PG_URL.startswith("postgresql"):
        pytest.skip("OBLIK_TEST_DATABASE_URL names no PostgreSQL database")
    server, name = PG_URL.rsplit("/", 1)
    own = f"{server}/{name}_write_off_migration"
    _drop(own)
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {own.rsplit('/', 1)[1]}"))
    admin.dispose()
    return own


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_0019_up_down_up(dialect):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = _url(dialect, tmp)
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context():
            directory = application.extensions["migrate"].directory
            upgrade(directory=directory, revision="0019")
            assert TABLES <= set(sa.inspect(db.engine).get_table_names())
            downgrade(directory=directory, revision="0018")
            assert not TABLES & set(sa.inspect(db.engine).get_table_names())
            upgrade(directory=directory, revision="0019")
            assert TABLES <= set(sa.inspect(db.engine).get_table_names())
            db.session.remove()
            db.engine.dispose()
        if dialect == "postgresql":
            _drop(url)
