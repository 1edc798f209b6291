"""The forms speak Ukrainian: dates typed ``дд.мм.рррр`` and decimals with a comma are
accepted and stored exactly; lists, cards and edit forms show them the same way back; a
malformed date or number gets a Ukrainian message next to its field. Deleting a record other
records depend on is refused with a message; a record nothing depends on is deleted."""
import re
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import login
from tests.webtools import (
    add_reading, added_payment_id, building_form, count, field_errors, flashes, make_building, make_meter, payment_form, premise_form,
    reading_form, row, seed_ids, table_text, text, uid,
)


@pytest.fixture(scope="module")
def operator(app):
    return login(app.test_client(), "operator")


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


def _input_value(page, name):
    import re

    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


# --- typed dates and decimals are stored exactly ----------------------------------------------------
def test_a_meter_with_a_typed_date_and_decimal_comma(app, operator, ids):
    from app.models import Meter

    serial = uid("FM")
    response = operator.post("/meterview/add", data={
        "serial": serial, "meter_type": ids["meter_type"]["CW"], "building": ids["building"]["B2"],
        "premise": ids["premise"][("B2", "1")], "installed_on": "15.11.2026", "initial_reading": "12,5",
        "verified_on": "01.11.2026", "next_verification": "01.11.2032"})
    assert response.status_code == 302, field_errors(text(response), "installed_on")
    meter = row(app, Meter, Meter.serial == serial)
    assert meter["installed_on"] == date(2026, 11, 15)
    assert meter["initial_reading"] == Decimal("12.5")
    assert meter["next_verification"] == date(2032, 11, 1)

    listed = table_text(text(operator.get(f"/meterview/list/?_flt_0_serial={serial}")))
    assert serial in listed and "15.11.2026" in listed and "01.11.2032" in listed
    assert "2026-11-15" not in listed
    card = table_text(text(operator.get(f"/meterview/show/{meter['id']}")))
    assert "15.11.2026" in card and "12,5" in card and "12.5" not in card
    edit = text(operator.get(f"/meterview/edit/{meter['id']}"))
    assert _input_value(edit, "installed_on") == "15.11.2026"
    assert _input_value(edit, "initial_reading") == "12,5"


def test_a_premise_with_decimal_commas(app, operator):
    from app.models import Premise

    building_id, _ = make_building(app)
    response = operator.post("/premiseview/add", data=premise_form(building_id, "12", total_area="1 234,56",
                                                                  heated_area="12,5"))
    assert response.status_code == 302
    premise = row(app, Premise, Premise.building_id == building_id, Premise.number == "12")
    assert (premise["total_area"], premise["heated_area"]) == (Decimal("1234.56"), Decimal("12.5"))
    listed = table_text(text(operator.get(f"/premiseview/list/?_flt_0_building={building_id}")))
    assert "1234,56" in listed and "12,5" in listed
    assert "1234.56" not in listed and "12.5000" not in listed


def test_a_reading_list_shows_the_date_and_the_comma(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", "12,5"))
    assert response.status_code == 302
    stored = row(app, Reading, Reading.meter_id == meter_id)
    assert (stored["date"], stored["value"]) == (date(2026, 11, 15), Decimal("12.5"))
    listed = table_text(text(operator.get(f"/readingview/list/?_flt_0_meter={meter_id}")))
    assert "15.11.2026" in listed and "12,5" in listed


def test_iso_dates_and_points_are_accepted_too(app, operator):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "2026-11-16", "7.25"))
    assert response.status_code == 302
    stored = row(app, Reading, Reading.meter_id == meter_id)
    assert (stored["date"], stored["value"]) == (date(2026, 11, 16), Decimal("7.25"))


def test_money_is_shown_with_kopiyky(app, operator, ids):
    response = operator.post("/paymentview/add", data=payment_form(ids["account"]["B2-001"],
                                                                  paid_on="15.11.2026", amount="1 250,4"))
    assert response.status_code == 302
    from app.models import Payment

    payment = row(app, Payment, Payment.id == added_payment_id(response))
    external = payment["external_id"]
    assert re.fullmatch(r"КВ-2026-\d{4}", external)  # the receipt number, given by the system
    assert (payment["paid_on"], payment["amount"]) == (date(2026, 11, 15), Decimal("1250.40"))
    listed = table_text(text(operator.get(f"/paymentview/list/?_flt_0_external_id={external}")))
    assert "15.11.2026" in listed and "1250,40" in listed


def test_empty_values_are_shown_empty_not_none(app, operator):
    from app.models import Resident

    key = uid("FR")
    assert operator.post("/residentview/add", data={"resident_id": key, "full_name": "Без Телефону"}).status_code == 302
    listed = table_text(text(operator.get(f"/residentview/list/?_flt_0_resident_id={key}")))
    assert "Без Телефону" in listed
    assert "None" not in listed
    card = table_text(text(operator.get(f"/residentview/show/{row(app, Resident, Resident.resident_id == key)['id']}")))
    assert "None" not in card


