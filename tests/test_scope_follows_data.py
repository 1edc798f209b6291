"""The inspector's scope follows the data after ordinary edits (issue 8, item 1).

The probes: an operator moves a premise to another building (edit form, REST API) — its meters
go with it, so the old building's inspector no longer sees the flat nor writes a reading for it;
a group-meter link between a house meter of one building and a premise of another is refused
(it would show that premise's address to the house meter's inspector). Every path that writes
meters, premises or links — screens, API, imports, the command line, bulk SQL — ends in the
same database rules (migration 0011), which these tests reach through the screens, the API
and plain SQL.
"""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text as sql

from tests.conftest import PASSWORD, login
from tests.webtools import (
    count, field_errors, make_building, make_meter, premise_form, reading_form, row, table_text, text, uid,
)


def make_inspector(app, *building_codes):
    from app.services.users import create_user

    username = uid("insp").lower()
    with app.app_context():
        create_user(username, PASSWORD, "inspector", buildings=building_codes)
    return username


def token(app, username):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": username, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def building_code(app, building_id):
    from app.models import Building

    return row(app, Building, Building.id == building_id)["code"]


@pytest.fixture()
def two_buildings(app):
    """Buildings A and B of the test's own, a flat meter in A's flat, an inspector per building."""
    a, a_flat = make_building(app, address=f"вул. Стара-{uid('A')}")
    b, b_flat = make_building(app, address=f"вул. Нова-{uid('B')}")
    code_a, code_b = building_code(app, a), building_code(app, b)
    serial = uid("FLAT")
    meter = make_meter(app, code_a, premise_id=a_flat, serial=serial)
    house_a = make_meter(app, code_a, serial=uid("HOUSE"))
    return {
        "a": a, "b": b, "a_flat": a_flat, "b_flat": b_flat, "code_a": code_a, "code_b": code_b,
        "meter": meter, "serial": serial, "house_a": house_a,
        "inspector_a": make_inspector(app, code_a), "inspector_b": make_inspector(app, code_b),
    }


def _address(app, building_id):
    from app.models import Building

    return row(app, Building, Building.id == building_id)["address"]


def _picked(response):
    assert response.status_code == 200
    return [r["text"] for r in response.json["results"]]


def assert_invisible_and_unwritable(app, world, flat=None):
    """The old building's inspector (A) sees neither the flat now in B (``flat``, by default
    the moved one) nor its meter anywhere, and cannot write a reading for it; the new
    building's inspector (B) does see both."""
    from app.models import Meter, Reading

    meter, serial = world["meter"], world["serial"]
    flat = world["a_flat"] if flat is None else flat
    new_address = _address(app, world["b"])
    assert row(app, Meter, Meter.id == meter)["building_id"] == world["b"]

    client = login(app.test_client(), world["inspector_a"])
    headers = token(app, world["inspector_a"])
    for url in ("/meterview/list/?psize_MeterView=1000", "/premiseview/list/?psize_PremiseView=1000",
                "/readingview/list/", "/groupmeterpremiseview/list/", f"/buildingview/show/{world['a']}",
                "/readingview/add"):
        page = text(client.get(url))
        assert new_address not in page and serial not in page, url
    for url in (f"/meterview/show/{meter}", f"/premiseview/show/{flat}"):
        assert client.get(url).status_code == 404, url
    assert _picked(client.get(f"/lookup/meter/?q={serial}")) == []
    assert _picked(client.get(f"/lookup/meter/?id={meter}")) == []
    assert not any(new_address in t for t in _picked(client.get("/lookup/premise/?q=")))
    assert _picked(client.get(f"/lookup/premise/?id={flat}")) == []
    assert client.get(f"/api/v1/meter/{meter}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/premise/{flat}", headers=headers).status_code == 404
    listed = client.get("/api/v1/meter/?q=(page_size:100)", headers=headers).json["result"]
    assert serial not in {m["serial"] for m in listed}
    premises = client.get("/api/v1/premise/?q=(page_size:100)", headers=headers).json["result"]
    assert flat not in {p["id"] for p in premises}
    info = client.get("/api/v1/reading/_info?q=(add_columns:(meter:(page:0,page_size:100)))", headers=headers).json
    values = [v["value"] for c in info["add_columns"] if c["name"] == "meter" for v in c["values"]]
    assert f"№ {serial}" not in values

    response = client.post("/api/v1/reading/", json={"meter": meter, "date": "2026-11-20", "value": "3.5"},
                           headers=headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.json)
    response = client.post("/readingview/add", data=reading_form(meter, "20.11.2026", "3,5"))
    assert response.status_code == 200 and field_errors(text(response), "meter")
    assert count(app, Reading, Reading.meter_id == meter) == 0

    # the new building's inspector sees the flat and its meter (the marks above are real)
    client_b = login(app.test_client(), world["inspector_b"])
    assert serial in table_text(text(client_b.get("/meterview/list/?psize_MeterView=1000")))
    assert client_b.get(f"/meterview/show/{meter}").status_code == 200
    assert any(t.endswith(f" — № {serial}") for t in _picked(client_b.get(f"/lookup/meter/?q={serial}")))
    response = client_b.post("/api/v1/reading/", json={"meter": meter, "date": "2026-11-20", "value": "3.5"},
                             headers=token(app, world["inspector_b"]))
    assert response.status_code == 201, response.json


