"""Writing the books — the one writer of ``journal_entry`` (billing.md §7, §9, §10).

* **Payments** (:func:`post_payments`) are posted on receipt into the open period with their
  own date — a payment dated in a closed period too; one dated after the open period's last day
  waits for its period (posted when it opens). Spread over the services in proportion to their
  positive balances at posting (the last closing balance and what was posted into the open
  period before it), in kopiyky by the largest remainder so that the parts add up to the
  payment; a service gets at most its balance; the rest is an advance (entry without service).
* **Subsidies** (:func:`post_subsidies`) of the open period or an earlier one are posted on
  receipt: on their service when the file names one, otherwise spread like a payment; a subsidy
  of a later month waits for it.
* **Opening balances** (:func:`post_opening_balances`): the imported вхідне сальдо, only into the
  first open period (none closed yet); a changed amount is posted as the difference.
* **The close**: :func:`freeze_draft` (one entry per account, service, kind and target period),
  :func:`offset_advances` (an advance taken onto the services with a debt: pairs of ``payment``
  entries summing to zero), :func:`store_closing_balances`.
* **Reversal** (:func:`reverse_payment`): ``reversal`` entries cancelling each entry of a payment,
  with the reason kept in ``payment_reversal``.

Posting takes the open period's row lock (``SELECT … FOR UPDATE`` on PostgreSQL), as the close
does, so that an entry can never land in a period that a concurrent close has just closed.
Signs: a payment or subsidy is a credit, negative in the journal. No function here commits.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, func, insert, literal, or_, select

from ...billing.money import largest_remainder
from ...billing.periods import first_day, last_day, period_of
from ...models import (
    ChargeLine, ClosingBalance, JournalEntry, OpeningBalance, Payment, PaymentPosting, PaymentReversal, Period,
    Subsidy, SubsidyPosting,
)
from ..sql import parts
from .books import ZERO, _chunks, balances, last_closed, money


class LedgerError(Exception):
    """A posting that cannot be made (message for the user, in Ukrainian)."""


def spread(amount, balances_of_account: dict) -> tuple[dict, object]:
    """Split a credit ``amount`` (positive) over the positive balances {service: debt}:
    ({service: part}, advance). Parts are proportional to the debts, rounded to kopiyky with
    the largest remainder, each at most its debt; the rest is the advance."""
    debts = {s: b for s, b in sorted(balances_of_account.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
             if s is not None and b > 0}
    total = sum(debts.values(), ZERO)
    if not debts or amount <= 0:
        return {}, amount
    if amount >= total:
        return dict(debts), amount - total
    parts = largest_remainder(amount, list(debts.values()), 2, list(debts))
    return {s: p for s, p in zip(debts, parts) if p != 0}, ZERO


def advance_offset(book: dict) -> tuple[object, dict]:
    """The part of an account's advance (negative balance without a service) that its services'
    debts take, and how: (used, {service: part}); (0, {}) when there is nothing to take. The
    close posts it (:func:`offset_advances`); the views with the draft show it
    (:func:`.books.preview_offsets`)."""
    advance = -book.get(None, ZERO)
    if advance <= 0:
        return ZERO, {}
    parts, left = spread(advance, book)
    used = advance - left
    return (used, parts) if used > 0 else (ZERO, {})


def lock_open_period(session, required: bool = True) -> str | None:
    """The open period, its row locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time anyway). None when no period is open and not ``required``."""
    period = session.scalar(select(Period.period).where(Period.status == "open").with_for_update())
    if period is None and required:
        raise LedgerError(_("No period is open: open the first one with «oblik period open YYYY-MM»."))
    return period


def _entry(kind, account_id, service_id, period, value_date, target_period, amount, document, user,
           detail_kind=None, payment_id=None) -> dict:
    return dict(kind=kind, account_id=account_id, service_id=service_id, posting_period=period,
                value_date=value_date, target_period=target_period, quantity=None, amount=amount,
                document=document, created_by=user, detail_kind=detail_kind, payment_id=payment_id)


def _insert(session, model, rows) -> None:
    for part in parts(rows):
        session.execute(insert(model.__table__), part)


def _credit(entries, book, kind, account_id, parts, advance, period, value_date, target, document, user,
            payment_id=None):
    for service_id, part in parts.items():
        entries.append(_entry(kind, account_id, service_id, period, value_date, target, -part, document, user,
                              payment_id=payment_id))
        book[service_id] -= part
    if advance != 0:
        entries.append(_entry(kind, account_id, None, period, value_date, target, -advance, document, user,
                              payment_id=payment_id))
        book[None] -= advance


def _payment_waits():
    """A payment not posted and not reversed (correlated: an index lookup per payment, not a scan
    of every posting)."""
    return (~exists().where(PaymentPosting.payment_id == Payment.id),
            ~exists().where(PaymentReversal.payment_id == Payment.id))


def _waiting(session, stmt, id_column, ids, key) -> list:
    """The rows of ``stmt`` (facts not posted yet), all of them or only those of ``ids``, in
    the order ``key`` (the statement's own order)."""
    if ids is None:
        return session.execute(stmt).all()
    rows = [row for part in _chunks(ids) for row in session.execute(stmt.where(id_column.in_(part)))]
    return sorted(rows, key=key)


def post_payments(session, period: str, user: str | None = None, payment_ids=None) -> int:
    """Post every payment not posted yet (or only ``payment_ids``), not reversed, dated up to
    the end of ``period``, into ``period``."""
    stmt = (select(Payment.id, Payment.account_id, Payment.paid_on, Payment.amount, Payment.external_id,
                   Payment.created_by)
            .where(*_payment_waits(), Payment.paid_on <= last_day(period))
            .order_by(Payment.paid_on, Payment.id))
    payments = _waiting(session, stmt, Payment.id, payment_ids, key=lambda p: (p.paid_on, p.id))
    if not payments:
        return 0
    books = balances(session, [p.account_id for p in payments])
    entries, marks = [], []
    for p in payments:
        amount = money(p.amount)
        book = books[p.account_id]
        parts, advance = spread(amount, book) if amount > 0 else ({}, amount)
        _credit(entries, book, "payment", p.account_id, parts, advance, period, p.paid_on, period_of(p.paid_on),
                p.external_id, p.created_by or user, payment_id=p.id)
        marks.append(dict(payment_id=p.id, period=period, advance=advance, spread=bool(parts)))
    _insert(session, JournalEntry, entries)
    _insert(session, PaymentPosting, marks)
    return len(payments)


def post_subsidies(session, period: str, user: str | None = None, subsidy_ids=None) -> int:
    """Post every subsidy not posted yet (or only ``subsidy_ids``) of ``period`` or before."""
    stmt = (select(Subsidy.id, Subsidy.account_id, Subsidy.period, Subsidy.amount, Subsidy.service_id)
            .where(~exists().where(SubsidyPosting.subsidy_id == Subsidy.id), Subsidy.period <= period)
            .order_by(Subsidy.period, Subsidy.id))
    subsidies = _waiting(session, stmt, Subsidy.id, subsidy_ids, key=lambda s: (s.period, s.id))
    if not subsidies:
        return 0
    books = balances(session, [s.account_id for s in subsidies])
    entries = []
    for s in subsidies:
        amount = money(s.amount)
        book = books[s.account_id]
        parts, advance = ({s.service_id: amount}, ZERO) if s.service_id is not None else spread(amount, book)
        _credit(entries, book, "subsidy", s.account_id, parts, advance, period, last_day(s.period), s.period,
                f"subsidy-{s.period}", user)
    _insert(session, JournalEntry, entries)
    _insert(session, SubsidyPosting, [dict(subsidy_id=s.id, period=period) for s in subsidies])
    return len(subsidies)


def post_pending(session, user: str | None = None) -> tuple[int, int]:
    """Post everything recorded and not posted yet that belongs in the open period (what waited
    for it, or rows written straight into the tables). Returns (payments, subsidies); nothing
    while no period is open (what is recorded waits for the first one)."""
    period = lock_open_period(session, required=False)
    if period is None:
        return 0, 0
    return post_payments(session, period, user), post_subsidies(session, period, user)


def post_received_payments(session, payment_ids, user: str | None = None) -> int:
    """Post payments just recorded (form, API, import), in the transaction that records them."""
    period = lock_open_period(session, required=False)
    return post_payments(session, period, user, payment_ids) if period else 0


def post_received_subsidies(session, subsidy_ids, user: str | None = None) -> int:
    """Post subsidies just recorded (form, API, import), in the transaction that records them."""
    period = lock_open_period(session, required=False)
    return post_subsidies(session, period, user, subsidy_ids) if period else 0


def receive_payment(session, payment: Payment, user: str | None = None) -> int:
    """Record a payment entered on a form or through the API and post it in the same
    transaction (no commit). A second payment with the same identifier is refused. A payment
    without an identifier (taken at the desk) gets the next receipt number, «КВ-2026-0001»."""
    from sqlalchemy.exc import IntegrityError

    from ..documents.numbering import next_number

    if not (payment.external_id or "").strip():
        payment.external_id = next_number(session, "receipt", (payment.paid_on or date.today()).year)

    session.add(payment)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise LedgerError(_("A payment with the identifier %(id)s is already recorded",
                            id=payment.external_id)) from None
    return post_received_payments(session, [payment.id], user)


def waiting_payments(session, account_id: int | None = None) -> list:
    """Payments recorded but not posted (dated after the open period: they wait for it)."""
    stmt = (select(Payment).where(*_payment_waits())
            .order_by(Payment.paid_on, Payment.id))
    if account_id is not None:
        stmt = stmt.where(Payment.account_id == account_id)
    return list(session.scalars(stmt.limit(100)))


# -- opening balances ------------------------------------------------------------------------

def first_period_open(session) -> str:
    """The open period when no period has been closed yet — the only one opening balances may
    go into."""
    closed = last_closed(session)
    if closed is not None:
        raise LedgerError(_("Opening balances go into the first open period only; period %(period)s is "
                            "already closed.", period=closed))
    return lock_open_period(session)


def post_opening_balances(session, user: str | None = None) -> int:
    """Post every imported opening balance not in the journal yet, or the difference where its
    amount changed. Returns the number of entries written."""
    period = first_period_open(session)
    wanted, since = {}, {}
    for a, s, amount, month in session.execute(select(OpeningBalance.account_id, OpeningBalance.service_id,
                                                      OpeningBalance.amount, OpeningBalance.debt_since)):
        wanted[(a, s)], since[(a, s)] = money(amount), month
    posted = {(a, s): money(amount) for a, s, amount in session.execute(
        select(JournalEntry.account_id, JournalEntry.service_id, func.sum(JournalEntry.amount))
        .where(JournalEntry.kind == "opening_balance").group_by(JournalEntry.account_id, JournalEntry.service_id))}
    entries = []
    for (account_id, service_id), amount in sorted(wanted.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        delta = amount - posted.get((account_id, service_id), ZERO)
        if delta != 0:
            # dated the day it was brought over; it concerns the month the debt dates from (FIFO's age)
            target = min(since[(account_id, service_id)] or period, period)
            entries.append(_entry("opening_balance", account_id, service_id, period, first_day(period), target,
                                  delta, "opening-balance", user))
    _insert(session, JournalEntry, entries)
    return len(entries)


# -- the close -------------------------------------------------------------------------------

def freeze_draft(session, period: str, user: str | None) -> int:
    """The draft frozen: one journal entry per account, service, kind and target period (charge,
    imbalance, benefit, recalculation with the kind it corrects), quantities and amounts summed
    over the segment lines, dated the period's last day, document ``billing-P``."""
    quantity, amount = func.sum(ChargeLine.quantity), func.sum(ChargeLine.amount)
    grouped = (
        select(ChargeLine.kind, ChargeLine.account_id, ChargeLine.service_id, literal(period),
               literal(last_day(period)), ChargeLine.target_period, quantity, amount,
               literal(f"billing-{period}"), literal(user), func.now(), ChargeLine.detail_kind)
        .where(ChargeLine.period == period)
        .group_by(ChargeLine.kind, ChargeLine.account_id, ChargeLine.service_id, ChargeLine.target_period,
                  ChargeLine.detail_kind)
        .having(or_(amount != 0, quantity != 0))
    )
    columns = ["kind", "account_id", "service_id", "posting_period", "value_date", "target_period", "quantity",
               "amount", "document", "created_by", "created_at", "detail_kind"]
    result = session.execute(JournalEntry.__table__.insert().from_select(columns, grouped))
    return result.rowcount or 0


def offset_advances(session, period: str, user: str | None) -> int:
    """Take advances onto the services with a debt (pairs of entries summing to zero)."""
    previous = last_closed(session, period)
    recent = select(JournalEntry.account_id).where(
        JournalEntry.service_id.is_(None),
        JournalEntry.posting_period == period if previous else JournalEntry.posting_period <= period)
    if previous:
        recent = recent.union(select(ClosingBalance.account_id).where(
            ClosingBalance.period == previous, ClosingBalance.service_id.is_(None), ClosingBalance.amount < 0))
    candidates = session.execute(recent).scalars().all()
    if not candidates:
        return 0
    books = balances(session, candidates)
    entries = []
    day = last_day(period)
    for account_id in sorted(books):
        used, parts = advance_offset(books[account_id])
        if not used:
            continue
        entries.append(_entry("payment", account_id, None, period, day, period, used, f"advance-{period}", user))
        for service_id, part in parts.items():
            entries.append(_entry("payment", account_id, service_id, period, day, period, -part,
                                  f"advance-{period}", user))
    _insert(session, JournalEntry, entries)
    return len(entries)


def store_closing_balances(session, period: str) -> int:
    """Closing balances per account and service: the previous closing balance plus this period's
    entries (zero balances are not stored)."""
    previous = last_closed(session, period)
    if previous is not None:
        parts = select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount).where(
            ClosingBalance.period == previous).union_all(
            select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.amount).where(
                JournalEntry.posting_period > previous, JournalEntry.posting_period <= period)).subquery()
    else:
        parts = select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.amount).where(
            JournalEntry.posting_period <= period).subquery()
    total = func.sum(parts.c.amount)
    grouped = select(literal(period), parts.c.account_id, parts.c.service_id, total).group_by(
        parts.c.account_id, parts.c.service_id).having(total != 0)
    result = session.execute(ClosingBalance.__table__.insert().from_select(
        ["period", "account_id", "service_id", "amount"], grouped))
    return result.rowcount or 0


