"""volumes.py: a premise's metered volume (billing.md §4) with worked numbers."""
from datetime import date
from decimal import Decimal
from fractions import Fraction

from app.billing.data import Meter, MeterMonth, Reading
from .town import said
from app.billing.volumes import combine_sources, measured_rate, meter_month, premise_volume

D = Decimal
JUNE = "2024-06"


def cold(meter_id=1, **kw):
    kw.setdefault("installed_on", date(2020, 1, 1))
    return Meter(meter_id, "cold_water", building_id=1, premise_id=10, serial=f"M{meter_id}", **kw)


def month(meter_id, period, volume, source="actual", days=None, read=True):
    from app.billing.periods import days_in, last_day
    return MeterMonth(meter_id, period, volume, source, days or days_in(period),
                      reading_date=last_day(period) if read else None)


def test_actual_reading():
    v = meter_month(cold(), [Reading(1, date(2024, 5, 31), 100), Reading(1, date(2024, 6, 28), D("112.5"))], [], JUNE)
    assert (v.status, v.volume, v.start, v.end, v.days) == ("actual", D("12.5"), 100, D("112.5"), 30)


def test_rollover_99990_to_5_on_5_digits_is_15():
    v = meter_month(cold(digits=5), [Reading(1, date(2024, 5, 31), 99990), Reading(1, date(2024, 6, 30), 5)], [], JUNE)
    assert (v.status, v.volume) == ("actual", D(15))
    assert "перехід через нуль" in "; ".join(said(v.reason))


def test_lower_reading_without_digits_is_not_a_reading():
    v = meter_month(cold(), [Reading(1, date(2024, 5, 31), 100), Reading(1, date(2024, 6, 30), 90)], [], JUNE)
    assert v.status == "norm" and v.warnings  # no history either → norm


def test_replacement_inside_the_month():
    # old meter: 100 on 31.05, removed 15.06 at 112; new meter installed 15.06 at 0, 9 on 30.06
    old = cold(1, removed_on=date(2024, 6, 15), final_reading=112)
    new = cold(2, installed_on=date(2024, 6, 15), replaces=1)
    readings = [Reading(1, date(2024, 5, 31), 100), Reading(2, date(2024, 6, 30), 9)]
    a, b = meter_month(old, readings, [], JUNE), meter_month(new, readings, [], JUNE)
    assert (a.status, a.volume, a.days) == ("actual", D(12), 15)
    assert (b.status, b.volume, b.days, b.start) == ("actual", D(9), 16, 0)
    pv = premise_volume(10, "cold_water", [a, b])
    assert (pv.by_norm, pv.volume, pv.source, len(pv.covered)) == (False, D(21), "actual", 30)
    assert measured_rate(pv, 30) == 21


def test_new_meter_without_reading_is_estimated_from_the_replaced_meter_for_its_own_days():
    new = cold(2, installed_on=date(2024, 6, 16), replaces=1)
    history = [month(1, "2024-05", D("6.2")), month(1, "2024-04", D("6.0"))]
    v = meter_month(new, [], [], JUNE, predecessor_history=history)
    # (6.2 + 6.0) / (31 + 30) = 0.2 m³/day × 15 days
    assert (v.status, v.volume, v.days) == ("estimated", D("3.000"), 15)


def test_estimate_is_the_average_daily_of_the_last_3_actual_months_times_d():
    history = [month(1, "2024-02", D("99")),                     # older than the last three: ignored
               month(1, "2024-03", D("6.2")), month(1, "2024-04", D("6.0")), month(1, "2024-05", D("6.2"))]
    v = meter_month(cold(), [Reading(1, date(2024, 5, 31), 100)], history, JUNE)
    # (6.2 + 6.0 + 6.2) / (31 + 30 + 31) = 0.2 × 30
    assert (v.status, v.volume, v.reading_date) == ("estimated", D("6.000"), None)


def test_estimate_skips_estimated_months_in_the_average():
    history = [month(1, "2024-04", D("9")), month(1, "2024-05", D("50"), "estimated", read=False)]
    v = meter_month(cold(), [], history, JUNE)
    assert v.volume == D("9.000")  # 9 / 30 × 30


