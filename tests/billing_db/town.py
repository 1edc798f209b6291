"""The billing tests' town: building E1 with three flats, billed from October 2026.

    flat  area  persons  cold-water meter readings
    1     50    2        30.09: 100   31.10: 106
    2     60    1        30.09: 50    (none in October)
    3     40    1        30.09: 200   (none in October)

Services: UTR by area 8,00 грн/м²; TPV by persons 40,00 грн; CW by meter 30,00 грн/м³ (norm
3 м³ per person); HEAT by the house meter 2000,00 грн/Гкал (heated area). House meters: cold
water 1000 → 1013,5 (October), heat 0 → 15 Гкал. October (31 days) therefore bills:

    flat 1  UTR 400,00  TPV 80,00  CW 6 м³ actual 180,00  imbalance 0,75 м³ 22,50  HEAT 5 Гкал 10000,00
    flat 2  UTR 480,00  TPV 40,00  CW 3 м³ norm   90,00   imbalance 0,375 м³ 11,25 HEAT 6 Гкал 12000,00
    flat 3  UTR 320,00  TPV 40,00  CW 3 м³ norm   90,00   imbalance 0,375 м³ 11,25 HEAT 4 Гкал 8000,00

(Δ = 13,5 − (6 + 3 + 3) = 1,5 shared by volume 6 : 3 : 3; heat: Vs = 15 × 0,15 = 2,25 by total
area, Vr = 12,75 by heated area → 5, 6, 4.)
"""
from datetime import date
from decimal import Decimal as D

from app.extensions import db
from app.models import (
    Account, AccountService, Building, Meter, MeterType, Norm, Premise, Reading, Registration, Resident, Service,
    Tariff,
)

LONG_AGO = date(2020, 1, 1)
OCTOBER = "2026-10"
NOVEMBER = "2026-11"

SERVICES = (
    ("UTR", "Утримання будинку", "м²", "area", None, "total", 2, "8.00"),
    ("TPV", "Вивезення відходів", "особа", "persons", None, "total", 3, "40.00"),
    ("CW", "Холодна вода", "м³", "metered", "cold_water", "total", 3, "30.00"),
    ("HEAT", "Опалення", "Гкал", "group", "heat", "heated", 4, "2000.00"),
)
FLATS = ((1, "50", 2, "100"), (2, "60", 1, "50"), (3, "40", 1, "200"))
RNOKPP = ("3183501239", "2887202914", "3325909116", "3051902474")


