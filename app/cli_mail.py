"""oblik invoices send (issue 9 §3)."""


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""