def test_fourth_consecutive_month_without_reading_is_norm():
    history = [month(1, "2024-02", D("6")),
               month(1, "2024-03", D("6"), "estimated", read=False),
               month(1, "2024-04", D("6"), "estimated", read=False),
               month(1, "2024-05", D("6"), "estimated", read=False)]
    v = meter_month(cold(), [], history, JUNE)
    assert v.status == "norm" and "4-й місяць поспіль" in "; ".join(said(v.reason))
    # the third month without a reading is still estimated
    assert meter_month(cold(), [], history[:-1], "2024-05").status == "estimated"
    # … and so is every further month: the 5th is norm too
    history.append(month(1, "2024-06", D("7.2"), "norm", read=False))
    assert meter_month(cold(), [], history, "2024-07").status == "norm"


def test_no_history_is_norm():
    assert meter_month(cold(), [], [], JUNE).status == "norm"


def test_true_up_after_estimates_may_be_negative():
    # last actual reading 100 on 31.03; April and May billed 6 m³ each as estimates;
    # reading 108 on 30.06 → (108 − 100) − 12 = −4
    history = [month(1, "2024-03", D("6")),
               month(1, "2024-04", D("6"), "estimated", read=False),
               month(1, "2024-05", D("6"), "estimated", read=False)]
    readings = [Reading(1, date(2024, 3, 31), 100), Reading(1, date(2024, 6, 30), 108)]
    v = meter_month(cold(), readings, history, JUNE)
    assert (v.status, v.volume, v.subtracted) == ("true_up", D(-4), D(12))
    assert "коригування" in "; ".join(said(v.reason))


def test_true_up_subtracts_norm_months_without_reading_and_of_a_new_meter():
    # installed 10.04 at 0, never read: April estimated? no history → norm 5; May norm 5; June 30
    new = cold(3, installed_on=date(2024, 4, 10))
    history = [month(3, "2024-04", D("5"), "norm", days=21, read=False),
               month(3, "2024-05", D("5"), "norm", read=False)]
    v = meter_month(new, [Reading(3, date(2024, 6, 30), 30)], history, JUNE)
    assert (v.status, v.volume) == ("true_up", D(20))


def test_estimate_readings_are_ignored():
    readings = [Reading(1, date(2024, 5, 31), 100), Reading(1, date(2024, 6, 30), 150, source="estimate")]
    assert meter_month(cold(), readings, [month(1, "2024-05", D(3))], JUNE).status == "estimated"


def test_overdue_verification_is_norm_and_the_first_day_is_not_overdue():
    readings = [Reading(1, date(2024, 5, 31), 100), Reading(1, date(2024, 6, 30), 110)]
    v = meter_month(cold(next_verification=date(2024, 5, 31)), readings, [], JUNE)
    assert v.status == "norm" and "повірка" in "; ".join(said(v.reason)) and v.reading_date == date(2024, 6, 30)
    assert meter_month(cold(next_verification=date(2024, 6, 1)), readings, [], JUNE).status == "actual"
    pv = premise_volume(10, "cold_water", [v, meter_month(cold(2), [Reading(2, date(2024, 6, 30), 3)], [], JUNE)])
    assert pv.by_norm and "повірка" in "; ".join(said(pv.reason))  # one meter at norm → the premise at norm


def test_house_meter_overdue_only_warns_and_without_history_has_no_volume():
    house = Meter(9, "heat", 1, date(2020, 1, 1), next_verification=date(2024, 1, 1), serial="H")
    v = meter_month(house, [Reading(9, date(2024, 5, 31), 10), Reading(9, date(2024, 6, 30), 40)], [], JUNE, house=True)
    assert (v.status, v.volume) == ("actual", D(30)) and v.warnings
    assert meter_month(house, [], [], JUNE, house=True).status == "none"
    # with history the house meter is estimated even after many months without readings
    history = [month(9, "2024-02", D(30))] + [month(9, p, D(30), "estimated", read=False)
                                              for p in ("2024-03", "2024-04", "2024-05")]
    assert meter_month(house, [], history, JUNE, house=True).status == "estimated"


