"""What each role (admin, accountant, operator, inspector) may see and change — on the
screens and on the REST API, which share one permission per resource (app/security.py).

Flask-AppBuilder 5.3 answers a signed-in user without the permission with **403** (no
redirect); an anonymous visitor is redirected to ``/login/``. Every refusal below also checks
that the refused data is not in the answer and that nothing was written.
"""
from datetime import date
from decimal import Decimal

import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, ROLES, login
from tests.webtools import (
    SEED_RNOKPP, added_payment_id, building_form, count, id_of, make_meter, organisation_form,
    _clean, payment_form, premise_form, reading_form, row, seed_ids, text, uid,
)

ALL = set(ROLES)
STAFF = {"admin", "accountant", "operator"}
BOOKS = {"admin", "accountant"}
ADMIN = {"admin"}

LIST_ACCESS = {
    "/buildingview/list/": ALL,
    "/premiseview/list/": ALL,
    "/meterview/list/": ALL,
    "/readingview/list/": ALL,
    "/metertypeview/list/": ALL,
    "/groupmeterpremiseview/list/": ALL,
    "/residentview/list/": STAFF,
    "/registrationview/list/": STAFF,
    "/accountview/list/": STAFF,
    "/beneficiaryview/list/": STAFF,
    "/paymentview/list/": STAFF,
    "/serviceview/list/": STAFF,
    "/tariffview/list/": STAFF,
    "/normview/list/": STAFF,
    "/benefitcategoryview/list/": STAFF,
    "/networknodeview/list/": STAFF,
    "/organisationview/list/": BOOKS,
    "/settingview/list/": BOOKS,
    "/users/list/": ADMIN,
    "/roles/list/": ADMIN,
    "/inspectorbuildingview/list/": ADMIN,
}

ADD_ACCESS = {
    "/buildingview/add": STAFF,
    "/premiseview/add": STAFF,
    "/residentview/add": STAFF,
    "/accountview/add": STAFF,
    "/meterview/add": STAFF,
    "/readingview/add": ALL,
    "/paymentview/add": STAFF,
    "/serviceview/add": BOOKS,
    "/tariffview/add": BOOKS,
    "/metertypeview/add": BOOKS,
    "/organisationview/add": BOOKS,
    "/settingview/add": BOOKS,
    "/users/add": ADMIN,
    "/inspectorbuildingview/add": ADMIN,
}

API_ACCESS = {  # GET /api/v1/<resource>/
    "building": ALL, "premise": ALL, "meter": ALL, "reading": ALL,
    "resident": STAFF, "account": STAFF, "payment": STAFF, "service": STAFF, "tariff": STAFF,
}


@pytest.fixture(scope="module")
def as_role(app):
    """``as_role("operator")`` → a test client signed in with that role (one per module)."""
    clients = {}

    def get(role):
        if role not in clients:
            clients[role] = login(app.test_client(), role)
        return clients[role]

    return get


@pytest.fixture(scope="module")
def tokens(app):
    headers = {}

    def get(role):
        if role not in headers:
            response = app.test_client().post("/api/v1/security/login",
                                              json={"username": role, "password": PASSWORD, "provider": "db"})
            assert response.status_code == 200, response.json
            headers[role] = {"Authorization": f"Bearer {response.json['access_token']}"}
        return headers[role]

    return get


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


@pytest.fixture(scope="module")
def tariff_id(app):
    """A price-list entry of the module's own (the seed has none)."""
    from app.extensions import db
    from app.models import Service, Tariff

    with app.app_context():
        service = db.session.scalar(select(Service).where(Service.code == "CW"))
        tariff = Tariff(service=service, valid_from=date(2019, 1, 1), price=Decimal("31.52"))
        db.session.add(tariff)
        db.session.commit()
        return tariff.id


