"""Test fixtures: one migrated database per test session (SQLite by default, PostgreSQL when
``OBLIK_TEST_DATABASE_URL`` is set), a small town of two buildings, and a user per role."""
import os
import shutil
import tempfile
from datetime import date
from decimal import Decimal

import pytest

_TMP = tempfile.mkdtemp(prefix="oblik-test-")
os.environ.setdefault("OBLIK_INSTANCE_DIR", _TMP)
os.environ.setdefault("OBLIK_SECRET_KEY", "test-secret")
os.environ["OBLIK_CELERY_EAGER"] = "1"
os.environ.setdefault("OBLIK_BROKER_URL", "memory://")
os.environ.setdefault("OBLIK_RESULT_BACKEND", "cache+memory://")


def pytest_sessionfinish(session, exitstatus):
    """The session's instance directory (SQLite test database, uploads) goes with the session."""
    shutil.rmtree(_TMP, ignore_errors=True)



def _compile_translations():
    """The .mo is built at install; compile it here too when the .po is newer, so a test
    run never shows stale Ukrainian."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parent.parent / "translations/uk/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as f:
            catalog = read_po(f, locale="uk")
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)


_compile_translations()

DATABASE_URL = os.environ.get("OBLIK_TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"
PASSWORD = "secret-pass-1"
ROLES = ("admin", "accountant", "operator", "inspector")


def _reset_database(url):
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()


def own_database_url(suffix):
    """A database of a test module's own: a SQLite file, or — when the suite runs on
    PostgreSQL — a sibling database ``<name>_<suffix>`` on the same server (emptied first)."""
    url = os.environ.get("OBLIK_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix=f'oblik-{suffix}-', dir=_TMP), f'{suffix}.db')}"
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_{suffix}")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{own.database}"'))
    admin.dispose()
    _reset_database(own.render_as_string(hide_password=False))
    return own.render_as_string(hide_password=False)


def make_app(**overrides):
    from app import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "RATELIMIT_ENABLED": False,
        # failed sign-ins are counted in the database shared by the whole session: the tests of
        # wrong passwords would lock the seeded users; tests/test_sessions.py switches it on
        "LOGIN_THROTTLE_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app():
    _reset_database(DATABASE_URL)
    application = make_app()
    with application.app_context():
        from app.services.setup import upgrade_database

        upgrade_database()
        seed_town()
    return application


@pytest.fixture()
def db_session(app):
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def seed_town():
    """Two buildings; the inspector is assigned to B1 only."""
    from app.extensions import db
    from app.models import (
        Account, Building, Meter, MeterType, Organisation, Premise, Reading, Registration, Resident,
        Service,
    )
    from app.services.users import create_user

    db.session.add(Organisation(name="ОСББ «Тест»", edrpou="32855961", iban="UA213223130000026007233566001"))
    cold = MeterType(code="CW", name="Лічильник холодної води", resource="cold_water", digits=5, verification_years=6)
    db.session.add_all([cold, Service(code="CW", name="Холодна вода", unit="м³", method="metered",
                                      resource="cold_water", area_basis="total", quantity_precision=3)])
    for code, street in (("B1", "вул. Шевченка, 1"), ("B2", "вул. Франка, 2")):
        building = Building(code=code, address=street, floors=5, imbalance_key="volume",
                            heat_system_share=Decimal("0.05"), heat_common_share=Decimal("0.10"),
                            heat_min_share=Decimal("0.5"))
        db.session.add(building)
        for n in (1, 2):
            premise = Premise(building=building, number=str(n), kind="apartment", total_area=Decimal("52.3"),
                              heated_area=Decimal("52.3"), heating="central")
            resident = Resident(resident_id=f"R-{code}-{n}", full_name=f"Мешканець {code} {n}", rnokpp="3183501233")
            db.session.add_all([
                premise, resident,
                Registration(resident=resident, premise=premise, date_from=date(2020, 1, 1), kind="registered"),
                Account(account_number=f"{code}-{n:03d}", premise=premise, owner_name=f"Власник {code} {n}",
                        opened_on=date(2020, 1, 1)),
            ])
            meter = Meter(serial=f"M-{code}-{n}", meter_type=cold, building=building, premise=premise,
                          installed_on=date(2024, 1, 1), initial_reading=Decimal("0"))
            db.session.add(meter)
            db.session.add(Reading(meter=meter, date=date(2026, 10, 31), value=Decimal("10.5"), source="import"))
        db.session.add(Meter(serial=f"HM-{code}", meter_type=cold, building=building,
                             installed_on=date(2024, 1, 1), initial_reading=Decimal("0")))
    db.session.commit()
    for role in ROLES:
        create_user(role, PASSWORD, role, buildings=["B1"] if role == "inspector" else ())


def login(client, username, password=PASSWORD):
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return client


@pytest.fixture()
def client_as(app):
    """``client_as("operator")`` → a test client logged in with that role."""

    def make(role):
        return login(app.test_client(), role)

    return make


@pytest.fixture()
def api_token(app):
    """``api_token("inspector")`` → headers with a JWT from /api/v1/security/login."""

    def make(role):
        client = app.test_client()
        response = client.post("/api/v1/security/login",
                               json={"username": role, "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return make


@pytest.fixture(autouse=True)
def fresh_celery_pools():
    """An eager ``task.delay()`` still takes a producer from Celery's pool, which then stays
    bound to the test broker (``memory://``); drop the pools after every test so that a later
    test pointing Celery at a real broker (tests/test_celery_worker.py) gets connections to it.
    kombu keeps its own registry of producer pools per connection: it is reset too, or the next
    ``delay()`` would be handed the closed pool ("Acquire on closed pool")."""
    yield
    from kombu import pools

    from app.tasks.celery_app import celery

    if celery._pool is not None:
        celery._pool.force_close_all()
        celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()


# --- the browser (Debian's Chromium driven by Playwright; its own download is not used) -----
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="oblik-chromium-")
    with sync_playwright() as pw:
        # Playwright manages the profile itself (a fresh temporary one per launch).
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                     env={"HOME": profile})
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def sign_in(page, base, username, password):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
