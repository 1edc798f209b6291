"""Numbers of the billing engine (billing.md §1): the one place that rounds.

* Money is ``Decimal`` with 2 places (копійки), ``ROUND_HALF_UP``.
* Quantities are ``Decimal`` rounded to a service's ``quantity_precision`` (default 3).
* ``float`` is refused everywhere: :func:`to_decimal` raises ``TypeError`` on it.
* Intermediate products that divide (``q × p × d / D``, area shares, minimum shares) are
  carried as exact ``fractions.Fraction`` values and rounded once, here. That is why a
  re-run always yields the same kopiyka and why a half kopiyka is always rounded up,
  whatever the number of digits in between.
* :func:`largest_remainder` splits a total into rounded shares that add up to the total
  exactly (метод найбільших залишків).
* :func:`parse_decimal` reads a number as a person types it — the one parser of forms, the
  REST API, imports and the engine's settings.
* :func:`from_db`, :func:`as_decimal` and :func:`trim` read a number column's value (SQLite
  may hand back an int or a float) as an exact Decimal.

Nothing else in the engine calls ``quantize`` by hand.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Hashable, Sequence

MONEY_PLACES = 2
DEFAULT_PRECISION = 3

Number = Decimal | Fraction | int

_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$", re.ASCII)
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")


def to_decimal(value) -> Decimal:
    """``Decimal`` from a Decimal, an int or a text such as ``"12,5"``; never from a float."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return parse_decimal(value)
    if isinstance(value, float):
        raise TypeError(f"float is not allowed in billing, got {value!r}: pass Decimal or str")
    raise TypeError(f"not a number: {value!r}")


def parse_decimal(text: str) -> Decimal:
    """Parse a number as Ukrainian users type it: ``"12,5"``, ``"1 234,50"``, ``"-0.75"``.

    A decimal comma or point is accepted; spaces (also no-break, narrow no-break and thin
    ones) and apostrophes group thousands. Refused (``ValueError``): a text with both a comma
    and a point (ambiguous), exponents (``1e3``), ``NaN``, ``Infinity``, underscores, anything
    else that is not plain digits.
    """
    if not isinstance(text, str):
        raise TypeError(f"not a text: {text!r}")
    cleaned = text.strip().translate(_SPACES)
    if not _NUMBER_RE.match(cleaned):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex already refuses these
        raise ValueError(f"not a number: {text!r}") from None


def from_db(value):
    """A number column's value as an exact Decimal (None stays None): SQLite may hand back an
    int or a float — a float is read by its shortest repr, which is the stored value."""
    if value is None or type(value) is Decimal:
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def as_decimal(value, places: int) -> Decimal:
    """A database number (a sum, typically) rounded to ``places``; None is zero. SQLite hands
    sums back as floats: exact to far more than 4 places, so rounding recovers the value."""
    if type(value) is Decimal:  # the hot path (a report reads a million of them): one C call
        return value.quantize(_QUANT[places] if 0 <= places < len(_QUANT) else Decimal(1).scaleb(-places),
                              rounding=ROUND_HALF_UP)
    if value is None:
        return Decimal(0).scaleb(-places)
    return round_qty(from_db(value), places)


def trim(value, places: int = 0):
    """A database Decimal without the column's padding zeros (``35.46000`` → ``35.46``, an
    area ``52.3000`` → ``52.3``), keeping at least ``places`` decimals; the value is the same,
    only the explanations read better."""
    if value is None:
        return None
    value = from_db(value)
    exponent = value.as_tuple().exponent
    if exponent >= -places:
        return value
    stripped = value.normalize()
    if stripped.as_tuple().exponent > -places:
        stripped = stripped.quantize(Decimal(1).scaleb(-places))
    return stripped


def trimmer(places: int = 0):
    """``trim(value, places)`` for a column's many values: each distinct value trimmed once (a
    report of 750,000 lines holds a few thousand distinct quantities and prices)."""
    seen: dict = {}

    def trimmed(value):
        if value is None:
            return None
        found = seen.get(value)
        if found is None:
            found = seen[value] = trim(value, places)
        return found

    return trimmed


def exact(value: Number) -> Fraction:
    """The exact rational value of a Decimal, int or Fraction (never a float)."""
    kind = type(value)
    if kind is Fraction:
        return value
    if kind is Decimal:
        if not value.is_finite():
            raise TypeError(f"not a finite number: {value!r}")
        return Fraction(*value.as_integer_ratio())  # two ints: Fraction's fast path
    if kind is int:
        return Fraction(value, 1)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"not an exact number: {value!r}")
    if isinstance(value, (Decimal, int)):
        return Fraction(value)
    raise TypeError(f"not a number: {value!r}")


