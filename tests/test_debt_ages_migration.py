"""Migration 0022 (debt ages, ``opening_balance.debt_since``) goes up and down on SQLite and keeps
every trigger of the database (no table is copied)."""
import tempfile

import sqlalchemy as sa

from tests.conftest import make_app


def test_upgrade_and_downgrade_keep_every_trigger():
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/m.db")
        with application.app_context():
            directory = application.extensions["migrate"].directory
            run = db.session.execute

            def triggers():
                return sorted(run(sa.text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")).all())

            def shape():
                inspector = sa.inspect(db.session.connection())
                return (set(inspector.get_table_names()),
                        {c["name"] for c in inspector.get_columns("opening_balance")})

            upgrade(directory=directory, revision="0021")
            before = triggers()
            tables, columns = shape()
            assert "debt_age" not in tables and "debt_since" not in columns
            upgrade(directory=directory, revision="0022")
            tables, columns = shape()
            assert {"debt_age", "debt_age_period"} <= tables and "debt_since" in columns
            assert triggers() == before
            downgrade(directory=directory, revision="0021")
            tables, columns = shape()
            assert "debt_age" not in tables and "debt_since" not in columns
            assert triggers() == before
            db.session.remove()
