"""Migration 0016 up and down on SQLite and PostgreSQL (a database of its own, skipped without
``OBLIK_TEST_DATABASE_URL``): the source ``online`` accepted after it and refused before, the
change log's and the audit log's triggers kept by the SQLite table copies, the data kept."""
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.test_scope_migration import _drop, _url

TRIGGERS = {"billing_change_reading_insert", "billing_change_reading_update", "billing_change_reading_delete",
            "audit_log_no_update", "audit_log_no_delete"}


def _triggers(run, dialect):
    if dialect == "sqlite":
        return {r[0] for r in run(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                          "AND tbl_name IN ('reading', 'audit_log')"))}
    return {r[0] for r in run(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                      "AND tgrelid IN ('reading'::regclass, 'audit_log'::regclass)"))}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_0016_up_and_down(dialect):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = _url(dialect, tmp)
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context():
            directory = application.extensions["migrate"].directory
            run = db.session.execute
            upgrade(directory=directory, revision="0015")
            before = _triggers(run, dialect)
            run(sa.text("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, heat_common_share, "
                        "heat_min_share) VALUES (1, 'M1', 'вул. Міграційна, 1', 'volume', 0.05, 0.1, 0.5)"))
            run(sa.text("INSERT INTO premise (id, building_id, number, kind, total_area, heating) "
                        "VALUES (1, 1, '1', 'apartment', 40, 'central')"))
            run(sa.text("INSERT INTO meter_type (id, code, name, resource, digits) VALUES (1, 'CW', 'Л', 'cold_water', 5)"))
            run(sa.text("INSERT INTO meter (id, serial, meter_type_id, building_id, premise_id, installed_on, "
                        "initial_reading) VALUES (1, 'MIG-1', 1, 1, 1, '2024-01-01', 0)"))
            run(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (1, '2026-10-31', 5, 'inspector')"))
            db.session.commit()

            upgrade(directory=directory)
            assert _triggers(run, dialect) == before
            if dialect == "sqlite":
                assert before == TRIGGERS
            run(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (1, '2026-11-05', 7, 'online')"))
            run(sa.text("INSERT INTO audit_log (source, table_name, record_id, action, changes) "
                        "VALUES ('online', 'reading', 2, 'insert', '{}')"))
            db.session.commit()
            # the audit log is still append-only after its copy
            with pytest.raises(sa.exc.DatabaseError):
                run(sa.text("DELETE FROM audit_log"))
                db.session.commit()
            db.session.rollback()
            db.session.remove()

            downgrade(directory=directory, revision="0015")
            assert _triggers(run, dialect) == before
            assert run(sa.text("SELECT source FROM reading ORDER BY date")).scalars().all() == ["inspector", "resident"]
            with pytest.raises(sa.exc.IntegrityError):
                run(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (1, '2026-11-06', 8, 'online')"))
            db.session.rollback()
            db.session.remove()
            upgrade(directory=directory)
            db.session.remove()
            db.engine.dispose()
        if dialect == "postgresql":
            _drop(url)
