"""Domain validation (app/validation) on the screens and the API: each invalid record is
refused with a Ukrainian message next to its field (the form is shown again, 200) or a 422
naming the field, and nothing is written — the rows of the table are counted before and
after. Each rule also has its accepted counterpart, so the refusal is the rule's and not an
accident of the form."""
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, login
from tests.webtools import (
    INVALID_RNOKPP, VALID_EDRPOU, VALID_IBAN, VALID_RNOKPP, account_form, add_reading, all_field_errors, count,
    field_errors, is_ukrainian, make_building, make_meter, organisation_form, premise_form, reading_form,
    registration_form, resident_form, row, seed_ids, text, uid,
)


@pytest.fixture(scope="module")
def operator(app):
    return login(app.test_client(), "operator")


@pytest.fixture(scope="module")
def accountant(app):
    return login(app.test_client(), "accountant")


@pytest.fixture(scope="module")
def headers(app):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": "operator", "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


def refused(response, field, fragment):
    """The form came back with ``fragment`` in the message next to ``field``; returns all the
    messages of the form."""
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    page = text(response)
    messages = field_errors(page, field)
    assert any(fragment in m for m in messages), (field, messages, all_field_errors(page))
    assert all(is_ukrainian(m) for m in messages), messages
    return all_field_errors(page)


def resident_row(app, key):
    from app.models import Resident

    return row(app, Resident, Resident.resident_id == key)


# --- РНОКПП, e-mail -------------------------------------------------------------------------------
def test_resident_with_an_invalid_rnokpp_is_refused(app, operator):
    from app.models import Resident

    before = count(app, Resident)
    key = uid("RV")
    response = operator.post("/residentview/add", data=resident_form(key, rnokpp=INVALID_RNOKPP))
    refused(response, "rnokpp", "Невірний РНОКПП")
    assert count(app, Resident) == before

    response = operator.post("/residentview/add", data=resident_form(key, rnokpp="12345"))
    refused(response, "rnokpp", "РНОКПП")
    assert count(app, Resident) == before

    response = operator.post("/residentview/add", data=resident_form(key, rnokpp=VALID_RNOKPP))
    assert response.status_code == 302
    assert resident_row(app, key)["rnokpp"] == VALID_RNOKPP


def test_account_with_an_invalid_owner_rnokpp_is_refused(app, operator):
    from app.models import Account

    _building, premise_id = make_building(app)
    before = count(app, Account)
    number = uid("AV")
    response = operator.post("/accountview/add", data=account_form(number, premise_id, owner_rnokpp=INVALID_RNOKPP))
    refused(response, "owner_rnokpp", "Невірний РНОКПП")
    assert count(app, Account) == before
    response = operator.post("/accountview/add", data=account_form(number, premise_id, owner_rnokpp=VALID_RNOKPP))
    assert response.status_code == 302
    assert count(app, Account) == before + 1


@pytest.mark.parametrize("email", ["ivan@", "ivan.example.com", "ivan @example.com", "ivan@example"])
def test_a_bad_email_is_refused(app, operator, email):
    from app.models import Resident

    before = count(app, Resident)
    response = operator.post("/residentview/add", data=resident_form(uid("RE"), email=email))
    refused(response, "email", "Невірна адреса електронної пошти")
    assert count(app, Resident) == before


def test_a_good_email_is_accepted(app, operator):
    key = uid("RE")
    response = operator.post("/residentview/add", data=resident_form(key, email="ivan.petrenko@example.com.ua"))
    assert response.status_code == 302
    assert resident_row(app, key)["email"] == "ivan.petrenko@example.com.ua"


def test_account_with_a_bad_email_is_refused(app, operator):
    from app.models import Account

    _building, premise_id = make_building(app)
    before = count(app, Account)
    response = operator.post("/accountview/add", data=account_form(uid("AE"), premise_id, email="owner@@example.com"))
    refused(response, "email", "електронної пошти")
    assert count(app, Account) == before


def test_editing_a_resident_into_an_invalid_state_changes_nothing(app, operator):
    from app.models import Resident

    key = uid("RED")
    assert operator.post("/residentview/add", data=resident_form(key, rnokpp=VALID_RNOKPP)).status_code == 302
    resident = resident_row(app, key)
    response = operator.post(f"/residentview/edit/{resident['id']}",
                             data=resident_form(key, full_name="Інше Ім'я", rnokpp=INVALID_RNOKPP))
    refused(response, "rnokpp", "РНОКПП")
    assert row(app, Resident, Resident.id == resident["id"]) == resident


