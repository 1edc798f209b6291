"""Property: whatever sequence of ordinary registry edits the staff make — premises moved to
another building (form, API), meters moved between premises, group-meter links added and
removed, an inspector's buildings reassigned, accounts and readings added — no inspector
afterwards sees (list screens, API lists and cards, pickers) or writes (API, readings form)
anything outside the buildings assigned to them.

The edits go through the screens and the API as the users make them (an edit refused with a
message is part of the story too); the expectations are computed from the database after
the edits: an inspector's buildings, the premises in them, the meters in them.
"""
import itertools
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from tests.conftest import PASSWORD, login
from tests.webtools import account_form, make_building, make_meter, premise_form, reading_form, text, uid

BUILDINGS, INSPECTORS = 3, 2
_DAYS = itertools.count(1)


def _token(app, username):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": username, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture(scope="module")
def world(app):
    """Three buildings of their own (two flats each, a meter per flat, a house meter each) and
    two inspectors (the first with building 0, the second with 1 and 2)."""
    from app.extensions import db
    from app.models import Building, Premise
    from app.services.users import create_user

    mark = uid("W").replace("-", "")
    buildings, premises, flat_meters, house_meters, addresses = [], [], [], [], {}
    for n in range(BUILDINGS):
        address = f"вул. Світова{mark}x{n}"
        building_id, premise_id = make_building(app, address=address)
        addresses[building_id] = address
        with app.app_context():
            second = Premise(building_id=building_id, number="2", kind="apartment", total_area=40, heated_area=40,
                             heating="central")
            db.session.add(second)
            db.session.commit()
            code = db.session.scalar(select(Building.code).where(Building.id == building_id))
            second_id = second.id
        buildings.append(building_id)
        for p in (premise_id, second_id):
            premises.append(p)
            flat_meters.append(make_meter(app, code, premise_id=p, serial=f"{mark}F{len(flat_meters)}"))
        house_meters.append(make_meter(app, code, serial=f"{mark}H{n}"))
    inspectors = []
    with app.app_context():
        origin = {"premises": dict(db.session.execute(select(Premise.id, Premise.building_id).where(
            Premise.id.in_(premises))).all())}
        origin["numbers"] = dict(db.session.execute(select(Premise.id, Premise.number).where(
            Premise.id.in_(premises))).all())
        for n, assigned in enumerate(([0], [1, 2])):
            username = f"{mark}i{n}".lower()
            codes = list(db.session.scalars(select(Building.code).where(
                Building.id.in_([buildings[i] for i in assigned]))))
            user = create_user(username, PASSWORD, "inspector", buildings=codes)
            inspectors.append((user.id, username, [buildings[i] for i in assigned]))
    return {
        "origin": origin,
        "mark": mark, "buildings": buildings, "premises": premises, "flat_meters": flat_meters,
        "house_meters": house_meters, "addresses": addresses,
        "inspectors": [(uid_, name, login(app.test_client(), name), _token(app, name)) for uid_, name, _b in inspectors],
        "grants": {uid_: assigned for uid_, _name, assigned in inspectors},
        "operator": login(app.test_client(), "operator"), "operator_api": _token(app, "operator"),
        "admin": login(app.test_client(), "admin"),
    }


def reset(app, world):
    """Every example starts from the same world (so that hypothesis can replay and shrink a
    failure): links removed, premises, meters and grants as created."""
    from sqlalchemy import delete, update

    from app.extensions import db
    from app.models import GroupMeterPremise, InspectorBuilding, Meter, Premise

    with app.app_context():
        s = db.session
        s.execute(delete(GroupMeterPremise).where(GroupMeterPremise.meter_id.in_(world["house_meters"])))
        for premise, building in world["origin"]["premises"].items():
            s.execute(update(Premise).where(Premise.id == premise).values(
                building_id=building, number=world["origin"]["numbers"][premise]))
        for n, meter in enumerate(world["flat_meters"]):
            premise = world["premises"][n]
            s.execute(update(Meter).where(Meter.id == meter).values(
                premise_id=premise, building_id=world["origin"]["premises"][premise]))
        for n, meter in enumerate(world["house_meters"]):
            s.execute(update(Meter).where(Meter.id == meter).values(building_id=world["buildings"][n]))
        s.execute(delete(InspectorBuilding).where(InspectorBuilding.user_id.in_(list(world["grants"]))))
        s.add_all([InspectorBuilding(user_id=u, building_id=b) for u, bs in world["grants"].items() for b in bs])
        s.commit()


