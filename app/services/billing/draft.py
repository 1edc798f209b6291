"""Storing a building's draft: its charge lines, warnings and meter volumes of the open period,
and the ``BillingBuilding`` row that remembers what data it saw — the previous draft replaced
whole, in the caller's transaction.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import delete, text

from ...billing.phrases import encode
from ...models import BillingBuilding, BillingWarning, ChargeLine, MeterMonthDraft, PenaltyBasis
from ..sql import insert_rows


class DraftLine(NamedTuple):
    """A charge line of the draft, the one shape of the open month's lines and of the
    recalculations (``kind`` ``recalculation``, ``detail_kind`` the kind it corrects)."""

    target_period: str
    account_id: int
    service_id: int
    kind: str
    detail_kind: str | None
    date_from: object
    date_to: object
    days: int | None
    base_quantity: object
    quantity: object
    price: object
    amount: object
    method: str | None
    source: str | None
    reduction: object
    beneficiary_id: int | None
    explanation: str


def engine_line(line) -> DraftLine:
    """The engine's :class:`app.billing.data.ChargeLine` as a draft line."""
    return DraftLine(line.period, line.account_id, line.service_id, line.kind, None, line.date_from, line.date_to,
                     line.days, line.base_quantity, line.quantity, line.price, line.amount, line.method,
                     line.source, line.reduction, line.beneficiary_id, encode(line.explanation))


LINE_COLUMNS = ("period", "building_id", "seq") + DraftLine._fields
WARNING_COLUMNS = ("period", "target_period", "building_id", "code", "message", "premise_id", "account_id",
                   "service_id", "meter_id")
VOLUME_COLUMNS = ("building_id", "meter_id", "period", "volume", "source", "days", "reading_date", "start_value",
                  "end_value")


def store_building(session, run_id: int, mark: int, bill) -> tuple[int, int]:
    """Replace the building's draft of ``bill.period`` with ``bill``
    (:class:`.building.BuildingBill`). No commit. Returns (lines, warnings) stored.

    On PostgreSQL the transaction commits without waiting for the WAL flush
    (``synchronous_commit off``): a crash may lose the last drafts written — the run is then
    simply repeated — but never half of one; a close waits for its own flush as usual."""
    period, building_id = bill.period, bill.building_id
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.execute(delete(ChargeLine).where(ChargeLine.period == period, ChargeLine.building_id == building_id))
    session.execute(delete(BillingWarning).where(BillingWarning.period == period,
                                                 BillingWarning.building_id == building_id))
    session.execute(delete(MeterMonthDraft).where(MeterMonthDraft.building_id == building_id))
    session.execute(delete(BillingBuilding).where(BillingBuilding.period == period,
                                                  BillingBuilding.building_id == building_id))
    session.execute(delete(PenaltyBasis).where(PenaltyBasis.period == period, PenaltyBasis.building_id == building_id))
    if getattr(bill, "penalty_mark", None) is not None:
        session.add(PenaltyBasis(period=period, building_id=building_id, entry_mark=bill.penalty_mark))
    head = (period, building_id)
    rows = [head + (seq,) + line for seq, line in enumerate(bill.lines)]
    insert_rows(session, ChargeLine.__table__, LINE_COLUMNS, rows)
    warnings = [(period, target, building_id, w.code, encode((w.message,)), w.premise_id, w.account_id, w.service_id,
                 w.meter_id) for target, w in bill.warnings]
    insert_rows(session, BillingWarning.__table__, WARNING_COLUMNS, warnings)
    insert_rows(session, MeterMonthDraft.__table__, VOLUME_COLUMNS, [
        (building_id, v.meter_id, v.period, v.volume, v.source, v.days, v.reading_date, v.start, v.end)
        for v in bill.volumes])
    session.add(BillingBuilding(period=period, building_id=building_id, run_id=run_id, change_mark=mark,
                                accounts=bill.accounts, lines=len(rows), warnings=len(warnings), charged=bill.charged,
                                recalculated=bill.recalculated, recalculated_from=bill.recalculated_from))
    return len(rows), len(warnings)