# --- ЄДРПОУ and IBAN (the provider) ----------------------------------------------------------------------
@pytest.mark.parametrize("field, value, fragment", [
    ("edrpou", "32855962", "Невірний код ЄДРПОУ"),
    ("edrpou", "1234567", "ЄДРПОУ"),
    ("iban", "UA213223130000026007233566002", "Невірний IBAN"),
    ("iban", "UA21322313", "Невірний IBAN"),
    ("iban", "DE89370400440532013000", "український IBAN"),
])
def test_organisation_with_an_invalid_edrpou_or_iban_is_refused(app, accountant, ids, field, value, fragment):
    from app.models import Organisation

    org = row(app, Organisation, Organisation.id == ids["organisation"])
    assert (org["edrpou"], org["iban"]) == (VALID_EDRPOU, VALID_IBAN)
    response = accountant.post(f"/organisationview/edit/{org['id']}", data=organisation_form(org, **{field: value}))
    refused(response, field, fragment)
    assert row(app, Organisation, Organisation.id == org["id"]) == org


def test_a_second_provider_record_is_refused(app, accountant):
    from app.models import Organisation

    before = count(app, Organisation)
    response = accountant.post("/organisationview/add", data={
        "name": "Друга організація", "edrpou": "32855961", "iban": VALID_IBAN})
    refused(response, "name", "лише одного надавача")
    assert count(app, Organisation) == before


# --- areas ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("total", ["0", "-5", "0,00"])
def test_a_non_positive_area_is_refused(app, operator, ids, total):
    from app.models import Premise

    before = count(app, Premise)
    response = operator.post("/premiseview/add", data=premise_form(ids["building"]["B2"], uid("P"), total_area=total,
                                                                 heated_area=""))
    refused(response, "total_area", "більшим за нуль")
    assert count(app, Premise) == before


def test_heated_area_above_total_is_refused(app, operator, ids):
    from app.models import Premise

    before = count(app, Premise)
    number = uid("P")
    response = operator.post("/premiseview/add", data=premise_form(ids["building"]["B2"], number, total_area="50",
                                                                 heated_area="50,01"))
    refused(response, "heated_area", "Опалювана площа не може перевищувати загальну")
    assert count(app, Premise) == before
    response = operator.post("/premiseview/add", data=premise_form(ids["building"]["B2"], number, total_area="50",
                                                                 heated_area="50"))
    assert response.status_code == 302
    assert count(app, Premise) == before + 1


def test_heated_area_above_total_on_edit_changes_nothing(app, operator):
    from app.models import Premise

    building_id, premise_id = make_building(app)
    before = row(app, Premise, Premise.id == premise_id)
    response = operator.post(f"/premiseview/edit/{premise_id}",
                             data=premise_form(building_id, "1", total_area="30", heated_area="40"))
    refused(response, "heated_area", "Опалювана площа")
    assert row(app, Premise, Premise.id == premise_id) == before


# --- readings --------------------------------------------------------------------------------------------
def test_a_reading_below_the_previous_one_is_refused(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2", digits=5)
    add_reading(app, meter_id, date(2026, 10, 31), "10.5")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.11.2026", "3"))
    refused(response, "value", "менший за попередній (10,5 на 31.10.2026)")
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_a_rollover_past_the_meter_digits_is_accepted(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2", digits=5)
    add_reading(app, meter_id, date(2026, 10, 31), "99990")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.11.2026", "5"))
    assert response.status_code == 302, all_field_errors(text(response))
    stored = row(app, Reading, Reading.meter_id == meter_id, Reading.date == date(2026, 11, 30))
    assert stored["value"] == Decimal("5")


def test_a_rollover_is_accepted_by_the_api_too(app, headers):
    meter_id = make_meter(app, "B2", digits=5)
    add_reading(app, meter_id, date(2026, 10, 31), "99990")
    response = app.test_client().post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-30", "value": "5"},
                                      headers=headers)
    assert response.status_code == 201, response.json
    response = app.test_client().post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-12-01", "value": "3"},
                                      headers=headers)
    assert response.status_code == 422
    assert "менший за попередній" in response.json["message"]["value"][0]