def _state(app, world):
    """From the database: building of each premise and meter, the links, each inspector's buildings."""
    from app.extensions import db
    from app.models import GroupMeterPremise, InspectorBuilding, Meter, Premise

    with app.app_context():
        s = db.session
        premise_building = dict(s.execute(select(Premise.id, Premise.building_id)
                                          .where(Premise.id.in_(world["premises"]))).all())
        meters = {r.id: r for r in s.execute(select(Meter.id, Meter.serial, Meter.building_id, Meter.premise_id).where(
            Meter.id.in_(world["flat_meters"] + world["house_meters"]))).all()}
        links = s.execute(select(GroupMeterPremise.id, GroupMeterPremise.meter_id, GroupMeterPremise.premise_id)
                          .where(GroupMeterPremise.meter_id.in_(world["house_meters"]))).all()
        assigned = {user_id: set(s.scalars(select(InspectorBuilding.building_id)
                                           .where(InspectorBuilding.user_id == user_id)))
                    for user_id, *_ in world["inspectors"]}
        grants = s.execute(select(InspectorBuilding.id, InspectorBuilding.user_id).where(
            InspectorBuilding.user_id.in_([u for u, *_ in world["inspectors"]]))).all()
    return premise_building, meters, links, assigned, grants


# --- the edits ---------------------------------------------------------------------------------
def move_premise(app, world, state, i, j, by_api):
    premise = world["premises"][i % len(world["premises"])]
    building = world["buildings"][j % BUILDINGS]
    number = uid("N")
    if by_api:
        return world["operator"].put(f"/api/v1/premise/{premise}", json={"building": building, "number": number},
                              headers=world["operator_api"])
    else:
        return world["operator"].post(f"/premiseview/edit/{premise}", data=premise_form(building, number))


def move_meter(app, world, state, i, j, with_building):
    premise_building = state[0]
    meter = world["flat_meters"][i % len(world["flat_meters"])]
    premise = world["premises"][j % len(world["premises"])]
    body = {"premise": premise}
    if with_building:  # else: refused when the premise is in another building
        body["building"] = premise_building[premise]
    return world["operator"].put(f"/api/v1/meter/{meter}", json=body, headers=world["operator_api"])


def move_house_meter(app, world, state, i, j, _flag):
    meter = world["house_meters"][i % BUILDINGS]
    return world["operator"].put(f"/api/v1/meter/{meter}", json={"building": world["buildings"][j % BUILDINGS]},
                          headers=world["operator_api"])


def link(app, world, state, i, j, _flag):
    return world["operator"].post("/groupmeterpremiseview/add", data={
        "meter": str(world["house_meters"][i % BUILDINGS]), "premise": str(world["premises"][j % len(world["premises"])])})


def unlink(app, world, state, i, j, _flag):
    links = state[2]
    if links:
        return world["operator"].post(f"/groupmeterpremiseview/delete/{links[i % len(links)].id}")


def assign(app, world, state, i, j, _flag):
    user_id = world["inspectors"][i % INSPECTORS][0]
    return world["admin"].post("/inspectorbuildingview/add",
                        data={"user": str(user_id), "building": str(world["buildings"][j % BUILDINGS])})


def unassign(app, world, state, i, j, _flag):
    grants = state[4]
    if grants:
        return world["admin"].post(f"/inspectorbuildingview/delete/{grants[i % len(grants)].id}")


def add_account(app, world, state, i, j, _flag):
    return world["operator"].post("/accountview/add", data=account_form(uid("PA"), world["premises"][i % len(world["premises"])]))


def add_reading(app, world, state, i, j, by_api):
    meter = (world["flat_meters"] + world["house_meters"])[i % (len(world["flat_meters"]) + BUILDINGS)]
    n = next(_DAYS)
    day = date(2025, 1, 1) + timedelta(days=n)
    if by_api:
        return world["operator"].post("/api/v1/reading/", json={"meter": meter, "date": day.isoformat(), "value": str(n)},
                               headers=world["operator_api"])
    else:
        return world["operator"].post("/readingview/add", data=reading_form(meter, day.strftime("%d.%m.%Y"), str(n)))


EDITS = [move_premise, move_meter, move_house_meter, link, unlink, assign, unassign, add_account, add_reading]


