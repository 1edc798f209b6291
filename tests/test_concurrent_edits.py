"""Two users editing one record (issue 8 item 8): both open the same form (or GET the same
record through the API), the first save goes through, the second — made from the stale
version — is refused with a Ukrainian message and writes nothing; the form shows the current
values again. The same for every registry record with a row version."""
import re
from datetime import date
from decimal import Decimal

import pytest

from .conftest import PASSWORD, login


def _version_in(html: str) -> str:
    found = re.search(r'<input[^>]*name="version"[^>]*>', html)
    assert found, "the edit form carries no row version"
    return re.search(r'value="([^"]*)"', found.group(0)).group(1)


def _form_values(html: str) -> dict:
    """The edit form as the browser would post it (inputs and selected options)."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or 'type="checkbox"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.DOTALL):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', body)
        data[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    return data


def _two_users(app):
    return login(app.test_client(), "operator"), login(app.test_client(), "accountant")


@pytest.fixture()
def account(app):
    from app.extensions import db
    from app.models import Account, Premise

    with app.app_context():
        building = db.session.query(Premise).order_by(Premise.id).first().building_id
        premise = Premise(building_id=building, number="К-1", kind="apartment", total_area=Decimal(40),
                          heating="central")
        item = Account(account_number="CONC-001", premise=premise, owner_name="Бондар Ірина",
                       opened_on=date(2021, 3, 1))
        db.session.add_all([premise, item])
        db.session.commit()
        pk, premise_id = item.id, premise.id
    yield pk
    with app.app_context():
        db.session.query(Account).filter_by(id=pk).delete()
        db.session.query(Premise).filter_by(id=premise_id).delete()
        db.session.commit()


def _account(app, pk):
    from app.extensions import db
    from app.models import Account

    with app.app_context():
        item = db.session.get(Account, pk)
        return item.owner_name, item.phone or None, item.version


def test_the_second_save_of_a_stale_account_form_is_refused(app, account):
    first, second = _two_users(app)
    url = f"/accountview/edit/{account}"
    form_a = _form_values(first.get(url).get_data(as_text=True))
    form_b = _form_values(second.get(url).get_data(as_text=True))
    assert form_a["version"] == form_b["version"] == "1"

    saved = first.post(url, data={**form_a, "owner_name": "Бондар Ірина Петрівна"})
    assert saved.status_code == 302
    assert _account(app, account) == ("Бондар Ірина Петрівна", None, 2)

    refused = second.post(url, data={**form_b, "owner_name": "Бондаренко Ірина", "phone": "0501234567"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "змінив інший користувач" in page  # Ukrainian: «…changed by another user…»
    # nothing of the second save written, not even the field the first one did not touch
    assert _account(app, account) == ("Бондар Ірина Петрівна", None, 2)
    # the form shows the current values and version: saving again is a deliberate new save
    assert "Бондар Ірина Петрівна" in page and _version_in(page) == "2"
    again = second.post(url, data={**_form_values(page), "phone": "0501234567"})
    assert again.status_code == 302
    assert _account(app, account) == ("Бондар Ірина Петрівна", "0501234567", 3)


def test_a_save_between_the_check_and_the_update_is_refused_too(app, account, monkeypatch):
    """The other user's save commits after this request compared the versions but before its
    UPDATE: the ORM's version check (``WHERE version = …``) refuses it — the same message."""
    from app.extensions import db
    from app.views import base

    first, _second = _two_users(app)
    url = f"/accountview/edit/{account}"
    form = _form_values(first.get(url).get_data(as_text=True))
    checked = base.OblikModelView._stale

    def meanwhile(view, form, item):
        verdict = checked(view, form, item)
        with db.engine.begin() as conn:  # another connection: the other user's save
            conn.exec_driver_sql(f"UPDATE account SET owner_name = 'Інша', version = version + 1 WHERE id = {int(account)}")
        return verdict

    monkeypatch.setattr(base.OblikModelView, "_stale", meanwhile)
    refused = first.post(url, data={**form, "phone": "0671112233"})
    assert refused.status_code == 200
    assert "змінив інший користувач" in refused.get_data(as_text=True)
    assert _account(app, account) == ("Інша", None, 2)


@pytest.mark.parametrize("view, model, field, value", [
    ("buildingview", "Building", "address", "вул. Нова, 5"),
    ("premiseview", "Premise", "total_area", "60,1"),
    ("residentview", "Resident", "phone", "0931234567"),
    ("meterview", "Meter", "seal_number", "S-777"),
])
def test_every_registry_form_carries_its_version(app, view, model, field, value):
    from app import models
    from app.extensions import db

    cls = getattr(models, model)
    with app.app_context():
        pk = db.session.query(cls.id).order_by(cls.id).first()[0]
        version = db.session.get(cls, pk).version
        original = getattr(db.session.get(cls, pk), field)
    try:
        _edit_twice(app, view, cls, pk, version, field, value)
    finally:  # the session's town stays as the other tests know it
        with app.app_context():
            setattr(db.session.get(cls, pk), field, original)
            db.session.commit()


def _edit_twice(app, view, cls, pk, version, field, value):
    from app.extensions import db

    first, second = _two_users(app)
    url = f"/{view}/edit/{pk}"
    form_a = _form_values(first.get(url).get_data(as_text=True))
    form_b = _form_values(second.get(url).get_data(as_text=True))
    assert form_a["version"] == str(version)
    assert first.post(url, data={**form_a, field: value}).status_code == 302
    refused = second.post(url, data=form_b)
    assert refused.status_code == 200 and "змінив інший користувач" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(cls, pk).version == version + 1


