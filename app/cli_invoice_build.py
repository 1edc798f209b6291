"""oblik invoices build (issue 9 §2)."""


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""
