"""allocation.py: house meters — water imbalance and heat (billing.md §5)."""
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from .town import said

from app.billing.allocation import (
    HeatPremise, WaterPremise, allocate_heat, distribute_imbalance, premise_sort_key,
)

D = Decimal


def flats(units=(None, None, None, None), meters=(None, None, None, None), area=D(50)):
    return [HeatPremise(i + 1, premise_sort_key("B1", str(i + 1)), area, area, True, meters[i], units[i])
            for i in range(len(units))]


def shares(result):
    return [result.shares[k] for k in sorted(result.shares)]


def test_t2_worked_check_allocators_with_minimum_share():
    # Vh = 30, four flats of 50 m², units 100/300/600/0, shares 0.05 + 0.10
    result = allocate_heat(D(30), flats(units=(D(100), D(300), D(600), D(0))))
    assert shares(result) == [D("4.3125"), D("6.8625"), D("14.5125"), D("4.3125")]
    assert result.method == "units" and sum(shares(result)) == D(30)
    # Vs = 4.5 → 1.125 each; Vr = 25.5; minimum 0.5 × 25.5/200 × 50 = 3.1875
    assert result.vs == D("4.5") and result.vr == D("25.5")
    assert result.room_parts[1] == D("3.1875") and result.room_parts[2] == D("5.7375")


def test_no_devices_by_area_and_individual_heating_gets_only_vs():
    premises = flats() + [HeatPremise(5, premise_sort_key("B1", "5"), D(50), D(50), central=False)]
    result = allocate_heat(D(30), premises)
    # Vs = 4.5 over 250 m² → 0.9 each; Vr = 25.5 over the 4 centrally heated → 6.375
    assert shares(result) == [D("7.2750")] * 4 + [D("0.9000")]
    assert result.method == "area"


def test_heat_meters_in_every_flat_count_as_units():
    result = allocate_heat(D(30), flats(meters=(D(5), D(5), D(10), D("5.5"))))
    assert result.method == "units" and sum(shares(result)) == D(30)


def test_partial_metering():
    # A meter 2 Gcal → max(2, 3.1875) = 3.1875; B meter 8 → 8; R = 25.5 − 11.1875 = 14.3125 → C, D 7.15625
    result = allocate_heat(D(30), flats(meters=(D(2), D(8), None, None)))
    assert result.method == "partial"
    # C and D tie on 8.28125: the extra unit goes to flat 3, which sorts first
    assert shares(result) == [D("4.3125"), D("9.1250"), D("8.2813"), D("8.2812")]


def test_partial_metering_falls_back_to_area_when_r_is_negative():
    result = allocate_heat(D(30), flats(meters=(D(20), D(10), None, None)))
    assert result.method == "area_fallback"
    assert said(result.warnings) == ["частковий облік: лічильники приміщень (30 Гкал) перевищують Vr (25,5 Гкал), "
                                     "R < 0 — увесь будинок розподілено за площею"]
    assert shares(result) == [D("7.5000")] * 4


def test_allocators_in_some_flats_only_are_ignored():
    result = allocate_heat(D(30), flats(units=(D(100), None, None, None)))
    assert result.method == "area_fallback" and result.warnings
    assert shares(result) == [D("7.5000")] * 4


def test_negative_house_volume_is_spread_by_area():
    result = allocate_heat(D(-4), flats(units=(D(100), D(300), D(600), D(0))))
    assert result.method == "area_fallback" and shares(result) == [D("-1.0000")] * 4


def water(volumes=(10, 20, 30), person_days=(30, 60, 0), areas=(50, 70, 80)):
    return [WaterPremise(i + 1, premise_sort_key("B1", str(i + 1)), D(v), p, D(a))
            for i, (v, p, a) in enumerate(zip(volumes, person_days, areas))]


def test_water_imbalance_by_each_key():
    # Vh = 100, ΣVi = 60 → Δ = 40
    by_volume = distribute_imbalance(D(40), water(), "volume")
    assert shares(by_volume) == [D("6.667"), D("13.333"), D("20.000")]
    assert shares(distribute_imbalance(D(40), water(), "persons")) == [D("13.333"), D("26.667"), D("0.000")]
    assert shares(distribute_imbalance(D(40), water(), "area")) == [D("10.000"), D("14.000"), D("16.000")]


def test_no_imbalance_when_delta_is_not_positive_and_zero_weights_fall_back_to_area():
    assert distribute_imbalance(D(-5), water(), "volume").shares == {}
    assert distribute_imbalance(D(0), water(), "volume").distributed == 0
    result = distribute_imbalance(D(10), water(volumes=(0, 0, 0)), "volume")
    assert result.key == "area" and result.warnings and sum(shares(result)) == D(10)


def test_natural_premise_order():
    keys = sorted(["10", "2", "10а", "1", "11"], key=lambda n: premise_sort_key("B", n))
    assert keys == ["1", "2", "10", "10а", "11"]
    assert premise_sort_key("A", "9") < premise_sort_key("B", "1")


areas = st.decimals(min_value=D("10"), max_value=D("200"), places=1)
device = st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("50"), places=3))


@settings(max_examples=150, deadline=None)
@given(vh=st.decimals(min_value=D("-50"), max_value=D("500"), places=3),
       premises=st.lists(st.tuples(areas, st.booleans(), device, device), min_size=1, max_size=8),
       min_share=st.decimals(min_value=D("0"), max_value=D("1"), places=2))
def test_heat_shares_always_add_up_to_the_house_volume(vh, premises, min_share):
    group = [HeatPremise(i, premise_sort_key("B", str(i)), a, a, c, m, u) for i, (a, c, m, u) in enumerate(premises)]
    result = allocate_heat(vh, group, min_share=min_share)
    assert sum(result.shares.values()) == vh
    assert all(s.as_tuple().exponent == -4 for s in result.shares.values())


@settings(max_examples=150, deadline=None)
@given(delta=st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3),
       premises=st.lists(st.tuples(st.decimals(min_value=D("0"), max_value=D("50"), places=3),
                                   st.integers(0, 150), areas), min_size=1, max_size=8),
       key=st.sampled_from(["volume", "persons", "area"]))
def test_imbalance_shares_always_add_up_to_delta(delta, premises, key):
    group = [WaterPremise(i, premise_sort_key("B", str(i)), v, p, a) for i, (v, p, a) in enumerate(premises)]
    assert sum(distribute_imbalance(delta, group, key).shares.values()) == delta


def test_an_allocator_at_zero_units_is_a_device_not_a_missing_one():
    # Zero is a value: D's 0 units keep the building on the units rule (T2's shares) …
    zero = allocate_heat(D(30), flats(units=(D(100), D(300), D(600), D(0))))
    assert (zero.method, shares(zero)) == ("units", [D("4.3125"), D("6.8625"), D("14.5125"), D("4.3125")])
    # … while no device at all in D (None) sends Vr by area: 30 / 4 = 7.5 each
    missing = allocate_heat(D(30), flats(units=(D(100), D(300), D(600), None)))
    assert (missing.method, shares(missing)) == ("area_fallback", [D("7.5000")] * 4)
