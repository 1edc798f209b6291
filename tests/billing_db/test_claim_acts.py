"""Claim acts (billing.md §8) through their life — draft → approve → cancel — with their effect
on the charges to the kopiyka, in the open period and against a closed one (recalculation
lines); an outage act on a network node with three downstream buildings; the deadline in
working days; the signatures rule; the network's losses per node.

Town E1 (town.py): UTR by area 8,00 грн/м², flats of 50, 60 and 40 м² → 400,00, 480,00,
320,00 a month. An act «not provided» for 01.10–05.10 (5 of 31 days) leaves 26/31:
400 × 26/31 = 335,48; 480 × 26/31 = 402,58; 320 × 26/31 = 268,39 (reductions 64,52, 77,42, 51,61)."""
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Account, AccountService, Building, ChargeLine, ClaimAct, JournalEntry, Meter, MeterType, NetworkNode, Premise, PublicHoliday,
    Reading,
)
from app.services import claim_acts
from app.services.billing import close_period, run_billing
from app.validation import validate

from .town import LONG_AGO, NOVEMBER, OCTOBER, amounts, create_town, explained

DECEMBER = "2026-12"


def utr(session, period, kind="charge"):
    """{account number: the month's UTR charge} (segments added up)."""
    return {k[0]: v for k, v in amounts(session, period, service_code="UTR").items() if k[2] == kind}


def recalculated(session, period):
    return {(k[0], k[3]): v for k, v in amounts(session, period, service_code="UTR").items()
            if k[2].startswith("recalculation")}


def draft_act(session, ids, target_building=True, **fields):
    values = dict(act_date=date(2026, 10, 20), service_id=ids["services"]["UTR"], kind="not_provided",
                  date_from=date(2026, 10, 1), date_to=date(2026, 10, 5), notified_at=datetime(2026, 10, 1, 9, 30))
    values.update(fields)
    act = ClaimAct(**values)
    session.add(act)
    claim_acts.start_draft(session, act, "operator")
    if target_building:
        claim_acts.add_targets(session, act, building_ids=[ids["building"]])
    session.commit()
    return act


FULL = {"E1-001": D("400.00"), "E1-002": D("480.00"), "E1-003": D("320.00")}
REDUCED = {"E1-001": D("335.48"), "E1-002": D("402.58"), "E1-003": D("268.39")}


def test_draft_approve_cancel_in_the_open_period(bdb):
    session = db.session
    ids = create_town()
    act = draft_act(session, ids)
    assert act.number == "АП-2026-0001" and act.status == "draft"
    run_billing()
    assert utr(session, OCTOBER) == FULL  # a draft changes no money
    claim_acts.approve(session, [act], "accountant")
    run_billing()
    assert utr(session, OCTOBER) == REDUCED
    line = session.scalars(select(ChargeLine).where(ChargeLine.account_id == ids["accounts"][1],
                                                    ChargeLine.service_id == ids["services"]["UTR"],
                                                    ChargeLine.amount == 0)).one()
    assert "Акт-претензія № АП-2026-0001 (ненадання послуги, 01.10–05.10.2026): зменшення 100 %" in explained(line.explanation)
    # an approved act is not edited, nor its coverage
    act.note = "змінено"
    assert [e.field for e in validate(session, act)] == ["status"]
    session.rollback()
    with pytest.raises(claim_acts.ClaimActRefused):
        claim_acts.add_targets(session, act, account_ids=[ids["accounts"][1]])
    claim_acts.cancel(session, [act], "accountant")
    assert act.status == "cancelled" and act.cancelled_by == "accountant"
    run_billing()
    assert utr(session, OCTOBER) == FULL
    claim_acts.approve(session, [act], "accountant")  # a cancelled act stays cancelled
    assert act.status == "cancelled"