def _token(app, role):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": role, "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_the_api_refuses_a_put_from_a_stale_version(app, account):
    one, two = app.test_client(), app.test_client()
    h1, h2 = _token(app, "operator"), _token(app, "accountant")
    got1 = one.get(f"/api/v1/account/{account}", headers=h1)
    got2 = two.get(f"/api/v1/account/{account}", headers=h2)
    assert got1.json["result"]["version"] == 1 and got1.headers["ETag"] == '"1"'

    saved = one.put(f"/api/v1/account/{account}", json={"owner_name": "Бондар І.", "version": 1}, headers=h1)
    assert saved.status_code == 200 and saved.headers["ETag"] == '"2"'

    by_header = two.put(f"/api/v1/account/{account}", json={"phone": "0661234567"},
                        headers={**h2, "If-Match": got2.headers["ETag"]})
    by_field = two.put(f"/api/v1/account/{account}", json={"phone": "0661234567", "version": 1}, headers=h2)
    for refused in (by_header, by_field):
        assert refused.status_code == 409
        assert "змінив інший користувач" in refused.json["message"]
    assert _account(app, account) == ("Бондар І.", None, 2)

    current = two.put(f"/api/v1/account/{account}", json={"phone": "0661234567"}, headers={**h2, "If-Match": '"2"'})
    assert current.status_code == 200 and current.json["result"]["phone"] == "0661234567"
    assert two.put(f"/api/v1/account/{account}", json={"version": "два"}, headers=h2).status_code == 422


def test_an_import_moves_the_version_on(app, account):
    """A form opened before an import that changed the record is stale after it (the import
    updates in bulk, outside the ORM's version check)."""
    from app.extensions import db
    from app.models import Account, Premise
    from app.services.imports import import_bytes

    client = login(app.test_client(), "admin")
    url = f"/accountview/edit/{account}"
    form = _form_values(client.get(url).get_data(as_text=True))
    with app.app_context():
        item = db.session.get(Account, account)
        premise = db.session.get(Premise, item.premise_id)
        row = [item.account_number, premise.building.code, premise.number, "З імпорту", "", "", "",
               "01.03.2021", ""]
        data = ("account_number,building_code,number,owner_name,owner_rnokpp,email,phone,opened_on,closed_on\n"
                + ",".join(row) + "\n").encode()
        _record, outcome = import_bytes("accounts", data, "accounts.csv")
        assert outcome.rejected == 0 and outcome.written
    assert _account(app, account) == ("З імпорту", None, 2)
    refused = client.post(url, data={**form, "phone": "0500000000"})
    assert "змінив інший користувач" in refused.get_data(as_text=True)
    assert _account(app, account) == ("З імпорту", None, 2)


def test_tariffs_and_account_services_are_versioned(app):
    from app.models import AccountService, Tariff

    for model in (Tariff, AccountService):
        assert model.__mapper__.version_id_col is model.__table__.c.version


# --- a busy SQLite database -------------------------------------------------------------------
@pytest.fixture()
def locked_sqlite(app):
    """Another writer (an import, a billing run) holds SQLite's write lock; the app under test
    waits 0.2 s for it, not 10 s."""
    import sqlite3

    from .conftest import DATABASE_URL, make_app

    if not DATABASE_URL.startswith("sqlite"):
        pytest.skip("SQLite's single writer (PostgreSQL locks rows, not the database)")
    busy_app = make_app(SQLITE_BUSY_TIMEOUT_MS=200)
    clients = {role: login(busy_app.test_client(), role) for role in ("operator", "admin")}
    clients["api"] = _token(busy_app, "operator")
    holder = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"), timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield busy_app, clients
    finally:
        holder.rollback()
        holder.close()


def _readings(app):
    from app.extensions import db
    from app.models import Reading

    with app.app_context():
        return db.session.query(Reading).count()


def test_a_busy_sqlite_database_is_try_again_not_a_server_error(app, locked_sqlite):
    busy_app, clients = locked_sqlite
    from app.extensions import db
    from app.models import Meter

    from sqlalchemy import func

    from app.models import Reading
    from app.validation.readings import local_today

    with app.app_context():
        meter = db.session.query(Meter).filter(Meter.serial == "M-B1-1").one().id
        # a reading the rules accept whatever earlier tests wrote: today, above the meter's last value
        last = db.session.query(func.max(Reading.value)).filter(Reading.meter_id == meter).scalar() or 0
    before = _readings(busy_app)
    form = clients["operator"].post("/readingview/add", data={
        "meter": str(meter), "date": local_today().strftime("%d.%m.%Y"), "value": str(int(last) + 100),
        "source": "inspector"})
    assert form.status_code == 200
    assert "База даних зайнята" in form.get_data(as_text=True), form.get_data(as_text=True)[-3000:]
    assert "database is locked" not in form.get_data(as_text=True)

    # a screen outside the model forms (the import's upload writes its record first): 503, not 500
    import io

    upload = clients["admin"].post("/imports/upload", data={
        "kind": "readings", "file": (io.BytesIO(b"serial,date,value\nM-B1-1,20.11.2026,15\n"), "readings.csv")})
    assert upload.status_code == 503 and "База даних зайнята" in upload.get_data(as_text=True)
    assert _readings(busy_app) == before


def test_the_api_answers_a_busy_sqlite_database_with_503(app, locked_sqlite):
    busy_app, _clients = locked_sqlite
    from app.extensions import db
    from app.models import Meter

    with app.app_context():
        meter = db.session.query(Meter).filter(Meter.serial == "M-B1-2").one().id
    headers = _clients["api"]
    created = busy_app.test_client().post("/api/v1/reading/", json={
        "meter": meter, "date": "2026-11-20", "value": "15.5"}, headers=headers)
    assert created.status_code == 503
    assert "База даних зайнята" in created.json["message"]
