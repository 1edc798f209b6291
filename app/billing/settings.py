"""Dated billing settings (налаштування розрахунку): the numbers the law leaves to the
provider, with the defaults of billing.md (:data:`DEFAULT_SETTINGS`, which
``app/services/setup.py`` stores); a key missing from the input takes its default.

The value of a day is the entry with the latest ``valid_from`` ≤ that day. The engine reads
the settings of a month on its **last day** (the same day the residents R of a benefit are
counted), so a setting changed in the middle of a month applies to that whole month and
does not cut segments (billing.md §2 lists what cuts them).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable

from .periods import value_on

if TYPE_CHECKING:
    from .data import Setting


def N_(text: str) -> str:
    """Marks a stored description for translation (the screen translates it when shown)."""
    return text


# billing.md defaults, stored as dated settings (``app.services.setup.seed_settings``) so that a
# change has a validity date: key → (value as stored, description). The one declaration.
DEFAULT_SETTINGS: dict[str, tuple[str, str]] = {
    "min_persons_for_norm": ("1", N_("Persons counted for norm volumes in a premise without residents")),
    "recalculation_lookback_months": ("36", N_("How many closed months a recalculation may reach back")),
    "social_norm.area_per_person": ("21", N_("Social norm of heated area per person, m²")),
    "social_norm.area_per_household": ("10.5", N_("Social norm of heated area added per household, m²")),
    "social_norm.cold_water_per_person": ("2", N_("Cold water per person with hot water supply, m³")),
    "social_norm.cold_water_no_hot_per_person": ("3.6", N_("Cold water per person without hot water, m³")),
    "social_norm.hot_water_per_person": ("1.6", N_("Hot water per person, m³")),
    "social_norm.sewerage_per_person": ("3.6", N_("Sewerage per person, m³")),
    "social_norm.gas_cat1_per_person": ("3.3", N_("Gas, category 1, per person, m³")),
    "social_norm.gas_cat2_per_person": ("5.4", N_("Gas, category 2, per person, m³")),
    "social_norm.gas_cat3_per_person": ("10.5", N_("Gas, category 3, per person, m³")),
    "social_norm.electricity_base": ("70", N_("Electricity for the first person, kWh")),
    "social_norm.electricity_per_extra_person": ("30", N_("Electricity per further person, kWh")),
    "social_norm.electricity_max": ("190", N_("Electricity cap per household, kWh")),
    "penalty.enabled": ("0", N_("Penalty (пеня) on overdue debt: off by default")),
    "penalty.daily_pct": ("0.01", N_("Penalty per day, per cent of overdue debt")),
    "invoice.due_day": ("20", N_("Day of the following month by which an invoice is due")),
    "invoice.qr_format": ("2", N_("Format of the NBU payment QR code on invoices: 2 (format 002, every bank) or 3 "
                                  "(format 003)")),
    "reminders.day": ("20", N_("Day of the month from which reading reminders are e-mailed (0: no reminders)")),
    "reminders.hour": ("18", N_("Hour (Kyiv time, 0–23) from which reading reminders are e-mailed on that day")),
    "write_off.limitation_months": ("36", N_("Limitation period of a debt, months (Civil Code art. 257): "
                                            "older debt is a write-off candidate")),
    "readings.high_factor": ("3", N_("Implausibly high reading: a consumption over this many times the meter's "
                                     "average monthly consumption is saved from the readings sheet only when "
                                     "confirmed")),
    "benefits.dbf_codepage": ("866", N_("Code page of the benefits exchange file (form 2-pilha DBF) for social "
                                       "protection: 866 (cp866, DOS) or 1251 (cp1251, Windows)")),
}
DEFAULTS: dict[str, Decimal] = {key: Decimal(value) for key, (value, _) in DEFAULT_SETTINGS.items()}
LOOKBACK_KEY = "recalculation_lookback_months"
LIMITATION_KEY = "write_off.limitation_months"

# A building's heat distribution (billing.md §5), the defaults of its columns: the share of
# the house's heat for the heating system and for the common areas, and the minimum share of
# a premise with an allocator.
HEAT_SYSTEM_SHARE = Decimal("0.05")
HEAT_COMMON_SHARE = Decimal("0.10")
HEAT_MIN_SHARE = Decimal("0.5")
HEAT_SHARES = (HEAT_SYSTEM_SHARE, HEAT_COMMON_SHARE, HEAT_MIN_SHARE)


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
