"""The losses report (issue 11 item 5): ``consumption``, ``consumption_suspects``, ``node_losses``
and ``imbalance_trend`` on the billing town (tests/billing_db/town.py) plus four buildings built
here, billed by the engine for October 2026 (cold water, norm 3 м³ per person):

    K1  house meter 1000 → 1200 = 200 м³; node N1's own meter (in K1) 0 → 230
        flat 1  2 persons  100 → 160               actual 60       (30 per person)
        flat 2  1 person   31.08: 500, 30.09: 530  estimated 31    (30 м³ in September's 30 days)
        flat 3  3 persons  10 → 12, verification overdue since 01.09   norm 9
        flat 4  1 person   last reading 30.06      no reading Jul–Oct (4 months)
        flat 5  2 persons  20 → 20                 actual 0        (zero with residents)
        flat 6  4 persons  0 → 8                   actual 8        (2 per person < 30 % of 8,5)
    K2  house meter 500 → 500 = 0 м³ (under N1); flat 1 actual 5: imbalance −5, no percent
    K3  house meter read on 30.09 only: no house volume in October; flat 1 actual 4
    K4  no house meter: not in the report
    E1  (the town) house 13,5; actual 6, norm 3 + 3: imbalance 1,5 = 11,11 %

The node N1 (K1 and K2): 230 − (200 + 0) = 30 м³ = 13,04 %.
"""
import csv
import io
from datetime import date
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account, AccountService, Building, ChargeLine, GroupMeterPremise, Meter, MeterType, NetworkNode, Premise, Reading, Registration,
    Resident, Service,
)
from app.services.billing import close_period, run_billing
from app.services import dashboard as dashboard_module
from app.services.dashboard import imbalance_months
from app.services.periods import open_first
from app.services.reports import ReportFilters, build, kinds
from app.services.reports.consumption import LOSS_RESOURCES, imbalance_trend
from app.services.reports.writers import render

from .town import LONG_AGO, NOVEMBER, OCTOBER, create_town

SEP30, OCT31 = date(2026, 9, 30), date(2026, 10, 31)


def rows_of(report):
    return [dict(zip([c.code for c in report.columns], row)) for row in report.rows]


class Builder:
    def __init__(self, session, ids):
        self.session = session
        self.ids = ids
        self.cold = session.scalar(select(MeterType).where(MeterType.code == "CW15"))
        self.house_cold = session.scalar(select(MeterType).where(MeterType.code == "CW50"))
        self.cw = ids["services"]["CW"]
        self.person = 0

    def building(self, code, node=None):
        b = Building(code=code, address=f"вул. Водна, {code}", floors=5, imbalance_key="volume",
                     heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"),
                     network_node_id=node)
        self.session.add(b)
        self.session.flush()
        return b

    def meter(self, serial, building, readings, premise=None, next_verification=date(2030, 1, 1)):
        m = Meter(serial=serial, meter_type=self.cold if premise else self.house_cold, building=building,
                  premise=premise, installed_on=LONG_AGO, initial_reading=D("0"), next_verification=next_verification)
        self.session.add(m)
        self.session.flush()
        self.session.add_all([Reading(meter=m, date=day, value=D(value), source="inspector")
                              for day, value in readings])
        return m

    def flat(self, building, number, persons, readings, next_verification=date(2030, 1, 1)):
        premise = Premise(building=building, number=str(number), kind="apartment", total_area=D("50"),
                          heated_area=D("50"), heating="central")
        self.session.add(premise)
        self.session.flush()
        for _ in range(persons):
            self.person += 1
            resident = Resident(resident_id=f"W-R{self.person}", full_name=f"Мешканець W{self.person}")
            self.session.add_all([resident, Registration(resident=resident, premise=premise, date_from=LONG_AGO)])
        account = Account(account_number=f"{building.code}-{number:03d}", premise=premise,
                          owner_name=f"Власник {building.code}-{number}", opened_on=LONG_AGO)
        self.session.add(account)
        self.session.flush()
        self.session.add(AccountService(account=account, service_id=self.cw, date_from=LONG_AGO))
        self.meter(f"{building.code}-CW-{number}", building, readings, premise, next_verification)
        return account


