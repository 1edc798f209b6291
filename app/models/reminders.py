"""Нагадування: mail templates and the reading reminders' links (issue 9 §4)."""

__all__: list[str] = []