# -- reversal --------------------------------------------------------------------------------

def reverse_payment(session, payment_id: int, reason: str, user: str | None) -> int:
    """Сторнування: cancel a payment recorded in error with ``reversal`` entries in the open
    period — one per entry of the payment, same service, opposite amount — and keep the reason.
    A payment still waiting for its period is only marked (it will never be posted). Returns the
    number of entries written. No commit."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Give the reason of the reversal"))
    if len(reason) > 500:
        raise LedgerError(_("The reason is too long (500 characters at most)"))
    period = lock_open_period(session)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LedgerError(_("No such payment"))
    if session.get(PaymentReversal, payment_id) is not None:
        raise LedgerError(_("Payment %(id)s has already been reversed", id=payment.external_id))
    original = session.execute(
        select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.target_period, JournalEntry.amount)
        .where(JournalEntry.kind == "payment",
               or_(JournalEntry.payment_id == payment_id,
                   # entries posted before journal rows named their payment carry its id as document
                   (JournalEntry.payment_id.is_(None)) & (JournalEntry.document == payment.external_id)
                   & JournalEntry.posting_period.in_(select(PaymentPosting.period)
                                                     .where(PaymentPosting.payment_id == payment_id))))
        .order_by(JournalEntry.id)).all()
    today = date.today()
    entries = [_entry("reversal", e.account_id, e.service_id, period, today, e.target_period, -money(e.amount),
                      payment.external_id, user, detail_kind="payment", payment_id=payment_id) for e in original]
    _insert(session, JournalEntry, entries)
    session.add(PaymentReversal(payment_id=payment_id, reason=reason, period=period, reversed_by=user))
    session.flush()
    return len(entries)


# -- write-offs ------------------------------------------------------------------------------

def post_write_off(session, document: str, lines, user: str | None, day: date | None = None) -> int:
    """Відомість списання approved: one ``write_off`` credit per line [(account, service,
    amount > 0)] in the open period, dated ``day`` (default today), document = the statement's
    number. The caller checks the amounts against the debts and marks the posting (its marker
    refuses a second one). Returns the number of entries. No commit."""
    period = lock_open_period(session)
    day = day or date.today()
    entries = [_entry("write_off", account_id, service_id, period, day, period, -money(amount), document, user)
               for account_id, service_id, amount in lines if money(amount) != 0]
    _insert(session, JournalEntry, entries)
    return len(entries)


def reverse_write_off(session, document: str, user: str | None, day: date | None = None) -> int:
    """A statement cancelled: a ``reversal`` of each of its ``write_off`` entries (same account,
    service and target month, opposite amount) in the open period. Returns the number of
    entries. No commit."""
    period = lock_open_period(session)
    day = day or date.today()
    original = session.execute(
        select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.target_period, JournalEntry.amount)
        .where(JournalEntry.kind == "write_off", JournalEntry.document == document)
        .order_by(JournalEntry.id)).all()
    entries = [_entry("reversal", e.account_id, e.service_id, period, day, e.target_period, -money(e.amount),
                      document, user, detail_kind="write_off") for e in original]
    _insert(session, JournalEntry, entries)
    return len(entries)
