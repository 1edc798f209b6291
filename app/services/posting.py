"""Payments and subsidies into the journal (billing.md §7) — decisions where §7 leaves a choice:

* **When.** Payments and subsidies are facts (tables ``payment`` and ``subsidy``); they are
  posted to the journal when the open period closes (:mod:`.period_close`), all of them not
  posted yet: payments dated up to the period's last day — a payment dated in a closed period
  is posted into the open one and keeps its date (``value_date``) — and subsidies of the period
  or an earlier one. Each is posted once (``payment_posting``, ``subsidy_posting``).
* **Spread.** A payment is spread over the account's services in proportion to their positive
  balances at posting (the journal's balance: the previous closing balance and what was posted
  into the open period before it, payments in date order), in kopiyky by the largest-remainder
  method so that the parts add up to the payment; a service gets at most its balance; what is
  left is an advance of the account (an entry without a service). Payments are posted before
  the period's charges are frozen: a payment made this month pays the debt the account had.
* **Subsidies** are posted after the charges (they are granted for the period's charges): on
  their service when the file names one, otherwise spread like a payment.
* **Advances.** After the charges, an account's advance (negative balance without a service)
  is taken onto its services with a positive balance, by the same spread: a pair of
  ``payment`` entries (the advance +x, the services −x in parts) whose sum is zero — so
  «later charges consume it in the balance» service by service, not only in the account total.

Signs: a payment or subsidy is a credit, negative in the journal.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import insert, select

from ..billing.money import largest_remainder
from ..billing.periods import last_day, period_of
from ..models import ClosingBalance, JournalEntry, Payment, PaymentPosting, Period, Subsidy, SubsidyPosting
from .recalculation import as_decimal

ZERO = Decimal("0.00")


def spread(amount: Decimal, balances: dict) -> tuple[dict, Decimal]:
    """Split a credit ``amount`` (positive) over the positive ``balances`` {service: debt}:
    ({service: part}, advance). Parts are proportional to the debts, rounded to kopiyky with
    the largest remainder, each at most its debt; the rest is the advance."""
    debts = {s: b for s, b in sorted(balances.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
             if s is not None and b > 0}
    total = sum(debts.values(), ZERO)
    if not debts or amount <= 0:
        return {}, amount
    if amount >= total:
        return dict(debts), amount - total
    parts = largest_remainder(amount, list(debts.values()), 2, list(debts))
    return {s: p for s, p in zip(debts, parts) if p != 0}, ZERO


def balances(session, period: str, account_ids) -> dict[int, dict]:
    """{account: {service or None: balance}} — the previous closing balance plus everything
    posted into ``period`` so far."""
    ids = sorted(set(account_ids))
    result = defaultdict(lambda: defaultdict(lambda: ZERO))
    if not ids:
        return result
    previous = session.scalar(select(Period.period).where(Period.status == "closed", Period.period < period)
                              .order_by(Period.period.desc()).limit(1))
    for part in _parts(ids):
        if previous is not None:
            for r in session.execute(select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount)
                                     .where(ClosingBalance.period == previous,
                                            ClosingBalance.account_id.in_(part))).all():
                result[r.account_id][r.service_id] += as_decimal(r.amount, 2)
            condition = JournalEntry.posting_period == period
        else:
            condition = JournalEntry.posting_period <= period
        for r in session.execute(select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.amount)
                                 .where(condition, JournalEntry.account_id.in_(part))).all():
            result[r.account_id][r.service_id] += as_decimal(r.amount, 2)
    return result


def _parts(values, size=5000):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _entry(kind, account_id, service_id, period, value_date, target_period, amount, document, user,
           detail_kind=None) -> dict:
    return dict(kind=kind, account_id=account_id, service_id=service_id, posting_period=period,
                value_date=value_date, target_period=target_period, quantity=None, amount=amount,
                document=document, created_by=user, detail_kind=detail_kind)


def post_payments(session, period: str, user: str | None) -> int:
    """Post every payment not posted yet and dated up to the end of ``period``. No commit."""
    posted = select(PaymentPosting.payment_id)
    payments = session.execute(select(Payment.id, Payment.account_id, Payment.paid_on, Payment.amount,
                                      Payment.external_id, Payment.created_by)
                               .where(Payment.id.not_in(posted), Payment.paid_on <= last_day(period))
                               .order_by(Payment.paid_on, Payment.id)).all()
    if not payments:
        return 0
    books = balances(session, period, [p.account_id for p in payments])
    entries, marks = [], []
    for p in payments:
        amount = as_decimal(p.amount, 2)
        book = books[p.account_id]
        parts, advance = spread(amount, book) if amount > 0 else ({}, amount)
        for service_id, part in parts.items():
            entries.append(_entry("payment", p.account_id, service_id, period, p.paid_on, period_of(p.paid_on),
                                  -part, p.external_id, p.created_by or user))
            book[service_id] -= part
        if advance != 0:
            entries.append(_entry("payment", p.account_id, None, period, p.paid_on, period_of(p.paid_on),
                                  -advance, p.external_id, p.created_by or user))
            book[None] -= advance
        marks.append(dict(payment_id=p.id, period=period, advance=advance, spread=bool(parts)))
    _insert(session, JournalEntry, entries)
    _insert(session, PaymentPosting, marks)
    return len(payments)


def post_subsidies(session, period: str, user: str | None) -> int:
    """Post every subsidy not posted yet of ``period`` or before. No commit."""
    posted = select(SubsidyPosting.subsidy_id)
    subsidies = session.execute(select(Subsidy.id, Subsidy.account_id, Subsidy.period, Subsidy.amount,
                                       Subsidy.service_id)
                                .where(Subsidy.id.not_in(posted), Subsidy.period <= period)
                                .order_by(Subsidy.period, Subsidy.id)).all()
    if not subsidies:
        return 0
    books = balances(session, period, [s.account_id for s in subsidies])
    entries = []
    for s in subsidies:
        amount = as_decimal(s.amount, 2)
        document = f"subsidy-{s.period}"
        book = books[s.account_id]
        if s.service_id is not None:
            parts, advance = {s.service_id: amount}, ZERO
        else:
            parts, advance = spread(amount, book)
        for service_id, part in parts.items():
            entries.append(_entry("subsidy", s.account_id, service_id, period, last_day(s.period), s.period, -part,
                                  document, user))
            book[service_id] -= part
        if advance != 0:
            entries.append(_entry("subsidy", s.account_id, None, period, last_day(s.period), s.period, -advance,
                                  document, user))
            book[None] -= advance
    _insert(session, JournalEntry, entries)
    _insert(session, SubsidyPosting, [dict(subsidy_id=s.id, period=period) for s in subsidies])
    return len(subsidies)


def offset_advances(session, period: str, user: str | None) -> int:
    """Take advances onto the services with a debt (pairs of entries summing to zero)."""
    previous = session.scalar(select(Period.period).where(Period.status == "closed", Period.period < period)
                              .order_by(Period.period.desc()).limit(1))
    recent = select(JournalEntry.account_id).where(
        JournalEntry.service_id.is_(None),
        JournalEntry.posting_period == period if previous else JournalEntry.posting_period <= period)
    if previous:
        recent = recent.union(select(ClosingBalance.account_id).where(
            ClosingBalance.period == previous, ClosingBalance.service_id.is_(None), ClosingBalance.amount < 0))
    candidates = session.execute(recent).scalars().all()
    if not candidates:
        return 0
    books = balances(session, period, candidates)
    entries = []
    day = last_day(period)
    for account_id in sorted(books):
        book = books[account_id]
        advance = -book.get(None, ZERO)
        if advance <= 0:
            continue
        parts, left = spread(advance, book)
        used = advance - left
        if used <= 0:
            continue
        entries.append(_entry("payment", account_id, None, period, day, period, used, f"advance-{period}", user))
        for service_id, part in parts.items():
            entries.append(_entry("payment", account_id, service_id, period, day, period, -part,
                                  f"advance-{period}", user))
    _insert(session, JournalEntry, entries)
    return len(entries)


def _insert(session, model, rows):
    for part in _parts(rows):
        if part:
            session.execute(insert(model.__table__), part)
