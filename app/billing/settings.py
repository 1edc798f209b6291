"""Dated billing settings (налаштування розрахунку): the numbers the law leaves to the
provider, with the defaults of billing.md. The keys are those of
``app/services/setup.py``; a key missing from the input takes the default below.

The value of a day is the entry with the latest ``valid_from`` ≤ that day. The engine reads
the settings of a month on its **last day** (the same day the residents R of a benefit are
counted), so a setting changed in the middle of a month applies to that whole month and
does not cut segments (billing.md §2 lists what cuts them).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Iterable

from .data import Setting
from .periods import value_on

DEFAULTS: dict[str, Decimal] = {
    "min_persons_for_norm": Decimal("1"),
    "social_norm.area_per_person": Decimal("21"),
    "social_norm.area_per_household": Decimal("10.5"),
    "social_norm.cold_water_per_person": Decimal("2"),
    "social_norm.cold_water_no_hot_per_person": Decimal("3.6"),
    "social_norm.hot_water_per_person": Decimal("1.6"),
    "social_norm.sewerage_per_person": Decimal("3.6"),
    "social_norm.gas_cat1_per_person": Decimal("3.3"),
    "social_norm.gas_cat2_per_person": Decimal("5.4"),
    "social_norm.gas_cat3_per_person": Decimal("10.5"),
    "social_norm.electricity_base": Decimal("70"),
    "social_norm.electricity_per_extra_person": Decimal("30"),
    "social_norm.electricity_max": Decimal("190"),
}


class Settings:
    """Look-ups over dated settings: ``settings.get("min_persons_for_norm", day)``."""

    def __init__(self, entries: Iterable[Setting] = ()):
        self._by_key: dict[str, list[Setting]] = defaultdict(list)
        for entry in entries:
            self._by_key[entry.key].append(entry)

    def get(self, key: str, day: date) -> Decimal:
        entry = value_on(self._by_key.get(key, ()), day)
        if entry is not None:
            return entry.value
        if key in DEFAULTS:
            return DEFAULTS[key]
        raise KeyError(f"no value of setting {key!r} on {day} and no default")