def create_town(session=None, open_period=True) -> dict:
    """Build the town with the ORM (the e2e test imports it through ``oblik import``)."""
    from app.services.periods import open_first

    session = session or db.session
    ids = {"services": {}, "accounts": {}, "meters": {}, "premises": {}}
    for code, name, unit, method, resource, basis, precision, price in SERVICES:
        service = Service(code=code, name=name, unit=unit, method=method, resource=resource, area_basis=basis,
                          quantity_precision=precision)
        session.add(service)
        session.flush()
        ids["services"][code] = service.id
        session.add(Tariff(service=service, valid_from=LONG_AGO, price=D(price)))
        if code == "CW":
            session.add(Norm(service=service, valid_from=LONG_AGO, norm_per_person=D("3")))
    cold = MeterType(code="CW15", name="Лічильник холодної води", resource="cold_water", digits=5,
                     verification_years=6)
    house_cold = MeterType(code="CW50", name="Будинковий лічильник води", resource="cold_water", digits=6,
                           verification_years=4)
    heat = MeterType(code="HM", name="Теплолічильник", resource="heat", digits=7, verification_years=4)
    session.add_all([cold, house_cold, heat])
    building = Building(code="E1", address="вул. Енергетиків, 1", floors=5, imbalance_key="volume",
                        heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"))
    session.add(building)
    session.flush()
    ids["building"] = building.id
    person = 0
    for number, area, persons, start in FLATS:
        premise = Premise(building=building, number=str(number), kind="apartment", total_area=D(area),
                          heated_area=D(area), heating="central")
        session.add(premise)
        session.flush()
        ids["premises"][number] = premise.id
        for _ in range(persons):
            person += 1
            resident = Resident(resident_id=f"E1-R{person}", full_name=f"Мешканець {person}")
            session.add_all([resident, Registration(resident=resident, premise=premise, date_from=LONG_AGO)])
        account = Account(account_number=f"E1-{number:03d}", premise=premise, owner_name=f"Власник {number}",
                          opened_on=LONG_AGO)
        session.add(account)
        session.flush()
        ids["accounts"][number] = account.id
        for code in ids["services"]:
            session.add(AccountService(account=account, service_id=ids["services"][code], date_from=LONG_AGO))
        meter = Meter(serial=f"E1-CW-{number}", meter_type=cold, building=building, premise=premise,
                      installed_on=LONG_AGO, initial_reading=D("0"), next_verification=date(2030, 1, 1))
        session.add(meter)
        session.flush()
        ids["meters"][number] = meter.id
        session.add(Reading(meter=meter, date=date(2026, 9, 30), value=D(start), source="inspector"))
        if number == 1:
            session.add(Reading(meter=meter, date=date(2026, 10, 31), value=D("106"), source="inspector"))
    house = Meter(serial="E1-HOUSE-CW", meter_type=house_cold, building=building, installed_on=LONG_AGO,
                  initial_reading=D("0"), next_verification=date(2030, 1, 1))
    heat_meter = Meter(serial="E1-HOUSE-HEAT", meter_type=heat, building=building, installed_on=LONG_AGO,
                       initial_reading=D("0"), next_verification=date(2030, 1, 1))
    session.add_all([house, heat_meter])
    session.flush()
    ids["meters"]["house"], ids["meters"]["heat"] = house.id, heat_meter.id
    session.add_all([
        Reading(meter=house, date=date(2026, 9, 30), value=D("1000"), source="inspector"),
        Reading(meter=house, date=date(2026, 10, 31), value=D("1013.5"), source="inspector"),
        Reading(meter=heat_meter, date=date(2026, 9, 30), value=D("0"), source="inspector"),
        Reading(meter=heat_meter, date=date(2026, 10, 31), value=D("15"), source="inspector"),
    ])
    session.commit()
    if open_period:
        open_first(OCTOBER)
    return ids


def lines_of(session, period, account_id=None, service_code=None, kind=None):
    """[(account number, service code, kind, target period, quantity, amount, source)] of the draft
    (or the frozen lines) of ``period``, in their order."""
    from sqlalchemy import select

    from app.models import ChargeLine

    stmt = (select(Account.account_number, Service.code, ChargeLine.kind, ChargeLine.target_period,
                   ChargeLine.quantity, ChargeLine.amount, ChargeLine.source, ChargeLine.detail_kind)
            .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
            .where(ChargeLine.period == period).order_by(ChargeLine.building_id, ChargeLine.seq))
    if account_id is not None:
        stmt = stmt.where(ChargeLine.account_id == account_id)
    if service_code is not None:
        stmt = stmt.where(Service.code == service_code)
    if kind is not None:
        stmt = stmt.where(ChargeLine.kind == kind)
    return [tuple(row) for row in session.execute(stmt).all()]


def amounts(session, period, **filters):
    """{(account number, service, kind, target period): amount summed over the segments}."""
    result = {}
    for r in lines_of(session, period, **filters):
        key = (r[0], r[1], r[7] or r[2], r[3]) if r[2] == "recalculation" else (r[0], r[1], r[2], r[3])
        if r[2] == "recalculation":
            key = (r[0], r[1], f"recalculation:{r[7]}", r[3])
        result[key] = result.get(key, D("0")) + r[5]
    return result


def explained(stored) -> str:
    """A stored explanation (phrases, app.billing.phrases) as the Ukrainian screen reads it."""
    from app.billing.phrases import ukrainian

    return ukrainian().text(stored)


def explained_rows(rows) -> list:
    """Selected rows with their ``explanation`` column as the Ukrainian screen reads it."""
    from collections import namedtuple

    rows = list(rows)
    if not rows:
        return []
    Row = namedtuple("Row", rows[0]._fields)
    return [Row(**dict(r._mapping, explanation=explained(r.explanation))) for r in rows]
