"""segments.py: a month cut only where the line changes (billing.md §2)."""
from datetime import date
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from app.billing.segments import active_days, cut, segment_amount, segment_quantity

D = Decimal


def test_price_change_on_the_11th_of_a_30_day_month():
    # q = 2 persons, price 30.00 until the 10th, 36.00 from the 11th; June has 30 days.
    days = active_days("2024-06", (date(2024, 1, 1), None))
    segments = cut(days, lambda d: ("p", D("30.00") if d < date(2024, 6, 11) else D("36.00")))
    assert [(s.date_from.day, s.date_to.day, s.days) for s in segments] == [(1, 10, 10), (11, 30, 20)]
    assert segment_amount(2, D("30.00"), 10, 30) == D("20.00")   # 2 × 30 × 10/30
    assert segment_amount(2, D("36.00"), 20, 30) == D("48.00")   # 2 × 36 × 20/30
    assert segment_quantity(2, 10, 30, 3) == D("0.667")


def test_formula_with_reduction_and_rounding():
    # 54.3 m² × 7.11 × 17/30 × (1 − 0.3) = 153.1423 → 153.14
    assert segment_amount(D("54.3"), D("7.11"), 17, 30, D("0.3")) == D("153.14")
    assert segment_amount(1, D("0.15"), 1, 30) == D("0.01")    # 0.005 → half up


def test_an_unchanged_value_does_not_cut_and_a_gap_does():
    days = active_days("2024-06", (date(2024, 6, 1), date(2024, 6, 10)), (date(2024, 6, 5), None))
    assert [d.day for d in days] == [5, 6, 7, 8, 9, 10]
    segments = cut(days, lambda d: "same")
    assert [(s.date_from.day, s.days) for s in segments] == [(5, 6)]
    # a day that cannot be billed (no price) leaves a gap
    segments = cut(days, lambda d: None if d.day == 7 else "same")
    assert [(s.date_from.day, s.date_to.day) for s in segments] == [(5, 6), (8, 10)]


@settings(max_examples=150, deadline=None)
@given(start=st.integers(1, 30), length=st.integers(0, 40), changes=st.sets(st.integers(1, 30)))
def test_segment_days_sum_to_the_active_days(start, length, changes):
    days = active_days("2024-06", (date(2024, 6, start), date(2024, 6, min(30, start + length)) if length < 30 else None))
    segments = cut(days, lambda d: sum(1 for c in changes if c <= d.day))
    assert sum(s.days for s in segments) == len(days)
    assert all(a.date_to < b.date_from for a, b in zip(segments, segments[1:]))
