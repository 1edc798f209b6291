"""The readings sheet's building S1, made in the order that a plain sort would get wrong:

    entrance 1: flats 10а, 2, 10, 1, 9 (created so; the sheet shows 1, 2, 9, 10, 10а)
    entrance 2: flat 11
    a house meter of cold water (shown first)

Cold-water meters (5 digits), readings:

    flat 1   31.08.2026: 100   30.09.2026: 110   31.10.2026: 120  → average 20 × 30,4375 / 61 = 9,980 a month
    flat 2   30.09.2026: 50                                       → one reading in 12 months: no average
    flat 9   installed 01.06.2026 at 0, no reading                → no average, previous 0 (installation)
    flat 10  31.08.2026: 170   31.10.2026: 200                    → average 30 × 30,4375 / 61 = 14,969
    flat 10а 31.08.2026: 280   31.10.2026: 300   (an estimate of 30.09: 900 is left out)  → 9,980
    flat 11  31.10.2026: 40
    house    31.10.2026: 5000

Periods: 2026-10 closed, 2026-11 open. The sheet is taken on 30.11.2026, today 02.12.2026.
"""
from datetime import date
from decimal import Decimal as D

from app.extensions import db
from app.models import Building, Meter, MeterType, Period, Premise, Reading

ON = date(2026, 11, 30)
TODAY = date(2026, 12, 2)
LONG_AGO = date(2020, 1, 1)

FLATS = (("10а", 1), ("2", 1), ("10", 1), ("1", 1), ("9", 1), ("11", 2))
READINGS = {
    "1": ((date(2026, 8, 31), "100"), (date(2026, 9, 30), "110"), (date(2026, 10, 31), "120")),
    "2": ((date(2026, 9, 30), "50"),),
    "9": (),
    "10": ((date(2026, 8, 31), "170"), (date(2026, 10, 31), "200")),
    "10а": ((date(2026, 8, 31), "280"), (date(2026, 10, 31), "300")),
    "11": ((date(2026, 10, 31), "40"),),
}


def create_sheet_town(session=None, flats=FLATS, readings=READINGS, code="S1") -> dict:
    session = session or db.session
    cold = session.query(MeterType).filter_by(code="SCW").one_or_none()
    if cold is None:
        cold = MeterType(code="SCW", name="Лічильник холодної води", resource="cold_water", digits=5,
                         verification_years=6)
        session.add(cold)
    building = Building(code=code, address=f"вул. Шевченка, {code[1:]}", floors=5)
    session.add(building)
    session.flush()
    ids = {"building": building.id, "meters": {}, "premises": {}}
    for number, entrance in flats:
        premise = Premise(building=building, number=number, kind="apartment", total_area=D("50"),
                          heated_area=D("50"), heating="central", entrance=entrance)
        session.add(premise)
        session.flush()
        ids["premises"][number] = premise.id
        installed = date(2026, 6, 1) if number == "9" else LONG_AGO
        meter = Meter(serial=f"{code}-CW-{number}", meter_type=cold, building=building, premise=premise,
                      installed_on=installed, initial_reading=D("0"), next_verification=date(2030, 1, 1))
        session.add(meter)
        session.flush()
        ids["meters"][number] = meter.id
        for day, value in readings.get(number, ()):
            session.add(Reading(meter=meter, date=day, value=D(value), source="inspector"))
        if number == "10а" and readings is READINGS:
            session.add(Reading(meter=meter, date=date(2026, 9, 30), value=D("900"), source="estimate"))
    house = Meter(serial=f"{code}-HOUSE", meter_type=cold, building=building, installed_on=LONG_AGO,
                  initial_reading=D("0"), next_verification=date(2030, 1, 1))
    session.add(house)
    session.flush()
    ids["meters"]["house"] = house.id
    session.add(Reading(meter=house, date=date(2026, 10, 31), value=D("5000"), source="inspector"))
    if session.query(Period).count() == 0:
        session.add_all([Period(period="2026-10", status="closed"), Period(period="2026-11", status="open")])
    session.commit()
    return ids
