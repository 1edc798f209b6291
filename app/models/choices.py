"""Closed lists of values (enumerations) with their translatable labels.

Stored as short strings; the labels are what the UI shows (Ukrainian by default). The
import files of formats.md use the stored codes (``apartment``, ``central`` …).
"""
from flask_babel import lazy_gettext as _l

from ..billing import codes as billing_codes


class Choices:
    """An ordered set of codes with labels; ``codes`` feeds CHECK constraints."""

    def __init__(self, *pairs):
        self.pairs = tuple(pairs)
        self.codes = tuple(code for code, _ in pairs)
        self.labels = dict(pairs)

    @classmethod
    def of(cls, codes, labels: dict) -> "Choices":
        """The codes of :mod:`app.billing.codes`, in their order, with a label each: a label
        for an unknown code, or a code without one, is a mistake found at import time."""
        if set(labels) != set(codes) or len(labels) != len(codes):
            raise ValueError(f"labels {sorted(labels)} do not match the codes {list(codes)}")
        return cls(*((code, labels[code]) for code in codes))

    def label(self, code):
        return self.labels.get(code, code or "")

    def __iter__(self):
        return iter(self.pairs)


CHARGING_METHODS = Choices.of(billing_codes.METHODS, {
    "fixed": _l("Fixed quantity"),
    "area": _l("By area"),
    "persons": _l("By persons"),
    "metered": _l("By meter"),
    "group": _l("By house meter"),
    "one_off": _l("One-off"),
})
RESOURCES = Choices.of(billing_codes.RESOURCES, {
    "cold_water": _l("Cold water"),
    "hot_water": _l("Hot water"),
    "heat": _l("Heat"),
    "gas": _l("Gas"),
    "electricity": _l("Electricity"),
    "sewerage": _l("Sewerage"),
})
METER_RESOURCES = Choices.of(billing_codes.METER_RESOURCES,
                             {**RESOURCES.labels, "heat_allocator": _l("Heat cost allocator")})
# Where a payment came from: the codes a form writes (a bank register's own source names, such as
# «ПриватБанк», are kept as the file gives them and shown as they are).
PAYMENT_SOURCES = Choices(("cash", _l("Cash desk")), ("bank", _l("Bank statement")),
                          ("import", _l("Payment register import")))
AREA_BASES = Choices(("total", _l("Total area")), ("heated", _l("Heated area")))
PREMISE_KINDS = Choices(("apartment", _l("Apartment")), ("nonresidential", _l("Non-residential premise")))
HEATING_KINDS = Choices(("central", _l("Central heating")), ("individual", _l("Individual heating")))
GAS_CATEGORIES = Choices(
    ("1", _l("Gas stove with central hot water")),
    ("2", _l("Gas stove without central hot water")),
    ("3", _l("Gas stove and water heater")),
)
REGISTRATION_KINDS = Choices.of(billing_codes.REGISTRATION_KINDS, {
    "registered": _l("Registered"),
    "temporary": _l("Temporarily residing"),
    "absent": _l("Temporarily absent"),
})
IMBALANCE_KEYS = Choices.of(billing_codes.IMBALANCE_KEYS,
                            {"volume": _l("By volume"), "persons": _l("By persons"), "area": _l("By area")})
READING_SOURCES = Choices.of(billing_codes.READING_SOURCES, {
    "inspector": _l("Inspector"),
    "resident": _l("Resident"),
    "import": _l("Import"),
    "estimate": _l("Estimate"),
    "online": _l("Online (resident)"),
})
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
AUDIT_SOURCES = Choices(
    ("web", _l("Screen")),
    ("api", _l("REST API")),
    ("import", _l("Import")),
    ("cli", _l("Command line")),
    ("task", _l("Background task")),
    ("system", _l("System")),
    ("online", _l("Online readings page")),
)
AUDIT_ACTIONS = Choices(
    ("insert", _l("Created")),
    ("update", _l("Changed")),
    ("delete", _l("Deleted")),
)
