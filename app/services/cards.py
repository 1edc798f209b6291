"""What the cards lead with (issue 12): the account card's money and warnings, the building
card's totals. Every figure of money comes from its owner — balances and the last payment from
:mod:`app.services.ledger`, the amount due from :mod:`app.services.invoices` — and nothing here
adds up an amount itself. A fixed number of statements per card."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from ..billing.money import as_decimal
from ..billing.periods import first_day, last_day, period_of
from ..models import Account, Meter, Period, Premise, Reading, Registration
from . import ledger

ZERO = Decimal("0.00")


@dataclass
class CardWarning:
    """Something on the account to deal with, and where to do it."""

    kind: str  # verification_overdue | no_reading
    meter_id: int
    serial: str
    day: date | None = None  # the verification's due date
    month: str | None = None  # the month without a reading (YYYY-MM)


@dataclass
class InvoiceDue:
    period: str
    amount_due: Decimal  # ≥ 0
    balance: Decimal  # the period's closing balance (negative: advance)
    due_date: date | None
    preliminary: bool  # the open period's draft


@dataclass
class AccountSummary:
    balance: Decimal  # now: closed periods + what is recorded in the open one (ledger.totals)
    balance_with_draft: Decimal | None  # with the open period's billing run, when it has one
    open_period: str | None
    last_payment: ledger.LastPayment | None
    invoice: InvoiceDue | None
    warnings: list[CardWarning] = field(default_factory=list)


def reading_month(session, today: date, current: str | None = None) -> str:
    """The month whose readings the card asks for: the open period's (``current``, when the
    caller has read it), else today's."""
    return current or ledger.open_period(session) or period_of(today)


def account_summary(session, account, today: date | None = None, *, drafted: bool = False,
                    balance: Decimal | None = None, with_draft: Decimal | None = None, current: str | None = None,
                    meters=None) -> AccountSummary:
    """The top of the account card. ``drafted``: the open period has been billed for the account
    (its balance with the draft is shown beside the balance now). What the card has already read
    is not read again: ``balance`` and ``with_draft`` (``ledger.totals`` of the account, without
    and with the draft — the billing tab's), ``current`` (the open period) and ``meters`` (the
    premise's, see :func:`meter_warnings`)."""
    today = today or date.today()
    current = current or ledger.open_period(session)
    if balance is None:
        balance = ledger.totals(session, [account.id])[account.id]
    if not (drafted and current):
        with_draft = None
    elif with_draft is None:
        with_draft = ledger.totals(session, [account.id], draft=True)[account.id]
    return AccountSummary(
        balance=balance, balance_with_draft=with_draft, open_period=current if with_draft is not None else None,
        last_payment=ledger.last_payment(session, account.id), invoice=last_invoice(session, account.id),
        warnings=meter_warnings(session, account.premise_id, today, meters=meters, current=current))


def last_invoice(session, account_id: int) -> InvoiceDue | None:
    """The invoice of the last closed period (the one handed out), else the open period's
    preliminary one; None when the account has none."""
    from .invoices import load_invoices

    period = session.scalar(select(Period.period).where(Period.status == "closed")
                            .order_by(Period.period.desc()).limit(1)) or ledger.open_period(session)
    if period is None:
        return None
    found = load_invoices(session, period, account_ids=[account_id])
    if not found:
        return None
    invoice = found[0]
    return InvoiceDue(period, invoice.amount_due, invoice.balance, invoice.due_date, invoice.preliminary)


def meter_warnings(session, premise_id: int, today: date, *, meters=None, current: str | None = None) -> list[CardWarning]:
    """The premise's meters in service today: a verification overdue, no reading in the
    reading month (:func:`reading_month`). Two statements — one when the caller hands the
    premise's ``meters`` (every one of them, as the card has them) and the open period."""
    month = reading_month(session, today, current)
    start, end = first_day(month), last_day(month)
    if meters is None:
        in_service = and_(Meter.premise_id == premise_id, Meter.installed_on <= today,
                          or_(Meter.removed_on.is_(None), Meter.removed_on > today))
        meters = session.execute(select(Meter.id, Meter.serial, Meter.next_verification, Meter.installed_on)
                                 .where(in_service).order_by(Meter.serial)).all()
    else:
        meters = sorted(((m.id, m.serial, m.next_verification, m.installed_on) for m in meters
                         if m.premise_id == premise_id and m.installed_on <= today
                         and (m.removed_on is None or m.removed_on > today)), key=lambda m: m[1])
    if not meters:
        return []
    read = set(session.scalars(select(Reading.meter_id).where(
        Reading.meter_id.in_([m[0] for m in meters]), Reading.date >= start, Reading.date <= end).distinct()))
    found = []
    for meter_id, serial, next_verification, installed_on in meters:
        if next_verification is not None and next_verification < today:
            found.append(CardWarning("verification_overdue", meter_id, serial, day=next_verification))
    for meter_id, serial, _next, installed_on in meters:
        if meter_id not in read and installed_on <= end:
            found.append(CardWarning("no_reading", meter_id, serial, month=month))
    return found


@dataclass
class BuildingTotals:
    premises: int
    accounts: int  # open today
    total_area: Decimal
    residents: int  # registered (kind «registered») today
    debt: Decimal
    advance: Decimal
    debtors: int


def building_totals(session, building_id: int, today: date | None = None, *, money: bool = True) -> BuildingTotals:
    """The building card's figures: premises, accounts open today, total area, residents
    registered today; the debt and advance of its accounts from the ledger (zero, not read,
    without ``money``: for who may not see it)."""
    today = today or date.today()
    premises, area = session.execute(select(func.count(Premise.id), func.sum(Premise.total_area))
                                     .where(Premise.building_id == building_id)).one()
    open_today = and_(Account.opened_on <= today, or_(Account.closed_on.is_(None), Account.closed_on >= today))
    account_ids = list(session.scalars(select(Account.id).join(Premise, Premise.id == Account.premise_id)
                                       .where(Premise.building_id == building_id, open_today)))
    residents = session.scalar(
        select(func.count(func.distinct(Registration.resident_id)))
        .join(Premise, Premise.id == Registration.premise_id)
        .where(Premise.building_id == building_id, Registration.kind == "registered", Registration.date_from <= today,
               or_(Registration.date_to.is_(None), Registration.date_to >= today)))
    debt = ledger.debt_totals(session, account_ids) if money else ledger.DebtTotals(ZERO, ZERO, 0)

    return BuildingTotals(premises or 0, len(account_ids), as_decimal(area or 0, 2), residents or 0,
                          debt.debt, debt.advance, debt.debtors)