@pytest.fixture(scope="module")
def payment_id(app, ids):
    from app.extensions import db
    from app.models import Payment

    with app.app_context():
        payment = Payment(external_id=uid("PAY"), account_id=ids["account"]["B1-001"], paid_on=date(2026, 11, 2),
                          amount=Decimal("250.40"), source="bank", created_by="import")
        db.session.add(payment)
        db.session.commit()
        return payment.id


# --- who opens what -------------------------------------------------------------------------
@pytest.mark.parametrize("url", sorted(LIST_ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_list_screens_open_exactly_for_the_roles_allowed(as_role, role, url):
    response = as_role(role).get(url)
    if role in LIST_ACCESS[url]:
        assert response.status_code == 200, (role, url)
        assert "<table" in text(response)
    else:
        assert response.status_code == 403, (role, url, response.status_code)
        assert "<table" not in text(response)


@pytest.mark.parametrize("url", sorted(ADD_ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_add_forms_open_exactly_for_the_roles_allowed(as_role, role, url):
    response = as_role(role).get(url)
    if role in ADD_ACCESS[url]:
        assert response.status_code == 200, (role, url)
        assert 'id="model_form"' in text(response) or "<form" in text(response)
    else:
        assert response.status_code == 403, (role, url, response.status_code)
        assert 'id="model_form"' not in text(response)


@pytest.mark.parametrize("resource", sorted(API_ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_api_lists_follow_the_same_rights_as_the_screens(tokens, role, resource, app, payment_id, tariff_id):
    response = app.test_client().get(f"/api/v1/{resource}/", headers=tokens(role))
    if role in API_ACCESS[resource]:
        assert response.status_code == 200, (role, resource, response.json)
        assert response.json["count"] >= 1
    else:
        assert response.status_code == 403, (role, resource, response.status_code)
        assert "result" not in response.json


def test_anonymous_visitor_is_sent_to_the_login_page_and_writes_nothing(app):
    client = app.test_client()
    response = client.get("/accountview/list/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]
    assert "B1-001" not in text(response)
    code = uid("ANON")
    response = client.post("/buildingview/add", data=building_form(code))
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    from app.models import Building

    assert count(app, Building, Building.code == code) == 0
    assert client.get("/api/v1/building/").status_code == 401


def test_menu_shows_each_role_only_its_modules(as_role):
    links = {
        "/buildingview/list/": ALL, "/readingview/list/": ALL, "/accountview/list/": STAFF,
        "/residentview/list/": STAFF, "/paymentview/list/": STAFF, "/tariffview/list/": STAFF,
        "/organisationview/list/": BOOKS, "/settingview/list/": BOOKS, "/users/list/": ADMIN,
        "/inspectorbuildingview/list/": ADMIN,
    }
    for role in ROLES:
        page = text(as_role(role).get("/"))
        for href, allowed in links.items():
            assert (f'href="{href}"' in page) == (role in allowed), (role, href)


# --- operator -----------------------------------------------------------------------------------
def test_operator_adds_and_edits_buildings_and_premises(app, as_role):
    from app.models import Building, Premise

    client = as_role("operator")
    code = uid("OPB")
    response = client.post("/buildingview/add", data=building_form(code, address="вул. Оператора, 3"))
    assert response.status_code == 302, text(response)[:2000]
    building = row(app, Building, Building.code == code)
    assert building["address"] == "вул. Оператора, 3"

    response = client.post(f"/buildingview/edit/{building['id']}",
                           data=building_form(code, address="вул. Оператора, 5", floors="9"))
    assert response.status_code == 302
    building = row(app, Building, Building.code == code)
    assert (building["address"], building["floors"]) == ("вул. Оператора, 5", 9)

    response = client.post("/premiseview/add", data=premise_form(building["id"], "7", total_area="61,4", heated_area="58"))
    assert response.status_code == 302
    premise = row(app, Premise, Premise.building_id == building["id"], Premise.number == "7")
    assert premise["total_area"] == Decimal("61.4")

    response = client.post(f"/premiseview/edit/{premise['id']}",
                           data=premise_form(building["id"], "7", total_area="62,1", heated_area="58"))
    assert response.status_code == 302
    assert row(app, Premise, Premise.id == premise["id"])["total_area"] == Decimal("62.1")


def test_operator_adds_readings_and_payments(app, as_role, ids):
    from app.models import Payment, Reading

    client = as_role("operator")
    meter = make_meter(app, "B2")
    response = client.post("/readingview/add", data=reading_form(meter, "05.11.2026", "17,3", source="resident"))
    assert response.status_code == 302, text(response)[:2000]
    reading = row(app, Reading, Reading.meter_id == meter)
    assert (reading["value"], reading["date"], reading["entered_by"]) == (Decimal("17.3"), date(2026, 11, 5), "operator")
    response = client.post(f"/readingview/edit/{reading['id']}", data=reading_form(meter, "06.11.2026", "17,35",
                                                                                  source="resident"))
    assert response.status_code == 302, text(response)[:2000]
    edited = row(app, Reading, Reading.id == reading["id"])
    assert (edited["value"], edited["date"]) == (Decimal("17.35"), date(2026, 11, 6))

    response = client.post("/paymentview/add", data=payment_form(ids["account"]["B2-001"]))
    assert response.status_code == 302, text(response)[:2000]
    payment = row(app, Payment, Payment.id == added_payment_id(response))
    assert (payment["amount"], payment["created_by"]) == (Decimal("150.25"), "operator")


def test_operator_reads_the_catalogs_but_cannot_change_them(app, as_role, tokens, tariff_id):
    from app.models import Service, Tariff

    client = as_role("operator")
    assert "31,52" in text(client.get(f"/tariffview/show/{tariff_id}"))
    assert client.get("/tariffview/list/").status_code == 200

    service_id = id_of(app, Service, Service.code == "CW")
    before = count(app, Tariff)
    assert client.post(f"/tariffview/edit/{tariff_id}",
                       data={"service": service_id, "valid_from": "01.01.2019", "price": "1,00"}).status_code == 403
    assert client.post("/tariffview/add",
                       data={"service": service_id, "valid_from": "01.02.2019", "price": "1,00"}).status_code == 403
    assert client.post(f"/tariffview/delete/{tariff_id}").status_code == 403
    assert client.post(f"/serviceview/edit/{service_id}", data={"code": "CW", "name": "Змінено"}).status_code == 403

    api = app.test_client()
    headers = tokens("operator")
    assert api.get(f"/api/v1/tariff/{tariff_id}", headers=headers).status_code == 200
    assert api.put(f"/api/v1/tariff/{tariff_id}", json={"price": "1.00"}, headers=headers).status_code == 403
    assert api.post("/api/v1/tariff/", json={"service": service_id, "valid_from": "2019-03-01", "price": "1.00"},
                    headers=headers).status_code == 403
    assert api.delete(f"/api/v1/tariff/{tariff_id}", headers=headers).status_code == 403
    assert api.put(f"/api/v1/service/{service_id}", json={"name": "Змінено"}, headers=headers).status_code == 403

    assert count(app, Tariff) == before
    assert row(app, Tariff, Tariff.id == tariff_id)["price"] == Decimal("31.52")
    assert row(app, Service, Service.id == service_id)["name"] == "Холодна вода"


def test_operator_cannot_open_or_change_the_provider_and_settings(app, as_role, ids):
    from app.models import Organisation, Setting

    client = as_role("operator")
    org = row(app, Organisation, Organisation.id == ids["organisation"])
    page = client.get("/organisationview/list/")
    assert page.status_code == 403 and org["edrpou"] not in text(page)
    assert client.get(f"/organisationview/show/{org['id']}").status_code == 403
    response = client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(org, bank_name="Зламаний банк"))
    assert response.status_code == 403
    assert row(app, Organisation, Organisation.id == org["id"])["bank_name"] == org["bank_name"]

    key = uid("op.setting")
    response = client.post("/settingview/add", data={"key": key, "valid_from": "01.01.2026", "value": "1"})
    assert response.status_code == 403
    assert count(app, Setting, Setting.key == key) == 0


# --- accountant -----------------------------------------------------------------------------------
def test_accountant_edits_catalogs_and_settings(app, as_role, ids):
    from app.models import Organisation, Service, Setting, Tariff

    client = as_role("accountant")
    service_id = id_of(app, Service, Service.code == "CW")
    response = client.post("/tariffview/add", data={"service": service_id, "valid_from": "01.01.2018", "price": "27,35"})
    assert response.status_code == 302, text(response)[:2000]
    tariff = row(app, Tariff, Tariff.service_id == service_id, Tariff.valid_from == date(2018, 1, 1))
    assert tariff["price"] == Decimal("27.35")
    response = client.post(f"/tariffview/edit/{tariff['id']}",
                           data={"service": service_id, "valid_from": "01.01.2018", "price": "28,10"})
    assert response.status_code == 302
    assert row(app, Tariff, Tariff.id == tariff["id"])["price"] == Decimal("28.10")

    # a setting is chosen from the list by its name (no free-typed key); a far future date of its own
    key = "social_norm.area_per_household"
    response = client.post("/settingview/add", data={"key": key, "valid_from": "01.12.2091", "value": "0,5",
                                                     "description": "тест"})
    assert response.status_code == 302, text(response)[:2000]
    setting = row(app, Setting, Setting.key == key, Setting.valid_from == date(2091, 12, 1))
    # typed with a decimal comma, stored as the engine and formats.md read it; shown with the comma
    assert setting["value"] == "0.5"
    assert 'value="0,5"' in text(client.get(f"/settingview/edit/{setting['id']}"))

    org = row(app, Organisation, Organisation.id == ids["organisation"])
    try:
        response = client.post(f"/organisationview/edit/{org['id']}",
                               data=organisation_form(org, bank_name="АТ «Тестбанк»"))
        assert response.status_code == 302, text(response)[:2000]
        assert row(app, Organisation, Organisation.id == org["id"])["bank_name"] == "АТ «Тестбанк»"
    finally:
        client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(org))


def test_accountant_and_operator_cannot_manage_users_or_inspector_buildings(app, as_role, ids):
    from flask_appbuilder.security.sqla.models import User

    from app.models import InspectorBuilding

    inspector_id = id_of(app, User, User.username == "inspector")
    for role in ("accountant", "operator", "inspector"):
        client = as_role(role)
        page = client.get("/users/list/")
        # the refusal shows none of the users (the page has the menu with the user's own name now)
        assert page.status_code == 403 and "inspector@oblik.local" not in text(page) and "<table" not in text(page)
        username = uid(role)
        response = client.post("/users/add", data={
            "first_name": "Х", "last_name": "Х", "username": username, "email": f"{username}@example.org",
            "active": "y", "password": "Passw0rd!", "conf_password": "Passw0rd!", "roles": "1"})
        assert response.status_code == 403
        assert count(app, User, User.username == username) == 0
        # Nobody but the admin can widen an inspector's buildings.
        response = client.post("/inspectorbuildingview/add",
                               data={"user": inspector_id, "building": ids["building"]["B2"]})
        assert response.status_code == 403
        assert count(app, InspectorBuilding, InspectorBuilding.user_id == inspector_id,
                     InspectorBuilding.building_id == ids["building"]["B2"]) == 0


def test_admin_manages_users_and_inspector_buildings(as_role):
    client = as_role("admin")
    users = client.get("/users/list/")
    assert users.status_code == 200
    assert "inspector" in text(users) and "accountant" in text(users)
    assignments = client.get("/inspectorbuildingview/list/")
    assert assignments.status_code == 200
    assert "Шевченка" in text(assignments)  # the inspector's B1


# --- inspector -----------------------------------------------------------------------------------
def test_inspector_sees_no_accounts_residents_payments_or_tariffs(app, as_role, ids, payment_id, tariff_id):
    client = as_role("inspector")
    refused = {
        "/accountview/list/": ("B1-001", "Власник"),
        f"/accountview/show/{ids['account']['B1-001']}": ("B1-001", "Власник"),
        "/residentview/list/": ("Мешканець", SEED_RNOKPP),
        f"/residentview/show/{ids['resident']['R-B1-1']}": ("Мешканець", SEED_RNOKPP),
        "/registrationview/list/": ("Мешканець",),
        "/paymentview/list/": ("250,40",),
        f"/paymentview/show/{payment_id}": ("250,40",),
        "/tariffview/list/": ("31,52",),
        f"/tariffview/show/{tariff_id}": ("31,52",),
        "/lookup/account/?q=B1": ("B1-001",),
        "/lookup/resident/?q=Мешканець": ("Мешканець",),
        "/lookup/tariff/?q=CW": ("31",),
    }
    for url, secrets in refused.items():
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        for secret in secrets:
            # what the page shows: its text and attributes' values, not the layout's scripts (the
            # pickers' words) nor its random nonce and CSRF token, which may hold any digits
            shown = _clean(re.sub(r"<script\b.*?</script>", " ", text(response), flags=re.S))
            assert secret not in shown, url


def test_the_refused_data_is_really_there_for_the_operator(as_role, ids, payment_id, tariff_id):
    """The positive control of the test above: the same URLs answer the data to a role allowed."""
    client = as_role("operator")
    assert "Власник B1 1" in text(client.get(f"/accountview/show/{ids['account']['B1-001']}"))
    assert SEED_RNOKPP in text(client.get(f"/residentview/show/{ids['resident']['R-B1-1']}"))
    assert "250,40" in text(client.get(f"/paymentview/show/{payment_id}"))
    assert "31,52" in text(client.get(f"/tariffview/show/{tariff_id}"))
    assert "B1-001" in text(client.get(f"/premiseview/show/{ids['premise'][('B1', '1')]}"))


def test_inspector_sees_no_rnokpp_nor_owners_anywhere(app, as_role, tokens, ids):
    client = as_role("inspector")
    pages = [
        "/", "/buildingview/list/", f"/buildingview/show/{ids['building']['B1']}", "/premiseview/list/",
        f"/premiseview/show/{ids['premise'][('B1', '1')]}", f"/premiseview/show/{ids['premise'][('B1', '2')]}",
        "/meterview/list/", f"/meterview/show/{ids['meter']['M-B1-1']}", "/readingview/list/",
        f"/readingview/show/{ids['reading']['M-B1-1']}", "/readingview/add", "/metertypeview/list/",
        "/groupmeterpremiseview/list/", "/lookup/premise/?q=", "/lookup/meter/?q=", "/lookup/building/?q=",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = text(response)
        for secret in (SEED_RNOKPP, "Власник B1", "Мешканець B1", "B1-001", "B1-002"):
            assert secret not in body, (url, secret)
    api = app.test_client()
    for url in ("/api/v1/building/", "/api/v1/premise/", "/api/v1/meter/", "/api/v1/reading/",
                f"/api/v1/premise/{ids['premise'][('B1', '1')]}", "/api/v1/reading/_info", "/api/v1/premise/_info"):
        response = api.get(url, headers=tokens("inspector"))
        assert response.status_code == 200, url
        assert SEED_RNOKPP not in text(response) and "Власник" not in text(response), url
    for url in ("/api/v1/resident/", "/api/v1/account/", f"/api/v1/account/{ids['account']['B1-001']}",
                f"/api/v1/resident/{ids['resident']['R-B1-1']}"):
        response = api.get(url, headers=tokens("inspector"))
        assert response.status_code == 403, url
        assert SEED_RNOKPP not in text(response)


def test_inspector_writes_nothing_but_readings(app, as_role, tokens, ids):
    from app.models import Building, Payment, Premise, Reading, Resident

    client = as_role("inspector")
    code = uid("INSB")
    assert client.post("/buildingview/add", data=building_form(code)).status_code == 403
    assert count(app, Building, Building.code == code) == 0

    premise_id = ids["premise"][("B1", "1")]
    assert client.post(f"/premiseview/edit/{premise_id}",
                       data=premise_form(ids["building"]["B1"], "1", total_area="99")).status_code == 403
    assert client.post(f"/premiseview/delete/{premise_id}").status_code == 403
    assert row(app, Premise, Premise.id == premise_id)["total_area"] == Decimal("52.3")

    before = count(app, Payment)
    assert client.post("/paymentview/add", data=payment_form(ids["account"]["B1-001"])).status_code == 403
    assert count(app, Payment) == before
    resident = uid("INSR")
    assert client.post("/residentview/add", data={"resident_id": resident, "full_name": "Х"}).status_code == 403
    assert count(app, Resident, Resident.resident_id == resident) == 0

    # Readings: add only — never edit or delete, even in the own building.
    reading_id = ids["reading"]["M-B1-1"]
    assert client.post(f"/readingview/edit/{reading_id}",
                       data=reading_form(ids["meter"]["M-B1-1"], "31.10.2026", "99")).status_code == 403
    assert client.post(f"/readingview/delete/{reading_id}").status_code == 403
    api = app.test_client()
    headers = tokens("inspector")
    assert api.put(f"/api/v1/reading/{reading_id}", json={"value": "99"}, headers=headers).status_code == 403
    assert api.delete(f"/api/v1/reading/{reading_id}", headers=headers).status_code == 403
    assert api.post("/api/v1/building/", json={"code": code, "address": "x"}, headers=headers).status_code == 403
    assert count(app, Building, Building.code == code) == 0
    assert row(app, Reading, Reading.id == reading_id)["value"] == Decimal("10.5")


# --- payments are facts -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_nobody_edits_or_deletes_a_payment_not_even_the_admin(app, as_role, tokens, payment_id, role):
    from app.models import Payment

    before = row(app, Payment, Payment.id == payment_id)
    client = as_role(role)
    assert client.get(f"/paymentview/edit/{payment_id}").status_code in (403, 404, 405)
    assert client.post(f"/paymentview/edit/{payment_id}",
                       data={"amount": "1,00", "external_id": "CHANGED"}).status_code in (403, 404, 405)
    assert client.get(f"/paymentview/delete/{payment_id}").status_code in (403, 404, 405)
    assert client.post(f"/paymentview/delete/{payment_id}").status_code in (403, 404, 405)
    api = app.test_client()
    assert api.put(f"/api/v1/payment/{payment_id}", json={"amount": "1.00"},
                   headers=tokens(role)).status_code in (403, 404, 405)
    assert api.delete(f"/api/v1/payment/{payment_id}", headers=tokens(role)).status_code in (403, 404, 405)
    assert row(app, Payment, Payment.id == payment_id) == before


def test_payment_screens_offer_no_edit_or_delete(app, as_role, payment_id):
    from app.models import Payment

    external = row(app, Payment, Payment.id == payment_id)["external_id"]
    client = as_role("admin")
    for url in (f"/paymentview/list/?_flt_0_external_id={external}", f"/paymentview/show/{payment_id}"):
        page = text(client.get(url))
        assert "250,40" in page
        assert "/paymentview/edit/" not in page and "/paymentview/delete/" not in page


def test_the_api_describes_no_edit_or_delete_of_payments(app, tokens):
    spec = app.test_client().get("/api/v1/_openapi", headers=tokens("admin")).json
    methods = set(spec["paths"]["/api/v1/payment/{pk}"])
    assert "get" in methods
    assert not methods & {"put", "delete", "patch"}
    info = app.test_client().get("/api/v1/payment/_info", headers=tokens("admin")).json
    assert set(info["permissions"]) == {"can_list", "can_show", "can_add"}
