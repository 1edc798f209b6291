"""Migration 0020: the penalty and restructuring tables, ``penalty`` as a charge-line kind — and
on SQLite, where ``charge_line`` is copied to change its CHECK constraint, every trigger of the
database is still there after the upgrade and after the downgrade."""
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app

PENALTY_LINE = ("INSERT INTO charge_line (period, target_period, building_id, account_id, service_id, kind, seq, "
                "amount) VALUES ('2027-02', '2027-02', 1, 1, 1, 'penalty', 0, 290)")


def _triggers(run):
    return sorted(run(sa.text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")).all())


def test_upgrade_and_downgrade_keep_every_trigger_and_the_kinds():
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/m.db")
        with application.app_context():
            directory = application.extensions["migrate"].directory
            run = db.session.execute
            upgrade(directory=directory, revision="0019")
            before = _triggers(run)
            assert len(before) > 20        # the change log, the scope, the journal's guards, the audit log
            run(sa.text("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, "
                        "heat_common_share, heat_min_share) VALUES (1, 'M1', 'вул. Тестова, 1', 'volume', 0.05, "
                        "0.1, 0.5)"))
            run(sa.text("INSERT INTO premise (id, building_id, number, kind, total_area, heating) "
                        "VALUES (1, 1, '1', 'apartment', 40, 'central')"))
            run(sa.text("INSERT INTO account (id, premise_id, account_number, owner_name, opened_on) VALUES "
                        "(1, 1, 'M-1', 'Іваненко І. І.', '2024-01-01')"))
            run(sa.text("INSERT INTO service (id, code, name, unit, method, area_basis, quantity_precision) VALUES "
                        "(1, 'FX', 'Утримання', 'міс', "
                        "'fixed', 'total', 3)"))
            db.session.commit()
            with pytest.raises(sa.exc.IntegrityError):
                run(sa.text(PENALTY_LINE))
            db.session.rollback()

            upgrade(directory=directory, revision="0020")
            assert _triggers(run) == before
            run(sa.text(PENALTY_LINE))
            run(sa.text("INSERT INTO penalty_exemption (account_id, date_from, reason) VALUES (1, '2027-01-01', "
                        "'рішення')"))
            with pytest.raises(sa.exc.IntegrityError):
                with db.session.begin_nested():
                    run(sa.text("INSERT INTO charge_line (period, target_period, building_id, account_id, "
                                "service_id, kind, seq, amount) VALUES ('2027-02', '2027-02', 1, 1, 1, 'bonus', 0, "
                                "1)"))
            db.session.commit()
            # the change log still works on the copied database: a reading's trigger writes its row
            assert run(sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                               "AND tbl_name = 'reading'")).scalar() > 0
            db.session.remove()

            downgrade(directory=directory, revision="0019")
            assert _triggers(run) == before
            assert run(sa.text("SELECT count(*) FROM charge_line WHERE kind = 'penalty'")).scalar() == 0
            assert "penalty_exemption" not in sa.inspect(db.engine).get_table_names()
            upgrade(directory=directory, revision="0022")
            assert _triggers(run) == before
            # 0023: what the penalty reads logs a billing change; down again: as before
            upgrade(directory=directory)
            after = {name: sql for name, _table, sql in _triggers(run)}
            assert {"billing_change_penalty_exemption_insert", "billing_change_restructuring_agreement_update"} \
                <= set(after)
            assert "penalty.%" in after["billing_change_setting_insert"]
            downgrade(directory=directory, revision="0022")
            assert _triggers(run) == before
            db.session.remove()
            db.engine.dispose()
