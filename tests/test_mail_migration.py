"""Migration 0015 (the mail delivery log, the sender's lock, the mail settings) upgrades and
downgrades cleanly on SQLite and PostgreSQL, and the database itself keeps a message per
kind, account and period unique and its status one of the known ones."""
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.test_scope_migration import _drop, _url

TABLES = {"mail_delivery", "mail_lock", "mail_settings"}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_mail_migration_up_and_down(dialect):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = _url(dialect, tmp)
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context():
            directory = application.extensions["migrate"].directory
            upgrade(directory=directory, revision="0015")
            assert TABLES <= set(sa.inspect(db.engine).get_table_names())
            run = db.session.execute
            run(sa.text("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, heat_common_share, "
                        "heat_min_share) VALUES (1, 'M1', 'вул. Поштова, 1', 'volume', 0.05, 0.1, 0.5)"))
            run(sa.text("INSERT INTO premise (id, building_id, number, kind, total_area, heating) "
                        "VALUES (1, 1, '1', 'apartment', 40, 'central')"))
            run(sa.text("INSERT INTO account (id, account_number, premise_id, owner_name, opened_on, version) "
                        "VALUES (1, 'A-1', 1, 'Власник', '2020-01-01', 1)"))
            insert = ("INSERT INTO mail_delivery (kind, account_id, period, recipient, status, attempts, queued_at, "
                      "updated_at) VALUES ('invoice', 1, '2026-10', 'a@example.ua', :status, 0, :at, :at)")
            run(sa.text(insert), {"status": "queued", "at": "2026-11-01 08:00:00"})
            db.session.commit()
            for status in ("queued", "posted"):  # the second of a kind, account and period; an unknown status
                with pytest.raises(sa.exc.IntegrityError):
                    run(sa.text(insert), {"status": status, "at": "2026-11-01 08:00:00"})
                    db.session.flush()
                db.session.rollback()
            db.session.remove()
            downgrade(directory=directory, revision="0014")
            assert not TABLES & set(sa.inspect(db.engine).get_table_names())
            upgrade(directory=directory)
            assert TABLES <= set(sa.inspect(db.engine).get_table_names())
            db.session.remove()
            db.engine.dispose()
        if dialect == "postgresql":
            _drop(url)
