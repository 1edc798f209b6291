"""Benefits (пільги), billing.md §6.

Per beneficiary, service and month, one line::

    benefit = −round(S × min(1, N / Q) × min(E, R) / R × pct / 100 × v / D, 2)

* ``S``: the month's charge and imbalance lines of the service on the account (the engine
  computes benefits per account of the premise; with one account per premise that is the
  premise's S of billing.md).
* ``Q``: the month's base quantity — the day-weighted base quantity over the days charged
  plus the imbalance share; for heat, whatever its method, ``N / Q`` compares areas (the
  premise's area by the service's ``area_basis``). ``Q ≤ 0`` (a credit month) → ratio 1.
* ``R``: residents counted on the last day of the month, at least 1.
* ``N``: the household's social norm (постанова КМУ № 409), from dated settings, read on the
  last day of the month: area-based services and heat ``21 × R + 10.5`` m²; cold water
  ``2 × R`` m³ (``3.6 × R`` when the premise has no hot-water service that month); hot water
  ``1.6 × R``; sewerage ``3.6 × R``; gas ``3.3 / 5.4 / 10.5 × R`` by the premise's gas
  category (a premise without a category gets category 1, the smallest norm, and a
  warning); electricity ``min(70 + 30 × (R − 1), 190)`` kWh. ``persons`` services have no
  norm: ratio 1.

Several beneficiaries in one premise add up with their ``E`` together capped at ``R``. The
cap is applied **per day** (:func:`entitled_days`): on each day the beneficiaries valid that
day take their ``E`` in order of the larger discount first (then beneficiary id), until
``R`` is used up. A beneficiary's ``min(E, R) × v`` is then the sum over the month's days
of the persons they were given; with a single beneficiary this is exactly the formula above.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from .data import Beneficiary, Service
from .money import Number, exact, round_money
from .periods import covers, days_of, last_day
from .settings import Settings

BENEFIT_METHODS = ("area", "persons", "metered", "group")


def applies_to(service: Service) -> bool:
    return service.method in BENEFIT_METHODS


def norm_kind(service: Service) -> str | None:
    """Which social norm a service is compared with: ``area``, a resource, or None."""
    if service.resource == "heat" or service.method == "area":
        return "area"
    if service.method == "persons":
        return None
    return service.resource


def social_norm(kind: str | None, residents: int, settings: Settings, day: date,
                has_hot_water: bool = True, gas_category: str | None = None) -> Decimal | None:
    """The household's social norm N for ``residents`` (R) persons, or None (no norm)."""
    r = Decimal(residents)

    def s(key):
        return settings.get(f"social_norm.{key}", day)

    if kind == "area":
        return s("area_per_person") * r + s("area_per_household")
    if kind == "cold_water":
        return (s("cold_water_per_person") if has_hot_water else s("cold_water_no_hot_per_person")) * r
    if kind == "hot_water":
        return s("hot_water_per_person") * r
    if kind == "sewerage":
        return s("sewerage_per_person") * r
    if kind == "gas":
        category = gas_category if gas_category in ("1", "2", "3") else "1"
        return s(f"gas_cat{category}_per_person") * r
    if kind == "electricity":
        return min(s("electricity_base") + s("electricity_per_extra_person") * (r - 1), s("electricity_max"))
    return None


def entitled_days(beneficiaries: Iterable[Beneficiary], residents: int, period: str) -> dict[int, int]:
    """Σ over the month's days of the persons each beneficiary's benefit covers, the
    household's E capped at R per day (larger discount first)."""
    ordered = sorted(beneficiaries, key=lambda b: (-b.pct, b.id))
    result = {b.id: 0 for b in ordered}
    for day in days_of(period):
        left = residents
        for b in ordered:
            if left <= 0:
                break
            if covers(b.date_from, b.date_to, day):
                given = min(b.entitled, left)
                result[b.id] += given
                left -= given
    return result


def valid_days(beneficiary: Beneficiary, period: str) -> int:
    return sum(1 for day in days_of(period) if covers(beneficiary.date_from, beneficiary.date_to, day))


def norm_ratio(norm: Number | None, quantity: Number) -> Fraction:
    """``min(1, N / Q)``; 1 without a norm or when ``Q ≤ 0``."""
    if norm is None or exact(quantity) <= 0:
        return Fraction(1)
    return min(Fraction(1), exact(norm) / exact(quantity))


def benefit_amount(charged: Number, norm: Number | None, quantity: Number, person_days: int,
                   residents: int, pct: Number, month_days: int) -> Decimal:
    """``−round(S × min(1, N/Q) × min(E, R)/R × pct/100 × v/D, 2)`` with ``min(E, R) × v``
    given as ``person_days``."""
    value = (exact(charged) * norm_ratio(norm, quantity) * person_days / residents
             * exact(pct) / 100 / month_days)
    return -round_money(value)


def residents_day(period: str) -> date:
    """R and the settings of a benefit are taken on the last day of the month."""
    return last_day(period)
