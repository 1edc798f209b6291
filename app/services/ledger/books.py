"""Reading the books: balances, turnover and the entries behind them — in a few set-based
queries, for one account or the whole town.

Terms: a *book* is ``{service_id or None: amount}`` for one account (``None`` = the account as
a whole: an advance when negative); ``balances()`` returns ``{account_id: book}``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import case, func, or_, select

from ...billing.codes import LINE_KINDS, RECALCULATION
from ...billing.money import as_decimal
from ..sql import parts
from ...models import Account, ChargeLine, ClosingBalance, JournalEntry, Period, Premise

ZERO = Decimal("0.00")
CHUNK = 5000

# formats.md `turnover`: closing = opening + charged + recalculated + benefits + subsidies + paid + written_off
TURNOVER_COLUMNS = ("opening", "charged", "recalculated", "benefits", "subsidies", "paid", "written_off")
COLUMN_OF_KIND = {
    "opening_balance": "opening", "charge": "charged", "imbalance": "charged", "penalty": "charged",
    "recalculation": "recalculated", "benefit": "benefits", "subsidy": "subsidies", "payment": "paid",
    "write_off": "written_off",
}
# What the journal holds for a period's charges (a recalculation counts for the kind it corrected).
POSTED_KINDS = LINE_KINDS


def money(value) -> Decimal:
    """A money value read from the database as a Decimal of 2 places (None is zero)."""
    return as_decimal(value, 2)


def column_of(kind: str, detail_kind: str | None) -> str:
    """The turnover column of an entry: a reversal counts where the entry it reverses counts."""
    if kind == "reversal":
        return COLUMN_OF_KIND.get(detail_kind or "", "charged")
    return COLUMN_OF_KIND.get(kind, "charged")


def _book():
    return defaultdict(lambda: ZERO)


def _chunks(ids):
    return parts(sorted(set(ids)), CHUNK)


def _accumulate(session, result, stmt, column, ids) -> None:
    """Add the (account, service, amount) rows of ``stmt`` — for every account or only ``ids`` —
    into ``result`` {account: {service: amount}}."""
    for part in _scoped(stmt, column, ids):
        for account_id, service_id, amount in session.execute(part):
            result[account_id][service_id] += money(amount)


def _scoped(stmt, column, ids):
    """``stmt`` for every account (``ids`` None) or one statement per chunk of ids."""
    if ids is None:
        yield stmt
    else:
        for part in _chunks(ids):
            yield stmt.where(column.in_(part))


def _closing(period: str):
    """The stored closing balances of a period: (account, service, amount)."""
    return select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount).where(
        ClosingBalance.period == period)


def _journal_sums(*conditions):
    """Σ journal amounts per (account, service) of the entries meeting ``conditions``."""
    return (select(JournalEntry.account_id, JournalEntry.service_id, func.sum(JournalEntry.amount))
            .where(*conditions).group_by(JournalEntry.account_id, JournalEntry.service_id))


# -- periods ---------------------------------------------------------------------------------

def open_period(session) -> str | None:
    return session.scalar(select(Period.period).where(Period.status == "open"))


def last_closed(session, before: str | None = None) -> str | None:
    """The latest closed period (before ``before`` when given)."""
    stmt = select(Period.period).where(Period.status == "closed")
    if before is not None:
        stmt = stmt.where(Period.period < before)
    return session.scalar(stmt.order_by(Period.period.desc()).limit(1))


def _status(session, period: str) -> str | None:
    return session.scalar(select(Period.status).where(Period.period == period))


# -- balances --------------------------------------------------------------------------------

def balances(session, account_ids=None, *, period: str | None = None, draft: bool = False) -> dict[int, dict]:
    """{account: {service or None: balance}} at the end of ``period`` (default: the open one).

    A closed period: its stored closing balances. The open period (or a later one): the last
    closing balance plus every entry posted into the open period so far — payments, subsidies,
    reversals as they are recorded — and with ``draft`` the open period's charge lines as well,
    with the advance already taken onto the services as the close will take it. ``account_ids``
    None: every account."""
    result = defaultdict(_book)
    if account_ids is not None and not account_ids:
        return result
    current = open_period(session)
    if period is not None and _status(session, period) == "closed":
        _accumulate(session, result, _closing(period), ClosingBalance.account_id, account_ids)
        return result
    _add_recorded(session, result, account_ids, current)
    if draft and current is not None:
        _add_draft(session, result, account_ids, current)
        preview_offsets(result)
    return result


def _add_recorded(session, result, account_ids, current: str | None) -> None:
    """The last closing balance + the entries of the open period (or, before any close, all)."""
    previous = last_closed(session, current)
    if previous is not None:
        _accumulate(session, result, _closing(previous), ClosingBalance.account_id, account_ids)
    stmt = _journal_sums() if previous is None else _journal_sums(JournalEntry.posting_period > previous)
    _accumulate(session, result, stmt, JournalEntry.account_id, account_ids)


def _add_draft(session, result, account_ids, current: str) -> None:
    stmt = (select(ChargeLine.account_id, ChargeLine.service_id, func.sum(ChargeLine.amount))
            .where(ChargeLine.period == current).group_by(ChargeLine.account_id, ChargeLine.service_id))
    _accumulate(session, result, stmt, ChargeLine.account_id, account_ids)


def preview_offsets(books: dict) -> None:
    """Take each account's advance onto its services with a debt, as the close does
    (the same :func:`.posting.advance_offset`)."""
    from .posting import advance_offset

    for book in books.values():
        used, offsets = advance_offset(book)
        if used:
            book[None] += used
            for service_id, part in offsets.items():
                book[service_id] -= part


def account_books(session, account_ids, *, draft: bool = False) -> dict[int, tuple[dict, Decimal]]:
    """{account: ({service or None: balance, zeros left out}, balance)} of many accounts now —
    the book of :func:`balances` and its sum, positive a debt (борг), negative an advance
    (переплата); an account without entries: ({}, 0.00). A fixed number of statements per chunk
    of accounts, never one per account. The one sum of an account's balance: :func:`totals`,
    :func:`account_balance` and the REST API's ``balance`` are this."""
    ids = sorted(set(account_ids))
    books = balances(session, ids, draft=draft) if ids else {}
    found = {}
    for account_id in ids:
        book = {s: a for s, a in books.get(account_id, {}).items() if a != 0}
        found[account_id] = (book, sum(book.values(), ZERO))
    return found