def test_a_value_beyond_the_meter_digits_is_refused(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2", digits=5)
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.11.2026", "100000"))
    refused(response, "value", "більше цифр, ніж розрядність лічильника (5)")
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


def test_a_reading_above_the_next_one_is_refused(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2", digits=5)
    add_reading(app, meter_id, date(2026, 11, 30), "20")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "31.10.2026", "25"))
    refused(response, "value", "більший за наступний")
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_a_second_reading_on_the_same_day_is_refused(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    add_reading(app, meter_id, date(2026, 11, 30), "20")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.11.2026", "21"))
    refused(response, "date", "на цю дату вже внесено показник")
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


@pytest.mark.parametrize("day", ["31.12.2024", "01.07.2026"])
def test_a_reading_outside_the_installation_dates_is_refused(app, operator, day):
    from app.models import Reading

    meter_id = make_meter(app, "B2", installed_on=date(2025, 1, 1), removed_on=date(2026, 6, 30))
    response = operator.post("/readingview/add", data=reading_form(meter_id, day, "1"))
    refused(response, "date", "поза періодом роботи лічильника (01.01.2025 – 30.06.2026)")
    assert count(app, Reading, Reading.meter_id == meter_id) == 0
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.06.2026", "1"))
    assert response.status_code == 302
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_a_negative_reading_is_refused(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "30.11.2026", "-1"))
    refused(response, "value", "не може бути відʼємним")
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


# --- registrations and accounts -----------------------------------------------------------------------------
def _resident(app, operator):
    key = uid("RR")
    assert operator.post("/residentview/add", data=resident_form(key)).status_code == 302
    return resident_row(app, key)["id"]


def test_an_overlapping_second_registration_is_refused(app, operator):
    from app.models import Registration

    resident_id = _resident(app, operator)
    _building, premise_id = make_building(app)
    response = operator.post("/registrationview/add", data=registration_form(resident_id, premise_id,
                                                                           date_from="01.01.2025"))
    assert response.status_code == 302
    before = count(app, Registration)
    for date_from, date_to in (("01.06.2025", ""), ("01.01.2020", "01.01.2025"), ("01.01.2020", "")):
        response = operator.post("/registrationview/add", data=registration_form(
            resident_id, premise_id, date_from=date_from, date_to=date_to, kind="temporary"))
        refused(response, "date_from", "уже має реєстрацію місця проживання в цьому приміщенні")
    assert count(app, Registration) == before


def test_a_registration_after_the_previous_one_ended_is_accepted(app, operator):
    from app.models import Registration

    resident_id = _resident(app, operator)
    _building, premise_id = make_building(app)
    assert operator.post("/registrationview/add", data=registration_form(
        resident_id, premise_id, date_from="01.01.2024", date_to="31.12.2024")).status_code == 302
    response = operator.post("/registrationview/add", data=registration_form(resident_id, premise_id,
                                                                           date_from="01.01.2025"))
    assert response.status_code == 302, all_field_errors(text(response))
    assert count(app, Registration, Registration.resident_id == resident_id) == 2


def test_two_active_accounts_on_one_premise_are_refused(app, operator):
    from app.models import Account

    _building, premise_id = make_building(app)
    first = uid("ACC")
    assert operator.post("/accountview/add", data=account_form(first, premise_id, opened_on="01.01.2025")).status_code == 302
    before = count(app, Account)
    response = operator.post("/accountview/add", data=account_form(uid("ACC"), premise_id, opened_on="01.06.2026"))
    refused(response, "premise", first)
    assert count(app, Account) == before


def test_a_new_account_after_the_old_one_closed_is_accepted(app, operator):
    from app.models import Account

    _building, premise_id = make_building(app)
    assert operator.post("/accountview/add", data=account_form(
        uid("ACC"), premise_id, opened_on="01.01.2020", closed_on="31.12.2025")).status_code == 302
    response = operator.post("/accountview/add", data=account_form(uid("ACC"), premise_id, opened_on="01.01.2026"))
    assert response.status_code == 302, all_field_errors(text(response))
    assert count(app, Account, Account.premise_id == premise_id) == 2


# --- date ranges -----------------------------------------------------------------------------------------------
def test_a_registration_ending_before_it_starts_is_refused(app, operator):
    from app.models import Registration

    resident_id = _resident(app, operator)
    _building, premise_id = make_building(app)
    before = count(app, Registration)
    response = operator.post("/registrationview/add", data=registration_form(
        resident_id, premise_id, date_from="15.11.2026", date_to="14.11.2026"))
    refused(response, "date_to", "Дата закінчення раніша за дату початку")
    assert count(app, Registration) == before


