"""charges.py: lines per segment, base quantity by method (billing.md §2, §3, §8)."""
from datetime import date

from app.billing import (
    AreaChange, BillingInput, ClaimAct, Meter, Norm, Price, PriceComponent, Reading, Registration, Service,
    bill_period,
)

from .town import said, D, JUNE, LONG_AGO, accounts, amounts, building, by, flats, june, residents, subscribe

WASTE = Service(1, "TPV", "persons", "Вивіз ТПВ", "ос.")
UPKEEP = Service(2, "UTR", "area", "Утримання будинку", "м²")
PARKING = Service(3, "PARK", "fixed", "Паркомісце", "шт.")
COLD = Service(4, "CW", "metered", "Холодна вода", "м³", resource="cold_water")
HOT = Service(5, "HW", "metered", "Гаряча вода", "м³", resource="hot_water")
SEWER = Service(6, "SEW", "metered", "Водовідведення", "м³", resource="sewerage")
CONNECT = Service(7, "CONN", "one_off", "Підключення", "шт.")
HEAT_M2 = Service(8, "HEATM2", "area", "Опалення (за м²)", "м²", resource="heat", area_basis="heated")
SERVICES = [WASTE, UPKEEP, PARKING, COLD, HOT, SEWER, CONNECT, HEAT_M2]
PRICES = [Price(1, LONG_AGO, "30.00"), Price(1, june(11), "36.00"), Price(2, LONG_AGO, "7.11"),
          Price(3, LONG_AGO, "150.00"), Price(4, LONG_AGO, "30.00"), Price(5, LONG_AGO, "90.00"),
          Price(6, LONG_AGO, "20.00"), Price(7, LONG_AGO, "350.00"), Price(8, LONG_AGO, "40.00")]
NORMS = [Norm(4, LONG_AGO, "3.5"), Norm(5, LONG_AGO, "1.5"), Norm(6, LONG_AGO, "5")]


def run(premises=None, subs=(), regs=(), **kw):
    premises = premises or flats(50)
    kw.setdefault("accounts", accounts(*[p.id for p in premises]))
    return bill_period(BillingInput(JUNE, services=SERVICES, prices=kw.pop("prices", PRICES), norms=NORMS,
                                    buildings=[building()], premises=premises, registrations=list(regs),
                                    account_services=list(subs), **kw))


def test_price_change_on_the_11th_and_a_registration_on_the_21st():
    # 2 residents all month, a 3rd registered from 21.06; price 30.00 → 36.00 from 11.06; D = 30
    regs = residents(1, 2) + residents(1, 1, date_from=june(21))
    result = run(subs=subscribe(1, 1) + subscribe(2, 1), regs=regs)
    waste = by(result.lines, service_id=1)
    assert [(l.date_from.day, l.date_to.day, l.days, l.base_quantity, l.price) for l in waste] == [
        (1, 10, 10, D(2), D("30.00")), (11, 20, 10, D(2), D("36.00")), (21, 30, 10, D(3), D("36.00"))]
    # round(q × p × d / D): 2 × 30 × 10/30, 2 × 36 × 10/30, 3 × 36 × 10/30
    assert amounts(waste) == [D("20.00"), D("24.00"), D("36.00")]
    assert [l.quantity for l in waste] == [D("0.667"), D("0.667"), D("1.000")]
    assert said(waste[0].explanation)[-1] == "Сума = 2,000 × 30,00 × 10/30 = 20,00 грн"
    # the same account's area line is cut neither by the price nor by the registration
    upkeep = by(result.lines, service_id=2)
    assert len(upkeep) == 1 and upkeep[0].amount == D("355.50") and upkeep[0].days == 30  # 50 × 7.11


def test_a_change_that_does_not_alter_the_line_does_not_cut_it():
    regs = residents(1, 1) + residents(1, 1, date_to=june(15)) + residents(1, 1, date_from=june(16))
    prices = PRICES + [Price(2, june(20), "7.11")]  # the same price again
    result = run(subs=subscribe(1, 1) + subscribe(2, 1), regs=regs, prices=prices)
    assert len(by(result.lines, service_id=1)) == 2  # cut at the price change only, not at the swap
    assert len(by(result.lines, service_id=2)) == 1


def test_absent_residents_are_not_counted():
    regs = residents(1, 2)
    regs.append(Registration(regs[0].resident_id, 1, june(16), date(2024, 8, 31), "absent"))
    result = run(subs=subscribe(1, 1), regs=regs, prices=[Price(1, LONG_AGO, "30.00")])
    assert [(l.days, l.base_quantity, l.amount) for l in result.lines] == [
        (15, D(2), D("30.00")), (15, D(1), D("15.00"))]


def test_account_opened_mid_month_and_fixed_quantity():
    result = run(subs=subscribe(3, 1, quantity=2), accounts=accounts(1, opened_on=june(11)))
    (line,) = result.lines
    assert (line.date_from, line.days, line.amount) == (june(11), 20, D("200.00"))  # 2 × 150 × 20/30


