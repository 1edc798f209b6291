"""Пошта: the mail settings and the delivery log (issue 9 §3)."""

__all__: list[str] = []