def losses_town(session):
    ids = create_town(session, open_period=False)
    t = Builder(session, ids)
    node = NetworkNode(code="N1", name="Водопровідна насосна 1", kind="other")
    session.add(node)
    session.flush()
    k1, k2, k3, k4 = t.building("K1", node.id), t.building("K2", node.id), t.building("K3"), t.building("K4")
    t.meter("K1-HOUSE", k1, [(SEP30, "1000"), (OCT31, "1200")])
    node.meter_id = t.meter("N1-CW", k1, [(SEP30, "0"), (OCT31, "230")]).id
    t.flat(k1, 1, 2, [(SEP30, "100"), (OCT31, "160")])
    t.flat(k1, 2, 1, [(date(2026, 8, 31), "500"), (SEP30, "530")])
    t.flat(k1, 3, 3, [(SEP30, "10"), (OCT31, "12")], next_verification=date(2026, 9, 1))
    t.flat(k1, 4, 1, [(date(2026, 5, 31), "35"), (date(2026, 6, 30), "40")])
    t.flat(k1, 5, 2, [(SEP30, "20"), (OCT31, "20")])
    t.flat(k1, 6, 4, [(SEP30, "0"), (OCT31, "8")])
    t.meter("K2-HOUSE", k2, [(SEP30, "500"), (OCT31, "500")])
    t.flat(k2, 1, 1, [(SEP30, "0"), (OCT31, "5")])
    t.meter("K3-HOUSE", k3, [(SEP30, "700")])
    t.flat(k3, 1, 1, [(SEP30, "0"), (OCT31, "4")])
    t.flat(k4, 1, 1, [(SEP30, "0"), (OCT31, "3")])
    session.commit()
    open_first(OCTOBER)
    run_billing()
    return ids


def billed(session, period, building_code, source):
    """The CW charge lines' volume of a building by source, summed here from the billing results."""
    total = session.scalar(select(func.sum(ChargeLine.quantity)).join(Service, Service.id == ChargeLine.service_id)
                           .join(Building, Building.id == ChargeLine.building_id)
                           .where(ChargeLine.period == period, ChargeLine.kind == "charge", Service.code == "CW",
                                  Building.code == building_code, ChargeLine.source == source))
    return D(str(total or 0)).normalize()


def test_losses_report_worked_numbers_ranked_with_totals(bdb):
    session = db.session
    losses_town(session)
    report = build("consumption", ReportFilters(period=OCTOBER))
    rows = rows_of(report)
    assert [(r["building_code"], r["resource"]) for r in rows] == [
        ("K1", "cold_water"), ("E1", "cold_water"), ("K2", "cold_water"), ("K3", "cold_water")]
    k1, e1, k2, k3 = rows
    # flat 4's fourth month without a reading is billed by norm (3 м³): norm 9 + 3
    assert (k1["house_volume"], k1["actual"], k1["estimated"], k1["norm"], k1["individual"]) == (
        D("200"), D("68"), D("31"), D("12"), D("111"))
    assert (k1["imbalance"], k1["imbalance_pct"]) == (D("89"), D("44.50"))
    assert k1["distributed"] == D("89")  # the positive imbalance is billed to the flats
    assert (e1["house_volume"], e1["actual"], e1["norm"], e1["imbalance"], e1["imbalance_pct"]) == (
        D("13.5"), D("6"), D("6"), D("1.5"), D("11.11"))
    assert (k2["house_volume"], k2["actual"], k2["imbalance"], k2["imbalance_pct"]) == (D("0"), D("5"), D("-5"), None)
    assert k2["note"]
    assert (k3["house_volume"], k3["actual"], k3["imbalance"], k3["imbalance_pct"]) == (None, D("4"), None, None)
    assert k3["note"]
    # against the billing results, summed independently
    for r in rows:
        assert r["actual"] == billed(session, OCTOBER, r["building_code"], "actual")
        assert r["estimated"] == billed(session, OCTOBER, r["building_code"], "estimated")
        assert r["norm"] == billed(session, OCTOBER, r["building_code"], "norm")
    totals = report.totals
    assert (totals["house_volume"], totals["actual"], totals["estimated"], totals["norm"]) == (
        D("213.5"), D("83"), D("31"), D("18"))
    assert totals["imbalance"] == D("85.5")  # 89 + 1,5 − 5 (K3 has no house volume)
    # the percent of the buildings with a house volume: 85,5 / 213,5
    assert totals["imbalance_pct"] == D("40.05")
    # the chart: a line per building over 12 months, October its last point
    chart = report.chart
    assert chart["type"] == "line" and chart["unit"] == "%" and len(chart["labels"]) == 12
    assert chart["labels"][-1] == OCTOBER and chart["labels"][0] == "2025-11"
    lines = {d["label"]: d["data"] for d in chart["datasets"]}
    assert set(lines) == {"K1", "E1"}  # K2 (no percent) and K3 (no house volume) have no line
    assert lines["K1"][-1] == 44.5 and lines["K1"][:-1] == [None] * 11

    only = build("consumption", ReportFilters(period=OCTOBER, building_id=session.scalar(
        select(Building.id).where(Building.code == "K3"))))
    assert [r["building_code"] for r in rows_of(only)] == ["K3"]
    hot = build("consumption", ReportFilters(period=OCTOBER, extra={"resource": "hot_water"}))
    assert rows_of(hot) == []


