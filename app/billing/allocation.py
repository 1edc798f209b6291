"""House (group) meters — розподіл за Методикою (наказ Мінрегіону № 315), billing.md §5.

Pure arithmetic over small records; the engine decides what the house volume is and which
premises form the group. Intermediate values are exact fractions; each premise's share is
rounded once, with the largest-remainder method, so that the shares add up to the
distributed total exactly (ties: building code, then premise number — natural order, so
flat 2 comes before flat 10).

**Water** (:func:`distribute_imbalance`): ``Δ = Vh − ΣVi`` is distributed only if positive,
by the building's ``imbalance_key``: ``volume`` (the premise's Vi), ``persons`` (residents
counted per day summed over the month, no minimum) or ``area`` (total area). Only premises
subscribed to the water service take part. If every weight of the key is zero (e.g. key
``volume`` and no premise consumed anything) the imbalance is distributed by area, with a
warning.

**Heat** (:func:`allocate_heat`): ``Vs = Vh × (system + common)`` to every premise by total
area; ``Vr = Vh − Vs`` to the centrally heated premises by heated area, by units with the
minimum-share iteration, or, when only some premises have heat meters, ``max(q_i, m_i)``
to the metered and the rest ``R`` by area to the others; ``R < 0`` → by area for the whole
building, with a warning. Decisions where billing.md is silent:

* Allocators count only when *every* centrally heated premise has a device; in a building
  where only some premises have allocators (and none has a heat meter) the allocators are
  ignored and ``Vr`` is distributed by area, with a warning; in the partial-metering rule
  premises with allocators but no heat meter count as unmetered, with a warning.
* A device whose month falls to norm (overdue verification, no reading and no history) is
  no device that month: the premise counts as without one. A device estimated at 0 units
  (its history measured 0: billing.md §4 step 4) is a device that counted 0 — the units
  rule still applies and the premise gets its minimum share.
* If the units add up to zero or less, ``Vr`` is distributed by area, with a warning.
* A negative ``Vh`` (a house-meter true-up) is spread by area alone (``Vs`` by total area,
  ``Vr`` by heated area, no minimum share), with a warning.
* With no centrally heated premise in the group, ``Vr`` too goes by total area to every
  premise, with a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

from .money import largest_remainder, round_qty
from .phrases import Phrase, num
from .settings import HEAT_COMMON_SHARE, HEAT_MIN_SHARE, HEAT_SYSTEM_SHARE


def premise_sort_key(building_code: str, number: str) -> tuple:
    """Building code, then premise number in natural order (``2`` < ``10`` < ``10а``)."""
    parts = tuple((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.lower())
                  for chunk in re.findall(r"\d+|\D+", number or ""))
    return (building_code or "", parts)


@dataclass(frozen=True)
class WaterPremise:
    premise_id: int
    sort_key: tuple
    volume: Decimal
    person_days: int
    area: Decimal


@dataclass(frozen=True)
class ImbalanceResult:
    shares: dict = field(default_factory=dict)          # premise_id → Decimal
    key: str = "none"
    distributed: Decimal = Decimal(0)
    warnings: tuple[Phrase, ...] = ()


def distribute_imbalance(delta: Decimal, premises: Sequence[WaterPremise], key: str,
                         precision: int = 3) -> ImbalanceResult:
    """Spread a positive imbalance ``delta`` over ``premises`` by ``key``."""
    delta = round_qty(delta, precision)
    if delta <= 0 or not premises:
        return ImbalanceResult(warnings=() if premises else (("w_imb_none",),))
    premises = sorted(premises, key=lambda p: p.sort_key)
    weigh = {"volume": lambda p: max(p.volume, Decimal(0)), "persons": lambda p: p.person_days,
             "area": lambda p: p.area}
    warnings = []
    weights = [weigh[key](p) for p in premises]
    if sum(weights) == 0 and key != "area":
        warnings.append(("w_imb_key", key))
        key = "area"
        weights = [p.area for p in premises]
    if sum(weights) == 0:
        return ImbalanceResult(warnings=tuple(warnings) + (("w_imb_area",),))
    shares = largest_remainder(delta, weights, precision, [p.sort_key for p in premises])
    return ImbalanceResult(dict(zip((p.premise_id for p in premises), shares)), key, delta, tuple(warnings))


@dataclass(frozen=True)
class HeatPremise:
    """A premise of a heat group. ``heat_meter``: its own heat meter's Gcal this month;
    ``allocator_units``: the sum of its allocators' units (× factor); None = no such device."""

    premise_id: int
    sort_key: tuple
    total_area: Decimal
    heated_area: Decimal
    central: bool = True
    heat_meter: Decimal | None = None
    allocator_units: Decimal | None = None