def test_a_premise_moved_by_the_edit_form_takes_its_meters_along(app, two_buildings):
    world = two_buildings
    operator = login(app.test_client(), "operator")
    response = operator.post(f"/premiseview/edit/{world['a_flat']}", data=premise_form(world["b"], "7"))
    assert response.status_code == 302, text(response)[:2000]
    assert_invisible_and_unwritable(app, world)


def test_a_premise_moved_by_the_api_takes_its_meters_along(app, api_token, two_buildings):
    world = two_buildings
    response = app.test_client().put(f"/api/v1/premise/{world['a_flat']}", json={"building": world["b"], "number": "7"},
                                     headers=api_token("operator"))
    assert response.status_code == 200, response.json
    assert_invisible_and_unwritable(app, world)


def test_a_meter_moved_to_a_premise_of_another_building_is_refused_unless_its_building_follows(
        app, api_token, two_buildings):
    from app.models import Meter

    world = two_buildings
    headers = api_token("operator")
    response = app.test_client().put(f"/api/v1/meter/{world['meter']}", json={"premise": world["b_flat"]},
                                     headers=headers)
    assert response.status_code == 422, response.json
    assert "premise" in response.json["message"]
    assert row(app, Meter, Meter.id == world["meter"])["premise_id"] == world["a_flat"]
    response = app.test_client().put(f"/api/v1/meter/{world['meter']}",
                                     json={"premise": world["b_flat"], "building": world["b"]}, headers=headers)
    assert response.status_code == 200, response.json
    assert_invisible_and_unwritable(app, world, flat=world["b_flat"])


# --- group metering ----------------------------------------------------------------------------
def test_a_cross_building_group_link_is_refused_on_the_form(app, two_buildings):
    from app.models import GroupMeterPremise

    world = two_buildings
    operator = login(app.test_client(), "operator")
    response = operator.post("/groupmeterpremiseview/add",
                             data={"meter": str(world["house_a"]), "premise": str(world["b_flat"])})
    assert response.status_code == 200
    errors = field_errors(text(response), "premise")
    assert errors and "будинк" in errors[0], errors
    assert count(app, GroupMeterPremise, GroupMeterPremise.meter_id == world["house_a"]) == 0
    # the house meter's inspector never sees the other building's address
    page = text(login(app.test_client(), world["inspector_a"]).get("/groupmeterpremiseview/list/"))
    assert _address(app, world["b"]) not in page
    # a link inside the building is accepted
    response = operator.post("/groupmeterpremiseview/add",
                             data={"meter": str(world["house_a"]), "premise": str(world["a_flat"])})
    assert response.status_code == 302, text(response)[:2000]
    assert count(app, GroupMeterPremise, GroupMeterPremise.meter_id == world["house_a"]) == 1


def test_a_cross_building_group_link_is_refused_by_the_database(app, two_buildings):
    from app.extensions import db

    world = two_buildings
    with app.app_context():
        with pytest.raises(Exception, match="group_meter_premise.premise_id"):
            db.session.execute(sql("INSERT INTO group_meter_premise (meter_id, premise_id) VALUES (:m, :p)"),
                               {"m": world["house_a"], "p": world["b_flat"]})
        db.session.rollback()


def _link(app, meter_id, premise_id):
    from app.extensions import db
    from app.models import GroupMeterPremise

    with app.app_context():
        db.session.add(GroupMeterPremise(meter_id=meter_id, premise_id=premise_id))
        db.session.commit()


