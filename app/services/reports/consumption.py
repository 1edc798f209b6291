"""Report kinds of issue 11 (see the package docstring): filled in by its own change."""
KINDS: list = []


def imbalance_trend(session, last_period: str, months: int = 12, building_ids=None) -> list[dict]:
    """The imbalance per month over the ``months`` months up to ``last_period``, all buildings with
    house meters (or ``building_ids``) together: [{"period", "house_volume", "individual",
    "imbalance", "imbalance_pct"}], oldest first (the dashboard's and the losses report's chart).
    Contract for the dashboard; the losses report's change fills it in."""
    return []
