"""Migration 0018 on SQLite and PostgreSQL: the claim act's new columns and statuses, the act's
coverage kept through SQLite's batch copy of ``claim_act`` (foreign keys off during the copy),
the change log's triggers of ``claim_act`` there after it (an approved act cancelled is logged),
and the way back (a cancelled act becomes a draft)."""
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.test_scope_migration import _drop, _url


def _changes(run):
    return run(sa.text("SELECT count(*) FROM billing_change WHERE source = 'claim_act'")).scalar()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_claim_acts_migrate_up_and_down_keeping_their_coverage_and_change_log(dialect):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = _url(dialect, tmp)
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context():
            directory = application.extensions["migrate"].directory
            upgrade(directory=directory, revision="0017")
            run = db.session.execute
            run(sa.text("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, "
                        "heat_common_share, heat_min_share) VALUES (1, 'M1', 'вул. Міграційна, 1', 'volume', "
                        "0.05, 0.1, 0.5)"))
            run(sa.text("INSERT INTO service (id, code, name, unit, method, area_basis, quantity_precision) "
                        "VALUES (1, 'UTR', 'Утримання', 'м2', 'area', 'total', 2)"))
            run(sa.text("INSERT INTO claim_act (id, number, act_date, service_id, kind, date_from, date_to, status) "
                        "VALUES (1, 'АП-1', '2026-10-20', 1, 'not_provided', '2026-10-01', '2026-10-05', "
                        "'approved')"))
            run(sa.text("INSERT INTO claim_act_target (id, act_id, building_id) VALUES (1, 1, 1)"))
            run(sa.text("INSERT INTO network_node (id, code, name, kind) VALUES (1, 'K1', 'Котельня', 'other')"))
            run(sa.text("UPDATE building SET network_node_id = 1 WHERE id = 1"))
            run(sa.text("INSERT INTO meter_type (id, code, name, resource, digits, verification_years) "
                        "VALUES (1, 'HM', 'Теплолічильник', 'heat', 7, 4)"))
            run(sa.text("INSERT INTO meter (id, serial, meter_type_id, building_id, installed_on, initial_reading) "
                        "VALUES (1, 'K1-HEAT', 1, 1, '2024-01-01', 0)"))
            run(sa.text("INSERT INTO billing_building (id, period, building_id, change_mark, accounts, lines, warnings, charged, recalculated) "
                        "VALUES (1, '2026-10', 1, 0, 0, 0, 0, 0, 0)"))
            db.session.commit()
            before = _changes(run)

            upgrade(directory=directory, revision="0018")
            assert run(sa.text("SELECT act_id, building_id FROM claim_act_target")).all() == [(1, 1)]
            assert run(sa.text("SELECT outage FROM claim_act")).scalar() in (False, 0)
            run(sa.text("UPDATE claim_act SET status = 'cancelled', cancelled_by = 'accountant' WHERE id = 1"))
            db.session.commit()
            assert _changes(run) == before + 1  # the trigger is there after the copy
            with pytest.raises(sa.exc.IntegrityError):
                run(sa.text("UPDATE claim_act SET visit = 'maybe' WHERE id = 1"))
            db.session.rollback()
            # linking a meter to the node logs its building; the node's own triggers stay
            run(sa.text("UPDATE network_node SET meter_id = 1 WHERE id = 1"))
            db.session.commit()
            assert run(sa.text("SELECT building_id FROM billing_change WHERE source = 'network_node'")).all() == [(1,)]
            run(sa.text("INSERT INTO network_node (id, code, name, kind) VALUES (2, 'T1', 'ТП', 'other')"))
            run(sa.text("UPDATE network_node SET parent_id = 2 WHERE id = 1"))
            db.session.commit()
            assert run(sa.text("SELECT count(*) FROM billing_change WHERE source = 'network_node'")).scalar() == 2
            run(sa.text("INSERT INTO public_holiday (id, day, name) VALUES (1, '2026-12-25', 'Різдво')"))
            db.session.commit()
            db.session.remove()

            downgrade(directory=directory, revision="0017")
            assert run(sa.text("SELECT network_node_id FROM building")).scalar() == 1
            run(sa.text("UPDATE network_node SET parent_id = NULL WHERE id = 1"))
            db.session.commit()  # 0003's trigger of network_node is back after the copy
            assert run(sa.text("SELECT count(*) FROM billing_change WHERE source = 'network_node'")).scalar() == 3
            assert run(sa.text("SELECT status FROM claim_act")).scalar() == "draft"
            assert run(sa.text("SELECT act_id, building_id FROM claim_act_target")).all() == [(1, 1)]
            run(sa.text("UPDATE claim_act SET status = 'approved' WHERE id = 1"))
            db.session.commit()
            assert _changes(run) == before + 2  # and after the copy back
            db.session.remove()
            upgrade(directory=directory)
            assert run(sa.text("SELECT count(*) FROM claim_act_target")).scalar() == 1
            db.session.remove()
            db.engine.dispose()
        if dialect == "postgresql":
            _drop(url)
