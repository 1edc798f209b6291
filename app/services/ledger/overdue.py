"""The debt a penalty runs on and the money paid under a restructuring agreement — read from
the journal, for the billing run (:func:`overdue_debts`) and the agreements' schedules
(:func:`agreement_moves`), in a fixed number of set-based queries per chunk of accounts.

Terms of :func:`overdue_debts` for the month ``P`` billed (billing.md §11), per account and service:

* ``B`` = the closing balance of ``P−1`` (the month before must be closed; otherwise nothing
  is overdue yet), ``C`` = what ``P−1`` charged (its charges, imbalance, benefits,
  recalculations and penalty, net);
* ``due`` = min(B, C): last month's bill still unpaid — payments pay the oldest debt first,
  so what is left of ``B`` is the newest; it is due on this month's due day;
* ``overdue`` = B − due: older bills still unpaid, overdue all month;
* ``penalty_in_debt`` = min(B, every penalty posted up to ``P−1``, a closed month's penalty
  recalculated included): penalties still unpaid (again
  the newest part of the debt) — taken out of ``due``, then ``overdue``: no penalty on a penalty;
* ``movements``: (value date, amount) of the payments, subsidies, write-offs and reversals
  posted into ``P`` so far (a payment dated in a closed month keeps its date: it counts from
  the month's first day).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select

from ...billing.periods import previous_period
from ...models import (
    Account, ClosingBalance, JournalEntry, PenaltyBasis, Period, Premise, RestructuringAgreement,
)
from ..sql import parts
from .books import money

ZERO = Decimal("0.00")
# the kinds of a month's bill (a reversal counts as what it reverses)
BILL_KINDS = ("charge", "imbalance", "benefit", "recalculation", "penalty")
PAID_KINDS = ("payment", "subsidy", "write_off", "reversal")


@dataclass
class Overdue:
    overdue: Decimal = ZERO
    due: Decimal = ZERO
    penalty_in_debt: Decimal = ZERO
    movements: list = field(default_factory=list)


def _bill(kind_column, detail_column):
    return (kind_column.in_(BILL_KINDS)) | ((kind_column == "reversal") & detail_column.in_(BILL_KINDS))


def overdue_debts(session, account_ids, period: str) -> dict[tuple[int, int], Overdue]:
    """{(account, service): :class:`Overdue`} of ``period`` for ``account_ids`` (see the module)."""
    previous = previous_period(period)
    if session.scalar(select(Period.status).where(Period.period == previous)) != "closed":
        return {}
    ids = sorted(set(account_ids))
    balance, charged, penalties = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    moves = defaultdict(lambda: defaultdict(lambda: ZERO))
    je = JournalEntry
    for part in parts(ids):
        for a, s, amount in session.execute(
                select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount)
                .where(ClosingBalance.period == previous, ClosingBalance.service_id.is_not(None),
                       ClosingBalance.account_id.in_(part))):
            balance[(a, s)] += money(amount)
        for a, s, amount in session.execute(
                select(je.account_id, je.service_id, func.sum(je.amount))
                .where(je.posting_period == previous, je.service_id.is_not(None), je.account_id.in_(part),
                       _bill(je.kind, je.detail_kind))
                .group_by(je.account_id, je.service_id)):
            charged[(a, s)] += money(amount)
        penalty = (je.kind == "penalty") | (je.kind.in_(("reversal", "recalculation")) & (je.detail_kind == "penalty"))
        for a, s, amount in session.execute(
                select(je.account_id, je.service_id, func.sum(je.amount))
                .where(je.posting_period <= previous, je.service_id.is_not(None), je.account_id.in_(part), penalty)
                .group_by(je.account_id, je.service_id)):
            penalties[(a, s)] += money(amount)
        for a, s, day, amount in session.execute(
                select(je.account_id, je.service_id, je.value_date, func.sum(je.amount))
                .where(je.posting_period == period, je.service_id.is_not(None), je.account_id.in_(part),
                       je.kind.in_(PAID_KINDS))
                .group_by(je.account_id, je.service_id, je.value_date)):
            moves[(a, s)][day] += money(amount)
    result = {}
    for key in set(balance) | set(moves):
        b = max(balance.get(key, ZERO), ZERO)
        due = min(b, max(charged.get(key, ZERO), ZERO))
        overdue = b - due
        in_debt = min(b, max(penalties.get(key, ZERO), ZERO))
        from_due = min(due, in_debt)
        due -= from_due
        overdue = max(overdue - (in_debt - from_due), ZERO)
        movements = sorted((day, amount) for day, amount in moves.get(key, {}).items() if amount)
        if overdue or due or movements:
            result[key] = Overdue(overdue, due, in_debt, movements)
    return result


@dataclass
class AgreementMoves:
    """An agreement's account in the journal from its ``debt_date``: the balance at the end of
    that day and, after it, per value date, (what was charged, what else moved)."""

    opening: Decimal = ZERO
    moves: list = field(default_factory=list)   # (value date, charged, other)


def agreement_moves(session, agreement_ids) -> dict[int, AgreementMoves]:
    """{agreement: :class:`AgreementMoves`} — two queries per chunk of agreements."""
    result = {}
    je, ra = JournalEntry, RestructuringAgreement
    bill = _bill(je.kind, je.detail_kind)
    for part in parts(sorted(set(agreement_ids))):
        for agreement_id in part:
            result[agreement_id] = AgreementMoves()
        joined = and_(je.account_id == ra.account_id, ra.id.in_(part))
        for agreement_id, amount in session.execute(
                select(ra.id, func.sum(je.amount)).join(je, and_(joined, je.value_date <= ra.debt_date))
                .group_by(ra.id)):
            result[agreement_id].opening = money(amount)
        rows = session.execute(
            select(ra.id, je.value_date, bill.label("bill"), func.sum(je.amount))
            .join(je, and_(joined, je.value_date > ra.debt_date))
            .group_by(ra.id, je.value_date, bill)
            .order_by(ra.id, je.value_date)).all()
        days = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
        for agreement_id, day, is_bill, amount in rows:
            days[agreement_id][day][0 if is_bill else 1] += money(amount)
        for agreement_id, by_day in days.items():
            result[agreement_id].moves = [(day, c, o) for day, (c, o) in sorted(by_day.items())]
    return result


def debt_on(session, account_ids, day: date) -> dict[int, Decimal]:
    """{account: its whole debt (every service and the advance) at the end of ``day``}."""
    from .books import balance_as_of

    return {a: sum(book.values(), ZERO) for a, book in balance_as_of(session, account_ids, day).items()}


def entry_mark(session) -> int:
    """The id of the journal's last entry (0: none) — what a penalty saw."""
    return session.scalar(select(func.max(JournalEntry.id))) or 0


def penalty_stale_buildings(session, period: str) -> list[int]:
    """Buildings whose draft penalty of ``period`` was computed before a payment, a subsidy, a
    write-off or a reversal of one of their accounts was posted into it (one query)."""
    later = (select(Premise.building_id).distinct()
             .join(Account, Account.premise_id == Premise.id)
             .join(JournalEntry, JournalEntry.account_id == Account.id)
             .join(PenaltyBasis, (PenaltyBasis.building_id == Premise.building_id) & (PenaltyBasis.period == period))
             .where(JournalEntry.posting_period == period, JournalEntry.kind.in_(PAID_KINDS),
                    JournalEntry.id > PenaltyBasis.entry_mark))
    return sorted(session.scalars(later))
