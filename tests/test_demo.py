"""The demo town (``oblik demo``) is valid by the app's own rules: loaded into a fresh
database of its own, every record passes ``app.validation``, readings are monotonic inside
each meter's installation, each premise has exactly one active account, and loading again
is refused (or skipped with ``if_empty``)."""
import random
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum import iban as std_iban
from stdnum.ua import edrpou as std_edrpou, rntrc as std_rntrc

from tests.conftest import make_app, own_database_url


def _demo_database_url():
    return own_database_url("demo")


@pytest.fixture(scope="module")
def demo_app():
    from app.services.demo import load_demo
    from app.services.setup import upgrade_database

    application = make_app(SQLALCHEMY_DATABASE_URI=_demo_database_url())
    with application.app_context():
        upgrade_database()
        summary = load_demo()
    application.config["DEMO_SUMMARY"] = summary
    return application


@pytest.fixture()
def session(demo_app):
    from app.extensions import db

    with demo_app.app_context():
        yield db.session
        db.session.rollback()


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _window(today):
    last = (today.replace(day=1) - date.resolution)
    y, m = last.year, last.month - 11
    if m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1), last


def test_summary_and_counts(demo_app, session):
    from app.models import (
        Account, Beneficiary, Building, Meter, NetworkNode, Premise, Reading, Registration, Resident,
        Service, Tariff,
    )

    assert demo_app.config["DEMO_SUMMARY"].startswith("Демо-місто завантажено")
    assert 5 <= _count(session, Building) <= 20
    assert _count(session, Premise) == 300
    active = session.scalar(select(func.count()).select_from(Account).where(Account.closed_on.is_(None)))
    assert active == 300
    assert 300 <= _count(session, Account) <= 330  # a few owners changed: closed accounts
    residents = _count(session, Resident)
    assert 450 <= residents <= 900
    with_rnokpp = session.scalar(select(func.count()).select_from(Resident).where(Resident.rnokpp.is_not(None)))
    assert 0.6 <= with_rnokpp / residents <= 0.8
    assert _count(session, Registration) >= residents
    assert 3 <= _count(session, Beneficiary) <= 60
    assert 450 <= _count(session, Meter) <= 800
    assert 5000 <= _count(session, Reading) <= 10000
    assert _count(session, Service) == 7 and _count(session, Tariff) >= 7
    kinds = dict(session.execute(select(NetworkNode.kind, func.count()).group_by(NetworkNode.kind)).all())
    assert kinds.get("boiler_house", 0) >= 1 and kinds.get("heat_point", 0) >= 1
    premise_kinds = dict(session.execute(select(Premise.kind, func.count()).group_by(Premise.kind)).all())
    assert premise_kinds.get("nonresidential", 0) >= 1
    registration_kinds = dict(session.execute(select(Registration.kind, func.count()).group_by(Registration.kind)).all())
    assert registration_kinds.get("temporary", 0) >= 1 and registration_kinds.get("absent", 0) >= 1


def test_one_active_account_per_premise(session):
    from app.models import Account, Premise

    active = (select(Account.premise_id, func.count().label("n")).where(Account.closed_on.is_(None))
              .group_by(Account.premise_id).subquery())
    wrong = session.scalar(select(func.count()).select_from(Premise).outerjoin(active, active.c.premise_id == Premise.id)
                           .where(func.coalesce(active.c.n, 0) != 1))
    assert wrong == 0
    numbers = session.scalars(select(Account.account_number).order_by(Account.account_number)).all()
    assert numbers[0] == "0100001" and all(len(n) == 7 and n.isdigit() for n in numbers)


def test_every_record_is_valid(session):
    """The same validators as the forms, the API and the imports (records of a few hundred
    rows each are checked whole, the rest in samples)."""
    from app.models import (
        Account, AccountService, BenefitCategory, Beneficiary, Building, Meter, MeterType, NetworkNode,
        Norm, Organisation, Premise, Registration, Resident, Service, Tariff,
    )
    from app.validation import validate

    organisation = session.scalar(select(Organisation))
    assert std_edrpou.is_valid(organisation.edrpou)
    assert std_iban.is_valid(organisation.iban) and organisation.iban.startswith("UA")
    checked = 0
    for model, every in ((Organisation, 1), (Service, 1), (Tariff, 1), (Norm, 1), (MeterType, 1),
                         (BenefitCategory, 1), (NetworkNode, 1), (Building, 1), (Premise, 1), (Resident, 1),
                         (Account, 1), (Beneficiary, 1), (Registration, 3), (AccountService, 7), (Meter, 3)):
        for i, obj in enumerate(session.scalars(select(model).order_by(model.id))):
            if i % every:
                continue
            errors = validate(session, obj)
            assert errors == [], (model.__name__, obj.id, errors)
            checked += 1
    assert checked > 1500


