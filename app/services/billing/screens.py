"""What the «Розрахунок» screen and the close ask about the open period's draft."""
from __future__ import annotations

from sqlalchemy import func, select

from ...billing.codes import RECALCULATION
from ...billing.periods import first_day, last_day
from ...extensions import db
from ...models import Account, BillingBuilding, BillingRun, BillingWarning, Building, ChargeLine, Premise
from ..sql import overlapping


def latest_run(period: str) -> BillingRun | None:
    return db.session.scalar(select(BillingRun).where(BillingRun.period == period)
                             .order_by(BillingRun.id.desc()).limit(1))


def draft_totals(period: str) -> dict:
    """Per kind: lines and amount of the period's draft."""
    rows = db.session.execute(select(ChargeLine.kind, func.count(), func.sum(ChargeLine.amount))
                              .where(ChargeLine.period == period).group_by(ChargeLine.kind)).all()
    return {kind: (count, amount) for kind, count, amount in rows}


def unbilled_buildings(session, period: str) -> list[str]:
    """Codes of buildings with accounts open in ``period`` and no draft of it."""
    with_accounts = select(Premise.building_id).join(Account, Account.premise_id == Premise.id).where(
        overlapping(Account.opened_on, Account.closed_on, first_day(period), last_day(period)))
    billed = select(BillingBuilding.building_id).where(BillingBuilding.period == period)
    return list(session.scalars(select(Building.code).where(Building.id.in_(with_accounts),
                                                            Building.id.not_in(billed)).order_by(Building.code)))


def billed_buildings(session, period: str) -> int:
    return session.scalar(select(func.count()).select_from(BillingBuilding).where(BillingBuilding.period == period))


def warnings_page(session, period: str, code: str = "", building: str = "", page: int = 0, size: int = 50):
    """(warnings with their building's code, one page of ``size`` filtered by code and
    building, whether more follow), and the count per code."""
    stmt = select(BillingWarning, Building.code).join(Building, Building.id == BillingWarning.building_id)\
        .where(BillingWarning.period == period)
    if code:
        stmt = stmt.where(BillingWarning.code == code)
    if building:
        stmt = stmt.where(Building.code == building)
    rows = session.execute(stmt.order_by(Building.code, BillingWarning.target_period.desc(), BillingWarning.id)
                           .offset(page * size).limit(size + 1)).all()
    return rows[:size], len(rows) > size


def warning_counts(session, period: str) -> list:
    return session.execute(select(BillingWarning.code, func.count()).where(BillingWarning.period == period)
                           .group_by(BillingWarning.code).order_by(BillingWarning.code)).all()


def recalculation_totals(session, period: str):
    """(accounts recalculated, amount) of the period's draft."""
    return session.execute(select(func.count(func.distinct(ChargeLine.account_id)), func.sum(ChargeLine.amount))
                           .where(ChargeLine.period == period, ChargeLine.kind == RECALCULATION)).one()


def recalculations_page(session, period: str, page: int = 0, size: int = 50):
    """The period's recalculations per account: one page, and whether more follow."""
    rows = session.execute(
        select(Account.id, Account.account_number, Account.owner_name, func.count(),
               func.min(ChargeLine.target_period), func.max(ChargeLine.target_period), func.sum(ChargeLine.amount))
        .join(Account, Account.id == ChargeLine.account_id)
        .where(ChargeLine.period == period, ChargeLine.kind == RECALCULATION)
        .group_by(Account.id, Account.account_number, Account.owner_name)
        .order_by(Account.account_number).offset(page * size).limit(size + 1)).all()
    return rows[:size], len(rows) > size
