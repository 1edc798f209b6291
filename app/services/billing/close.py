"""Закриття періоду (billing.md §9–10): freeze the open period's draft into the journal, store
the closing balances, open the next month — in one transaction.

Refused when: ``period`` is not the open period; a run or another close holds the period's
lock; a building with accounts open in the period has no draft (never billed); data a building's
draft depends on changed after it was computed (the change log has a newer entry for the
building, or for all buildings, dated in or before the period) — the user bills again and then
closes.

The steps — every journal write is the ledger's (:mod:`.ledger`); payments and subsidies are
already in the journal, posted when they were recorded:

1. the open period's row locked (a payment recorded meanwhile waits for the close), and anything
   recorded but not posted yet that belongs in the period posted (rows written straight into the
   tables; normally nothing);
2. the draft frozen: one journal entry per account, service, kind and target period (charge,
   imbalance, benefit, recalculation with the kind it corrects), quantities and amounts summed
   over the segment lines, ``value_date`` the period's last day, document ``billing-P``;
3. advances taken onto the services with a debt;
4. closing balances per account and service: the previous closing balance plus this
   period's entries (zero balances are not stored);
5. the draft meter volumes become the stored history (months a recalculation computed
   again replace their old volumes);
6. the period closed, the next month opened; change-log entries every building has seen
   are purged;
7. payments dated in the new month and subsidies of it, which waited for it, posted into it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, or_, select

from ...billing.periods import last_day, next_period, parse_period
from ...extensions import db
from ...models import (
    BillingBuilding, BillingChange, Building, Meter, MeterMonth,
    MeterMonthDraft, Period,
)
from .. import ledger
from ..periods import current_period
from . import lock as billing_lock
from .run import BillingError, sweep_orphans
from .screens import unbilled_buildings


@dataclass
class CloseSummary:
    period: str
    next_period: str
    entries: int
    payments: int
    subsidies: int
    balances: int


def stale_buildings(session, period: str) -> list[str]:
    """Codes of buildings whose draft is older than a change of their data."""
    change = select(BillingChange.id).where(
        BillingChange.id > BillingBuilding.change_mark,
        or_(BillingChange.building_id == BillingBuilding.building_id, BillingChange.building_id.is_(None)),
        or_(BillingChange.day.is_(None), BillingChange.day <= last_day(period)))
    return list(session.scalars(
        select(Building.code).join(BillingBuilding, BillingBuilding.building_id == Building.id)
        .where(BillingBuilding.period == period, exists(change)).order_by(Building.code)))


def close_problems(session, period: str) -> list[str]:
    """Why ``period`` cannot be closed now (empty = it can)."""
    problems = []
    unbilled = unbilled_buildings(session, period)
    if unbilled:
        problems.append(_("Buildings without a billing run of %(period)s: %(codes)s. Run the billing first.",
                          period=period, codes=_codes(unbilled)))
    stale = stale_buildings(session, period)
    if stale:
        problems.append(_("Data changed after the billing run of buildings %(codes)s. Run the billing again, "
                          "then close.", codes=_codes(stale)))
    late = _penalty_stale(session, period)
    if late:
        problems.append(_("Payments were posted after the penalty of buildings %(codes)s was computed. Run the "
                          "billing again, then close.", codes=_codes(late)))
    return problems


def _penalty_stale(session, period: str) -> list[str]:
    from ...models import Building
    from ..ledger import penalty_stale_buildings

    ids = penalty_stale_buildings(session, period)
    if not ids:
        return []
    return sorted(session.scalars(select(Building.code).where(Building.id.in_(ids))))


def _codes(codes: list[str], shown: int = 10) -> str:
    return ", ".join(codes[:shown]) + (f" … (+{len(codes) - shown})" if len(codes) > shown else "")


def close_period(period: str, user: str | None = None) -> CloseSummary:
    session = db.session
    try:
        parse_period(period)
    except ValueError:
        raise BillingError(_("A period is written YYYY-MM: %(value)s", value=period)) from None
    open_period = current_period()
    if open_period != period:
        raise BillingError(_("Only the open period %(open)s can be closed, not %(period)s.",
                             open=open_period or "—", period=period))
    sweep_orphans(period)  # a run whose process died does not hold the close back
    try:
        billing_lock.acquire(session, period, "close", None, user)
    except billing_lock.BillingBusy as busy:
        raise BillingError(str(busy)) from None
    try:
        problems = close_problems(session, period)
        if problems:
            raise BillingError(" ".join(problems))
        with billing_lock.keep_alive(period, holder="close"):  # a long close is not taken for a dead one
            summary = _close(session, period, user)
            session.commit()
        return summary
    except Exception:
        session.rollback()
        raise
    finally:
        billing_lock.release(session, period, holder="close")


def _close(session, period: str, user: str | None) -> CloseSummary:
    ledger.lock_open_period(session)
    payments = ledger.post_payments(session, period, user)
    subsidies = ledger.post_subsidies(session, period, user)
    entries = ledger.freeze_draft(session, period, user)
    ledger.offset_advances(session, period, user)
    balances = ledger.store_closing_balances(session, period)
    ledger.store_debt_ages(session, period)
    _meter_volumes(session, period)
    row = session.scalar(select(Period).where(Period.period == period))
    row.status = "closed"
    row.closed_at = datetime.now()
    following = next_period(period)
    session.flush()
    session.add(Period(period=following, status="open"))
    _purge_change_log(session, period)
    session.flush()
    ledger.post_pending(session, user)
    return CloseSummary(period, following, entries, payments, subsidies, balances)


def _meter_volumes(session, period: str) -> None:
    """Draft volumes → stored history; months computed again lose their old volumes first."""
    for building_id, start in session.execute(select(BillingBuilding.building_id, BillingBuilding.recalculated_from)
                                              .where(BillingBuilding.period == period,
                                                     BillingBuilding.recalculated_from.is_not(None))).all():
        session.execute(delete(MeterMonth).where(
            MeterMonth.meter_id.in_(select(Meter.id).where(Meter.building_id == building_id)),
            MeterMonth.period >= start))
    draft = MeterMonthDraft.__table__
    session.execute(delete(MeterMonth).where(exists(select(draft.c.id).where(
        and_(draft.c.meter_id == MeterMonth.meter_id, draft.c.period == MeterMonth.period)))))
    columns = ["meter_id", "period", "volume", "source", "days", "reading_date", "start_value", "end_value"]
    session.execute(MeterMonth.__table__.insert().from_select(columns, select(*[draft.c[c] for c in columns])))
    session.execute(delete(MeterMonthDraft))


def _purge_change_log(session, period: str) -> None:
    latest = select(func.max(BillingBuilding.change_mark).label("mark")).group_by(BillingBuilding.building_id).subquery()
    seen_by_all = session.scalar(select(func.min(latest.c.mark)))
    if seen_by_all:
        session.execute(delete(BillingChange).where(BillingChange.id <= seen_by_all))


__all__ = ["close_period", "close_problems", "stale_buildings", "CloseSummary"]
