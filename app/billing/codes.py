"""The codes the billing speaks, in one place: what the engine writes, what the database
stores (CHECK constraints), what imports accept. ``app/models/choices.py`` and
``app/models/billing.py`` give each code its label (``Choices.of``), and refuse a label for a
code not listed here or a code without one.
"""
METHODS = ("fixed", "area", "persons", "metered", "group", "one_off")
VOLUME_METHODS = ("metered", "group")
RESOURCES = ("cold_water", "hot_water", "heat", "gas", "electricity", "sewerage")
METER_RESOURCES = RESOURCES + ("heat_allocator",)
WATER = ("cold_water", "hot_water")
REGISTRATION_KINDS = ("registered", "temporary", "absent")
IMBALANCE_KEYS = ("volume", "persons", "area")
CLAIM_KINDS = ("not_provided", "poor_quality")

# Lines: the engine's kinds; a draft adds the recalculation of a closed month, whose
# ``detail_kind`` is the engine kind it corrects, and the penalty (пеня, billing.md §11): a
# line of the open month on the debt as the ledger holds it at the run. A closed month's
# penalty stays as posted — it is not among the kinds a recalculation compares
# (``LINE_KINDS``) — except for the accounts whose restructuring agreement was cancelled: their
# penalty the agreement kept out comes as a recalculation with ``detail_kind`` ``penalty``.
LINE_KINDS = ("charge", "imbalance", "benefit")
RECALCULATION = "recalculation"
PENALTY = "penalty"
DRAFT_LINE_KINDS = LINE_KINDS + (RECALCULATION, PENALTY)

# Where a reading came from; an estimate is never a point a volume is measured from.
READING_SOURCES = ("inspector", "resident", "import", "estimate", "online")  # online: the reminder's page
ESTIMATE_READING = "estimate"

# Where a volume came from: every line source; a meter's month has only the first four.
VOLUME_SOURCES = ("actual", "estimated", "norm", "true_up", "imbalance", "allocation")
METER_SOURCES = ("actual", "estimated", "norm", "true_up")

# The warnings of a run: the engine's, and ``catalog`` (a price list the run cannot show
# as it stands, written by the draft, not by the engine).
CATALOG_WARNING = "catalog"
WARNING_CODES = (
    "meter_estimated", "meter_overdue", "meter_norm", "meter", "house_no_reading", "house_estimated",
    "house_no_volume", "imbalance", "heat_allocation", "heat_device_ignored", "heat_share_unbilled",
    "no_heat_share", "no_norm", "no_price", "gas_category", "unknown_reference", CATALOG_WARNING,
)