def test_an_account_closed_before_it_opened_is_refused(app, operator):
    from app.models import Account

    _building, premise_id = make_building(app)
    before = count(app, Account)
    response = operator.post("/accountview/add", data=account_form(uid("ACC"), premise_id, opened_on="01.02.2026",
                                                                  closed_on="31.01.2026"))
    refused(response, "closed_on", "Дата закінчення раніша")
    assert count(app, Account) == before


def test_a_meter_removed_before_installation_is_refused(app, operator, ids):
    from app.models import Meter

    before = count(app, Meter)
    response = operator.post("/meterview/add", data={
        "serial": uid("MV"), "meter_type": ids["meter_type"]["CW"], "building": ids["building"]["B2"], "premise": "",
        "installed_on": "01.06.2026", "initial_reading": "0", "removed_on": "01.05.2026", "final_reading": "1"})
    refused(response, "removed_on", "Дата закінчення раніша")
    assert count(app, Meter) == before


def test_the_api_refuses_a_reversed_date_range(app, headers):
    from app.models import Account

    _building, premise_id = make_building(app)
    number = uid("ACC")
    response = app.test_client().post("/api/v1/account/", json={
        "account_number": number, "premise": premise_id, "owner_name": "Х", "opened_on": "2026-02-01",
        "closed_on": "2026-01-31"}, headers=headers)
    assert response.status_code == 422
    assert "Дата закінчення" in response.json["message"]["closed_on"][0]
    assert count(app, Account, Account.account_number == number) == 0


def test_the_api_refuses_an_invalid_owner_rnokpp(app, headers):
    from app.models import Account

    _building, premise_id = make_building(app)
    number = uid("ACC")
    response = app.test_client().post("/api/v1/account/", json={
        "account_number": number, "premise": premise_id, "owner_name": "Х", "owner_rnokpp": INVALID_RNOKPP,
        "opened_on": "2026-02-01"}, headers=headers)
    assert response.status_code == 422
    assert "РНОКПП" in response.json["message"]["owner_rnokpp"][0]
    assert count(app, Account, Account.account_number == number) == 0


# --- claim acts and area changes: the validators (formerly the screens' own checks) -------
def _claim_act(**over):
    from app.models import ClaimAct

    values = dict(number="АП-V", act_date=date(2026, 10, 20), service_id=1, kind="poor_quality",
                  reduction_pct=Decimal("30"), date_from=date(2026, 10, 1), date_to=date(2026, 10, 10), status="draft")
    values.update(over)
    return ClaimAct(**values)


@pytest.mark.parametrize("over, field", [
    ({}, None),
    ({"date_to": date(2026, 9, 30)}, "date_to"),
    ({"reduction_pct": None}, "reduction_pct"),
    ({"reduction_pct": Decimal("0")}, "reduction_pct"),
    ({"reduction_pct": Decimal("100.01")}, "reduction_pct"),
    ({"kind": "not_provided", "reduction_pct": None}, None),
    ({"id": 7, "status": "approved"}, "status"),
    ({"status": "approved"}, None),  # a new record is never approved yet: the screen makes it a draft
])
def test_claim_act_rules(app, over, field):
    from app.extensions import db
    from app.validation import validate

    with app.app_context():
        errors = validate(db.session, _claim_act(**over))
        assert [e.field for e in errors] == ([field] if field else [])
        assert all(is_ukrainian(e.message) for e in errors)


def test_an_approved_acts_coverage_is_refused(app):
    from app.extensions import db
    from app.models import ClaimActTarget
    from app.validation import validate

    with app.app_context():
        assert [e.field for e in validate(db.session, ClaimActTarget(act=_claim_act(status="approved")))] == ["act"]
        assert validate(db.session, ClaimActTarget(act=_claim_act())) == []


@pytest.mark.parametrize("total, heated, field", [
    ("52.3", None, None), ("52.3", "52.3", None), ("0", None, "total_area"), (None, None, "total_area"),
    ("52.3", "0", "heated_area"), ("52.3", "60", "heated_area"),
])
def test_area_change_rules(app, total, heated, field):
    from app.extensions import db
    from app.models import AreaChange, Premise
    from app.validation import validate

    with app.app_context():
        change = AreaChange(premise=Premise(number="1"), valid_from=date(2026, 10, 1),
                            total_area=Decimal(total) if total else None, heated_area=Decimal(heated) if heated else None)
        errors = validate(db.session, change)
        assert [e.field for e in errors] == ([field] if field else [])