# --- what every inspector may see and write ----------------------------------------------------
def _picked(response):
    assert response.status_code == 200
    return {r["text"] for r in response.json["results"]}


def check_isolation(app, world, probe):
    from app.extensions import db
    from app.models import Reading

    premise_building, meters, links, assigned, _grants = _state(app, world)
    located = {m.id: premise_building[m.premise_id] if m.premise_id is not None else m.building_id
               for m in meters.values()}
    foreign_marks = ("Франка", "Шевченка")  # the seeded town's buildings: never assigned here
    for user_id, _name, client, headers in world["inspectors"]:
        mine = assigned[user_id]
        # where a meter is: its premise's building (a flat meter), else its own (a house meter)
        visible_meters = {m.serial for m in meters.values() if located[m.id] in mine}
        hidden_meters = [m for m in meters.values() if located[m.id] not in mine]
        visible_premises = {p for p, b in premise_building.items() if b in mine}
        hidden_addresses = [a for b, a in world["addresses"].items() if b not in mine] + list(foreign_marks)

        # API lists and cards
        listed = client.get("/api/v1/meter/?q=(page_size:100)", headers=headers).json["result"]
        assert {m["serial"] for m in listed} == visible_meters
        listed = client.get("/api/v1/premise/?q=(page_size:100)", headers=headers).json["result"]
        assert {p["id"] for p in listed} == visible_premises
        # list screens
        for url in ("/meterview/list/?psize_MeterView=100", "/premiseview/list/?psize_PremiseView=100",
                    "/groupmeterpremiseview/list/?psize_GroupMeterPremiseView=100",
                    "/readingview/list/?psize_ReadingView=100"):
            page = text(client.get(url))
            for address in hidden_addresses:
                assert address not in page, (url, address)
            for m in hidden_meters:
                assert not re.search(rf"\b{re.escape(m.serial)}\b", page), (url, m.serial)
        # pickers
        picked = _picked(client.get(f"/lookup/meter/?q={world['mark']}"))  # «address — resource — № serial»
        assert {label.rsplit("№ ", 1)[-1] for label in picked} == visible_meters
        for label in _picked(client.get(f"/lookup/premise/?q=Світова{world['mark']}")):
            assert not any(address in label for address in hidden_addresses), label
        # one hidden meter and premise: no card, no reading written (API and form)
        if hidden_meters:
            m = hidden_meters[probe % len(hidden_meters)]
            assert client.get(f"/api/v1/meter/{m.id}", headers=headers).status_code == 404
            assert client.get(f"/meterview/show/{m.id}").status_code == 404
            with app.app_context():
                before = db.session.query(Reading).filter(Reading.meter_id == m.id).count()
            day = date(2025, 1, 1) + timedelta(days=next(_DAYS))
            response = client.post("/api/v1/reading/", headers=headers,
                                   json={"meter": m.id, "date": day.isoformat(), "value": "99999"})
            assert 400 <= response.status_code < 500, response.status_code
            response = client.post("/readingview/add", data=reading_form(m.id, day.strftime("%d.%m.%Y"), "99999"))
            assert response.status_code == 200  # the form again, with the refusal
            with app.app_context():
                assert db.session.query(Reading).filter(Reading.meter_id == m.id).count() == before
        hidden_premises = [p for p, b in premise_building.items() if b not in mine]
        if hidden_premises:
            p = hidden_premises[probe % len(hidden_premises)]
            assert client.get(f"/api/v1/premise/{p}", headers=headers).status_code == 404
            assert client.get(f"/premiseview/show/{p}").status_code == 404
    # and the data itself: a flat meter is in its premise's building, a link within one building
    for m in meters.values():
        if m.premise_id is not None:
            assert m.building_id == premise_building[m.premise_id], m
    for row in links:
        assert meters[row.meter_id].building_id == premise_building[row.premise_id], row


EDIT = st.tuples(st.sampled_from(EDITS), st.integers(0, 11), st.integers(0, 11), st.booleans())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(EDIT, min_size=1, max_size=6), probe=st.integers(0, 11))
def test_no_inspector_sees_or_writes_outside_their_buildings_after_any_edits(app, world, edits, probe):
    reset(app, world)
    for edit, i, j, flag in edits:
        response = edit(app, world, _state(app, world), i, j, flag)
        assert response is None or response.status_code < 500, (edit.__name__, response.status_code)
    check_isolation(app, world, probe)