def account_balance(session, account_id: int, *, draft: bool = False) -> tuple[dict, Decimal]:
    """({service or None: balance}, total) of one account now (see :func:`account_books`)."""
    return account_books(session, [account_id], draft=draft)[account_id]


def totals(session, account_ids, *, draft: bool = False) -> dict[int, Decimal]:
    """{account: balance now} of many accounts at once (a list screen's page, a card): the
    balance of :func:`account_books`."""
    return {a: total for a, (_book, total) in account_books(session, account_ids, draft=draft).items()}


class DebtTotals(NamedTuple):
    """What a group of accounts (a building's) owes and has paid ahead, from :func:`totals`."""

    debt: Decimal  # Σ of the positive balances
    advance: Decimal  # Σ of the negative balances, as a positive amount
    debtors: int  # accounts with a debt


def debt_totals(session, account_ids) -> DebtTotals:
    """The debt and the advance of ``account_ids`` now: each account's balance (:func:`totals`),
    debts and advances added apart (an advance of one flat does not pay another's debt)."""
    figures = totals(session, account_ids).values()
    debts = [a for a in figures if a > 0]
    return DebtTotals(sum(debts, ZERO), -sum((a for a in figures if a < 0), ZERO), len(debts))


class LastPayment(NamedTuple):
    payment_id: int
    external_id: str
    paid_on: date
    amount: Decimal
    source: str
    reversed: bool  # Сторнування: recorded in error, cancelled in the journal
    posted: bool  # False: dated after the open period, waiting for it


def last_payment(session, account_id: int) -> LastPayment | None:
    """The account's latest payment by its date (then the latest recorded), reversed or not."""
    from ...models import Payment, PaymentPosting, PaymentReversal

    row = session.execute(
        select(Payment.id, Payment.external_id, Payment.paid_on, Payment.amount, Payment.source,
               PaymentReversal.payment_id, PaymentPosting.payment_id)
        .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
        .outerjoin(PaymentPosting, PaymentPosting.payment_id == Payment.id)
        .where(Payment.account_id == account_id)
        .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(1)).first()
    if row is None:
        return None
    return LastPayment(row[0], row[1], row[2], money(row[3]), row[4], row[5] is not None, row[6] is not None)


