"""Реструктуризація боргу and penalty exemptions: the life of an agreement and what the billing
run, the account card, the invoice and the list of missed instalments read of it.

An agreement (``RestructuringAgreement``) restructures an account's whole debt at its
``debt_date`` (read from the ledger when the draft is saved) into monthly instalments — by
their count or by the amount of one, the first due on ``first_due``
(:func:`app.billing.instalments.schedule`; kopiyky by the largest remainder). Its life:

* **draft** — an operator or an accountant saves it; each save numbers it (a new one:
  ``numbering.next_number("restructuring", year)``), reads the debt and stores the schedule again;
* **approved** — an accountant approves it; from then on it is never edited or deleted, and
  while it holds the restructured debt still unpaid carries no penalty (billing.md §11);
* **terminated** — an accountant ends it on a day (the consumer stopped paying): the rest
  becomes due at once, penalties run on it from that day;
* **cancelled** — as if it never held (a draft dropped, or an approval undone). The agreement
  posts nothing to the journal — it only moves the penalty's base — so cancelling it reverses
  its whole effect: the next billing run of the open month charges the penalty without it, and
  the penalty it kept out of the months already closed comes as ``recalculation`` lines
  (``detail_kind`` ``penalty``) of that run: cancelling logs a billing change from the debt
  date (migration 0023), the building's closed months are computed again, and for the accounts
  of :func:`cancelled_in_building` the closed months' penalty too — ``computed − posted``, so
  never twice (billing.md §10, §11).

Payments: a payment pays the account's charges made after the debt date first, the agreement
with the rest (:func:`app.billing.instalments.remaining`), matched to the instalments in
order (FIFO): an instalment due before today and not paid in full is *missed*.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..billing import instalments as inst
from ..billing.money import largest_remainder, parse_decimal
from ..billing.periods import first_day, last_day
from ..models import Account, PenaltyExemption, RestructuringAgreement, RestructuringInstalment
from ..validation.readings import utcnow
from .documents.numbering import next_number
from .ledger import agreement_moves, debt_on
from .sql import parts

DRAFT, APPROVED, TERMINATED, CANCELLED = "draft", "approved", "terminated", "cancelled"
HOLDING = (APPROVED, TERMINATED)   # a terminated agreement held until its termination day
ZERO = Decimal("0.00")


class RestructuringRefused(ValueError):
    """The agreement cannot be saved or changed that way (a message for the user)."""


# -- the schedule ----------------------------------------------------------------------------

def preview(amount, first_due: date, mode: str, instalments=None, instalment_amount=None) -> list[inst.Instalment]:
    """The schedule an agreement would have, or :class:`RestructuringRefused` naming the field."""
    try:
        if mode == "count":
            if not instalments:
                raise RestructuringRefused(_("Number of instalments: give a number from 1 to 120"))
            return inst.schedule(Decimal(amount), first_due, count=int(instalments))
        if not instalment_amount:
            raise RestructuringRefused(_("Instalment amount: give an amount greater than zero"))
        return inst.schedule(Decimal(amount), first_due, per=Decimal(instalment_amount))
    except RestructuringRefused:
        raise
    except ValueError:
        if mode == "count":
            raise RestructuringRefused(_("Number of instalments: give a number from 1 to 120")) from None
        raise RestructuringRefused(_("Instalment amount: it must be greater than zero and give at most 120 "
                                     "instalments")) from None


def _check(agreement) -> None:
    if agreement.account is not None:   # a form sets the relation, not the column
        agreement.account_id = agreement.account.id
    if agreement.account_id is None:
        raise RestructuringRefused(_("Personal account: choose the account"))
    for field, label in (("agreement_date", _("Agreement date")), ("debt_date", _("Debt at date")),
                         ("first_due", _("First instalment due"))):
        if getattr(agreement, field) is None:
            raise RestructuringRefused(_("%(field)s: give the date", field=label))
    if agreement.first_due <= agreement.debt_date:
        raise RestructuringRefused(_("First instalment due: it must be after the debt date"))
    if agreement.mode not in ("count", "amount"):
        raise RestructuringRefused(_("Split: choose by count or by amount"))


def save_draft(session, agreement, user: str | None = None) -> RestructuringAgreement:
    """Number a new draft, read the account's debt at ``debt_date`` and store its schedule.
    Flushes, no commit. An approved, terminated or cancelled agreement is refused."""
    if agreement.status not in (None, DRAFT):
        raise RestructuringRefused(_("Only a draft agreement can be changed"))
    _check(agreement)
    agreement.status = DRAFT
    if agreement.mode == "count":
        agreement.instalment_amount = None
    else:
        agreement.instalments = None
    debt = debt_on(session, [agreement.account_id], agreement.debt_date).get(agreement.account_id, ZERO)
    if debt <= 0:
        raise RestructuringRefused(_("Debt at date: the account has no debt on %(day)s",
                                     day=agreement.debt_date.strftime("%d.%m.%Y")))
    agreement.amount = debt
    plan = preview(debt, agreement.first_due, agreement.mode, agreement.instalments, agreement.instalment_amount)
    if not agreement.number:
        agreement.number = next_number(session, "restructuring", agreement.agreement_date.year)
    if not agreement.created_by:
        agreement.created_by = user
    agreement.schedule[:] = []
    session.flush()
    agreement.schedule.extend(RestructuringInstalment(seq=i.seq, due_date=i.due_date, amount=i.amount) for i in plan)
    if agreement not in session:
        session.add(agreement)
    session.flush()
    return agreement


def refuse_delete(agreement) -> None:
    if agreement.status != DRAFT:
        raise RestructuringRefused(_("Only a draft agreement can be deleted; cancel an approved one"))


def approve(session, agreement, user: str | None) -> None:
    """Approve a draft (one agreement holding per account). No commit."""
    if agreement.status != DRAFT:
        raise RestructuringRefused(_("Only a draft agreement can be approved"))
    other = session.scalar(select(RestructuringAgreement.number).where(
        RestructuringAgreement.account_id == agreement.account_id, RestructuringAgreement.status == APPROVED,
        RestructuringAgreement.id != agreement.id))
    if other:
        raise RestructuringRefused(_("The account already has agreement %(number)s in force: terminate it first",
                                     number=other))
    if not agreement.schedule:
        raise RestructuringRefused(_("The agreement has no schedule: save it again"))
    agreement.status, agreement.approved_by, agreement.approved_at = APPROVED, user, utcnow()
    session.flush()


def terminate(session, agreement, day: date | None, reason: str) -> None:
    """End an approved agreement on ``day``: the rest becomes due, penalties resume from it."""
    if agreement.status != APPROVED:
        raise RestructuringRefused(_("Only an approved agreement can be terminated"))
    reason = (reason or "").strip()
    if not reason:
        raise RestructuringRefused(_("Reason: say why the agreement ends"))
    if day is None:
        raise RestructuringRefused(_("Terminated on: give the date"))
    if day <= agreement.agreement_date:
        raise RestructuringRefused(_("Terminated on: it must be after the agreement date"))
    agreement.status, agreement.terminated_on, agreement.reason = TERMINATED, day, reason[:2000]
    session.flush()


def cancel(session, agreement, reason: str) -> None:
    """Cancel a draft or an approved agreement (its effect undone: see the module)."""
    if agreement.status not in (DRAFT, APPROVED):
        raise RestructuringRefused(_("Only a draft or an approved agreement can be cancelled"))
    reason = (reason or "").strip()
    if not reason:
        raise RestructuringRefused(_("Reason: say why the agreement is cancelled"))
    agreement.status, agreement.reason = CANCELLED, reason[:2000]
    session.flush()


# -- payments matched ------------------------------------------------------------------------

@dataclass
class AgreementState:
    agreement_id: int
    number: str
    account_id: int
    amount: Decimal
    paid: Decimal
    remaining: Decimal
    instalments: list          # [inst.Matched]

    @property
    def missed(self) -> list:
        return [m for m in self.instalments if m.status == "missed"]


def states(session, agreements, day: date) -> dict[int, AgreementState]:
    """{agreement id: its payments matched to its instalments at the end of ``day``} — a fixed
    number of queries for any number of agreements."""
    agreements = list(agreements)
    if not agreements:
        return {}
    moves = agreement_moves(session, [a.id for a in agreements])
    plans = defaultdict(list)
    for part in parts(sorted(a.id for a in agreements)):
        for row in session.execute(select(RestructuringInstalment.agreement_id, RestructuringInstalment.seq,
                                          RestructuringInstalment.due_date, RestructuringInstalment.amount)
                                   .where(RestructuringInstalment.agreement_id.in_(part))):
            plans[row.agreement_id].append(inst.Instalment(row.seq, row.due_date, Decimal(row.amount)))
    result = {}
    for a in agreements:
        amount = Decimal(a.amount)
        m = moves.get(a.id)
        end = day if a.terminated_on is None else min(day, a.terminated_on - timedelta(days=1))
        left = inst.remaining(amount, m.opening if m else amount, m.moves if m else [], end)
        paid = amount - left
        result[a.id] = AgreementState(a.id, a.number, a.account_id, amount, paid, left,
                                      inst.match(plans.get(a.id, []), paid, day if a.status == APPROVED else
                                                 date.min))
    return result


def restructured_debts(session, account_ids, period: str, debts: dict) -> dict:
    """For the billing run: {(account, service): Part(amount, until, number)} — the debt under an
    agreement holding in ``period`` still unpaid when the month begins, spread over the
    account's services in proportion to their debt (``debts``: the ledger's overdue debts)."""
    first, last = first_day(period), last_day(period)
    found = []
    for part in parts(sorted(set(account_ids))):
        found += session.scalars(select(RestructuringAgreement).where(
            RestructuringAgreement.account_id.in_(part), RestructuringAgreement.status.in_(HOLDING),
            RestructuringAgreement.agreement_date <= last,
            or_(RestructuringAgreement.terminated_on.is_(None), RestructuringAgreement.terminated_on > first))).all()
    if not found:
        return {}
    held = states(session, found, first - timedelta(days=1))
    by_account = defaultdict(list)
    for (account_id, service_id), debt in debts.items():
        overdue, due = max(debt.overdue, ZERO), max(debt.due, ZERO)
        if overdue or due:
            by_account[account_id].append((service_id, overdue, due))
    result = {}
    for a in found:
        services = sorted(by_account.get(a.account_id, []))
        left = held[a.id].remaining
        if not services or left <= 0:
            continue
        # the restructured debt is the oldest: the overdue debt's first, then last month's bill
        overdue = sum(o for _s, o, _d in services)
        due = sum(d for _s, _o, d in services)
        if left <= overdue:
            shares = largest_remainder(left, [o for _s, o, _d in services], 2)
        else:
            extra = largest_remainder(min(left - overdue, due), [d for _s, _o, d in services], 2) if due else \
                [ZERO] * len(services)
            shares = [o + e for (_s, o, _d), e in zip(services, extra)]
        for (service_id, _o, _d), share in zip(services, shares):
            if share > 0:
                result[(a.account_id, service_id)] = Part(share, a.terminated_on, a.number)
    return result


def cancelled_in_building(session, building_id: int) -> dict[int, tuple[str, ...]]:
    """{account: numbers of its agreements cancelled after their approval} for the accounts of a
    building — the accounts whose closed months' penalty a recalculation computes again (the
    penalty an approved agreement kept out of them is due now that it never held)."""
    from ..models import Premise

    rows = session.execute(
        select(RestructuringAgreement.account_id, RestructuringAgreement.number)
        .join(Account, Account.id == RestructuringAgreement.account_id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Premise.building_id == building_id, RestructuringAgreement.status == CANCELLED,
               RestructuringAgreement.approved_at.is_not(None))
        .order_by(RestructuringAgreement.account_id, RestructuringAgreement.number)).all()
    result = defaultdict(list)
    for account_id, number in rows:
        result[account_id].append(number)
    return {account_id: tuple(numbers) for account_id, numbers in result.items()}


@dataclass(frozen=True)
class Part:
    amount: Decimal
    until: date | None
    number: str


def missed_instalments(session, day: date | None = None, offset: int = 0, limit: int = 100):
    """«Прострочені платежі за реструктуризацією»: the approved agreements with an instalment due
    before ``day`` not paid in full — a page of (agreement, account, state), and their count."""
    day = day or date.today()
    due = select(RestructuringInstalment.agreement_id).where(RestructuringInstalment.due_date < day)
    stmt = select(RestructuringAgreement).where(RestructuringAgreement.status == APPROVED,
                                                RestructuringAgreement.id.in_(due))
    rows = []
    # an agreement with a due instalment is a candidate; the ledger decides which are behind
    candidates = session.scalars(stmt.order_by(RestructuringAgreement.number)).all()
    found = states(session, candidates, day)
    behind = [a for a in candidates if found[a.id].missed]
    accounts = {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_([a.account_id for a in behind[offset:offset + limit]])))} if behind else {}
    for a in behind[offset:offset + limit]:
        rows.append((a, accounts.get(a.account_id), found[a.id]))
    return rows, len(behind)


def schedule_for(session, account_ids, period: str) -> dict[int, list]:
    """For the invoice of ``period``: {account: [(agreement number, instalment, unpaid)]} — the
    instalments of the agreements in force due in that month or earlier and still unpaid at the
    month's end (what the consumer should pay with this invoice besides its charges)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    last = last_day(period)
    found = []
    for part in parts(ids):
        found += session.scalars(select(RestructuringAgreement).where(
            RestructuringAgreement.account_id.in_(part), RestructuringAgreement.status == APPROVED)).all()
    if not found:
        return {}
    matched = states(session, found, last)
    result = defaultdict(list)
    for a in found:
        for m in matched[a.id].instalments:
            if m.due_date <= last and m.unpaid > 0:
                result[a.account_id].append((a.number, m, m.unpaid))
    return dict(result)


