"""benefits.py: the benefit formula, social norms, several beneficiaries (billing.md §6)."""
from datetime import date

import pytest

from app.billing import (
    Beneficiary, BillingInput, Meter, Norm, Price, Reading, Service, Setting, bill_period,
)
from app.billing.benefits import applies_to, benefit_amount, entitled_days, norm_kind, social_norm
from app.billing.settings import Settings

from .town import said, D, JUNE, LONG_AGO, accounts, building, by, flats, june, residents, subscribe

HEAT_M2 = Service(1, "HEAT", "area", "Опалення", "м²", resource="heat", area_basis="heated")
COLD = Service(2, "CW", "metered", "Холодна вода", "м³", resource="cold_water")
HOT = Service(3, "HW", "metered", "Гаряча вода", "м³", resource="hot_water")
WASTE = Service(4, "TPV", "persons", "Вивіз ТПВ", "ос.")
PARKING = Service(5, "PARK", "fixed", "Паркомісце", "шт.")
HEAT_G = Service(6, "HEATG", "group", "Опалення (будинковий лічильник)", "Гкал", resource="heat",
                 quantity_precision=4, area_basis="heated")
PRICES = [Price(1, LONG_AGO, "40.00"), Price(2, LONG_AGO, "30.00"), Price(3, LONG_AGO, "90.00"),
          Price(4, LONG_AGO, "100.00"), Price(5, LONG_AGO, "150.00"), Price(6, LONG_AGO, "2000.00")]
DAY = date(2024, 6, 30)


def run(premises, subs, regs, beneficiaries, **kw):
    return bill_period(BillingInput(
        JUNE, services=[HEAT_M2, COLD, HOT, WASTE, PARKING, HEAT_G], prices=PRICES,
        norms=[Norm(2, LONG_AGO, 3), Norm(3, LONG_AGO, 2)], buildings=[building()], premises=premises,
        accounts=accounts(*[p.id for p in premises]), account_services=subs, registrations=regs,
        beneficiaries=beneficiaries, **kw))


def ben(id_, pct, entitled=1, date_from=LONG_AGO, premise_id=1, **kw):
    return Beneficiary(id_, 500 + id_, premise_id, D(pct), date_from, entitled=entitled, **kw)


def test_social_norms_defaults():
    s = Settings()
    assert social_norm("area", 2, s, DAY) == D("52.5")                       # 21 × 2 + 10.5
    assert social_norm("cold_water", 3, s, DAY) == D(6)                       # 2 × R
    assert social_norm("cold_water", 3, s, DAY, has_hot_water=False) == D("10.8")  # 3.6 × R
    assert social_norm("hot_water", 2, s, DAY) == D("3.2")
    assert social_norm("sewerage", 2, s, DAY) == D("7.2")
    assert [social_norm("gas", 2, s, DAY, gas_category=c) for c in ("1", "2", "3")] == [D("6.6"), D("10.8"), D(21)]
    assert social_norm("electricity", 1, s, DAY) == 70
    assert social_norm("electricity", 2, s, DAY) == 100
    assert social_norm("electricity", 5, s, DAY) == 190                      # capped
    assert social_norm(None, 3, s, DAY) is None


def test_social_norm_is_a_dated_setting():
    s = Settings([Setting("social_norm.area_per_person", date(2024, 6, 1), "20")])
    assert social_norm("area", 2, s, DAY) == D("50.5")
    assert social_norm("area", 2, s, date(2024, 5, 31)) == D("52.5")


def test_which_norm_a_service_uses():
    assert norm_kind(HEAT_G) == "area" and norm_kind(HEAT_M2) == "area"
    assert norm_kind(COLD) == "cold_water" and norm_kind(WASTE) is None
    assert not applies_to(PARKING) and not applies_to(Service(9, "X", "one_off"))
    assert applies_to(WASTE) and applies_to(HEAT_G)


def test_formula():
    # S 2400, N 52.5 / Q 60 = 0.875, E 1 of R 2, 50 %, all 30 days → −525.00
    assert benefit_amount(D(2400), D("52.5"), D(60), 1 * 30, 2, 50, 30) == D("-525.00")
    # no norm (persons): ratio 1; Q ≤ 0: ratio 1
    assert benefit_amount(D(300), None, D(3), 30, 3, 50, 30) == D("-50.00")
    assert benefit_amount(D(-30), D(6), D(-1), 30, 1, 100, 30) == D("30.00")


