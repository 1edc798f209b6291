"""metering.py through the engine: meters, house meters, imbalance and heat (billing.md §4–§5)."""
from datetime import date

from app.billing import BillingInput, Meter, MeterMonth, Norm, Price, Reading, Service, bill_period

from .town import said, D, JUNE, LONG_AGO, accounts, amounts, building, by, flats, june, residents, subscribe

COLD = Service(1, "CW", "metered", "Холодна вода", "м³", resource="cold_water")
HEAT = Service(2, "HEAT", "group", "Опалення", "Гкал", resource="heat", quantity_precision=4)
SEWER = Service(3, "SEW", "metered", "Водовідведення", "м³", resource="sewerage")
PRICES = [Price(1, LONG_AGO, "30.00"), Price(2, LONG_AGO, "2000.00"), Price(3, LONG_AGO, "20.00")]
MAY_31 = date(2024, 5, 31)


def run(premises, meters=(), readings=(), subs=(), regs=(), history=(), bld=None, **kw):
    return bill_period(BillingInput(
        JUNE, services=[COLD, HEAT, SEWER], prices=PRICES, norms=[Norm(1, LONG_AGO, 5)],
        buildings=[bld or building()], premises=premises, accounts=accounts(*[p.id for p in premises]),
        account_services=list(subs), registrations=list(regs), meters=list(meters), readings=list(readings),
        meter_history=list(history), **kw))


def flat_meter(meter_id, premise_id, resource="cold_water", **kw):
    return Meter(meter_id, resource, 1, kw.pop("installed_on", LONG_AGO), premise_id=premise_id,
                 serial=f"M{meter_id}", **kw)


def read(meter_id, start, end, first=MAY_31, last=june(30)):
    return [Reading(meter_id, first, D(start)), Reading(meter_id, last, D(end))]


# --- heat ---------------------------------------------------------------------------------------


def heat_town(units=(100, 300, 600, 0), house=(1000, 1030), **kw):
    meters = [Meter(100, "heat", 1, LONG_AGO, serial="H1")] + [
        flat_meter(10 + i, i, "heat_allocator", installed_on=date(2023, 10, 1)) for i in (1, 2, 3, 4)]
    readings = (read(100, *house) if house else []) + [
        r for i, u in zip((1, 2, 3, 4), units) for r in read(10 + i, 0, u)]
    return run(flats(50, 50, 50, 50), meters, readings, subscribe(2, 1, 2, 3, 4), **kw)


def test_t2_through_the_engine():
    result = heat_town()
    lines = by(result.lines, service_id=2)
    assert [l.base_quantity for l in lines] == [D("4.3125"), D("6.8625"), D("14.5125"), D("4.3125")]
    assert amounts(lines) == [D("8625.00"), D("13725.00"), D("29025.00"), D("8625.00")]
    assert {l.source for l in lines} == {"allocation"}
    (balance,) = result.house_balances
    assert (balance.house_volume, balance.distributed, balance.method) == (D(30), D(30), "units")


def test_heat_claim_act_reduces_the_group_heat_share():
    from app.billing import ClaimAct
    result = heat_town(claim_acts=[ClaimAct(1, 2, june(1), june(3), building_ids=[1])])
    first = by(result.lines, account_id=1)
    assert [(l.days, l.amount) for l in first] == [(3, D("0.00")), (27, D("7762.50"))]  # 8625 × 27/30


def test_heat_house_meter_without_reading_is_estimated_from_its_history():
    history = [MeterMonth(100, "2024-05", D(62), "actual", 31, date(2024, 5, 31))]
    result = heat_town(house=None, history=history)
    # 62 / 31 × 30 = 60 Gcal estimated for the house
    assert sum(l.base_quantity for l in by(result.lines, service_id=2)) == D(60)
    assert "house_estimated" in [w.code for w in result.warnings]
    assert result.house_balances[0].house_source == "estimated"


def test_heat_house_meter_without_reading_and_history_charges_no_heat():
    result = heat_town(house=None)
    assert by(result.lines, service_id=2) == []
    assert {"house_no_volume", "no_heat_share"} <= {w.code for w in result.warnings}