def account_agreements(session, account_id: int, day: date | None = None) -> list[tuple]:
    """The account card's section: [(agreement, state)] newest first."""
    agreements = session.scalars(select(RestructuringAgreement).where(
        RestructuringAgreement.account_id == account_id).order_by(RestructuringAgreement.agreement_date.desc(),
                                                                 RestructuringAgreement.id.desc()).limit(20)).all()
    found = states(session, [a for a in agreements if a.status in HOLDING], day or date.today())
    return [(a, found.get(a.id)) for a in agreements]


def parse_money_field(text, label: str) -> Decimal:
    try:
        return parse_decimal(text)
    except (ValueError, TypeError):
        raise RestructuringRefused(_("%(field)s: not a number", field=label)) from None


def exemptions_of(session, account_id: int) -> list:
    return session.scalars(select(PenaltyExemption).where(PenaltyExemption.account_id == account_id)
                           .order_by(PenaltyExemption.date_from.desc()).limit(20)).all()


def count_missed(session, day: date | None = None) -> int:
    return missed_instalments(session, day, 0, 0)[1]


__all__ = ["preview", "save_draft", "approve", "terminate", "cancel", "states", "restructured_debts",
           "cancelled_in_building", "missed_instalments", "schedule_for", "account_agreements", "RestructuringRefused"]