def test_premise_without_meter_and_partial_coverage():
    assert premise_volume(10, "cold_water", []).by_norm
    first = cold(4, installed_on=date(2024, 6, 21))  # first meter in the flat on 21.06 at 0
    v = meter_month(first, [Reading(4, date(2024, 6, 30), 2)], [], JUNE)
    pv = premise_volume(10, "cold_water", [v])
    assert not pv.by_norm and len(pv.covered) == 10
    assert not pv.is_measured_on(date(2024, 6, 20)) and pv.is_measured_on(date(2024, 6, 21))
    assert measured_rate(pv, 30) == Fraction(6)  # 2 m³ over 10 of 30 days → 6 a month


def test_line_source_is_the_weakest_part():
    assert combine_sources(["actual", "estimated", "true_up"]) == "estimated"
    assert combine_sources(["actual", "true_up"]) == "true_up"
    assert combine_sources(["estimated", "norm"]) == "norm"


def test_house_meter_reading_spanning_months_without_history_warns():
    house = Meter(9, "cold_water", 1, date(2020, 1, 1), serial="H")
    v = meter_month(house, [Reading(9, date(2024, 4, 30), 10), Reading(9, date(2024, 6, 30), 70)], [], JUNE, house=True)
    assert v.volume == 60 and said(v.warnings) == [
        "загальнобудинковий лічильник № H: попередній показник від 30.04.2024 — обсяг місяця охоплює кілька місяців"]
    history = [month(9, "2024-05", D(30), "estimated", read=False)]
    v = meter_month(house, [Reading(9, date(2024, 4, 30), 10), Reading(9, date(2024, 6, 30), 70)], history, JUNE,
                    house=True)
    assert (v.status, v.volume, v.warnings) == ("true_up", D(30), ())


# --- zero is a value (billing.md §4 step 4: a month measured at zero is actual consumption) ---


def test_a_vacant_flat_measured_at_zero_is_estimated_at_zero_not_by_norm():
    # March–May read every month, 0 m³ each (nobody lives there); no reading in June:
    # (0 + 0 + 0) / (31 + 30 + 31) = 0 m³/day × 30 days = 0
    history = [month(1, "2024-03", D(0)), month(1, "2024-04", D(0)), month(1, "2024-05", D(0))]
    v = meter_month(cold(), [Reading(1, date(2024, 5, 31), 100)], history, JUNE)
    assert (v.status, v.volume, v.days) == ("estimated", D("0.000"), 30)
    assert "середньодобове 0 × 30 дн. = 0" in "; ".join(said(v.reason))
    pv = premise_volume(10, "cold_water", [v])
    assert (pv.by_norm, pv.volume, pv.source, len(pv.covered)) == (False, D(0), "estimated", 30)


def test_one_month_at_zero_among_the_last_three_counts_in_the_average():
    # 6 + 0 + 3 = 9 m³ over 31 + 30 + 31 = 92 days → 9/92 × 30 = 2.935 (not 9/61 × 30 = 4.426)
    history = [month(1, "2024-03", D(6)), month(1, "2024-04", D(0)), month(1, "2024-05", D(3))]
    v = meter_month(cold(), [], history, JUNE)
    assert (v.status, v.volume) == ("estimated", D("2.935"))


def test_a_new_meter_measured_at_zero_does_not_borrow_the_replaced_meters_history():
    # The new meter (installed 01.04) read 0 m³ in April and May; the old one used 0.2 m³/day.
    new = cold(2, installed_on=date(2024, 4, 1), replaces=1)
    own = [month(2, "2024-04", D(0)), month(2, "2024-05", D(0))]
    predecessor = [month(1, "2024-03", D("6.2"))]
    v = meter_month(new, [], own, JUNE, predecessor_history=predecessor)
    assert (v.status, v.volume) == ("estimated", D("0.000"))
    # without history of its own it still uses the predecessor's: 6.2 / 31 × 30 = 6
    assert meter_month(new, [], [], JUNE, predecessor_history=predecessor).volume == D("6.000")