def test_area_change_inside_the_month_and_heated_basis():
    premises = flats(60, heated_area=D(55))
    changes = [AreaChange(1, june(16), D(62), D(58))]
    result = run(premises, subs=subscribe(2, 1) + subscribe(8, 1), area_changes=changes)
    assert [(l.base_quantity, l.amount) for l in by(result.lines, service_id=2)] == [
        (D(60), D("213.30")), (D(62), D("220.41"))]  # 60 × 7.11 × 15/30, 62 × 7.11 × 15/30
    assert [(l.base_quantity, l.amount) for l in by(result.lines, service_id=8)] == [
        (D(55), D("1100.00")), (D(58), D("1160.00"))]


def test_claim_act_poor_quality_reduces_area_line_for_its_days():
    act = ClaimAct(1, 2, june(21), june(25), "poor_quality", 30, building_ids=[1], number="5")
    result = run(subs=subscribe(2, 1), claim_acts=[act])
    assert [(l.days, l.reduction, l.amount) for l in result.lines] == [
        (20, 0, D("237.00")), (5, D("0.3"), D("41.48")), (5, 0, D("59.25"))]
    # 50 × 7.11 × 5/30 × (1 − 0.3) = 41.475 → 41.48
    assert "зменшення 30 %" in said(result.lines[1].explanation)[-2]


def test_claim_act_not_provided_takes_the_whole_day_and_spares_meters():
    act = ClaimAct(1, 4, june(1), june(10), building_ids=[1])
    meters = [Meter(41, "cold_water", 1, LONG_AGO, premise_id=1, serial="C1")]
    readings = [Reading(41, date(2024, 5, 31), 100), Reading(41, june(30), 112)]
    premises = flats(50, 50)
    result = run(premises, subs=subscribe(4, 1, 2), regs=residents(2, 2), meters=meters, readings=readings,
                 claim_acts=[act])
    metered = by(result.lines, account_id=1)
    assert [(l.source, l.amount) for l in metered] == [("actual", D("360.00"))]  # 12 × 30, not reduced
    by_norm = by(result.lines, account_id=2)
    # 2 persons × 3.5 = 7 m³ a month; 1–10 reduced by 100 %, 11–30: 7 × 30 × 20/30 = 140
    assert [(l.days, l.source, l.amount) for l in by_norm] == [(10, "norm", D("0.00")), (20, "norm", D("140.00"))]


def test_sewerage_is_cold_plus_hot_water():
    meters = [Meter(41, "cold_water", 1, LONG_AGO, premise_id=1, serial="C1")]
    readings = [Reading(41, date(2024, 5, 31), 100), Reading(41, june(30), 110)]
    result = run(subs=subscribe(4, 1) + subscribe(5, 1) + subscribe(6, 1), regs=residents(1, 2),
                 meters=meters, readings=readings)
    (sewer,) = by(result.lines, service_id=6)
    # cold 10 m³ by the meter + hot by norm 2 × 1.5 = 3 → 13 × 20.00
    assert (sewer.base_quantity, sewer.amount, sewer.source) == (D(13), D("260.00"), "norm")
    assert any("гаряча вода за нормою: 2 ос. × 1,5" in e for e in said(sewer.explanation))


def test_sewerage_without_water_services_uses_its_own_norm():
    result = run(subs=subscribe(6, 1), regs=residents(1, 3))
    (sewer,) = result.lines
    assert (sewer.base_quantity, sewer.amount) == (D(15), D("300.00"))  # 3 × 5 m³ × 20.00


def test_one_off_is_not_prorated_and_only_in_the_month_of_date_from():
    result = run(subs=subscribe(7, 1, date_from=june(17)) + subscribe(7, 1, date_from=date(2024, 5, 3)),
                 accounts=accounts(1, opened_on=LONG_AGO))
    (line,) = result.lines
    assert (line.date_from, line.amount, line.days) == (june(17), D("350.00"), 1)


def test_days_without_a_price_are_not_billed_and_warned():
    result = run(subs=subscribe(2, 1), prices=[Price(2, june(11), "7.20")])
    (line,) = result.lines
    assert (line.date_from, line.days, line.amount) == (june(11), 20, D("240.00"))
    assert [w.code for w in result.warnings] == ["no_price"]


def test_price_components_are_explained():
    prices = [Price(5, LONG_AGO, "90.00", [PriceComponent("вода", "30.00"), PriceComponent("підігрів", "60.00")])]
    result = run(subs=subscribe(5, 1), regs=residents(1, 1), prices=prices)
    assert "(вода 30,00 + підігрів 60,00)" in said(result.lines[0].explanation)[-3]


def test_first_meter_installed_mid_month_norm_before_meter_after():
    meters = [Meter(41, "cold_water", 1, june(21), premise_id=1, serial="C1")]
    result = run(subs=subscribe(4, 1), regs=residents(1, 2), meters=meters, readings=[Reading(41, june(30), 2)])
    # 1–20: norm 2 × 3.5 = 7 m³ a month; 21–30: the meter's 2 m³ over 10 of 30 days = 6 m³ a month
    assert [(l.days, l.source, l.base_quantity, l.quantity, l.amount) for l in result.lines] == [
        (20, "norm", D(7), D("4.667"), D("140.00")), (10, "actual", D(6), D(2), D("60.00"))]
