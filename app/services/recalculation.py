"""Kept for ``app.services.posting`` and ``app.services.reports.turnover`` until they import
``as_decimal`` from :mod:`app.billing.money`; the recalculation is
:mod:`app.services.billing.recalculation`."""
from ..billing.money import as_decimal  # noqa: F401