def balance_as_of(session, account_ids, day: date) -> dict[int, dict]:
    """{account: {service or None: balance}} as of the end of ``day``: every journal entry whose
    value date is on or before it (a period's charges are dated its last day; a payment its own
    date, whichever period it was posted in)."""
    result = defaultdict(_book)
    _accumulate(session, result, _journal_sums(JournalEntry.value_date <= day), JournalEntry.account_id,
                account_ids)
    return result


def balance_history(session, account_id: int, periods: int = 12) -> list[tuple[str, dict, Decimal, bool]]:
    """The account card's balances: [(period, {service: amount}, total, is_open)], newest first —
    the open period with its draft (as it will close), then the closing balances of the last
    ``periods`` closed periods."""
    rows = []
    current = open_period(session)
    if current is not None:
        book = {s: a for s, a in balances(session, [account_id], draft=True)[account_id].items() if a != 0}
        rows.append((current, book, sum(book.values(), ZERO), True))
    closed = list(session.scalars(select(Period.period).where(Period.status == "closed")
                                  .order_by(Period.period.desc()).limit(periods)))
    table = defaultdict(_book)
    if closed:
        for period, service_id, amount in session.execute(
                select(ClosingBalance.period, ClosingBalance.service_id, ClosingBalance.amount)
                .where(ClosingBalance.account_id == account_id, ClosingBalance.period.in_(closed))):
            table[period][service_id] += money(amount)
    for period in closed:
        book = dict(table.get(period, {}))
        rows.append((period, book, sum(book.values(), ZERO), False))
    return rows


# -- turnover --------------------------------------------------------------------------------

def turnover(session, period: str, account_ids=None, *, by_service: bool = False,
             draft: bool = True) -> dict:
    """Оборотно-сальдова відомість of ``period``: {account (or (account, service)): {column:
    amount}} with the columns of :data:`TURNOVER_COLUMNS` and ``closing``, which is their sum on
    every row. ``opening`` is the balance at the start of the period plus the opening balances
    (вхідне сальдо) posted into it; a reversal counts in the column of what it reverses. For the
    open period the draft is added to charged, recalculated and benefits when ``draft``."""
    rows = defaultdict(lambda: dict.fromkeys(TURNOVER_COLUMNS, ZERO))

    def key(account_id, service_id):
        return (account_id, service_id) if by_service else account_id

    previous = last_closed(session, period)
    # the balance at the start: the previous closing balance, and the entries posted after it but
    # before this period (none when the periods are consecutive; all earlier ones before any close)
    start = balances(session, account_ids, period=previous) if previous is not None else defaultdict(_book)
    before = JournalEntry.posting_period < period
    gap = _journal_sums(before, JournalEntry.posting_period > previous) if previous is not None else _journal_sums(before)
    _accumulate(session, start, gap, JournalEntry.account_id, account_ids)
    for account_id, book in start.items():
        for service_id, amount in book.items():
            rows[key(account_id, service_id)]["opening"] += amount
    moves = (select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.kind, JournalEntry.detail_kind,
                    func.sum(JournalEntry.amount))
             .where(JournalEntry.posting_period == period)
             .group_by(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.kind, JournalEntry.detail_kind))
    for part in _scoped(moves, JournalEntry.account_id, account_ids):
        for account_id, service_id, kind, detail_kind, amount in session.execute(part):
            rows[key(account_id, service_id)][column_of(kind, detail_kind)] += money(amount)
    if draft and _status(session, period) == "open":
        lines = (select(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind, func.sum(ChargeLine.amount))
                 .where(ChargeLine.period == period)
                 .group_by(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind))
        for part in _scoped(lines, ChargeLine.account_id, account_ids):
            for account_id, service_id, kind, amount in session.execute(part):
                rows[key(account_id, service_id)][column_of(kind, None)] += money(amount)
    for values in rows.values():
        values["closing"] = sum((values[c] for c in TURNOVER_COLUMNS), ZERO)
    return rows


# -- entries ---------------------------------------------------------------------------------

