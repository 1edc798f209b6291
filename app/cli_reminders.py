"""oblik reminders send (issue 9 §4)."""


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""