def test_partial_heat_metering_and_its_fallback_through_the_engine():
    meters = [Meter(100, "heat", 1, LONG_AGO, serial="H1"), flat_meter(11, 1, "heat"), flat_meter(12, 2, "heat")]
    premises = flats(50, 50, 50, 50)
    readings = read(100, 1000, 1030) + read(11, 0, 2) + read(12, 0, 8)
    result = run(premises, meters, readings, subscribe(2, 1, 2, 3, 4))
    assert [l.base_quantity for l in result.lines] == [D("4.3125"), D("9.1250"), D("8.2813"), D("8.2812")]
    assert result.house_balances[0].method == "partial"
    readings = read(100, 1000, 1030) + read(11, 0, 20) + read(12, 0, 10)
    result = run(premises, meters, readings, subscribe(2, 1, 2, 3, 4))
    assert [l.base_quantity for l in result.lines] == [D("7.5000")] * 4
    assert "heat_allocation" in [w.code for w in result.warnings]
    assert any("R < 0" in text for text in said(w.message for w in result.warnings))


# --- water ---------------------------------------------------------------------------------------


def water_town(key="volume", house=(0, 48), areas=(40, 60, 100)):
    # flats 1 and 2 metered (10 and 20 m³), flat 3 by norm (2 persons × 5 = 10 m³); Vh = 48 → Δ = 8
    meters = [Meter(100, "cold_water", 1, LONG_AGO, serial="HW")] + [flat_meter(11, 1), flat_meter(12, 2)]
    readings = (read(100, *house) if house else []) + read(11, 0, 10) + read(12, 0, 20)
    regs = residents(1, 1) + residents(2, 2) + residents(3, 2)
    return run(flats(*areas), meters, readings, subscribe(1, 1, 2, 3) + subscribe(3, 1), regs,
               bld=building(imbalance_key=key))


def test_water_imbalance_by_volume():
    result = water_town("volume")
    imbalance = by(result.lines, kind="imbalance")
    assert [(l.account_id, l.base_quantity, l.amount, l.source) for l in imbalance] == [
        (1, D(2), D("60.00"), "imbalance"), (2, D(4), D("120.00"), "imbalance"), (3, D(2), D("60.00"), "imbalance")]
    (balance,) = result.house_balances
    assert (balance.house_volume, balance.individual_total, balance.difference) == (D(48), D(10 + 20 + 10), D(8))
    # sewerage of flat 1 includes its imbalance share: 10 + 2
    (sewer,) = by(result.lines, service_id=3)
    assert (sewer.base_quantity, sewer.amount) == (D(12), D("240.00"))


def test_water_imbalance_by_persons_and_by_area():
    # persons 1 : 2 : 2 → 1.6 / 3.2 / 3.2; areas 40 : 60 : 100 → 1.6 / 2.4 / 4.0
    assert [l.base_quantity for l in by(water_town("persons").lines, kind="imbalance")] == [
        D("1.6"), D("3.2"), D("3.2")]
    assert [l.base_quantity for l in by(water_town("area").lines, kind="imbalance")] == [
        D("1.6"), D("2.4"), D("4.0")]


def test_no_imbalance_when_the_house_used_less():
    result = water_town(house=(0, 35))
    assert by(result.lines, kind="imbalance") == []
    assert result.house_balances[0].difference == D(-5) and result.house_balances[0].distributed == 0


def test_no_imbalance_without_a_house_reading():
    result = water_town(house=None)
    assert by(result.lines, kind="imbalance") == []
    assert "house_no_reading" in [w.code for w in result.warnings]


# --- flat meters ---------------------------------------------------------------------------------


def test_replacement_inside_the_month_through_the_engine():
    meters = [flat_meter(11, 1, removed_on=june(15), final_reading=112),
              flat_meter(12, 1, installed_on=june(15), replaces=11)]
    readings = [Reading(11, MAY_31, 100), Reading(12, june(30), 9)]
    result = run(flats(50), meters, readings, subscribe(1, 1))
    (line,) = result.lines
    assert (line.base_quantity, line.amount, line.source) == (D(21), D("630.00"), "actual")
    assert [(m.meter_id, m.volume, m.source, m.days) for m in result.meter_volumes] == [
        (11, D(12), "actual", 15), (12, D(9), "actual", 16)]


def test_overdue_verification_bills_the_norm():
    meters = [flat_meter(11, 1, next_verification=date(2024, 5, 20))]
    result = run(flats(50), meters, read(11, 100, 112), subscribe(1, 1), residents(1, 3))
    (line,) = result.lines
    assert (line.source, line.base_quantity, line.amount) == ("norm", D(15), D("450.00"))  # 3 × 5 m³
    assert any("прострочена повірка" in e for e in said(line.explanation))
    assert [(m.volume, m.source, m.reading_date) for m in result.meter_volumes] == [(D(15), "norm", june(30))]


def test_rollover_through_the_engine():
    result = run(flats(50), [flat_meter(11, 1, digits=5)], read(11, 99990, 5), subscribe(1, 1))
    assert result.lines[0].base_quantity == D(15) and result.lines[0].amount == D("450.00")