def test_readings_are_monotonic_and_inside_the_installation(session):
    from app.models import Meter, MeterType, Reading
    from app.validation import validate
    from app.validation.readings import rollover_consumption

    meters = {m.id: m for m in session.scalars(select(Meter))}
    digits = {t.id: t.digits for t in session.scalars(select(MeterType))}
    by_meter = defaultdict(list)
    for row in session.execute(select(Reading.meter_id, Reading.date, Reading.value).order_by(Reading.meter_id, Reading.date)):
        by_meter[row.meter_id].append(row)
    start, end = _window(date.today())
    rollovers = 0
    for meter_id, rows in by_meter.items():
        meter = meters[meter_id]
        previous = Decimal(meter.initial_reading)
        assert len(rows) <= 12
        for row in rows:
            assert start <= row.date <= end
            assert meter.installed_on <= row.date and (meter.removed_on is None or row.date <= meter.removed_on)
            value = Decimal(row.value)
            if value < previous:
                assert rollover_consumption(previous, value, digits[meter.meter_type_id]) is not None, (meter.serial, row)
                rollovers += 1
            previous = value
        if meter.final_reading is not None:
            assert Decimal(meter.final_reading) >= previous
    assert rollovers >= 1
    # And the reading rule itself, on a sample.
    for reading in session.scalars(select(Reading).where(Reading.id % 97 == 0)):
        assert validate(session, reading) == [], reading