def entries_query(*, posting_period=None, target_period=None, kind=None, account_id=None, account_number=None,
                  building_code=None, service_id=None, service_code=None, document=None, payment_id=None):
    """The journal entries behind a figure, newest first: a statement the caller pages
    (``document``: a part of the document reference)."""
    from ...models import Building, Service

    stmt = select(JournalEntry)
    if posting_period:
        stmt = stmt.where(JournalEntry.posting_period == posting_period)
    if target_period:
        stmt = stmt.where(JournalEntry.target_period == target_period)
    if kind:
        stmt = stmt.where(JournalEntry.kind == kind)
    if account_id is not None:
        stmt = stmt.where(JournalEntry.account_id == account_id)
    if account_number:
        stmt = stmt.where(JournalEntry.account_id.in_(
            select(Account.id).where(Account.account_number == account_number)))
    if building_code:
        stmt = stmt.where(JournalEntry.account_id.in_(
            select(Account.id).join(Premise, Premise.id == Account.premise_id)
            .join(Building, Building.id == Premise.building_id).where(Building.code == building_code)))
    if service_id is not None:
        stmt = stmt.where(JournalEntry.service_id == service_id)
    if service_code:
        stmt = stmt.where(JournalEntry.service_id.in_(select(Service.id).where(Service.code == service_code)))
    if document:
        stmt = stmt.where(JournalEntry.document.ilike(f"%{document}%"))
    if payment_id is not None:
        stmt = stmt.where(JournalEntry.payment_id == payment_id)
    return stmt.order_by(JournalEntry.id.desc())


class PaymentTotals(NamedTuple):
    count: int
    amount: Decimal
    reversed_count: int
    reversed_amount: Decimal

    @property
    def net(self) -> Decimal:
        """What stays received: the payments less those reversed."""
        return self.amount - self.reversed_amount


def payment_totals(session, payment_ids) -> PaymentTotals:
    """Number and sum of the payments ``payment_ids`` (a select of ``payment.id``: a list screen's
    filters), and of those of them reversed — one query."""
    from ...models import Payment, PaymentReversal

    reversed_ = PaymentReversal.payment_id.is_not(None)
    count, amount, reversed_count, reversed_amount = session.execute(
        select(func.count(Payment.id), func.sum(Payment.amount), func.count(PaymentReversal.payment_id),
               func.sum(case((reversed_, Payment.amount))))
        .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
        .where(Payment.id.in_(payment_ids))).one()
    return PaymentTotals(count or 0, money(amount), reversed_count or 0, money(reversed_amount))


def entries_total(session, stmt) -> tuple[int, Decimal]:
    """(number of entries, their sum) of an :func:`entries_query` statement."""
    sub = stmt.order_by(None).subquery()
    count, total = session.execute(select(func.count(), func.sum(sub.c.amount))).one()
    return count or 0, money(total)


class PaymentLine(NamedTuple):
    posting_period: str
    kind: str
    payment_id: int | None
    document: str | None
    value_date: date
    amount: Decimal
    external_id: str | None
    paid_on: date | None
    source: str | None
    reason: str | None


def payment_lines(session, account_id: int, first_period: str, last_period: str) -> list:
    """The payments of an account posted in ``first_period``…``last_period`` and their
    reversals (Сторнування), one :class:`PaymentLine` per payment, entry kind and posting
    period, in order of posting period, value date and payment. ``amount`` is the journal's
    (a payment negative, its reversal positive). The advance offsets of the close
    (document ``advance-P``: pairs summing to zero, no payment) are left out — they move money
    between services, not into the account."""
    from ...models import Payment, PaymentReversal

    reversal = (JournalEntry.kind == "reversal") & (JournalEntry.detail_kind == "payment")
    own = or_(JournalEntry.payment_id.is_not(None), ~func.coalesce(JournalEntry.document, "").like("advance-%"))
    rows = session.execute(
        select(JournalEntry.posting_period, JournalEntry.kind, JournalEntry.payment_id, JournalEntry.document,
               JournalEntry.value_date, func.sum(JournalEntry.amount).label("amount"), Payment.external_id,
               Payment.paid_on, Payment.source, PaymentReversal.reason)
        .outerjoin(Payment, Payment.id == JournalEntry.payment_id)
        .outerjoin(PaymentReversal, PaymentReversal.payment_id == JournalEntry.payment_id)
        .where(JournalEntry.account_id == account_id, JournalEntry.posting_period >= first_period,
               JournalEntry.posting_period <= last_period, or_(JournalEntry.kind == "payment", reversal), own)
        .group_by(JournalEntry.posting_period, JournalEntry.kind, JournalEntry.payment_id, JournalEntry.document,
                  JournalEntry.value_date, Payment.external_id, Payment.paid_on, Payment.source,
                  PaymentReversal.reason)
        .order_by(JournalEntry.posting_period, JournalEntry.value_date, JournalEntry.payment_id)).all()
    return [PaymentLine(*row[:5], money(row.amount), *row[6:]) for row in rows]


