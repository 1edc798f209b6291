"""Billing a building: the one function that computes the months a building needs — the
closed months to recalculate, in order, then the open one — in one loop, one load and one
engine call per month. A month's meter volumes feed the next month's estimates and true-ups;
the recalculated months become ``recalculation`` lines (:mod:`.recalculation`), the open one
its own lines, all of one shape (:class:`.draft.DraftLine`). A closed month computed again
computes the penalty too, for the accounts whose restructuring agreement was cancelled
(:func:`app.services.restructuring.cancelled_in_building`): the penalty the agreement kept out
of the month.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ...billing import bill_period
from ...billing.codes import CATALOG_WARNING
from ...billing.data import BillingWarning
from .draft import DraftLine, engine_line
from .load import BuildingData, Catalog, load_buildings
from .recalculation import recalculation_lines


@dataclass
class BuildingBill:
    """What a building's draft of ``period`` holds: the lines (the open month's, then the
    recalculations), the warnings as (month, warning), the meter volumes of every month
    computed, and the totals remembered on its ``BillingBuilding`` row."""

    period: str
    building_id: int
    accounts: int
    lines: list[DraftLine] = field(default_factory=list)
    warnings: list[tuple[str, BillingWarning]] = field(default_factory=list)
    volumes: list = field(default_factory=list)
    charged: Decimal | int = 0
    recalculated: Decimal | int = 0
    recalculated_from: str | None = None
    penalty_mark: int | None = None


def bill_building(session, catalog: Catalog, building_id: int, period: str, recalculate: list[str] = (),
                  loaded: BuildingData | None = None) -> BuildingBill | None:
    """Bill ``building_id`` for the closed months ``recalculate`` (in order; empty: none)
    and the open ``period``. ``loaded``: the building's data of ``period`` when the caller
    read it with its chunk (only without a recalculation: a recalculated building reads its
    stored meter history only up to the first month computed again). None when the building
    is gone."""
    from ..restructuring import cancelled_in_building

    start = recalculate[0] if recalculate else None
    volumes, closed = [], {}
    # the accounts whose closed months' penalty is computed again: their agreement was cancelled
    cancelled = cancelled_in_building(session, building_id) if recalculate else {}
    penalty_months = set()
    for month in [*recalculate, period]:
        if month == period and start is None and loaded is not None:
            data = loaded
        else:
            data = load_buildings(session, catalog, [building_id], month, history_before=start,
                                  penalty_accounts=cancelled if month != period else None).get(building_id)
            if data is None:
                return None
        outcome = bill_period(data.billing_input(catalog, month, volumes))
        if month != period:
            volumes.extend(outcome.meter_volumes)
            closed[month] = outcome
            if data.penalty_mark is not None:   # the penalty was computed for it
                penalty_months.add(month)
    bill = BuildingBill(period, building_id, len(data.accounts), recalculated_from=start,
                        penalty_mark=data.penalty_mark)
    bill.lines = [engine_line(line) for line in outcome.lines]
    bill.charged = sum((line.amount for line in outcome.lines), 0)
    bill.warnings = [(period, w) for w in outcome.warnings]
    bill.warnings += [(period, BillingWarning(CATALOG_WARNING, message)) for message in catalog.warnings]
    if closed:
        recalculations = recalculation_lines(session, catalog, building_id, closed, cancelled, penalty_months)
        bill.lines += recalculations
        bill.recalculated = sum(line.amount for line in recalculations)
        for month, month_outcome in closed.items():
            bill.warnings += [(month, w) for w in month_outcome.warnings]
    latest = {}  # a month computed twice (a recalculation, then the open month): the last wins
    for volume in volumes + list(outcome.meter_volumes):
        latest[(volume.meter_id, volume.period)] = volume
    bill.volumes = list(latest.values())
    return bill