def test_losses_report_files(bdb):
    session = db.session
    losses_town(session)
    report = build("consumption", ReportFilters(period=OCTOBER))
    machine = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"))))
    assert machine[0] == list(kinds()["consumption"].codes) == [
        "building_code", "resource", "house_volume", "actual", "estimated", "norm", "imbalance", "imbalance_pct"]
    assert machine[1] == ["K1", "cold_water", "200", "68", "31", "12", "89", "44.50"]
    assert machine[4][:3] == ["K3", "cold_water", ""]
    uk = render(build("consumption", ReportFilters(period=OCTOBER)), "csv-uk").decode("utf-8-sig")
    lines = [line.split(";") for line in uk.splitlines()]
    k1 = next(line for line in lines if line[0] == "K1")
    assert "44,50" in k1
    book = load_workbook(io.BytesIO(render(build("consumption", ReportFilters(period=OCTOBER)), "xlsx")))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    k1 = next(r for r in values if r[0] == "K1")
    # people's columns: the resource by its name only (its code is the machine CSV's)
    assert k1[2] == "Холодна вода" and "cold_water" not in {v for r in values for v in r}
    assert D(str(k1[3])) == D("200") and D(str(k1[9])) == D("44.5")
    total = next(r for r in values if r[0] == "Разом" or "Разом" in [str(v) for v in r])
    assert D(str(total[3])) == D("213.5")


def test_suspects_every_reason(bdb):
    session = db.session
    losses_town(session)
    report = build("consumption_suspects", ReportFilters(period=OCTOBER))
    found = {(r["account_number"], r["reason"]): r for r in rows_of(report)}
    assert set(found) == {("K1-003", "verification_overdue"), ("K1-004", "no_reading"),
                          ("K1-005", "zero_consumption"), ("K1-006", "low_consumption")}
    overdue, unread = found[("K1-003", "verification_overdue")], found[("K1-004", "no_reading")]
    assert (overdue["serial"], overdue["date"], overdue["persons"]) == ("K1-CW-3", date(2026, 9, 1), 3)
    assert (unread["value"], unread["date"], unread["serial"]) == (D("4"), date(2026, 6, 30), "K1-CW-4")
    zero = found[("K1-005", "zero_consumption")]
    assert (zero["value"], zero["persons"]) == (D("0"), 2)
    low = found[("K1-006", "low_consumption")]
    # K1's actual volume per person: (60 + 0 + 8) / (2 + 2 + 4) = 8,5; flat 6: 8 / 4 = 2 < 2,55
    assert (low["value"], low["building_average"], low["persons"]) == (D("2"), D("8.5"), 4)
    assert low["owner_name"] == "Власник K1-6" and low["address"] == "вул. Водна, K1, кв. 6"
    machine = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"))))
    assert machine[0] == list(kinds()["consumption_suspects"].codes)
    # an inspector's scope: the buildings given only
    e1 = session.scalar(select(Building.id).where(Building.code == "E1"))
    assert rows_of(build("consumption_suspects", ReportFilters(period=OCTOBER, building_ids=(e1,)))) == []


