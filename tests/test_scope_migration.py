"""Migration 0011 repairs what earlier versions let through — a flat meter whose ``building_id``
is not its premise's (the premise was moved), a group-meter link across buildings — on SQLite
and on PostgreSQL (a database of its own next to ``OBLIK_TEST_DATABASE_URL``; skipped without it)."""
import os
import tempfile

import pytest
import sqlalchemy as sa

from tests.conftest import make_app

PG_URL = os.environ.get("OBLIK_TEST_DATABASE_URL", "")


def _drop(url):
    server, name = url.rsplit("/", 1)
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _url(dialect, tmp_path):
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path}/migrate.db"
    if not PG_URL.startswith("postgresql"):
        pytest.skip("OBLIK_TEST_DATABASE_URL names no PostgreSQL database")
    server, name = PG_URL.rsplit("/", 1)
    own = f"{name}_scope_migration"
    _drop(f"{server}/{own}")
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {own}"))
    admin.dispose()
    return f"{server}/{own}"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_migration_gives_meters_their_premise_building_and_drops_cross_building_links(dialect):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = _url(dialect, tmp)
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context():
            directory = application.extensions["migrate"].directory
            upgrade(directory=directory, revision="0010")
            run = db.session.execute
            for n in (1, 2):
                run(sa.text("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, "
                            "heat_common_share, heat_min_share) VALUES (:n, :c, :a, 'volume', 0.05, 0.1, 0.5)"),
                    {"n": n, "c": f"M{n}", "a": f"вул. Міграційна, {n}"})
                run(sa.text("INSERT INTO premise (id, building_id, number, kind, total_area, heating) "
                            "VALUES (:n, :n, '1', 'apartment', 40, 'central')"), {"n": n})
            run(sa.text("INSERT INTO meter_type (id, code, name, resource, digits, verification_years) "
                        "VALUES (1, 'CW', 'Лічильник', 'cold_water', 5, 6)"))
            # flat meter 1 of premise 2 still says building 1 (the premise was moved); 2 is right;
            # house meter 3 of building 1 is linked to premise 2 of building 2 and to premise 1
            for meter, building, premise in ((1, 1, 2), (2, 1, 1), (3, 1, None)):
                run(sa.text("INSERT INTO meter (id, serial, meter_type_id, building_id, premise_id, installed_on, "
                            "initial_reading) VALUES (:m, :s, 1, :b, :p, '2024-01-01', 0)"),
                    {"m": meter, "s": f"MIG-{meter}", "b": building, "p": premise})
            run(sa.text("INSERT INTO group_meter_premise (id, meter_id, premise_id) VALUES (1, 3, 2), (2, 3, 1)"))
            db.session.commit()

            upgrade(directory=directory)
            buildings = dict(run(sa.text("SELECT id, building_id FROM meter ORDER BY id")).all())
            assert buildings == {1: 2, 2: 1, 3: 1}
            assert run(sa.text("SELECT meter_id, premise_id FROM group_meter_premise")).all() == [(3, 1)]
            db.session.commit()
            # and from now on the database keeps them so
            run(sa.text("UPDATE premise SET building_id = 1, number = '9' WHERE id = 2"))
            assert run(sa.text("SELECT building_id FROM meter WHERE id = 1")).scalar() == 1
            db.session.rollback()
            db.session.remove()
            downgrade(directory=directory, revision="0010")  # the triggers go, the data stays
            run(sa.text("UPDATE meter SET building_id = 2 WHERE id = 2"))
            db.session.commit()
            upgrade(directory=directory)
            assert run(sa.text("SELECT building_id FROM meter WHERE id = 2")).scalar() == 1
            db.session.remove()
            db.engine.dispose()
        if dialect == "postgresql":
            _drop(url)