def test_realistic_content(session):
    from app.models import Account, Meter, MeterType, Premise, Reading, Resident, Tariff

    for resident in session.scalars(select(Resident).where(Resident.rnokpp.is_not(None))):
        assert std_rntrc.is_valid(resident.rnokpp)
        assert len(resident.full_name.split()) == 3
        assert resident.birth_date < date.today()
    assert session.scalar(select(Resident.id).where(Resident.full_name.like("Шевч%")).limit(1)) is not None
    areas = session.scalars(select(Premise.total_area).where(Premise.kind == "apartment")).all()
    assert all(Decimal("25") <= Decimal(a) <= Decimal("160") for a in areas)
    assert session.scalar(select(func.count()).select_from(Account).where(Account.email.like("%@example.%"))) > 0
    assert session.scalar(select(func.count()).select_from(Account).where(
        Account.email.is_not(None), ~Account.email.like("%@example.%"))) == 0
    # Cold water: a few m³ per flat meter and month.
    cold = session.scalar(select(MeterType.id).where(MeterType.code == "CW"))
    values = defaultdict(list)
    for row in session.execute(select(Reading.meter_id, Reading.value).join(Meter).where(
            Meter.meter_type_id == cold, Meter.removed_on.is_(None)).order_by(Reading.meter_id, Reading.date)):
        values[row.meter_id].append(Decimal(row.value))
    monthly = sorted((v[-1] - v[0]) / (len(v) - 1) for v in values.values() if len(v) > 6 and v[-1] >= v[0])
    median = monthly[len(monthly) // 2]
    assert Decimal(2) <= median <= Decimal(15)
    prices = {t.service.code: Decimal(t.price) for t in session.scalars(select(Tariff).order_by(Tariff.valid_from))}
    assert Decimal(30) <= prices["CW"] <= Decimal(40)
    assert Decimal(1650) <= prices["HEAT"] <= Decimal(2500)


def test_flats_are_in_their_entrances_in_order(session):
    """Invoices are printed in delivery order: the flats of a block fill its entrances one after
    another (flat 1 in entrance 1, the last flat in the last entrance), shops and private houses
    have none."""
    from app.models import Building, Premise

    by_building = defaultdict(list)
    for building_id, number, kind, entrance in session.execute(
            select(Premise.building_id, Premise.number, Premise.kind, Premise.entrance)):
        by_building[building_id].append((number, kind, entrance))
    floors = dict(session.execute(select(Building.id, Building.floors)).all())
    several = 0
    for building_id, premises in by_building.items():
        flats = sorted((int(n), e) for n, kind, e in premises if kind == "apartment")
        assert all(e is None for n, kind, e in premises if kind == "nonresidential")
        if len(premises) == 1 and floors[building_id] <= 2:  # a private house
            assert premises[0][2] is None
            continue
        entrances = [e for _, e in flats]
        assert entrances == sorted(entrances) and entrances[0] == 1, building_id
        assert set(entrances) == set(range(1, entrances[-1] + 1)), building_id  # none skipped
        sizes = Counter(entrances)
        assert max(sizes.values()) - min(sizes.values()) <= max(sizes.values()) // 2 + 1, sizes
        several += entrances[-1] > 1
    assert several >= 1  # the small town (300 accounts) has mostly one-entrance blocks


def test_some_owners_agreed_to_invoices_by_e_mail(session):
    from app.models import Account, Organisation

    today = date.today()
    accounts = session.execute(select(Account.email, Account.closed_on, Account.opened_on, Account.einvoice_consent,
                                      Account.einvoice_consent_on)).all()
    consenting = [a for a in accounts if a.einvoice_consent]
    open_accounts = [a for a in accounts if a.closed_on is None]
    assert 0.5 <= len(consenting) / len(open_accounts) <= 0.7  # about 60 % of the open accounts
    assert any(a.email and not a.einvoice_consent for a in open_accounts)  # an e-mail, yet paper invoices
    for a in consenting:
        assert a.email and a.closed_on is None
        assert a.einvoice_consent_on is not None and a.einvoice_consent_on < today
        assert a.einvoice_consent_on >= min(a.opened_on, today - date.resolution)
    assert all(a.einvoice_consent_on is None for a in accounts if not a.einvoice_consent)
    organisation = session.scalar(select(Organisation))
    assert organisation.working_hours and "8:00" in organisation.working_hours
    notice = organisation.invoice_notice
    assert "Показники" in notice and "скаргу" in notice and len(notice) <= 1500


def test_open_period_is_the_month_of_the_last_readings(session):
    """Last month: its readings are in (the window ends with it), ready to be billed."""
    from app.models import Reading
    from app.services.periods import current_period

    last = date.today().replace(day=1) - date.resolution
    assert current_period() == last.strftime("%Y-%m")
    assert session.scalar(select(func.max(Reading.date))) <= last


def test_loading_again(demo_app, session):
    from app.models import Building, Reading
    from app.services.demo import DemoError, load_demo

    before = (_count(session, Building), _count(session, Reading))
    message = load_demo(if_empty=True)
    assert "вже є будинки" in message
    assert (_count(session, Building), _count(session, Reading)) == before
    with pytest.raises(DemoError, match="вже завантажене"):
        load_demo()
    assert (_count(session, Building), _count(session, Reading)) == before


class _MemoryWriter:
    """A BulkWriter stand-in that keeps the rows: the town without a database."""

    def __init__(self):
        from app.services.demo import ASSIGNED_IDS

        self.rows = []
        self.next_id = {model: 1 for model in ASSIGNED_IDS}

    def new_id(self, model):
        self.next_id[model] += 1
        return self.next_id[model] - 1

    def add(self, model, row):
        self.rows.append((model.__name__, tuple(sorted(row.items()))))


def _generate(seed, accounts=120):
    from app.services.demo import METER_TYPES, SERVICES, BENEFITS, Town, plan_town

    rng = random.Random(seed)
    today = date(2026, 11, 29)
    plan = plan_town(rng, accounts, today)
    catalog = {
        "services": {s[0]: i for i, s in enumerate(SERVICES, 1)},
        "meter_types": {t[0]: (i, t[3] or 9, t[4]) for i, t in enumerate(METER_TYPES, 1)},
        "benefits": {b[0]: i for i, b in enumerate(BENEFITS, 1)},
    }
    writer = _MemoryWriter()
    town = Town(rng, today, writer, catalog, seed=seed)
    for building in plan.buildings:
        town.building(building, {})
    return writer.rows


def test_same_seed_same_town(demo_app):
    with demo_app.app_context():
        first, again, other = _generate(7), _generate(7), _generate(8)
    assert first == again
    assert first != other
    counts = Counter(name for name, _ in first)
    assert counts["Account"] >= 120 and counts["Reading"] > 1000


def test_identifiers_have_valid_check_digits():
    from app.services.demo import make_edrpou, make_iban, make_rnokpp

    rng = random.Random(1)
    for _ in range(200):
        assert std_edrpou.is_valid(make_edrpou(rng))
        assert std_iban.is_valid(make_iban(rng, "300465"))
        male = rng.random() < 0.5
        number = make_rnokpp(rng, date(1930, 1, 1) + rng.randrange(35000) * date.resolution, male)
        assert std_rntrc.is_valid(number) and int(number[8]) % 2 == (1 if male else 0)


def test_sqlite_fast_path_stores_what_sqlalchemy_stores(demo_app):
    """The SQLite writer skips SQLAlchemy's parameter processing; it must store the same
    values (ISO dates, NUMERIC as numbers) as the generic Core ``insert()`` path."""
    import sqlalchemy as sa
    from flask_appbuilder import Model

    from app.services.demo import TABLES, BulkWriter

    with demo_app.app_context():
        rows = _generate(3, accounts=40)
    stored = []
    for path in ("sqlite", "core"):
        engine = sa.create_engine("sqlite://")
        Model.metadata.create_all(engine, tables=[m.__table__ for m in TABLES])
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            writer = BulkWriter(conn, chunk=500)
            writer.path = path
            by_name = {m.__name__: m for m in TABLES}
            for name, items in rows:
                writer.add(by_name[name], dict(items))
            writer.flush()
            dump = {}
            for model in TABLES:
                # Everything but the server-side "now()" stamps (entered_at).
                columns = ", ".join(c.name for c in model.__table__.c if c.server_default is None)
                dump[model.__tablename__] = conn.exec_driver_sql(
                    f"SELECT {columns} FROM {model.__tablename__} ORDER BY id").fetchall()
        stored.append(dump)
        engine.dispose()
    assert stored[0] == stored[1]
    assert sum(len(t) for t in stored[0].values()) == len(rows)
