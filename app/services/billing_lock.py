"""Kept for ``app.services.period_close`` until it imports :mod:`app.services.billing.lock`
(``from .billing import lock as billing_lock``); nothing else uses this module."""
from .billing.lock import BillingBusy, acquire, busy_message, heartbeat, held, now, release  # noqa: F401