def posted_by_target(session, building_id: int, months: list[str], kinds=POSTED_KINDS) -> dict:
    """What the journal holds for the charges of ``months`` of a building's accounts:
    {(month, account, service, kind): (amount, quantity)}, a recalculation counted for the kind
    it corrected — what a recalculation compares its new computation with (billing.md §10).
    ``kinds``: the kinds compared (charge, imbalance, benefit; a recalculation of the penalty
    of closed months adds ``penalty``)."""
    if not months:
        return {}
    kinds = tuple(kinds)
    kind = func.coalesce(JournalEntry.detail_kind, JournalEntry.kind)
    rows = session.execute(
        select(JournalEntry.target_period, JournalEntry.account_id, JournalEntry.service_id, kind.label("k"),
               func.sum(JournalEntry.amount), func.sum(JournalEntry.quantity))
        .where(JournalEntry.account_id.in_(select(Account.id).join(Premise, Premise.id == Account.premise_id)
                                           .where(Premise.building_id == building_id)),
               JournalEntry.target_period.in_(months),
               JournalEntry.kind.in_(kinds + (RECALCULATION,)),
               JournalEntry.service_id.is_not(None))
        .group_by(JournalEntry.target_period, JournalEntry.account_id, JournalEntry.service_id, kind)).all()
    return {(month, account_id, service_id, k): (as_decimal(amount, 2), as_decimal(quantity, 4))
            for month, account_id, service_id, k, amount, quantity in rows if k in kinds}


def payments_in(session, account_ids, period: str) -> dict[int, list[tuple[date, Decimal, int | None, bool]]]:
    """The payments posted into ``period`` of many accounts at once (an invoice's «оплачено»):
    {account: [(value date, amount paid — positive; a reversal negative, payment id, reversal)]}
    in order of value date and payment. The advance offsets of the close (pairs summing to zero,
    no payment) are left out, as in :func:`payment_lines`; one statement per chunk of accounts."""
    reversal = (JournalEntry.kind == "reversal") & (JournalEntry.detail_kind == "payment")
    own = or_(JournalEntry.payment_id.is_not(None), ~func.coalesce(JournalEntry.document, "").like("advance-%"))
    stmt = (select(JournalEntry.account_id, JournalEntry.value_date, JournalEntry.payment_id, JournalEntry.kind,
                   func.sum(JournalEntry.amount))
            .where(JournalEntry.posting_period == period, or_(JournalEntry.kind == "payment", reversal), own)
            .group_by(JournalEntry.account_id, JournalEntry.value_date, JournalEntry.payment_id, JournalEntry.kind))
    result = defaultdict(list)
    for part in _scoped(stmt, JournalEntry.account_id, account_ids):
        for account_id, value_date, payment_id, kind, amount in session.execute(part):
            result[account_id].append((value_date, -money(amount), payment_id, kind == "reversal"))
    for rows in result.values():
        rows.sort(key=lambda r: (r[0], r[2] or 0, r[3]))
    return result


def period_totals(session, *, draft: bool = True) -> dict[str, dict]:
    """The movements of every period, the whole town at once: {period: {column: amount}} with the
    columns of :data:`TURNOVER_COLUMNS` (``opening``: the opening balances posted into it), the
    journal's signs (credits negative) and a reversal in the column of what it reverses — the
    turnover's column totals of each period without computing its balances. For the open period
    the draft is added to charged, recalculated and benefits when ``draft``. One grouped
    statement over the journal (and one over the draft)."""
    result = defaultdict(lambda: dict.fromkeys(TURNOVER_COLUMNS, ZERO))
    moves = (select(JournalEntry.posting_period, JournalEntry.kind, JournalEntry.detail_kind, func.sum(JournalEntry.amount))
             .group_by(JournalEntry.posting_period, JournalEntry.kind, JournalEntry.detail_kind))
    for period, kind, detail_kind, amount in session.execute(moves):
        result[period][column_of(kind, detail_kind)] += money(amount)
    current = open_period(session)
    if draft and current is not None:
        lines = (select(ChargeLine.kind, func.sum(ChargeLine.amount)).where(ChargeLine.period == current)
                 .group_by(ChargeLine.kind))
        for kind, amount in session.execute(lines):
            result[current][column_of(kind, None)] += money(amount)
    return result
