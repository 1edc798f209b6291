"""Відомості списання (issue 10 item 3)."""

__all__: list[str] = []
