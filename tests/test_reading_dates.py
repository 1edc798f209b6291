"""Readings: a date after today is refused with a clear Ukrainian message — on the form, by the
REST API and by the import, one rule (app/validation/readings.py); editing a reading records
who changed it and when (``edited_by``, ``edited_at``) while its author (``entered_by``) stays,
and both are shown on the reading's card and in the list."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, login
from tests.webtools import add_reading, count, field_errors, make_meter, reading_form, row, table_text, text


def _today():
    from app.validation.readings import local_today

    return local_today()


def _future_message(day):
    return (f"Дата показника {day:%d.%m.%Y} — у майбутньому (сьогодні {_today():%d.%m.%Y}): "
            "показник вносять після того, як його знято")


@pytest.fixture(scope="module")
def api(app):
    return app.test_client()


@pytest.fixture(scope="module")
def headers(app):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": "operator", "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


# --- the rule ---------------------------------------------------------------------------------------------
def test_the_rule_refuses_the_day_after_today_and_accepts_today(app):
    from app.validation.facts import Neighbours
    from app.validation.readings import MeterFacts, reading_errors

    meter = MeterFacts(date(2024, 1, 1), None, Decimal(0), 5)
    nobody = Neighbours(False, None, None)
    with app.test_request_context("/"):
        assert reading_errors(meter, nobody, date(2026, 12, 1), Decimal(5), today=date(2026, 12, 1)) == []
        (error,) = reading_errors(meter, nobody, date(2026, 12, 2), Decimal(5), today=date(2026, 12, 1))
        assert (error.field, error.message) == (
            "date", "Дата показника 02.12.2026 — у майбутньому (сьогодні 01.12.2026): "
                    "показник вносять після того, як його знято")


def test_today_is_the_providers_day_not_the_servers(app):
    """Kiritimati (UTC+14) and Pago Pago (UTC−11) are 25 hours apart: their dates always differ."""
    from app.validation.readings import local_today

    days = []
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        app.config["BABEL_DEFAULT_TIMEZONE"], saved = zone, app.config["BABEL_DEFAULT_TIMEZONE"]
        try:
            with app.app_context():
                days.append(local_today())
        finally:
            app.config["BABEL_DEFAULT_TIMEZONE"] = saved
    assert days[0] - days[1] in (timedelta(days=1), timedelta(days=2))


# --- the form, the API ---------------------------------------------------------------------------------------
def test_the_form_refuses_a_reading_dated_tomorrow(app):
    from app.models import Reading

    operator = login(app.test_client(), "operator")
    meter_id = make_meter(app, "B2")
    tomorrow = _today() + timedelta(days=1)
    response = operator.post("/readingview/add", data=reading_form(meter_id, f"{tomorrow:%d.%m.%Y}", "1"))
    assert response.status_code == 200
    assert field_errors(text(response), "date") == [_future_message(tomorrow)]
    assert count(app, Reading, Reading.meter_id == meter_id) == 0
    # today is no future
    response = operator.post("/readingview/add", data=reading_form(meter_id, f"{_today():%d.%m.%Y}", "1"))
    assert response.status_code == 302
    assert count(app, Reading, Reading.meter_id == meter_id) == 1


def test_the_api_refuses_a_reading_dated_tomorrow_and_an_edit_to_tomorrow(app, api, headers):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    tomorrow = _today() + timedelta(days=1)
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": tomorrow.isoformat(), "value": "1"},
                        headers=headers)
    assert response.status_code == 422
    assert response.json["message"] == {"date": [_future_message(tomorrow)]}
    assert count(app, Reading, Reading.meter_id == meter_id) == 0
    reading_id = add_reading(app, meter_id, date(2026, 11, 3), "8.5")
    response = api.put(f"/api/v1/reading/{reading_id}", json={"date": tomorrow.isoformat()}, headers=headers)
    assert response.status_code == 422
    assert response.json["message"] == {"date": [_future_message(tomorrow)]}
    assert row(app, Reading, Reading.id == reading_id)["date"] == date(2026, 11, 3)


# --- who edited a reading, and when ------------------------------------------------------------------------
def test_editing_a_reading_on_the_form_records_who_and_when(app):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    reading_id = add_reading(app, meter_id, date(2026, 11, 3), "8.5", source="inspector")
    with_author(app, reading_id, "inspector")
    operator = login(app.test_client(), "operator")

    # saved unchanged: no edit
    response = operator.post(f"/readingview/edit/{reading_id}", data=reading_form(meter_id, "03.11.2026", "8,5"))
    assert response.status_code == 302
    stored = row(app, Reading, Reading.id == reading_id)
    assert (stored["edited_by"], stored["edited_at"]) == (None, None)

    response = operator.post(f"/readingview/edit/{reading_id}", data=reading_form(meter_id, "03.11.2026", "9,25"))
    assert response.status_code == 302
    stored = row(app, Reading, Reading.id == reading_id)
    assert (stored["value"], stored["entered_by"], stored["edited_by"]) == (Decimal("9.25"), "inspector", "operator")
    assert stored["edited_at"] is not None and stored["edited_at"] >= stored["entered_at"]

    card = table_text(text(operator.get(f"/readingview/show/{reading_id}")))
    assert "Ким змінено" in card and "operator" in card
    # stored in UTC, shown in Kyiv time
    with app.app_context():
        from app.views.formatting import local_time

        assert f"{local_time(stored['edited_at']):%d.%m.%Y %H:%M}" in card and "Дата і час зміни" in card
    listed = text(operator.get(f"/readingview/list/?_flt_0_meter={meter_id}"))
    assert "Ким змінено" in listed and "operator" in table_text(listed)


def with_author(app, reading_id, username):
    from app.extensions import db
    from app.models import Reading

    with app.app_context():
        db.session.get(Reading, reading_id).entered_by = username
        db.session.commit()


def test_editing_a_reading_through_the_api_records_who_and_when(app, api, headers):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    reading_id = add_reading(app, meter_id, date(2026, 11, 3), "8.5")
    with_author(app, reading_id, "inspector")
    response = api.put(f"/api/v1/reading/{reading_id}", json={"value": "9.75"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["warnings"] == []
    stored = row(app, Reading, Reading.id == reading_id)
    assert (stored["value"], stored["entered_by"], stored["edited_by"]) == (Decimal("9.75"), "inspector", "operator")
    assert stored["edited_at"] is not None
    shown = api.get(f"/api/v1/reading/{reading_id}", headers=headers).json["result"]
    assert (shown["entered_by"], shown["edited_by"]) == ("inspector", "operator") and shown["edited_at"]


def test_a_new_reading_has_an_author_and_no_editor(app, api, headers):
    from app.models import Reading

    meter_id = make_meter(app, "B2")
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-15", "value": "1"},
                        headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == []  # the session's database has no closed period
    stored = row(app, Reading, Reading.id == response.json["id"])
    assert (stored["entered_by"], stored["edited_by"], stored["edited_at"]) == ("operator", None, None)
