"""Kept for ``app.services.period_close`` until it imports from :mod:`app.services.billing`
(``from .billing import BillingError, unbilled_buildings``); nothing else uses this module."""
from .billing import BillingError, unbilled_buildings  # noqa: F401
