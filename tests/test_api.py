"""The REST API (formats.md «HTTP API»): JWT login, the OpenAPI description, list / show /
create / edit of each resource where the role may, 422 with the field and a Ukrainian
message for an invalid record, 401 without a token. Requests carry only the token (a fresh
client, no browser session), as an outside script would."""
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD
from tests.webtools import (
    INVALID_RNOKPP, VALID_RNOKPP, add_reading, count, is_ukrainian, make_building, make_meter, row,
    seed_ids, uid,
)

RESOURCES = ("building", "premise", "resident", "account", "meter", "reading", "payment", "service", "tariff")


@pytest.fixture(scope="module")
def api(app):
    return app.test_client()


@pytest.fixture(scope="module")
def token(app):
    cache = {}

    def get(role):
        if role not in cache:
            response = app.test_client().post("/api/v1/security/login",
                                              json={"username": role, "password": PASSWORD, "provider": "db"})
            assert response.status_code == 200, response.json
            cache[role] = {"Authorization": f"Bearer {response.json['access_token']}"}
        return cache[role]

    return get


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


def _messages(response, field):
    assert response.status_code == 422, (response.status_code, response.json)
    message = response.json["message"]
    assert isinstance(message, dict), message
    assert field in message, message
    return message[field]


# --- login ----------------------------------------------------------------------------------
def test_login_returns_a_jwt(api):
    response = api.post("/api/v1/security/login", json={"username": "operator", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    assert response.json["access_token"].count(".") == 2


@pytest.mark.parametrize("body", [
    {"username": "operator", "password": "wrong", "provider": "db"},
    {"username": "nobody", "password": PASSWORD, "provider": "db"},
])
def test_login_with_wrong_credentials_is_401(api, body):
    response = api.post("/api/v1/security/login", json=body)
    assert response.status_code == 401
    assert "access_token" not in (response.json or {})


def test_a_forged_token_is_refused(api, token):
    forged = token("admin")["Authorization"][:-4] + "AAAA"
    assert api.get("/api/v1/building/", headers={"Authorization": forged}).status_code in (401, 422)


@pytest.mark.parametrize("resource", RESOURCES)
def test_without_a_token_every_resource_is_401(api, resource, ids):
    assert api.get(f"/api/v1/{resource}/").status_code == 401
    assert api.get(f"/api/v1/{resource}/1").status_code == 401
    assert api.get(f"/api/v1/{resource}/_info").status_code == 401
    assert api.post(f"/api/v1/{resource}/", json={}).status_code == 401


def test_without_a_token_nothing_is_written(app, api):
    from app.models import Building

    code = uid("NOTOK")
    response = api.post("/api/v1/building/", json={"code": code, "address": "вул. Без токена, 1"})
    assert response.status_code == 401
    assert count(app, Building, Building.code == code) == 0


# --- OpenAPI ------------------------------------------------------------------------------------
def test_openapi_describes_every_resource(api, token):
    response = api.get("/api/v1/_openapi", headers=token("admin"))
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in spec["paths"], resource
        assert "get" in spec["paths"][f"/api/v1/{resource}/"]
        assert "post" in spec["paths"][f"/api/v1/{resource}/"]
        assert "get" in spec["paths"][f"/api/v1/{resource}/{{pk}}"]
    assert "/api/v1/security/login" in spec["paths"]
    assert "put" in spec["paths"]["/api/v1/reading/{pk}"]


def test_info_has_no_catalogue_header_as_description(api, token):
    info = api.get("/api/v1/reading/_info", headers=token("operator")).json
    for column in info["add_columns"]:
        assert "Project-Id-Version" not in column["description"]
    labels = {c["name"]: c["label"] for c in info["add_columns"]}
    assert labels["meter"] == "Лічильник"


# --- list and show ----------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", ["building", "premise", "resident", "account", "meter", "reading", "service"])
def test_admin_lists_and_shows_each_resource(api, token, resource):
    listing = api.get(f"/api/v1/{resource}/", headers=token("admin"))
    assert listing.status_code == 200
    assert listing.json["count"] >= 1 and listing.json["ids"]
    first = listing.json["ids"][0]
    shown = api.get(f"/api/v1/{resource}/{first}", headers=token("admin"))
    assert shown.status_code == 200
    assert shown.json["id"] == first


def test_list_with_a_filter_and_decimal_strings(api, token):
    response = api.get("/api/v1/account/?q=(filters:!((col:account_number,opr:eq,value:'B2-001')))", headers=token("operator"))
    assert response.status_code == 200
    assert response.json["count"] == 1
    assert response.json["result"][0]["account_number"] == "B2-001"
    premise = api.get(f"/api/v1/premise/{response.json['result'][0]['premise']['id']}", headers=token("operator")).json
    assert Decimal(premise["result"]["total_area"]) == Decimal("52.3")


def test_show_of_a_missing_record_is_404(api, token):
    assert api.get("/api/v1/building/99999999", headers=token("admin")).status_code == 404


# --- create and edit ---------------------------------------------------------------------------------
def test_operator_creates_a_building_premise_resident_account_meter_and_reading(app, api, token, ids):
    from app.models import Account, Building, Meter, Premise, Reading, Resident

    headers = token("operator")
    code = uid("APIB")
    response = api.post("/api/v1/building/", json={
        "code": code, "address": "вул. API, 1", "floors": 4, "heated_area": "812.5", "imbalance_key": "area",
        "heat_system_share": "0.05", "heat_common_share": "0.1", "heat_min_share": "0.5"}, headers=headers)
    assert response.status_code == 201, response.json
    building_id = response.json["id"]
    assert row(app, Building, Building.id == building_id)["heated_area"] == Decimal("812.5")

    response = api.post("/api/v1/premise/", json={
        "building": building_id, "number": "1", "kind": "apartment", "total_area": "48.7", "heated_area": "45.2",
        "heating": "central"}, headers=headers)
    assert response.status_code == 201, response.json
    premise_id = response.json["id"]
    assert row(app, Premise, Premise.id == premise_id)["heated_area"] == Decimal("45.2")

    resident_key = uid("APIR")
    response = api.post("/api/v1/resident/", json={
        "resident_id": resident_key, "full_name": "Петренко Петро Петрович", "rnokpp": VALID_RNOKPP,
        "birth_date": "1980-05-17", "email": "petro@example.com"}, headers=headers)
    assert response.status_code == 201, response.json
    assert row(app, Resident, Resident.resident_id == resident_key)["birth_date"] == date(1980, 5, 17)

    number = uid("APIA")
    response = api.post("/api/v1/account/", json={
        "account_number": number, "premise": premise_id, "owner_name": "Петренко П. П.", "owner_rnokpp": VALID_RNOKPP,
        "opened_on": "2025-01-01"}, headers=headers)
    assert response.status_code == 201, response.json
    assert row(app, Account, Account.account_number == number)["premise_id"] == premise_id

    serial = uid("APIM")
    response = api.post("/api/v1/meter/", json={
        "serial": serial, "meter_type": ids["meter_type"]["CW"], "building": building_id, "premise": premise_id,
        "installed_on": "2025-01-01", "initial_reading": "7.250"}, headers=headers)
    assert response.status_code == 201, response.json
    meter_id = response.json["id"]

    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-15", "value": "123.4"},
                        headers=headers)
    assert response.status_code == 201, response.json
    reading = row(app, Reading, Reading.id == response.json["id"])
    assert reading["value"] == Decimal("123.4")
    assert (reading["date"], reading["source"], reading["entered_by"]) == (date(2026, 11, 15), "inspector", "operator")

    listing = api.get(f"/api/v1/reading/?q=(filters:!((col:meter,opr:rel_o_m,value:{meter_id})))", headers=headers).json
    assert [r["value"] for r in listing["result"]] == ["123.400"]
    assert listing["result"][0]["meter"]["serial"] == serial
    assert count(app, Meter, Meter.serial == serial) == 1


def test_edit_a_premise_and_a_reading(app, api, token):
    from app.models import Premise, Reading

    headers = token("operator")
    _building, premise_id = make_building(app)
    response = api.put(f"/api/v1/premise/{premise_id}", json={"total_area": "61.3", "heated_area": "60"}, headers=headers)
    assert response.status_code == 200, response.json
    assert row(app, Premise, Premise.id == premise_id)["total_area"] == Decimal("61.3")

    meter_id = make_meter(app, "B2")
    reading_id = add_reading(app, meter_id, date(2026, 11, 3), "8.5")
    response = api.put(f"/api/v1/reading/{reading_id}", json={"value": "9.75"}, headers=headers)
    assert response.status_code == 200, response.json
    assert row(app, Reading, Reading.id == reading_id)["value"] == Decimal("9.75")


def test_accountant_creates_services_tariffs_and_payments(app, api, token, ids):
    from app.models import Payment, Service, Tariff

    headers = token("accountant")
    code = uid("SVC")
    response = api.post("/api/v1/service/", json={
        "code": code, "name": "Вивезення ТПВ", "unit": "особа", "method": "persons", "area_basis": "total",
        "quantity_precision": 3}, headers=headers)
    assert response.status_code == 201, response.json
    service_id = response.json["id"]
    response = api.post("/api/v1/tariff/", json={"service": service_id, "valid_from": "2026-01-01", "price": "7.95689"},
                        headers=headers)
    assert response.status_code == 201, response.json
    assert row(app, Tariff, Tariff.id == response.json["id"])["price"] == Decimal("7.95689")
    response = api.put(f"/api/v1/tariff/{response.json['id']}", json={"price": "8.1"}, headers=headers)
    assert response.status_code == 200
    assert row(app, Service, Service.id == service_id)["code"] == code

    external = uid("APIPAY")
    response = api.post("/api/v1/payment/", json={
        "external_id": external, "account": ids["account"]["B2-002"], "paid_on": "2026-11-10", "amount": "512.30",
        "source": "bank"}, headers=headers)
    assert response.status_code == 201, response.json
    payment = row(app, Payment, Payment.external_id == external)
    assert (payment["amount"], payment["created_by"]) == (Decimal("512.30"), "accountant")


def test_operator_may_not_create_catalog_entries(app, api, token):
    from app.models import Service

    code = uid("OPSVC")
    response = api.post("/api/v1/service/", json={"code": code, "name": "X", "unit": "м³", "method": "fixed"},
                        headers=token("operator"))
    assert response.status_code == 403
    assert count(app, Service, Service.code == code) == 0


def test_inspector_may_create_readings_only(app, api, token, ids):
    from app.models import Premise

    headers = token("inspector")
    response = api.post("/api/v1/premise/", json={"building": ids["building"]["B1"], "number": "INS-1",
                                                   "total_area": "10"}, headers=headers)
    assert response.status_code == 403
    assert count(app, Premise, Premise.number == "INS-1") == 0
    response = api.put(f"/api/v1/premise/{ids['premise'][('B1', '1')]}", json={"total_area": "10"}, headers=headers)
    assert response.status_code == 403
    assert row(app, Premise, Premise.id == ids["premise"][("B1", "1")])["total_area"] == Decimal("52.3")


# --- validation: 422 with the field and a Ukrainian message ---------------------------------------------
def test_missing_required_field_is_422_naming_it(app, api, token):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-20"}, headers=token("operator"))
    assert _messages(response, "value")
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


def test_non_positive_area_is_422(app, api, token, ids):
    from app.models import Premise

    response = api.post("/api/v1/premise/", json={"building": ids["building"]["B2"], "number": "API-0",
                                                   "total_area": "0", "heated_area": "0"}, headers=token("operator"))
    messages = _messages(response, "total_area")
    assert any("більшим за нуль" in m for m in messages), messages
    assert count(app, Premise, Premise.number == "API-0") == 0


def test_heated_area_above_total_is_422_on_edit_and_nothing_changes(app, api, token):
    from app.models import Premise

    _building, premise_id = make_building(app)
    response = api.put(f"/api/v1/premise/{premise_id}", json={"heated_area": "41"}, headers=token("operator"))
    messages = _messages(response, "heated_area")
    assert all(is_ukrainian(m) for m in messages) and "Опалювана площа" in messages[0]
    assert row(app, Premise, Premise.id == premise_id)["heated_area"] == Decimal("40")


def test_invalid_rnokpp_and_email_are_422(app, api, token):
    from app.models import Resident

    key = uid("BADR")
    response = api.post("/api/v1/resident/", json={"resident_id": key, "full_name": "Х", "rnokpp": INVALID_RNOKPP,
                                                    "email": "not-an-email"}, headers=token("operator"))
    assert "РНОКПП" in _messages(response, "rnokpp")[0]
    assert "електронної пошти" in _messages(response, "email")[0]
    assert count(app, Resident, Resident.resident_id == key) == 0


def test_a_reading_below_the_previous_one_is_422(app, api, token):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    add_reading(app, meter_id, date(2026, 10, 31), "10.5")
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-30", "value": "3"},
                        headers=token("operator"))
    messages = _messages(response, "value")
    assert "менший за попередній" in messages[0] and "10,5" in messages[0]
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_a_reading_outside_the_installation_is_422(app, api, token):
    from app.models import Reading

    meter_id = make_meter(app, "B2", installed_on=date(2025, 3, 1))
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2025-02-28", "value": "1"},
                        headers=token("operator"))
    assert "поза періодом" in _messages(response, "date")[0]
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