def test_a_premise_served_by_a_house_meter_is_not_moved_away_from_it(app, api_token, two_buildings):
    from app.models import Premise

    world = two_buildings
    _link(app, world["house_a"], world["a_flat"])
    operator = login(app.test_client(), "operator")
    response = operator.post(f"/premiseview/edit/{world['a_flat']}", data=premise_form(world["b"], "7"))
    assert response.status_code == 200
    errors = field_errors(text(response), "building")
    assert errors and "груп" in errors[0], errors
    response = app.test_client().put(f"/api/v1/premise/{world['a_flat']}", json={"building": world["b"], "number": "7"},
                                     headers=api_token("operator"))
    assert response.status_code == 422 and "building" in response.json["message"], response.json
    assert row(app, Premise, Premise.id == world["a_flat"])["building_id"] == world["a"]


def test_a_house_meter_serving_premises_is_not_moved_to_another_building(app, api_token, two_buildings):
    from app.models import Meter

    world = two_buildings
    _link(app, world["house_a"], world["a_flat"])
    response = app.test_client().put(f"/api/v1/meter/{world['house_a']}", json={"building": world["b"]},
                                     headers=api_token("operator"))
    assert response.status_code == 422 and "building" in response.json["message"], response.json
    assert row(app, Meter, Meter.id == world["house_a"])["building_id"] == world["a"]


# --- the same rules below the ORM (the CLI, imports and app/services/sql.py write there too) ------
def test_plain_sql_moves_follow_and_mismatches_are_refused(app, two_buildings):
    from app.extensions import db
    from app.models import Meter
    from app.services.sql import insert_rows

    world = two_buildings
    with app.app_context():
        db.session.execute(sql("UPDATE premise SET building_id = :b, number = :n WHERE id = :p"),
                           {"b": world["b"], "n": uid("N"), "p": world["a_flat"]})
        db.session.commit()
        assert db.session.scalar(select(Meter.building_id).where(Meter.id == world["meter"])) == world["b"]
        with pytest.raises(Exception, match="meter.building_id"):  # the database's own message
            db.session.execute(sql("UPDATE meter SET building_id = :a WHERE id = :m"),
                               {"a": world["a"], "m": world["meter"]})
        db.session.rollback()
        type_id = db.session.scalar(select(Meter.meter_type_id).where(Meter.id == world["meter"]))
        with pytest.raises(Exception, match="meter.building_id"):  # COPY on PostgreSQL: psycopg2's error
            insert_rows(db.session.connection(), Meter.__table__,
                        ["serial", "meter_type_id", "building_id", "premise_id", "installed_on", "initial_reading"],
                        [(uid("BULK"), type_id, world["a"], world["b_flat"], date(2024, 1, 1), Decimal(0))])
        db.session.rollback()


# --- imports: the same rules, the same messages -------------------------------------------------
def test_an_import_does_not_move_a_house_meter_away_from_the_premises_it_serves(app, two_buildings):
    from app.extensions import db
    from app.models import Meter, MeterType
    from app.services.imports.facts import BulkFacts
    from app.validation.facts import SessionFacts
    from tests.imports.helpers import run, write_csv

    world = two_buildings
    _link(app, world["house_a"], world["a_flat"])
    with app.app_context():
        house = db.session.get(Meter, world["house_a"])
        type_code = db.session.scalar(select(MeterType.code).where(MeterType.id == house.meter_type_id))
        serial = house.serial
        # the import's bulk facts answer as the form's
        bulk, one = BulkFacts(), SessionFacts(db.session)
        bulk.load_group_premises(db.session, [world["house_a"], world["meter"]])
        bulk.load_group_meters(db.session, [world["a_flat"], world["b_flat"]])
        for meter in (world["house_a"], world["meter"]):
            assert bulk.meter_group_premises(meter) == one.meter_group_premises(meter)
        for premise in (world["a_flat"], world["b_flat"]):
            assert bulk.premise_group_meters(premise) == one.premise_group_meters(premise)
        assert one.premise_group_meters(world["a_flat"]) == [(serial, world["a"])]

        row_ = {"serial": serial, "meter_type_code": type_code, "building_code": world["code_b"], "number": "",
                "installed_on": date(2024, 1, 1), "initial_reading": Decimal("0")}
        outcome = run("meters", write_csv([row_]))
        assert outcome.rejected == 1 and not outcome.written, outcome
        problem = outcome.problems[0]
        assert problem.column == "building_code" and "груповий облік" in problem.message, problem
        db.session.expire_all()
        assert db.session.get(Meter, world["house_a"]).building_id == world["a"]
        # a flat meter named by the other building's flat moves there, building and all
        row_ = {**row_, "serial": world["serial"], "number": "1"}
        outcome = run("meters", write_csv([row_]))
        assert outcome.rejected == 0 and outcome.written, outcome.problems
        db.session.expire_all()
        moved = db.session.get(Meter, world["meter"])
        assert (moved.building_id, moved.premise_id) == (world["b"], world["b_flat"])