@dataclass(frozen=True)
class HeatAllocation:
    shares: dict = field(default_factory=dict)        # premise_id → Decimal (rounded)
    system_parts: dict = field(default_factory=dict)  # premise_id → Fraction (part of Vs)
    room_parts: dict = field(default_factory=dict)    # premise_id → Fraction (part of Vr)
    method: str = "area"
    vs: Fraction = Fraction(0)
    vr: Fraction = Fraction(0)
    warnings: tuple[Phrase, ...] = ()


def _by(weights: dict, total: Fraction) -> dict:
    weights = {k: Fraction(w) for k, w in weights.items()}
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum == 0:
        return {k: Fraction(0) for k in weights}
    return {k: total * w / weight_sum for k, w in weights.items()}


def minimum_share(x: dict, minimum: dict, area: dict) -> dict:
    """The minimum-share iteration: premises below their minimum get it and are fixed; the
    total added is taken from the unfixed premises in proportion to their area; repeat."""
    x, fixed = dict(x), set()
    while True:
        below = sorted(k for k in x if k not in fixed and x[k] < minimum[k])
        if not below:
            return x
        added = sum((minimum[k] - x[k] for k in below), Fraction(0))
        for k in below:
            x[k] = minimum[k]
            fixed.add(k)
        rest = [k for k in x if k not in fixed]
        rest_area = sum((Fraction(area[k]) for k in rest), Fraction(0))
        if not rest or rest_area == 0:
            return x
        for k in rest:
            x[k] -= added * Fraction(area[k]) / rest_area


def allocate_heat(vh: Decimal, premises: Sequence[HeatPremise], system_share: Decimal = HEAT_SYSTEM_SHARE,
                  common_share: Decimal = HEAT_COMMON_SHARE, min_share: Decimal = HEAT_MIN_SHARE,
                  precision: int = 4) -> HeatAllocation:
    premises = sorted(premises, key=lambda p: p.sort_key)
    total = round_qty(vh, precision)
    warnings: list[Phrase] = []
    if not premises:
        return HeatAllocation(warnings=(("w_heat_none",),))
    vh_f = Fraction(total)
    total_area = {p.premise_id: p.total_area for p in premises}
    central = [p for p in premises if p.central and p.heated_area > 0]
    heated = {p.premise_id: p.heated_area for p in central}
    vs = vh_f * (Fraction(system_share) + Fraction(common_share))
    vr = vh_f - vs
    system_parts = _by(total_area, vs)
    method = "area"
    if not central:
        warnings.append(("w_heat_central",))
        room = _by(total_area, vr)
        method = "area_fallback"
    elif vh_f < 0:
        warnings.append(("w_heat_negative", num(total)))
        room = _by(heated, vr)
        method = "area_fallback"
    else:
        room, method = _room_parts(vr, central, heated, Fraction(min_share), warnings)
    parts = {k: system_parts[k] + room.get(k, Fraction(0)) for k in total_area}
    sign = -1 if total < 0 else 1
    weights = [max(sign * parts[p.premise_id], Fraction(0)) for p in premises]
    if sum(weights) == 0:
        rounded = [round_qty(0, precision) for _ in premises] if total == 0 else None
        if rounded is None:
            warnings.append(("w_heat_area",))
            return HeatAllocation(method=method, vs=vs, vr=vr, warnings=tuple(warnings))
    else:
        rounded = largest_remainder(total, weights, precision, [p.sort_key for p in premises])
    return HeatAllocation(dict(zip((p.premise_id for p in premises), rounded)), system_parts, room,
                          method, vs, vr, tuple(warnings))


def _room_parts(vr: Fraction, central, heated: dict, min_share: Fraction, warnings: list) -> tuple[dict, str]:
    area_sum = sum((Fraction(a) for a in heated.values()), Fraction(0))
    minimum = {k: min_share * vr / area_sum * Fraction(a) for k, a in heated.items()}
    metered = {p.premise_id: Fraction(p.heat_meter) for p in central if p.heat_meter is not None}
    allocators = {p.premise_id: Fraction(p.allocator_units) for p in central
                  if p.heat_meter is None and p.allocator_units is not None}
    if not metered and not allocators:
        return _by(heated, vr), "area"
    if len(metered) + len(allocators) == len(central):
        units = {**allocators, **metered}
        if sum(units.values()) <= 0:
            warnings.append(("w_heat_units",))
            return _by(heated, vr), "area_fallback"
        return minimum_share(_by(units, vr), minimum, heated), "units"
    if not metered:
        warnings.append(("w_heat_some",))
        return _by(heated, vr), "area_fallback"
    if allocators:
        warnings.append(("w_heat_ignored",))
    given = {k: max(q, minimum[k]) for k, q in metered.items()}
    rest = vr - sum(given.values(), Fraction(0))
    if rest < 0:
        warnings.append(("w_heat_over", num(sum(given.values())), num(vr)))
        return _by(heated, vr), "area_fallback"
    unmetered = {k: a for k, a in heated.items() if k not in metered}
    return {**given, **_by(unmetered, rest)}, "partial"