def test_an_unknown_related_id_is_422_not_500(app, api, token):
    from app.models import Reading

    response = api.post("/api/v1/reading/", json={"meter": 987654321, "date": "2026-11-20", "value": "1"},
                        headers=token("admin"))
    assert _messages(response, "meter") == ["Неприпустимий вибір"]
    assert count(app, Reading, Reading.meter_id == 987654321) == 0


def test_a_second_active_account_on_a_premise_is_422(app, api, token, ids):
    from app.models import Account

    number = uid("DUPA")
    response = api.post("/api/v1/account/", json={"account_number": number, "premise": ids["premise"][("B2", "2")],
                                                   "owner_name": "Другий власник", "opened_on": "2026-01-01"},
                        headers=token("operator"))
    messages = _messages(response, "premise")
    assert "B2-002" in messages[0] and is_ukrainian(messages[0])
    assert count(app, Account, Account.account_number == number) == 0


def test_malformed_values_are_422(api, token, ids):
    response = api.post("/api/v1/reading/", json={"meter": ids["meter"]["M-B2-1"], "date": "31.31.2026", "value": "x"},
                        headers=token("operator"))
    assert response.status_code == 422
    assert {"date", "value"} <= set(response.json["message"])


# --- delete ----------------------------------------------------------------------------------------------
def test_api_delete_of_a_building_with_premises_is_refused(app, api, token):
    from app.models import Building, Premise

    building_id, premise_id = make_building(app)
    response = api.delete(f"/api/v1/building/{building_id}", headers=token("operator"))
    assert response.status_code == 422
    assert "не можна видалити" in response.json["message"]
    assert count(app, Building, Building.id == building_id) == 1
    assert count(app, Premise, Premise.id == premise_id) == 1


