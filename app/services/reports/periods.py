"""Report kinds of issue 11 (see the package docstring): filled in by its own change."""
KINDS: list = []
