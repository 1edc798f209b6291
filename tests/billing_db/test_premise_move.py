"""A premise moved to another building on the edit form takes its meter along (migration 0011):
the change log notices the move in both buildings, and the next run bills the flat in its new
building — its meter counted against the new building's house meter, no longer against the
old one.

The town of town.py (E1: flats 1–3, house meter 1000 → 1013,5 in October) gets a building E2
with a house cold-water meter (500 → 510) and no flats; flat 1 (6 м³ by its meter) moves to E2:

    E1: Δ = 13,5 − (3 + 3) = 7,5 shared by volume 3 : 3 → 3,75 м³ each (flats 2 and 3) → 112,50
    E2: Δ = 10 − 6 = 4 → flat 1 alone: 4 м³ → 120,00

(before the move, flat 1 had 0,75 м³ of E1's imbalance, flats 2 and 3 0,375 each.)
"""
from datetime import date
from decimal import Decimal as D

import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import BillingChange, Building, ChargeLine, Meter, MeterType, Reading
from app.services.billing import run_billing
from tests.webtools import premise_form

from .town import OCTOBER, create_town


def _imbalance(session):
    """{account number: (quantity, amount)} of the cold-water imbalance lines of October."""
    from app.models import Account, Service

    rows = session.execute(
        select(Account.account_number, ChargeLine.quantity, ChargeLine.amount)
        .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
        .where(ChargeLine.period == OCTOBER, Service.code == "CW", ChargeLine.source == "imbalance")).all()
    result = {}
    for number, quantity, amount in rows:
        q, a = result.get(number, (D(0), D(0)))
        result[number] = (q + quantity, a + amount)
    return result


def test_a_moved_premise_is_billed_in_its_new_building_and_the_move_is_logged(bdb, web):
    session = db.session
    ids = create_town()
    e2 = Building(code="E2", address="вул. Енергетиків, 2", floors=5, imbalance_key="volume",
                  heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"))
    house_type = session.scalar(select(MeterType).where(MeterType.code == "CW50"))
    house = Meter(serial="E2-HOUSE-CW", meter_type=house_type, building=e2, installed_on=date(2020, 1, 1),
                  initial_reading=D("0"))
    session.add_all([e2, house, Reading(meter=house, date=date(2026, 9, 30), value=D("500"), source="inspector"),
                     Reading(meter=house, date=date(2026, 10, 31), value=D("510"), source="inspector")])
    session.commit()
    e1, e2_id = ids["building"], e2.id

    run_billing()
    assert _imbalance(session) == {"E1-001": (D("0.750"), D("22.50")), "E1-002": (D("0.375"), D("11.25")),
                                   "E1-003": (D("0.375"), D("11.25"))}
    mark = session.scalar(select(sa.func.coalesce(sa.func.max(BillingChange.id), 0)))
    session.commit()

    response = web("operator").post(f"/premiseview/edit/{ids['premises'][1]}",
                                    data=premise_form(e2_id, "1", total_area="50", heated_area="50"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    assert session.scalar(select(Meter.building_id).where(Meter.id == ids["meters"][1])) == e2_id
    logged = {(r.building_id, r.source) for r in session.scalars(select(BillingChange).where(BillingChange.id > mark))}
    assert {(e1, "premise"), (e2_id, "premise"), (e1, "meter"), (e2_id, "meter")} <= logged

    run_billing()
    assert _imbalance(session) == {"E1-001": (D("4.000"), D("120.00")), "E1-002": (D("3.750"), D("112.50")),
                                   "E1-003": (D("3.750"), D("112.50"))}
    building_of_line = dict(session.execute(
        select(ChargeLine.account_id, ChargeLine.building_id).where(ChargeLine.period == OCTOBER)).all())
    assert building_of_line[ids["accounts"][1]] == e2_id
    assert building_of_line[ids["accounts"][2]] == e1
