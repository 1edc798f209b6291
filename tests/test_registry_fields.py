"""The registry fields the invoices and the mail need (issue 9), on the screens and the API, as
each role: a premise's entrance (підʼїзд), an account's consent to invoices by e-mail with its
date (ticked — today unless a date is given; unticked — cleared; no consent without an e-mail,
refused beside the field), the provider's working hours and invoice notice (≤ 1500 characters);
the consent's changes in the audit log."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.webtools import (
    account_form, field_errors, make_building, organisation_form, premise_form, row, seed_ids, table_text, text, uid,
)

NO_EMAIL = ("Для рахунків електронною поштою потрібна адреса e-mail власника: заповніть e-mail або зніміть "
            "позначку згоди")


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


@pytest.fixture(scope="module")
def clients(app):
    cache = {}

    def get(role):
        if role not in cache:
            cache[role] = login(app.test_client(), role)
        return cache[role]

    return get


def _today():
    from app.validation.readings import local_today

    return local_today()


def _new_account(client, app, **over):
    """A new account on a premise of its own, added on the form: (response, number)."""
    _, premise_id = make_building(app)
    number = uid("EA")
    return client.post("/accountview/add", data=account_form(number, premise_id, **over)), number


def _account(app, number):
    from app.models import Account

    return row(app, Account, Account.account_number == number)


# --- the account form: the consent and its date ---------------------------------------------------
@pytest.mark.parametrize("role", ["operator", "accountant", "admin"])
def test_ticking_the_consent_sets_its_date_to_today(app, clients, role):
    response, number = _new_account(clients(role), app, email="owner@example.com", einvoice_consent="y")
    assert response.status_code == 302, field_errors(text(response), "einvoice_consent")
    account = _account(app, number)
    assert (account["einvoice_consent"], account["einvoice_consent_on"]) == (True, _today())


def test_a_consent_date_given_is_kept_and_unticking_clears_it(app, clients):
    client = clients("operator")
    response, number = _new_account(client, app, email="owner@example.com", einvoice_consent="y",
                                    einvoice_consent_on="15.10.2026")
    assert response.status_code == 302
    account = _account(app, number)
    assert account["einvoice_consent_on"] == date(2026, 10, 15)

    card = table_text(text(client.get(f"/accountview/show/{account['id']}")))
    assert "Згода на рахунки e-mail" in card and "Так" in card and "15.10.2026" in card
    edit = text(client.get(f"/accountview/edit/{account['id']}"))
    assert 'name="einvoice_consent"' in edit and "checked" in edit.split('name="einvoice_consent"')[0][-200:] + \
        edit.split('name="einvoice_consent"')[1][:200]

    # saved again without changing it: the date stays; then unticked (a checkbox not posted)
    form = account_form(number, account["premise_id"], email="owner@example.com", einvoice_consent="y",
                        einvoice_consent_on="")
    assert client.post(f"/accountview/edit/{account['id']}", data=form).status_code == 302
    assert _account(app, number)["einvoice_consent_on"] == date(2026, 10, 15)  # a consent given before keeps its date
    form = account_form(number, account["premise_id"], email="owner@example.com", einvoice_consent_on="15.10.2026")
    assert client.post(f"/accountview/edit/{account['id']}", data=form).status_code == 302
    account = _account(app, number)
    assert (account["einvoice_consent"], account["einvoice_consent_on"]) == (False, None)
    card = table_text(text(client.get(f"/accountview/show/{account['id']}")))
    assert "Ні" in card


def test_a_consent_without_an_e_mail_is_refused_beside_the_field(app, clients):
    from app.models import Account

    client = clients("operator")
    response, number = _new_account(client, app, email="", einvoice_consent="y")
    assert response.status_code == 200
    page = text(response)
    assert field_errors(page, "einvoice_consent") == [NO_EMAIL]
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(select(Account.id).where(Account.account_number == number)) is None

    # an account with the consent whose e-mail is then taken away: refused the same way, nothing saved
    response, number = _new_account(client, app, email="owner@example.com", einvoice_consent="y")
    account = _account(app, number)
    form = account_form(number, account["premise_id"], email="", einvoice_consent="y")
    page = text(client.post(f"/accountview/edit/{account['id']}", data=form))
    assert field_errors(page, "einvoice_consent") == [NO_EMAIL]
    assert _account(app, number)["email"] == "owner@example.com"


def test_a_consent_dated_after_today_is_refused(app, clients):
    tomorrow = _today() + timedelta(days=1)
    response, _ = _new_account(clients("accountant"), app, email="owner@example.com", einvoice_consent="y",
                               einvoice_consent_on=tomorrow.strftime("%d.%m.%Y"))
    assert response.status_code == 200
    assert field_errors(text(response), "einvoice_consent_on") == [
        f"Дата згоди ще не настала (сьогодні {_today():%d.%m.%Y})"]


def test_the_inspector_has_no_account_form(app, clients):
    client = clients("inspector")
    _, premise_id = make_building(app)
    response = client.post("/accountview/add", data=account_form(uid("EA"), premise_id, email="a@example.com",
                                                                 einvoice_consent="y"))
    assert response.status_code in (302, 403)
    assert "accountview" not in (response.headers.get("Location") or "")


CONSENT_FILTER = "_flt_0_account_number=EA-&_flt_0_einvoice_consent="  # this file's accounts, with or without


def test_the_account_list_filters_by_the_consent(app, clients):
    client = clients("operator")
    _, number = _new_account(client, app, email="owner@example.com", einvoice_consent="y")
    _, paper = _new_account(client, app, email="paper@example.com")
    listed = table_text(text(client.get(f"/accountview/list/?{CONSENT_FILTER}1&psize_AccountView=100")))
    assert number in listed and paper not in listed
    listed = table_text(text(client.get(f"/accountview/list/?{CONSENT_FILTER}0&psize_AccountView=100")))
    assert paper in listed and number not in listed


# --- the premise: its entrance ----------------------------------------------------------------------
def test_a_premise_with_its_entrance_in_the_form_the_list_and_the_card(app, clients):
    from app.models import Premise

    client = clients("operator")
    building_id, _ = make_building(app)
    response = client.post("/premiseview/add", data=premise_form(building_id, "7", entrance="3"))
    assert response.status_code == 302, field_errors(text(response), "entrance")
    premise = row(app, Premise, Premise.building_id == building_id, Premise.number == "7")
    assert premise["entrance"] == 3
    page = text(client.get(f"/premiseview/list/?_flt_0_building={building_id}&_flt_0_entrance=3"))
    assert "Підʼїзд" in page
    listed = table_text(page)
    assert "7" in listed
    assert "Підʼїзд" in table_text(text(client.get(f"/premiseview/show/{premise['id']}")))
    other = table_text(text(client.get(f"/premiseview/list/?_flt_0_building={building_id}&_flt_0_entrance=2")))
    assert "52,3" not in other  # the flat of entrance 3 is not in entrance 2


@pytest.mark.parametrize("typed, message", [
    ("0", "Значення має бути від 1 до 99"),
    ("100", "Значення має бути від 1 до 99"),
    ("-1", "Значення має бути від 1 до 99"),
    ("1,5", "Потрібне ціле число"),
    ("перший", "Невірне число"),
])
def test_a_bad_entrance_is_refused_beside_the_field(app, clients, typed, message):
    from app.models import Premise

    client = clients("accountant")
    building_id, _ = make_building(app)
    response = client.post("/premiseview/add", data=premise_form(building_id, "8", entrance=typed))
    assert response.status_code == 200
    assert field_errors(text(response), "entrance") == [message]
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(select(Premise.id).where(Premise.building_id == building_id,
                                                          Premise.number == "8")) is None


def test_the_inspector_sees_the_entrance_of_a_premise_of_their_building(app, clients, ids):
    from app.extensions import db
    from app.models import Premise

    premise_id = ids["premise"][("B1", "2")]
    with app.app_context():
        premise = db.session.get(Premise, premise_id)
        premise.entrance = 2
        db.session.commit()
    try:
        card = table_text(text(clients("inspector").get(f"/premiseview/show/{premise_id}")))
        assert "Підʼїзд" in card and "2" in card
    finally:
        with app.app_context():
            db.session.get(Premise, premise_id).entrance = None
            db.session.commit()


# --- the provider: working hours and the invoice notice -----------------------------------------------
def test_the_provider_form_has_the_hours_and_the_notice(app, clients, ids):
    from app.models import Organisation

    client = clients("accountant")
    org = row(app, Organisation, Organisation.id == ids["organisation"])
    page = text(client.get(f"/organisationview/edit/{org['id']}"))
    assert "Графік роботи" in page and "Оголошення на рахунку" in page
    textarea = page.split("<textarea")[1].split(">")[0]
    assert 'name="invoice_notice"' in textarea and 'maxlength="1500"' in textarea and 'rows="10"' in textarea
    notice = "Показники передавайте до 28 числа.\nСкарги — в абонентський відділ." + "ж" * 1434
    try:
        response = client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(
            org, working_hours="пн–пт 8:00–17:00", invoice_notice=notice.replace("\n", "\r\n")))  # as a browser posts it
        assert response.status_code == 302, text(response)[:2000]
        stored = row(app, Organisation, Organisation.id == org["id"])
        assert (stored["working_hours"], stored["invoice_notice"]) == ("пн–пт 8:00–17:00", notice)
        assert len(notice) == 1500  # the line break posted as \r\n is one character, as the browser counts it
        card = table_text(text(client.get(f"/organisationview/show/{org['id']}")))
        assert "пн–пт 8:00–17:00" in card and "Показники передавайте до 28 числа." in card

        response = client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(
            org, invoice_notice="ж" * 1501))
        assert response.status_code == 200
        assert field_errors(text(response), "invoice_notice") == ["Не більше 1500 символів"]
        response = client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(
            org, working_hours="г" * 251))
        assert field_errors(text(response), "working_hours") == ["Значення поля має містити не більше ніж 250 символів."]
        assert row(app, Organisation, Organisation.id == org["id"])["invoice_notice"] == notice
    finally:
        client.post(f"/organisationview/edit/{org['id']}", data=organisation_form(org))
    assert row(app, Organisation, Organisation.id == org["id"])["invoice_notice"] in (None, "")


def test_the_operator_cannot_change_the_notice(app, clients, ids):
    from app.models import Organisation

    org = row(app, Organisation, Organisation.id == ids["organisation"])
    response = clients("operator").post(f"/organisationview/edit/{org['id']}",
                                        data=organisation_form(org, invoice_notice="Зламано"))
    assert response.status_code == 403
    assert row(app, Organisation, Organisation.id == org["id"])["invoice_notice"] == org["invoice_notice"]


# --- the REST API ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def token(app):
    from tests.conftest import PASSWORD

    cache = {}

    def get(role):
        if role not in cache:
            response = app.test_client().post("/api/v1/security/login",
                                              json={"username": role, "password": PASSWORD, "provider": "db"})
            cache[role] = {"Authorization": f"Bearer {response.json['access_token']}"}
        return cache[role]

    return get


def test_the_api_shows_and_settles_the_consent(app, token):
    api = app.test_client()
    headers = token("operator")
    _, premise_id = make_building(app)
    number = uid("EA")
    response = api.post("/api/v1/account/", headers=headers, json={
        "account_number": number, "premise": premise_id, "owner_name": "Власник", "opened_on": "2025-01-01",
        "email": "owner@example.com", "einvoice_consent": True})
    assert response.status_code == 201, response.json
    account_id = response.json["id"]
    shown = api.get(f"/api/v1/account/{account_id}", headers=headers).json["result"]
    assert (shown["einvoice_consent"], shown["einvoice_consent_on"]) == (True, _today().isoformat())

    response = api.put(f"/api/v1/account/{account_id}", headers=headers, json={"email": ""})
    assert response.status_code == 422
    assert response.json["message"] == {"einvoice_consent": [NO_EMAIL]}

    response = api.put(f"/api/v1/account/{account_id}", headers=headers, json={"einvoice_consent": False})
    assert response.status_code == 200, response.json
    shown = api.get(f"/api/v1/account/{account_id}", headers=headers).json["result"]
    assert (shown["einvoice_consent"], shown["einvoice_consent_on"]) == (False, None)

    response = api.put(f"/api/v1/account/{account_id}", headers=headers,
                       json={"einvoice_consent": True, "einvoice_consent_on": "2026-02-03"})
    assert response.status_code == 200, response.json
    listed = api.get(f"/api/v1/account/?q=(filters:!((col:account_number,opr:eq,value:'{number}')))",
                     headers=headers).json["result"]
    assert [(a["einvoice_consent"], a["einvoice_consent_on"]) for a in listed] == [(True, "2026-02-03")]


def test_the_api_shows_and_checks_the_entrance(app, token, ids):
    api = app.test_client()
    premise_id = ids["premise"][("B1", "1")]
    shown = api.get(f"/api/v1/premise/{premise_id}", headers=token("inspector")).json["result"]
    assert "entrance" in shown
    headers = token("operator")
    response = api.put(f"/api/v1/premise/{premise_id}", headers=headers, json={"entrance": 0})
    assert response.status_code == 422
    assert response.json["message"] == {"entrance": ["Значення має бути від 1 до 99"]}
    try:
        response = api.put(f"/api/v1/premise/{premise_id}", headers=headers, json={"entrance": 4})
        assert response.status_code == 200, response.json
        assert api.get(f"/api/v1/premise/{premise_id}", headers=headers).json["result"]["entrance"] == 4
    finally:
        api.put(f"/api/v1/premise/{premise_id}", headers=headers, json={"entrance": None})
    info = api.get("/api/v1/_openapi", headers=token("admin")).json
    schemas = info["components"]["schemas"]
    assert "entrance" in schemas["PremiseApi.post"]["properties"]
    assert {"einvoice_consent", "einvoice_consent_on"} <= set(schemas["AccountApi.put"]["properties"])


# --- the audit log --------------------------------------------------------------------------------
def test_the_consent_is_audited_and_the_e_mail_masked(app, clients):
    from app.extensions import db
    from app.models import AuditLog
    from app.services.audit import masked

    client = clients("operator")
    response, number = _new_account(client, app, email="owner@example.com")
    account = _account(app, number)
    form = account_form(number, account["premise_id"], email="owner@example.com", einvoice_consent="y",
                        einvoice_consent_on="01.09.2026")
    assert client.post(f"/accountview/edit/{account['id']}", data=form).status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account",
                                                          AuditLog.record_id == account["id"],
                                                          AuditLog.action == "update")).one()
        changes = json.loads(entry.changes)
        assert changes == {"einvoice_consent": [False, True], "einvoice_consent_on": [None, "2026-09-01"]}
        assert entry.username == "operator" and entry.source == "web"
        # the consent is no personal data (who may see the log sees it); the e-mail stays masked
        inserted = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account",
                                                             AuditLog.record_id == account["id"],
                                                             AuditLog.action == "insert")).one()
        hidden = masked("account", json.loads(inserted.changes), False)
        assert hidden["email"] == [None, "•••"]
        assert masked("account", changes, False) == changes