def test_group_metering_compares_the_house_meter_with_the_premises_it_serves(bdb):
    """K5's house meter serves flat 1 only (group_meter_premise): 12 against flat 1's 10 — flat 2's
    7 is no part of it."""
    session = db.session
    ids = losses_town(session)
    t = Builder(session, ids)
    t.person = 1000  # the residents of losses_town have the first numbers
    k5 = t.building("K5")
    house = t.meter("K5-HOUSE", k5, [(SEP30, "0"), (OCT31, "12")])
    served = t.flat(k5, 1, 1, [(SEP30, "0"), (OCT31, "10")])
    t.flat(k5, 2, 1, [(SEP30, "0"), (OCT31, "7")])
    session.add(GroupMeterPremise(meter_id=house.id, premise_id=served.premise_id))
    session.commit()
    run_billing()
    rows = rows_of(build("consumption", ReportFilters(period=OCTOBER, building_id=k5.id)))
    assert [(r["house_volume"], r["actual"], r["imbalance"], r["imbalance_pct"]) for r in rows] == [
        (D("12"), D("10"), D("2"), D("16.67"))]
    assert billed(session, OCTOBER, "K5", "actual") == D("17")  # both flats billed by readings


def test_node_losses(bdb):
    session = db.session
    losses_town(session)
    rows = rows_of(build("node_losses", ReportFilters(period=OCTOBER)))
    assert [(r["node_code"], r["resource"], r["node_volume"], r["buildings_volume"], r["loss"], r["loss_pct"])
            for r in rows] == [("N1", "cold_water", D("230"), D("200"), D("30"), D("13.04"))]
    assert rows[0]["without_reading"] == ""


def test_imbalance_trend_over_a_closed_and_an_open_month(bdb):
    session = db.session
    losses_town(session)
    close_period(OCTOBER, "accountant")
    # November: E1's house meter 1013,5 → 1030, flat 1 106 → 112 (the others estimated); K1's house meter unread
    meters = {m.serial: m for m in session.scalars(select(Meter))}
    nov30 = date(2026, 11, 30)
    session.add_all([Reading(meter=meters["E1-HOUSE-CW"], date=nov30, value=D("1030"), source="inspector"),
                     Reading(meter=meters["E1-CW-1"], date=nov30, value=D("112"), source="inspector")])
    session.commit()
    run_billing()
    november = rows_of(build("consumption", ReportFilters(period=NOVEMBER)))
    e1 = next(r for r in november if r["building_code"] == "E1")
    assert e1["house_volume"] == D("16.5") and e1["actual"] == D("6")
    nov_individual = e1["individual"]
    trend = imbalance_trend(session, NOVEMBER, months=3)
    assert [t["period"] for t in trend] == ["2026-09", OCTOBER, NOVEMBER]
    assert trend[0] == {"period": "2026-09", "house_volume": None, "individual": None, "imbalance": None,
                        "imbalance_pct": None}
    # October (closed, the frozen volumes): E1 13,5 + K1 200 + K2 0 against 12 + 111 + 5
    assert (trend[1]["house_volume"], trend[1]["individual"], trend[1]["imbalance"], trend[1]["imbalance_pct"]) == (
        D("213.5"), D("128"), D("85.5"), D("40.05"))
    # November (the draft): only E1 has a house volume
    assert (trend[2]["house_volume"], trend[2]["individual"]) == (D("16.5"), nov_individual)
    assert trend[2]["imbalance"] == D("16.5") - nov_individual
    k1 = session.scalar(select(Building.id).where(Building.code == "K1"))
    assert imbalance_trend(session, OCTOBER, months=1, building_ids=[k1])[0]["imbalance_pct"] == D("44.50")
    assert set(LOSS_RESOURCES) >= {"cold_water", "hot_water"}
    # the dashboard keeps the closed months (per database and last closed period): the same figures
    whole = imbalance_trend(session, NOVEMBER, months=12)
    assert whole[-2:] == trend[1:] and len(whole) == 12
    dashboard_module._CACHE.clear()  # another test's town may have left its months under the same key
    for _ in range(2):  # computed, then kept
        assert imbalance_months(session, NOVEMBER, OCTOBER, cache=True) == whole
