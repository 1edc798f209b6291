"""The list-speed fixes of bench/README.md keep behaviour: the pager count comes from the
PostgreSQL planner only for an unfiltered list of a big table (exact for searches, for the
inspector's building scope and on SQLite), the REST API counts without its to-one joins, the
pickers find the same rows in the same order, and migration 0004's indexes are in place and
in step with the models."""
import importlib.util
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, or_, select, text

from tests.conftest import DATABASE_URL
from tests.webtools import count, seed_ids

ON_PG = DATABASE_URL.startswith("postgresql")
pg_only = pytest.mark.skipif(not ON_PG, reason="the planner estimate is PostgreSQL's")


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


class Statements:
    """The SQL statements run while the context is active."""

    def __init__(self, app):
        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.sql = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.sql.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def counts(self, table):
        return [s for s in self.sql if s.lower().startswith("select count(") and f"from {table}" in s.lower()]


@pytest.fixture()
def list_counts(monkeypatch):
    """The (model name, count, rows) that every OblikInterface.query answered."""
    from app.views.base import OblikInterface

    answered = []
    original = OblikInterface.query

    def spy(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        answered.append((self.obj.__name__, result[0], len(result[1])))
        return result

    monkeypatch.setattr(OblikInterface, "query", spy)
    return answered


def _readings(app, *conditions):
    from app.models import Reading

    return count(app, Reading, *conditions)


def _listed(answered, model="Reading"):
    found = [(c, n) for name, c, n in answered if name == model]
    assert len(found) == 1, answered
    return found[0]


def _analyze(app, table):
    from app.extensions import db

    with app.app_context():
        db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()


@pytest.fixture()
def fake_estimate(monkeypatch):
    """The planner 'estimates' 777 rows for every table, from the smallest size on."""
    from app.views import base

    monkeypatch.setattr(base, "ESTIMATE_COUNT_FROM", 1)
    monkeypatch.setattr(base, "_PG_ROW_ESTIMATE", text("SELECT 777.0 + 0 * length(CAST(:table AS text))"))


# --- #3: the pager count --------------------------------------------------------------


def test_views_estimate_and_apis_count_exactly(app):
    from app.views.base import OblikInterface

    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    assert isinstance(views["ReadingView"].datamodel, OblikInterface)
    assert views["ReadingView"].datamodel.estimate_count is True
    assert isinstance(views["ReadingApi"].datamodel, OblikInterface)
    assert views["ReadingApi"].datamodel.estimate_count is False


def test_count_is_exact_on_sqlite_or_for_a_small_table(app, client_as, list_counts):
    """No monkeypatching: the test town is far below the threshold (and SQLite never
    estimates): the pager shows the exact count."""
    admin = client_as("admin")
    with Statements(app) as seen:
        assert admin.get("/readingview/list/?psize_ReadingView=1").status_code == 200
    assert _listed(list_counts) == (_readings(app), 1)
    assert seen.counts("reading")


@pytest.mark.skipif(ON_PG, reason="SQLite")
def test_sqlite_never_estimates(app, client_as, list_counts, monkeypatch):
    from app.views import base

    monkeypatch.setattr(base, "ESTIMATE_COUNT_FROM", 0)
    assert client_as("admin").get("/readingview/list/?psize_ReadingView=1").status_code == 200
    assert _listed(list_counts) == (_readings(app), 1)


@pg_only
def test_unfiltered_list_takes_the_planner_estimate(app, client_as, list_counts, fake_estimate):
    admin = client_as("admin")
    with Statements(app) as seen:
        page = admin.get("/readingview/list/?psize_ReadingView=1")
    assert page.status_code == 200
    assert _listed(list_counts) == (777, 1)
    assert not seen.counts("reading")  # no count(*) of the table at all


@pg_only
def test_real_estimate_of_an_analyzed_table(app, client_as, list_counts, monkeypatch):
    from app.views import base

    monkeypatch.setattr(base, "ESTIMATE_COUNT_FROM", 1)
    _analyze(app, "reading")
    exact = _readings(app)
    assert exact >= 2
    with Statements(app) as seen:
        assert client_as("admin").get("/readingview/list/?psize_ReadingView=1").status_code == 200
    assert not seen.counts("reading")
    estimated, shown = _listed(list_counts)
    assert shown == 1 and estimated == exact  # ANALYZE of a small table counts every row


@pg_only
def test_filtered_list_counts_exactly(app, client_as, ids, list_counts, fake_estimate):
    from app.models import Reading

    meter = ids["meter"]["M-B1-1"]
    with Statements(app) as seen:
        page = client_as("admin").get(f"/readingview/list/?_flt_0_meter={meter}&psize_ReadingView=1")
    assert page.status_code == 200
    assert _listed(list_counts) == (_readings(app, Reading.meter_id == meter), 1)
    assert seen.counts("reading")


@pg_only
def test_inspector_scope_counts_exactly(app, client_as, ids, list_counts, fake_estimate):
    from app.models import Meter, Reading

    assert client_as("inspector").get("/readingview/list/?psize_ReadingView=1").status_code == 200
    in_b1 = select(Meter.id).where(Meter.building_id == ids["building"]["B1"])
    assert _listed(list_counts) == (_readings(app, Reading.meter_id.in_(in_b1)), 1)


@pg_only
def test_last_page_and_pages_past_the_estimate_count_exactly(app, client_as, list_counts, monkeypatch):
    from app.views import base

    admin = client_as("admin")
    exact = _readings(app)
    estimate = exact + 1000  # the planner promises more rows than there are
    monkeypatch.setattr(base, "ESTIMATE_COUNT_FROM", 1)
    monkeypatch.setattr(base, "_PG_ROW_ESTIMATE", text(f"SELECT {estimate}.0 + 0 * length(CAST(:table AS text))"))
    # a page with fewer rows than the page size is the last one: offset + rows
    from app.views.guard import MAX_PAGE_SIZE

    page_size = min(exact // 2 + 1, MAX_PAGE_SIZE)  # within what a screen may ask, however many rows
    if exact % page_size == 0:
        page_size -= 1
    last = exact // page_size  # pages count from 0: the last one holds the rest
    assert admin.get(f"/readingview/list/?psize_ReadingView={page_size}&page_ReadingView={last}").status_code == 200
    assert _listed(list_counts) == (exact, exact - last * page_size)
    list_counts.clear()
    # a page past the end (the estimate promised more): the exact count
    assert admin.get(f"/readingview/list/?psize_ReadingView=1&page_ReadingView={exact + 500}").status_code == 200
    assert _listed(list_counts) == (exact, 0)
    list_counts.clear()
    # a full page well before the estimated end: the estimate
    assert admin.get("/readingview/list/?psize_ReadingView=1&page_ReadingView=1").status_code == 200
    assert _listed(list_counts) == (estimate, 1)


@pg_only
def test_estimate_short_of_a_full_page_counts_exactly(app, client_as, list_counts, monkeypatch):
    """The estimate says the table ends on this page, the page is full: count exactly."""
    from app.views import base

    exact = _readings(app)
    monkeypatch.setattr(base, "ESTIMATE_COUNT_FROM", 1)
    monkeypatch.setattr(base, "_PG_ROW_ESTIMATE", text("SELECT 1.0 + 0 * length(CAST(:table AS text))"))
    assert client_as("admin").get("/readingview/list/?psize_ReadingView=1").status_code == 200
    assert _listed(list_counts) == (exact, 1)


def test_row_estimate_refuses_every_where(app):
    """``row_estimate`` answers only for a bare ``FROM table``: any filter, scope or join
    means an exact count, on any database."""
    from app.extensions import db
    from app.models import Meter, Reading
    from app.views.base import OblikInterface

    interface = OblikInterface(Reading, estimate_count=True)
    with app.app_context():
        base = db.session.query(Reading)
        assert interface.row_estimate(base.filter(Reading.meter_id == 1)) is None
        assert interface.row_estimate(base.join(Meter)) is None
        assert interface.row_estimate(base.filter(text("1 = 0"))) is None


# --- #4: the REST API counts without its many-to-one joins -------------------------------


def test_api_count_without_the_meter_join(app, client_as, ids):
    from app.models import Reading

    admin = client_as("admin")
    with Statements(app) as seen:
        answer = admin.get("/api/v1/reading/?q=(page_size:2)")
    assert answer.status_code == 200
    assert answer.json["count"] == _readings(app)
    assert all(r["meter"]["serial"] for r in answer.json["result"])  # the columns still come
    counted = seen.counts("(select")
    assert counted and all(" join " not in s.lower() for s in counted), counted

    meter = ids["meter"]["M-B1-1"]
    answer = admin.get(f"/api/v1/reading/?q=(filters:!((col:meter,opr:rel_o_m,value:{meter})))")
    assert answer.status_code == 200
    assert answer.json["count"] == _readings(app, Reading.meter_id == meter)


def test_api_count_of_the_inspector_scope(app, api_token, ids):
    from app.models import Meter, Reading

    answer = app.test_client().get("/api/v1/reading/", headers=api_token("inspector"))
    assert answer.status_code == 200
    in_b1 = select(Meter.id).where(Meter.building_id == ids["building"]["B1"])
    assert answer.json["count"] == _readings(app, Reading.meter_id.in_(in_b1))


def test_only_to_one_joins_are_dropped_from_the_count():
    from app.models import Account, Meter, Reading
    from app.views.base import OblikInterface

    assert OblikInterface(Reading)._joins_only_to_one(["id", "meter.id", "meter.serial", "date"])
    assert OblikInterface(Account)._joins_only_to_one(["premise.id", "owner_name"])
    assert not OblikInterface(Meter)._joins_only_to_one(["serial", "readings.value"])


# --- #6, #8, #9: the pickers -------------------------------------------------------------


def _old_page(session, model, condition, order, joins=()):
    """What the pickers asked before the speed fixes (same scope, order and page)."""
    from app.views.lookup import PAGE
    from app.views.scope import scope_query

    stmt = select(model)
    for join in joins:
        stmt = stmt.join(join)
    stmt = scope_query(session, model, stmt.where(condition))
    return [r.id for r in session.scalars(stmt.order_by(*order).limit(PAGE + 1))][:PAGE]


@pytest.fixture()
def picker_session(app):
    """A request of a signed-in user with extra meters and residents (rolled back after)."""
    from flask_login import login_user

    from app.extensions import db
    from app.models import Building, Meter, MeterType, Resident

    def make(role):
        from flask import g

        g.user = app.appbuilder.sm.find_user(username=role)  # FAB's permission checks read it
        login_user(g.user)
        return db.session

    with app.test_request_context():
        session = db.session
        cold = session.scalar(select(MeterType).where(MeterType.code == "CW"))
        for code in ("B1", "B2"):
            building = session.scalar(select(Building).where(Building.code == code))
            for serial in ("19000", "19001", "190010", "1900-5", "1901", "2000", "A1900", "a19", "19_00",
                           "19%1", "0190"):
                session.add(Meter(serial=f"{serial}{code}" if code == "B2" else serial, meter_type=cold,
                                  building=building, installed_on=date(2024, 1, 1), initial_reading=Decimal(0)))
        for n, name in enumerate(("Коваленко Іван", "Ковальчук Петро Ковалевич", "Бондар Коваль",
                                  "КОВАЛЬ Ярослава", "Яковалюк Олег", "Андрієнко Ковалина", "Ко Ва Ль")):
            session.add(Resident(resident_id=f"T-SPEED-{n}", full_name=name))
        session.flush()
        yield make
        session.rollback()


def _visible(session, model):
    from app.views.scope import scope_query

    return list(session.scalars(scope_query(session, model, select(model))))


def _first_page(found, expected):
    """The picker's first page holds the expected rows: all of them, or a page of them."""
    from app.views.lookup import PAGE

    if len(expected) <= PAGE:
        return set(found) == set(expected)
    return len(found) == PAGE and set(found) <= set(expected)


@pytest.mark.parametrize("role", ["admin", "inspector"])
def test_meter_picker_finds_serials_within_the_scope(picker_session, role):
    """A serial is found by any part of three characters or more (wildcards literal, any
    case), only within the inspector's buildings; the page is ordered by address, flat, serial
    (the search of app/services/search.py; typed values that are no address, flat or account)."""
    from app.models import Meter
    from app.views.lookup import lookup_page

    session = picker_session(role)
    visible = _visible(session, Meter)
    for typed in ("190", "1900", "19000", "1900-", "190010", "A19", "a19", "19_", "19%", "19_0", "M-B1", "m-b1",
                  "HM-B1", "hm-b2", "1900B2", "0190", "xyz"):
        rows = lookup_page(session, "meter", typed, 0)[0]
        expected = [m.id for m in visible if typed.lower() in m.serial.lower()]
        assert _first_page([m.id for m in rows], expected), (typed, [m.serial for m in rows])
        keys = [(m.building.address, m.premise.number if m.premise else "", m.serial) for m in rows]
        assert keys == sorted(keys, key=lambda k: (k[0], k[1] or "", k[2])) or len({k[0] for k in keys}) > 1, typed
    assert lookup_page(session, "meter", "1900", 0)[0]  # the test rows are seen


@pytest.mark.parametrize("role", ["admin", "inspector"])
def test_resident_picker_finds_every_word(picker_session, role):
    from app.models import Resident
    from app.views.lookup import lookup_page

    session = picker_session(role)
    visible = _visible(session, Resident)
    for typed in ("Ковал", "ковал", "КОВАЛЬ", "Ко", "ова", "Мешканець", "мешканець b1", "R-B1-1", "T-SPEED-3",
                  "Ко Ва", "Петро", "ь", "nobody", "ковал петро"):
        rows = lookup_page(session, "resident", typed, 0)[0]
        words = typed.lower().split()
        expected = [r.id for r in visible
                    if all(w in r.full_name.lower() or w == r.resident_id.lower() for w in words)]
        assert _first_page([r.id for r in rows], expected), typed
        names = [r.full_name for r in rows]
        assert names == sorted(names), typed  # by name, as before
    assert len(lookup_page(session, "resident", "ковал", 0)[0]) >= 6
    assert [r.full_name for r in lookup_page(session, "resident", "ковал петро", 0)[0]] == ["Ковальчук Петро Ковалевич"]


@pytest.mark.parametrize("role", ["admin", "inspector"])
def test_premise_picker_label_in_one_statement(app, picker_session, role):
    from app.models import Building, Premise
    from app.views.lookup import lookup_page

    session = picker_session(role)
    _settle(session)
    visible = {p.id: p for p in _visible(session, Premise)}
    for typed in ("Шевченка", "шевченка 1", "Франка", "B1 2", "кв.1", ""):
        with Statements(app) as seen:
            rows, _more = lookup_page(session, "premise", typed, 0)
            labels = [(r.id, str(lookup_label(r))) for r in rows]
        assert len(seen.sql) == 1, seen.sql  # the building of the label comes with the join
        for pid, label in labels:
            premise = visible[pid]
            assert label == f"{premise.building.address}, кв. {premise.number}"
        order = [(visible[pid].building.address, visible[pid].number) for pid, _l in labels]
        assert order == sorted(order)
        if typed.startswith("Шевченка"):
            assert labels and all("Шевченка" in label for _p, label in labels)
    flat_one = lookup_page(session, "premise", "шевченка 1 кв.1", 0)[0]
    # the seeded B1's flat 1 — and, the database being shared by the session, any other test's
    # building at the same address: each of them flat 1 of a «Шевченка, 1»
    assert ("B1", "1") in [(p.building.code, p.number) for p in flat_one]
    assert all(p.number == "1" and re.search(r"Шевченка,? 1$", p.building.address) for p in flat_one), \
        [(p.building.address, p.number) for p in flat_one]


def lookup_label(premise):
    from app.views.lookup import option_label

    return option_label("premise", premise)


def _settle(session):
    """Forget the loaded rows (so that relations are loaded as a fresh request would), then
    read the signed-in user again (its roles decide the scope)."""
    from flask_login import current_user

    from app.views.scope import allowed_building_ids

    from app.security import may_see_personal_data

    session.expire_all()
    list(current_user.roles)
    allowed_building_ids(session)
    may_see_personal_data()  # the user's groups and roles, as the request's own access check loads them


def test_pickers_load_only_the_label(app, picker_session):
    from app.views.lookup import lookup_page

    session = picker_session("admin")
    _settle(session)
    for name, typed in (("meter", "1900"), ("account", "B1"), ("resident", "Ковал"), ("building", "B")):
        with Statements(app) as seen:
            rows, _more = lookup_page(session, name, typed, 0)
            assert rows and all(str(r) for r in rows)
        assert len(seen.sql) == 1, (name, seen.sql)


def test_tariff_picker_label_names_the_service(app, picker_session):
    from app.models import Service, Tariff
    from app.views.lookup import lookup_page

    session = picker_session("admin")
    service = session.scalar(select(Service).where(Service.code == "CW"))
    session.add(Tariff(service=service, valid_from=date(1999, 1, 1), price=Decimal("12.34")))
    session.flush()
    _settle(session)
    with Statements(app) as seen:
        rows, _more = lookup_page(session, "tariff", "CW", 0)
        labels = [str(r) for r in rows]
    assert "CW 1999-01-01 12.34" in [re.sub(r"(\.\d*?)0+$", r"\1", label) for label in labels], labels
    assert len(seen.sql) == 2, seen.sql  # the page, then its services at once


# --- #5, #7: migration 0004 ----------------------------------------------------------------


def test_reading_index_in_list_order(app):
    from app.extensions import db

    with app.app_context():
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("reading")}
    assert indexes.get("ix_reading_date_id") == ["date", "id"]
    assert "ix_reading_date" not in indexes


@pg_only
def test_trigram_indexes_on_postgresql(app):
    from app.extensions import db

    with app.app_context():
        if not db.session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
            pytest.skip("pg_trgm is not installed on this server")
        found = dict(db.session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")).all())
    for name, table, column in _migration().TRIGRAM_INDEXES + _migration("0025_payment_search_index").TRIGRAM_INDEXES:
        assert re.search(rf"ON public\.{table} USING gin \({column} gin_trgm_ops\)", found[name]), found.get(name)


def test_no_trigram_indexes_on_sqlite(app):
    from app.extensions import db

    if ON_PG:
        pytest.skip("SQLite")
    with app.app_context():
        names = {ix["name"] for table in ("resident", "account", "meter", "building", "payment")
                 for ix in inspect(db.engine).get_indexes(table)}
    assert not any(name.endswith("_trgm") for name in names)


def _migration(name: str = "0004_search_indexes"):
    path = Path(__file__).resolve().parent.parent / f"app/migrations/versions/{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name[:4]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_pg_trgm_skips_with_a_warning(caplog):
    """A server without pg_trgm (or a user who may not create it): the savepoint is rolled
    back, a warning is logged, the migration goes on."""
    import sqlalchemy as sa

    class Savepoint:
        rolled_back = False

        def __enter__(self):
            return self

        def __exit__(self, kind, error, tb):
            Savepoint.rolled_back = kind is not None
            return False

    class Bind:
        def begin_nested(self):
            return Savepoint()

        def exec_driver_sql(self, sql):
            raise sa.exc.OperationalError(sql, {}, Exception('extension "pg_trgm" is not available'))

    with caplog.at_level("WARNING"):
        assert _migration()._create_pg_trgm(Bind()) is False
    assert Savepoint.rolled_back
    assert "pg_trgm" in caplog.text and "skipped" in caplog.text


def test_models_match_the_migrations(app):
    """Autogenerate finds nothing to do (the trigram indexes exist only in PostgreSQL's
    migration, not on the models)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_appbuilder import Model

    from app.extensions import db

    trigram = {name for name, _t, _c in _migration().TRIGRAM_INDEXES
               + _migration("0025_payment_search_index").TRIGRAM_INDEXES}
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    left = [d for d in diff if not (d[0] == "remove_index" and d[1].name in trigram)]
    assert left == []


@pytest.mark.parametrize("name, typed, sorted_matches", [
    ("resident", "Ковал", ON_PG), ("resident", "Ко", False), ("meter", "1900", ON_PG), ("meter", "19", False),
    ("meter", "Шевченка", ON_PG)])
def test_searches_of_three_characters_sort_the_matches_on_postgresql(app, picker_session, name, typed,
                                                                    sorted_matches):
    """PostgreSQL: ``ORDER BY column || ''`` (the matches, found by the trigram index, are
    sorted) from three characters on; otherwise, and on SQLite, ``ORDER BY column``."""
    from app.views.lookup import lookup_page

    session = picker_session("admin")
    _settle(session)
    with Statements(app) as seen:
        lookup_page(session, name, typed, 0)
    order_by = seen.sql[-1].split(" ORDER BY ")[1]
    assert ("||" in order_by) is sorted_matches, order_by
