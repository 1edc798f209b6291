"""Report kinds of issue 11 (see the package docstring): filled in by its own change."""
KINDS: list = []


def readings_missing_count(session, period: str, building_ids=None) -> int:
    """How many meters have no reading in ``period`` (the dashboard's figure; the work list
    ``readings_missing`` lists them). Contract for the dashboard; the work lists' change fills it in."""
    return 0