def test_approve_and_cancel_against_closed_months_are_recalculation_lines(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    act = draft_act(session, ids)
    claim_acts.approve(session, [act], "accountant")
    run_billing()
    assert utr(session, NOVEMBER) == FULL  # November is not covered
    assert recalculated(session, NOVEMBER) == {("E1-001", OCTOBER): D("-64.52"), ("E1-002", OCTOBER): D("-77.42"),
                                               ("E1-003", OCTOBER): D("-51.61")}
    close_period(NOVEMBER)
    claim_acts.cancel(session, [act], "accountant")  # the triggers log the status leaving «approved»
    run_billing()
    assert recalculated(session, DECEMBER) == {("E1-001", OCTOBER): D("64.52"), ("E1-002", OCTOBER): D("77.42"),
                                               ("E1-003", OCTOBER): D("51.61")}
    close_period(DECEMBER)
    posted = session.execute(select(Account.account_number, JournalEntry.posting_period, JournalEntry.amount)
                             .join(Account, Account.id == JournalEntry.account_id)
                             .where(JournalEntry.kind == "recalculation",
                                    JournalEntry.service_id == ids["services"]["UTR"])
                             .order_by(JournalEntry.posting_period, Account.account_number)).all()
    assert [tuple(r) for r in posted] == [
        ("E1-001", NOVEMBER, D("-64.52")), ("E1-002", NOVEMBER, D("-77.42")), ("E1-003", NOVEMBER, D("-51.61")),
        ("E1-001", DECEMBER, D("64.52")), ("E1-002", DECEMBER, D("77.42")), ("E1-003", DECEMBER, D("51.61"))]


def test_poor_quality_on_one_account_reduces_by_its_percentage(bdb):
    session = db.session
    ids = create_town()
    act = draft_act(session, ids, target_building=False, kind="poor_quality", reduction_pct=D("30"),
                    date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    claim_acts.add_targets(session, act, account_ids=[ids["accounts"][2]])
    claim_acts.approve(session, [act], "accountant")
    run_billing()
    assert utr(session, OCTOBER) == {**FULL, "E1-002": D("336.00")}  # 480 × 0,7


def _building(session, ids, code, node, flats):
    """A building of the town with ``flats`` ((number, area)), each with an account on UTR."""
    building = Building(code=code, address=f"вул. Мережна, {code}", floors=5, imbalance_key="volume",
                        heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"),
                        network_node_id=node.id if node else None)
    session.add(building)
    session.flush()
    for number, area in flats:
        premise = Premise(building=building, number=str(number), kind="apartment", total_area=D(area),
                          heated_area=D(area), heating="central")
        account = Account(account_number=f"{code}-{number:03d}", premise=premise, owner_name=f"Власник {code}",
                          opened_on=LONG_AGO)
        session.add_all([premise, account, AccountService(account=account, service_id=ids["services"]["UTR"],
                                                          date_from=LONG_AGO)])
    session.flush()
    return building


def scheme_town(session):
    """Котельня K1 → тепловий пункт T1 → buildings B1, B2 and (via T2 under T1) B3; E1 hangs from
    K1 directly, B4 from another boiler house K2: an outage on T1 covers B1, B2, B3 only."""
    ids = create_town()
    k1 = NetworkNode(code="K1", name="Котельня 1", kind="boiler_house")
    k2 = NetworkNode(code="K2", name="Котельня 2", kind="boiler_house")
    session.add_all([k1, k2])
    session.flush()
    t1 = NetworkNode(code="T1", name="ЦТП 1", kind="heat_point", parent_id=k1.id)
    session.add(t1)
    session.flush()
    t2 = NetworkNode(code="T2", name="ІТП 2", kind="heat_point", parent_id=t1.id)
    session.add(t2)
    session.flush()
    session.get(Building, ids["building"]).network_node_id = k1.id
    b1 = _building(session, ids, "B1", t1, [(1, "45"), (2, "62")])
    b2 = _building(session, ids, "B2", t1, [(1, "31")])
    b3 = _building(session, ids, "B3", t2, [(1, "70")])
    b4 = _building(session, ids, "B4", k2, [(1, "50")])
    session.commit()
    ids["nodes"] = {"K1": k1.id, "K2": k2.id, "T1": t1.id, "T2": t2.id}
    ids["buildings"] = {"B1": b1.id, "B2": b2.id, "B3": b3.id, "B4": b4.id}
    return ids


def test_an_outage_on_a_node_reduces_every_account_downstream_and_nothing_else(bdb, web):
    session = db.session
    ids = scheme_town(session)
    assert sorted(claim_acts.downstream_buildings(session, ids["nodes"]["T1"])) == sorted(
        ids["buildings"][c] for c in ("B1", "B2", "B3"))
    t1 = session.get(NetworkNode, ids["nodes"]["T1"])
    act = claim_acts.create_outage(session, t1, ids["services"]["UTR"], date(2026, 10, 10), date(2026, 10, 14),
                                   "operator", act_date=date(2026, 10, 15))
    session.commit()
    assert act.number == "АВ-2026-0001" and act.outage and act.kind == "not_provided"
    assert [t.network_node_id for t in act.targets] == [t1.id]
    claim_acts.approve(session, [act], "accountant")
    run_billing()
    # 5 of 31 days not provided: area × 8,00 × 26/31
    assert utr(session, OCTOBER) == {
        **FULL,                     # E1 (under K1, not under T1): untouched
        "B1-001": D("301.94"),      # 45 × 8 = 360,00 × 26/31 = 301,935…
        "B1-002": D("416.00"),      # 62 × 8 = 496,00 × 26/31 = 416,00
        "B2-001": D("208.00"),      # 31 × 8 = 248,00 × 26/31 = 208,00
        "B3-001": D("469.68"),      # 70 × 8 = 560,00 × 26/31 = 469,677… (via T2 under T1)
        "B4-001": D("400.00"),      # another boiler house
    }
    account = session.scalar(select(Account.id).where(Account.account_number == "B2-001"))
    from tests.webtools import text

    page = text(web("operator").get(f"/accountview/show/{account}?charges={OCTOBER}"))
    assert "Акт-претензія № АВ-2026-0001" in page and "зменшення 100 %" in page


def test_the_deadline_is_five_working_days_skipping_weekends_and_public_holidays(bdb):
    session = db.session
    # Thursday 20.08.2026; 24.08 (Monday) is Independence Day
    session.add(PublicHoliday(day=date(2026, 8, 24), name="День Незалежності України"))
    session.commit()
    assert claim_acts.deadline_of(session, datetime(2026, 8, 20, 16, 45)) == date(2026, 8, 28)
    # 21 (Fri) 1, [22, 23 weekend], [24 holiday], 25 2, 26 3, 27 4, 28 5
    assert claim_acts.deadline_of(session, date(2026, 8, 10)) == date(2026, 8, 17)  # no holiday: Mon → Mon
    ids = create_town()
    act = draft_act(session, ids, notified_at=datetime(2026, 8, 20, 16, 45))
    assert act.deadline == date(2026, 8, 28)
    assert act.overdue(today=date(2026, 8, 29)) and not act.overdue(today=date(2026, 8, 28))
    claim_acts.approve(session, [act], "accountant")
    assert not act.overdue(today=date(2026, 9, 30))  # approved: answered


def test_a_public_holiday_added_later_moves_the_open_acts_deadlines(bdb):
    session = db.session
    ids = create_town()
    friday = datetime(2026, 10, 2, 10, 0)  # Friday: 5, 6, 7, 8, 9 October → Friday 09.10
    act = draft_act(session, ids, notified_at=friday)
    approved = draft_act(session, ids, notified_at=friday)
    visited = draft_act(session, ids, notified_at=friday, visit="came", visited_at=datetime(2026, 10, 5, 11, 0),
                        representative="Майстер ЖЕК")
    claim_acts.approve(session, [approved], "accountant")
    assert act.deadline == approved.deadline == visited.deadline == date(2026, 10, 9)

    holiday = PublicHoliday(day=date(2026, 10, 5), name="Перенесений вихідний")  # the next Monday
    session.add(holiday)
    session.commit()
    session.expire_all()
    assert session.get(ClaimAct, act.id).deadline == date(2026, 10, 12)  # one working day later: Monday
    assert session.get(ClaimAct, approved.id).deadline == date(2026, 10, 9)  # answered: as it was
    assert session.get(ClaimAct, visited.id).deadline == date(2026, 10, 9)  # the provider came
    assert not session.get(ClaimAct, act.id).overdue(today=date(2026, 10, 10))

    holiday.day = date(2026, 10, 20)  # moved out of the act's span: back to Friday
    session.commit()
    assert session.get(ClaimAct, act.id).deadline == date(2026, 10, 9)
    holiday.day = date(2026, 10, 6)
    session.commit()
    assert session.get(ClaimAct, act.id).deadline == date(2026, 10, 12)
    session.delete(holiday)
    session.commit()
    assert session.get(ClaimAct, act.id).deadline == date(2026, 10, 9)


def test_a_public_holiday_added_on_its_screen_moves_the_deadline(bdb, web):
    session = db.session
    ids = create_town()
    act = draft_act(session, ids, notified_at=datetime(2026, 10, 2, 10, 0))
    client = web("admin")
    answer = client.post("/publicholidayview/add", data={"day": "05.10.2026", "name": "Свято"})
    assert answer.status_code in (200, 302)
    session.expire_all()
    assert session.scalars(select(PublicHoliday.day)).all() == [date(2026, 10, 5)]
    assert session.get(ClaimAct, act.id).deadline == date(2026, 10, 12)


def test_without_the_provider_two_other_consumers_sign(bdb):
    session = db.session
    ids = create_town()
    act = draft_act(session, ids, visit="absent", witnesses="Коваленко Марія Іванівна")
    errors = validate(session, act)
    assert [e.field for e in errors] == ["witnesses"]
    assert "щонайменше двоє інших споживачів" in errors[0].message or "two other" in errors[0].message
    act.witnesses = "Коваленко Марія Іванівна\nШевчук Петро Андрійович"
    assert validate(session, act) == []
    act.visit, act.witnesses = "came", None
    assert [e.field for e in validate(session, act)] == ["representative"]
    act.representative = "Бондар О. В., майстер"
    assert validate(session, act) == []


def test_node_losses_compare_the_nodes_meter_with_its_buildings_house_meters(bdb):
    session = db.session
    ids = scheme_town(session)
    heat = session.scalar(select(MeterType).where(MeterType.resource == "heat"))
    b = ids["buildings"]

    def meter(serial, building, start, end):
        m = Meter(serial=serial, meter_type=heat, building_id=building, installed_on=LONG_AGO,
                  initial_reading=D("0"), next_verification=date(2030, 1, 1))
        session.add(m)
        session.flush()
        session.add_all([Reading(meter=m, date=date(2026, 9, 30), value=D(start), source="inspector"),
                         Reading(meter=m, date=date(2026, 10, 31), value=D(end), source="inspector")])
        return m

    node_meter = meter("T1-HEAT", b["B1"], "9999990", "0000040.5")  # rollover of 7 digits: 50,5
    meter("B1-HEAT", b["B1"], "100", "120")      # 20
    meter("B2-HEAT", b["B2"], "10", "18.25")     # 8,25
    meter("B3-HEAT", b["B3"], "0", "15")         # 15 (under T2, under T1)
    meter("B4-HEAT", b["B4"], "0", "99")         # another boiler house: not counted
    session.get(NetworkNode, ids["nodes"]["T1"]).meter_id = node_meter.id
    session.commit()
    losses = {x.node: x for x in claim_acts.node_losses(session, OCTOBER)}
    t1 = losses["T1 ЦТП 1"]
    assert (t1.resource, t1.node_volume, t1.buildings_volume, t1.loss, t1.loss_pct) == (
        "heat", D("50.5"), D("43.25"), D("7.25"), D("14.36"))
    assert t1.buildings_without_reading == []
    # the node's meter is no house meter of B1 for the billing: E1's heat is billed as before
    run_billing()
    assert amounts(session, OCTOBER, service_code="HEAT")[("E1-001", "HEAT", "charge", OCTOBER)] == D("10000.00")
