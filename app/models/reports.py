"""Models of issue 11 (filled in by its own change)."""
__all__: list = []
