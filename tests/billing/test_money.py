"""money.py: one place rounds (billing.md §1)."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from app.billing.money import (
    as_decimal, exact, format_money, format_number, from_db, largest_remainder, parse_decimal, round_money,
    round_qty, to_decimal, trim,
)

D = Decimal


@pytest.mark.parametrize("text, value", [
    ("12,5", D("12.5")), ("12.5", D("12.5")), (" 1 234,50 ", D("1234.50")), ("1\u00a0234,5", D("1234.5")),
    ("-0,75", D("-0.75")), (",5", D("0.5")), ("7", D("7")), ("+3,", D("3")),
])
def test_parse_decimal_reads_ukrainian_numbers(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1.234,5", "1e5", "--1", "NaN"])
def test_parse_decimal_refuses_junk(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize("separator", [" ", "\u00a0", "\u202f", "\u2009"])
def test_parse_decimal_takes_every_thousands_space(separator):
    assert parse_decimal(f"1{separator}234,50") == D("1234.50")
    assert parse_decimal(f"-12{separator}345{separator}678.9") == D("-12345678.9")
    assert to_decimal(f"1{separator}234,50") == D("1234.50")  # the engine's records read texts the same way


@pytest.mark.parametrize("text", ["1e3", "1E3", "1,5e2", "2e-2", "nan", "sNaN", "Infinity", "-Infinity", "inf",
                                  "1_000", "0x10", "١٢"])
def test_parse_decimal_refuses_exponents_and_specials(text):
    with pytest.raises(ValueError):
        parse_decimal(text)
    with pytest.raises(ValueError):
        to_decimal(text)


def test_database_numbers_are_read_exactly():
    assert from_db(None) is None and from_db(7) == D(7) and type(from_db(7)) is D
    assert from_db(0.1) == D("0.1")  # SQLite's float of a NUMERIC: its shortest repr is the stored value
    assert as_decimal(None, 2) == D("0.00") and str(as_decimal(None, 2)) == "0.00"
    assert as_decimal(12.299999999999999, 2) == D("12.30")  # a SQLite SUM
    assert str(trim(D("35.46000"), 2)) == "35.46" and str(trim(D("52.3000"))) == "52.3"
    assert str(trim(D("7.00000"), 2)) == "7.00" and trim(None) is None and str(trim(12.5)) == "12.5"


def test_float_is_refused_everywhere():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(TypeError):
        exact(0.1)
    with pytest.raises(TypeError):
        round_money(0.1)
    assert to_decimal(3) == D(3) and to_decimal("2,5") == D("2.5")


@pytest.mark.parametrize("value, rounded", [
    (D("1.005"), D("1.01")), (D("1.004999"), D("1.00")), (D("-1.005"), D("-1.01")), (D("2"), D("2.00")),
    (Fraction(1, 200), D("0.01")), (Fraction(-1, 200), D("-0.01")), (Fraction(1, 3), D("0.33")),
    (Fraction(2, 3), D("0.67")), (7, D("7.00")),
])
def test_round_money_is_half_up_to_kopiyky(value, rounded):
    result = round_money(value)
    assert result == rounded and result.as_tuple().exponent == -2


def test_round_qty_uses_the_precision():
    assert round_qty(D("4.31255"), 4) == D("4.3126")
    assert round_qty(Fraction(10, 3)) == D("3.333")
    assert str(round_qty(D("5"), 3)) == "5.000"
    assert str(round_qty(D("5.5"), 0)) == "6"


def test_largest_remainder_worked_example():
    # 10 over three equal weights: 3.334 + 3.333 + 3.333 — the tie goes to the first key.
    assert largest_remainder(D(10), [1, 1, 1], 3, tie_keys=["b", "a", "c"]) == [D("3.333"), D("3.334"), D("3.333")]
    assert largest_remainder(D(10), [1, 1, 1], 3) == [D("3.334"), D("3.333"), D("3.333")]
    # the largest remainder wins before any tie-break: 1 by 1:2 → 0.333 | 0.667
    assert largest_remainder(D(1), [1, 2], 3, tie_keys=["z", "a"]) == [D("0.333"), D("0.667")]


def test_largest_remainder_negative_total_and_zero_weights():
    assert largest_remainder(D("-1"), [1, 1, 1], 2) == [D("-0.34"), D("-0.33"), D("-0.33")]
    assert largest_remainder(D(0), [0, 0], 2) == [D("0.00"), D("0.00")]
    with pytest.raises(ValueError):
        largest_remainder(D(1), [0, 0], 2)
    with pytest.raises(ValueError):
        largest_remainder(D(1), [1, -1], 2)


def test_format_for_explanations():
    assert format_money(D("85")) == "85,00"
    assert format_number(D("12.500")) == "12,500"
    assert format_number(Fraction(1, 3)) == "0,3333"
    assert format_number(Fraction(5, 2)) == "2,5"


decimals = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=4, allow_nan=False)
weights = st.lists(st.decimals(min_value=D("0"), max_value=D("1000"), places=3, allow_nan=False),
                   min_size=1, max_size=12).filter(lambda ws: sum(ws) > 0)


@settings(max_examples=200, deadline=None)
@given(total=decimals, weights=weights, precision=st.integers(min_value=0, max_value=4))
def test_largest_remainder_conserves_the_total_exactly(total, weights, precision):
    shares = largest_remainder(total, weights, precision)
    assert sum(shares) == round_qty(total, precision)
    unit = D(1).scaleb(-precision)
    for share, weight in zip(shares, weights):
        assert share.as_tuple().exponent == -precision
        ideal = exact(round_qty(total, precision)) * exact(weight) / exact(sum(weights))
        assert abs(exact(share) - ideal) < exact(unit)


@settings(max_examples=200, deadline=None)
@given(value=decimals)
def test_round_money_matches_decimal_quantize(value):
    from decimal import ROUND_HALF_UP
    assert round_money(value) == value.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert round_money(exact(value)) == round_money(value)