def test_a_date_search_filter_is_read_day_first(app, operator):
    meter_id = make_meter(app, "B2")
    add_reading(app, meter_id, date(2026, 1, 11), "1")
    add_reading(app, meter_id, date(2026, 11, 1), "2.5")
    base = f"/readingview/list/?_flt_0_meter={meter_id}"
    assert "11.01.2026" in table_text(text(operator.get(base)))  # both are there
    found = table_text(text(operator.get(f"{base}&_flt_0_date=01.11.2026")))
    assert "01.11.2026" in found and "11.01.2026" not in found
    found = table_text(text(operator.get(f"{base}&_flt_0_date=11.01.2026")))
    assert "11.01.2026" in found and "01.11.2026" not in found
    found = table_text(text(operator.get(f"{base}&_flt_1_date=31.10.2026")))  # «більше ніж»
    assert "01.11.2026" in found and "11.01.2026" not in found


def test_a_decimal_search_filter_takes_a_comma(app, operator):
    meter_id = make_meter(app, "B2")
    add_reading(app, meter_id, date(2026, 10, 1), "1")
    add_reading(app, meter_id, date(2026, 11, 1), "2.5")
    base = f"/readingview/list/?_flt_0_meter={meter_id}"
    found = table_text(text(operator.get(f"{base}&_flt_0_value=2,5")))
    assert "01.11.2026" in found and "01.10.2026" not in found
    assert table_text(text(operator.get(f"{base}&_flt_0_value=2.5"))) == found


@pytest.mark.parametrize("typed", ["31.02.2026", "2026/11/15", "15-11-2026", "завтра"])
def test_a_malformed_date_is_refused_in_ukrainian(app, operator, typed):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, typed, "1"))
    assert response.status_code == 200
    assert field_errors(text(response), "date") == ["Невірна дата: введіть у форматі дд.мм.рррр"]
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


@pytest.mark.parametrize("typed", ["12,5,3", "1e", "дванадцять", "NaN", "Infinity"])
def test_a_malformed_number_is_refused_in_ukrainian(app, operator, typed):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", typed))
    assert response.status_code == 200
    assert field_errors(text(response), "value") == ["Невірне число"]
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


@pytest.mark.parametrize("typed", ["1e3", "1E3", "-inf", "1_000"])
def test_an_exponent_is_refused_as_the_engine_refuses_it(app, operator, typed):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", typed))
    assert field_errors(text(response), "value") == ["Невірне число"]
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


@pytest.mark.parametrize("separator", ["\u00a0", "\u202f", " "])
def test_thousands_with_any_space_are_accepted_as_the_engine_accepts_them(app, operator, separator):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", f"1{separator}234,5"))
    assert row(app, Reading, Reading.meter_id == meter_id)["value"] == Decimal("1234.5")


def test_the_form_keeps_what_was_typed_after_an_error(app, operator):
    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", "12,5x"))
    page = text(response)
    assert _input_value(page, "date") == "15.11.2026"
    assert _input_value(page, "value") == "12,5x"
    assert f'<option value="{meter_id}" selected>' in page  # the chosen meter stays chosen


def test_date_fields_show_the_ukrainian_placeholder(operator):
    page = text(operator.get("/readingview/add"))
    assert 'placeholder="дд.мм.рррр"' in page


# --- delete ---------------------------------------------------------------------------------------------------
def test_deleting_a_building_with_premises_is_refused_with_a_message(app, operator):
    from app.models import Building, Premise

    building_id, premise_id = make_building(app)
    response = operator.post(f"/buildingview/delete/{building_id}", follow_redirects=True)
    assert response.status_code == 200
    messages = flashes(text(response))
    assert any("Запис не можна видалити" in m and "Квартири/приміщення: 1" in m for m in messages), messages
    assert count(app, Building, Building.id == building_id) == 1
    assert count(app, Premise, Premise.id == premise_id) == 1


def test_deleting_a_meter_with_readings_is_refused(app, operator):
    from app.models import Meter, Reading

    meter_id = make_meter(app, "B2")
    response = operator.post("/readingview/add", data=reading_form(meter_id, "15.11.2026", "1"))
    assert response.status_code == 302
    response = operator.post(f"/meterview/delete/{meter_id}", follow_redirects=True)
    assert any("Показники лічильників: 1" in m for m in flashes(text(response))), flashes(text(response))
    assert count(app, Meter, Meter.id == meter_id) == 1
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_deleting_a_record_without_dependants_works(app, operator):
    from app.models import Building, Premise

    code = uid("FDEL")
    assert operator.post("/buildingview/add", data=building_form(code)).status_code == 302
    building_id = row(app, Building, Building.code == code)["id"]
    response = operator.post(f"/buildingview/delete/{building_id}", follow_redirects=True)
    assert response.status_code == 200
    assert not any("не можна" in m for m in flashes(text(response)))
    assert count(app, Building, Building.code == code) == 0

    building_id, premise_id = make_building(app)
    assert operator.post(f"/premiseview/delete/{premise_id}").status_code == 302
    assert count(app, Premise, Premise.id == premise_id) == 0
    assert count(app, Building, Building.id == building_id) == 1
