"""Closed lists of values (enumerations) with their translatable labels.

Stored as short strings; the labels are what the UI shows (Ukrainian by default). The
import files of formats.md use the stored codes (``apartment``, ``central`` …).
"""
from flask_babel import lazy_gettext as _l


class Choices:
    """An ordered set of codes with labels; ``codes`` feeds CHECK constraints."""

    def __init__(self, *pairs):
        self.pairs = tuple(pairs)
        self.codes = tuple(code for code, _ in pairs)
        self.labels = dict(pairs)

    def label(self, code):
        return self.labels.get(code, code or "")

    def __iter__(self):
        return iter(self.pairs)


CHARGING_METHODS = Choices(
    ("fixed", _l("Fixed quantity")),
    ("area", _l("By area")),
    ("persons", _l("By persons")),
    ("metered", _l("By meter")),
    ("group", _l("By house meter")),
    ("one_off", _l("One-off")),
)
RESOURCES = Choices(
    ("cold_water", _l("Cold water")),
    ("hot_water", _l("Hot water")),
    ("heat", _l("Heat")),
    ("gas", _l("Gas")),
    ("electricity", _l("Electricity")),
    ("sewerage", _l("Sewerage")),
)
METER_RESOURCES = Choices(*RESOURCES.pairs, ("heat_allocator", _l("Heat cost allocator")))
AREA_BASES = Choices(("total", _l("Total area")), ("heated", _l("Heated area")))
PREMISE_KINDS = Choices(("apartment", _l("Apartment")), ("nonresidential", _l("Non-residential premise")))
HEATING_KINDS = Choices(("central", _l("Central heating")), ("individual", _l("Individual heating")))
GAS_CATEGORIES = Choices(
    ("1", _l("Gas stove with central hot water")),
    ("2", _l("Gas stove without central hot water")),
    ("3", _l("Gas stove and water heater")),
)
REGISTRATION_KINDS = Choices(
    ("registered", _l("Registered")),
    ("temporary", _l("Temporarily residing")),
    ("absent", _l("Temporarily absent")),
)
IMBALANCE_KEYS = Choices(("volume", _l("By volume")), ("persons", _l("By persons")), ("area", _l("By area")))
READING_SOURCES = Choices(
    ("inspector", _l("Inspector")),
    ("resident", _l("Resident")),
    ("import", _l("Import")),
    ("estimate", _l("Estimate")),
)
METER_EVENT_KINDS = Choices(
    ("installation", _l("Installation")),
    ("removal", _l("Removal")),
    ("verification", _l("Verification")),
    ("seal", _l("Seal")),
)
NODE_KINDS = Choices(
    ("boiler_house", _l("Boiler house")),
    ("heat_point", _l("Heat point")),
    ("pumping_station", _l("Pumping station")),
    ("substation", _l("Substation")),
    ("other", _l("Other node")),
)
PERIOD_STATUSES = Choices(("open", _l("Open")), ("closed", _l("Closed")))
JOURNAL_KINDS = Choices(
    ("opening_balance", _l("Opening balance")),
    ("charge", _l("Charge")),
    ("imbalance", _l("Imbalance")),
    ("benefit", _l("Benefit")),
    ("subsidy", _l("Subsidy")),
    ("payment", _l("Payment")),
    ("recalculation", _l("Recalculation")),
    ("write_off", _l("Write-off")),
    ("penalty", _l("Penalty")),
    ("reversal", _l("Reversal")),
)