def test_water_house_meter_estimate_is_recorded_for_the_next_true_up():
    history = [MeterMonth(100, "2024-05", D(62), "actual", 31, date(2024, 5, 31), D(0), D(62))]
    meters = [Meter(100, "cold_water", 1, LONG_AGO, serial="HW")]
    result = run(flats(50), meters, [Reading(100, MAY_31, 62)], subscribe(1, 1), residents(1, 1), history)
    assert by(result.lines, kind="imbalance") == []
    (house,) = result.meter_volumes
    assert (house.meter_id, house.volume, house.source, house.reading_date) == (100, D(60), "estimated", None)


def test_the_run_warns_of_every_flat_meter_it_could_not_measure():
    """The accountant's list to chase: estimated, overdue verification, norm for want of readings."""
    history = [MeterMonth(11, "2024-05", D(6), "actual", 31, MAY_31, D(94), D(100))]
    meters = [flat_meter(11, 1), flat_meter(12, 2, next_verification=date(2024, 5, 20)), flat_meter(13, 3)]
    readings = [Reading(11, MAY_31, D(100))] + read(12, 100, 112)
    regs = residents(1, 1) + residents(2, 1) + residents(3, 1)
    result = run(flats(50, 50, 50), meters, readings, subscribe(1, 1, 2, 3), regs, history)
    warned = sorted((w.code, w.premise_id, w.meter_id, said([w.message])[0]) for w in result.warnings
                    if w.code.startswith("meter_"))
    assert warned == [
        ("meter_estimated", 1, 11, "приміщення 1: лічильник № M11: немає показника — середньодобове 0,1935 × 30 дн. "
                                   "= 5,806"),
        ("meter_norm", 3, 13, "приміщення 3: лічильник № M13: немає показників і історії споживання"),
        ("meter_overdue", 2, 12, "приміщення 2: прострочена повірка лічильника № M12 (до 20.05.2024)"),
    ]
    # measured meters and house meters give no such warning
    result = run(flats(50), [flat_meter(11, 1)], read(11, 100, 112), subscribe(1, 1))
    assert not [w for w in result.warnings if w.code.startswith("meter_")]


# --- zero is a value (billing.md §4 step 4 and §5 heat) ---------------------------------------


def test_an_allocator_estimated_at_zero_units_keeps_the_building_on_the_units_rule():
    # T2 again, but flat D's allocator (0 units in May, read every month) has no June reading:
    # its estimate is 0 units (0 / 31 × 30), not "no device" — so the allocator rule still
    # holds: Vh = 30, units 100/300/600/0 → A 4.3125, B 6.8625, C 14.5125, D 4.3125 Gcal
    # (by area it would be 7.5 Gcal each).
    meters = [Meter(100, "heat", 1, LONG_AGO, serial="H1")] + [
        flat_meter(10 + i, i, "heat_allocator", installed_on=date(2023, 10, 1)) for i in (1, 2, 3, 4)]
    readings = read(100, 1000, 1030) + [r for i, u in zip((1, 2, 3), (100, 300, 600)) for r in read(10 + i, 0, u)]
    readings.append(Reading(14, MAY_31, D(0)))
    history = [MeterMonth(14, "2024-05", D(0), "actual", 31, MAY_31)]
    result = run(flats(50, 50, 50, 50), meters, readings, subscribe(2, 1, 2, 3, 4), history=history)
    lines = by(result.lines, service_id=2)
    assert [l.base_quantity for l in lines] == [D("4.3125"), D("6.8625"), D("14.5125"), D("4.3125")]
    assert amounts(lines) == [D("8625.00"), D("13725.00"), D("29025.00"), D("8625.00")]
    (balance,) = result.house_balances
    assert balance.method == "units"
    codes = [w.code for w in result.warnings]
    assert "heat_device_ignored" not in codes and "heat_allocation" not in codes
    assert "meter_estimated" in codes


def test_a_vacant_flat_without_a_reading_pays_zero_not_the_norm():
    # Flat 1 (2 persons, norm 5 m³ each) measured 0 m³ in May; no reading in June → 0 m³
    # estimated, 0,00 грн — not 2 × 5 = 10 m³ × 30,00 = 300,00 by norm.
    meters = [flat_meter(11, 1)]
    history = [MeterMonth(11, "2024-05", D(0), "actual", 31, MAY_31)]
    result = run(flats(40), meters, [Reading(11, MAY_31, D(25))], subscribe(1, 1), residents(1, 2),
                 history=history)
    (line,) = by(result.lines, service_id=1)
    assert (line.base_quantity, line.amount, line.source) == (D(0), D("0.00"), "estimated")