def test_api_delete_of_a_record_without_dependants_works(app, api, token):
    from app.models import Building

    code = uid("APIDEL")
    response = api.post("/api/v1/building/", json={"code": code, "address": "вул. Тимчасова, 1"}, headers=token("operator"))
    assert response.status_code == 201, response.json
    response = api.delete(f"/api/v1/building/{response.json['id']}", headers=token("operator"))
    assert response.status_code == 200
    assert count(app, Building, Building.code == code) == 0


# --- numbers: the forms' parser -----------------------------------------------------------
@pytest.mark.parametrize("typed, stored", [("1\u202f234,50", "1234.50"), ("1\u00a0234,5", "1234.50"),
                                           ("1 234.50", "1234.50"), (1234, "1234.00"), (12.5, "12.50")])
def test_api_numbers_are_read_as_the_forms_read_them(app, api, token, ids, typed, stored):
    from app.models import Payment

    external = uid("APINUM")
    response = api.post("/api/v1/payment/", json={
        "external_id": external, "account": ids["account"]["B2-002"], "paid_on": "2026-11-10", "amount": typed,
        "source": "bank"}, headers=token("accountant"))
    assert response.status_code == 201, response.json
    assert row(app, Payment, Payment.external_id == external)["amount"] == Decimal(stored)


@pytest.mark.parametrize("typed", ["1e3", "NaN", "Infinity", "-inf", "1_000", True])
def test_api_refuses_exponents_and_specials_as_the_forms_do(app, api, token, ids, typed):
    from app.models import Payment

    external = uid("APINUM")
    response = api.post("/api/v1/payment/", json={
        "external_id": external, "account": ids["account"]["B2-002"], "paid_on": "2026-11-10", "amount": typed,
        "source": "bank"}, headers=token("accountant"))
    assert _messages(response, "amount")
    assert count(app, Payment, Payment.external_id == external) == 0