def test_heat_by_area_against_the_social_norm():
    # flat of 60 m² heated, R = 2, one beneficiary 50 %, E = 1
    result = run(flats(60, heated_area=D(60)), subscribe(1, 1), residents(1, 2), [ben(1, 50)])
    charge, benefit = result.lines
    assert charge.amount == D("2400.00")                                       # 60 × 40
    assert (benefit.kind, benefit.amount, benefit.beneficiary_id) == ("benefit", D("-525.00"), 1)
    assert (benefit.base_quantity, benefit.quantity) == (D(60), D("52.5"))      # Q, within the norm
    assert any("min(1, N/Q) = 0,875" in e for e in said(benefit.explanation))


def test_heat_by_house_meter_compares_areas_too():
    meters = [Meter(100, "heat", 1, LONG_AGO, serial="H")]
    readings = [Reading(100, date(2024, 5, 31), 0), Reading(100, june(30), 3)]
    result = run(flats(60, heated_area=D(60)), subscribe(6, 1), residents(1, 2), [ben(1, 50)],
                 meters=meters, readings=readings)
    charge, benefit = result.lines
    # S = 3 Gcal × 2000 = 6000; ratio 52.5 / 60 (areas, not Gcal); 1/2; 50 %
    assert (charge.amount, benefit.amount) == (D("6000.00"), D("-1312.50"))


def cold_water(with_hot):
    meters = [Meter(21, "cold_water", 1, LONG_AGO, premise_id=1, serial="C")]
    readings = [Reading(21, date(2024, 5, 31), 0), Reading(21, june(30), 9)]
    subs = subscribe(2, 1) + (subscribe(3, 1) if with_hot else [])
    return run(flats(50), subs, residents(1, 3), [ben(1, 100, entitled=3)], meters=meters, readings=readings)


def test_cold_water_norm_2_per_person_with_hot_water_3_6_without():
    # R = 3, Q = 9 m³, S = 270.00, E = 3, 100 %
    benefit = by(cold_water(True).lines, service_id=2, kind="benefit")[0]
    assert benefit.amount == D("-180.00")                                      # N = 6: 270 × 6/9
    benefit = by(cold_water(False).lines, service_id=2, kind="benefit")[0]
    assert benefit.amount == D("-270.00")                                      # N = 10.8 ≥ 9


def test_several_beneficiaries_e_capped_at_r():
    # R = 3; A 50 % for 2 persons, B 25 % for 2 persons → B gets the 1 person left
    result = run(flats(50), subscribe(4, 1), residents(1, 3), [ben(1, 25, 2), ben(2, 50, 2)])
    charge, *benefits = result.lines
    assert charge.amount == D("300.00")                                        # 3 persons × 100
    assert [(b.beneficiary_id, b.amount) for b in benefits] == [(1, D("-25.00")), (2, D("-100.00"))]


def test_entitled_days_cap_per_day():
    a, b = ben(1, 50, 2), ben(2, 25, 2, date_from=june(16))
    assert entitled_days([a, b], 3, JUNE) == {1: 60, 2: 15}                     # B gets 1 person for 15 days


def test_benefit_valid_part_of_the_month():
    result = run(flats(50), subscribe(4, 1), residents(1, 2), [ben(1, 100, date_from=june(16))])
    benefit = by(result.lines, kind="benefit")[0]
    # S = 200, E/R = 1/2, v/D = 15/30 → −50.00
    assert (benefit.amount, benefit.date_from, benefit.days) == (D("-50.00"), june(16), 15)


def test_no_benefit_on_fixed_services_nor_for_other_premises():
    result = run(flats(50, 50), subscribe(5, 1) + subscribe(4, 2), residents(1, 1) + residents(2, 1), [ben(1, 100)])
    assert by(result.lines, kind="benefit") == []


def test_benefit_restricted_to_services():
    result = run(flats(50), subscribe(4, 1) + subscribe(1, 1), residents(1, 1), [ben(1, 100, service_ids=(1,))])
    assert [b.service_id for b in by(result.lines, kind="benefit")] == [1]


@pytest.mark.parametrize("residents_count, expected", [(0, D("-630.00")), (2, D("-500.00"))])
def test_r_is_at_least_one(residents_count, expected):
    # S = 50 m² × 40 = 2000. Nobody counted → R = 1: N = 31.5 against 50 m² → 2000 × 0.63 × 1/1 × 50 %.
    # R = 2: N = 52.5 ≥ 50 → 2000 × 1 × 1/2 × 50 %.
    result = run(flats(50), subscribe(1, 1), residents(1, residents_count), [ben(1, 50)])
    assert by(result.lines, kind="benefit")[0].amount == expected