_QUANT = tuple(Decimal(1).scaleb(-p) for p in range(10))  # 1, 0.1, … 1E-9: quantize's exponents


def _round_half_up(value: Number, places: int) -> Decimal:
    if places < 0:
        raise ValueError("places must be ≥ 0")
    if isinstance(value, Decimal):
        return value.quantize(_QUANT[places] if 0 <= places < len(_QUANT) else Decimal(1).scaleb(-places),
                              rounding=ROUND_HALF_UP)
    fraction = exact(value)
    return round_ratio(fraction.numerator, fraction.denominator, places)


def round_ratio(numerator: int, denominator: int, places: int) -> Decimal:
    """``numerator / denominator`` (integers, denominator > 0) rounded half up to ``places``:
    the integer form of the rounding, for the hot paths that multiply integer ratios."""
    units, remainder = divmod(abs(numerator) * 10 ** places, denominator)
    if 2 * remainder >= denominator:
        units += 1
    if numerator < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def ratio(value: Number) -> tuple[int, int]:
    """The exact value of a Decimal, int or Fraction as ``(numerator, denominator)`` integers
    (denominator > 0); refuses a float like :func:`exact`."""
    kind = type(value)
    if kind is Decimal and value.is_finite():
        return value.as_integer_ratio()
    if kind is int:
        return value, 1
    fraction = exact(value)
    return fraction.numerator, fraction.denominator


def round_money(value: Number) -> Decimal:
    """Гривні з копійками: 2 places, half up (``1.005 → 1.01``, ``-1.005 → -1.01``)."""
    return _round_half_up(value, MONEY_PLACES)


def round_qty(value: Number, precision: int = DEFAULT_PRECISION) -> Decimal:
    """A quantity rounded half up to ``precision`` places (the service's quantity_precision)."""
    return _round_half_up(value, precision)


def largest_remainder(total: Number, weights: Sequence[Number], precision: int = DEFAULT_PRECISION,
                      tie_keys: Sequence[Hashable] | None = None) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` into shares rounded to ``precision`` that
    add up to ``round_qty(total, precision)`` exactly.

    Every share is first rounded down (towards zero) to a whole unit of ``10^-precision``;
    the units left over go one each to the shares with the largest remainders. Equal
    remainders are broken by ``tie_keys`` (the smaller key first — for premises: building
    code, then premise number), then by position. Weights must not be negative; all-zero
    weights can only carry a zero total.
    """
    if len(weights) == 1 and exact(weights[0]) > 0:  # the only share is the whole
        if tie_keys is not None and len(tie_keys) != 1:
            raise ValueError("tie_keys must match weights")
        return [round_qty(total, precision)]
    weights = [exact(w) for w in weights]
    if tie_keys is not None and len(tie_keys) != len(weights):
        raise ValueError("tie_keys must match weights")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    rounded_total = round_qty(total, precision)
    total_units = int(rounded_total.scaleb(precision))
    weight_sum = sum(weights, Fraction(0))
    if not weights or weight_sum == 0:
        if total_units != 0:
            raise ValueError("cannot distribute a non-zero total over zero weights")
        return [Decimal(0).scaleb(-precision) for _ in weights]
    sign = -1 if total_units < 0 else 1
    units_to_share = abs(total_units)
    raw = [units_to_share * w / weight_sum for w in weights]
    floors = [math.floor(r) for r in raw]
    left = units_to_share - sum(floors)
    keys = list(tie_keys) if tie_keys is not None else [None] * len(weights)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), _tie(keys[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(sign * units).scaleb(-precision) for units in floors]


def _tie(key):
    return (0,) if key is None else (1, key)


def number_digits(value: Number, places: int | None = None) -> str:
    """A number's digits with a decimal point, no thousands separator (``12.500``; what a charge
    explanation stores). ``places`` rounds half up first; without it a Decimal keeps its digits."""
    if places is not None:
        value = _round_half_up(value, places)
    elif not isinstance(value, Decimal):  # an exact fraction: at most 4 places, no trailing zeros
        value = _round_half_up(value, 4).normalize()
    return format(value, "f")


def format_number(value: Number, places: int | None = None) -> str:
    """A number as the Ukrainian UI writes it: :func:`number_digits` with a decimal comma (``12,500``)."""
    return number_digits(value, places).replace(".", ",")


def format_money(value: Number) -> str:
    return format_number(value, MONEY_PLACES)


def price_digits(value) -> str:
    """A price or tariff's digits, point-separated: at least the two places of kopiyky
    (``38.50``), more when the price has them (``7.95689``), no trailing zeros beyond them."""
    whole, _sep, frac = format(to_decimal(value), "f").partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac.ljust(MONEY_PLACES, '0')}"
