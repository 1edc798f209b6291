"""Акт звірки взаєморозрахунків (довідка про стан розрахунків): the statement of one personal
account over a range of months, as residents and courts ask for it.

Every figure is the ledger's: a month's row is :func:`.books.turnover` of that posting period
for the account (the open period with its draft, marked preliminary — «попередньо, період не
закрито»), its payments are :func:`.books.payment_lines` (each payment with its own date and
identifier; a reversal — Сторнування — as a negative line; the advance offsets of the close,
which only move money between services, are not payments and are not listed).

Signs are the ones a resident reads: a balance is a debt when positive and an advance
(переплата) when negative; charges and recalculations add to it; benefits, subsidies,
payments and write-offs are shown as the positive amounts that reduced it. So every month

    closing = opening + charged + recalculated − benefits − subsidies − paid − written_off

and the closing of a month is the opening of the next. The statement checks both, and that
its last closing equals :func:`.books.balances` of the last month, before anyone prints it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...billing.periods import first_day, last_day, next_period, parse_period
from ...models import Account, Organisation, Period, Premise
from .books import ZERO, balances, open_period, payment_lines, turnover
from .posting import LedgerError

MAX_MONTHS = 36
DEFAULT_MONTHS = 12

_MONTH_DOTTED = re.compile(r"^(0?[1-9]|1[0-2])\.(\d{4})$")


class StatementError(LedgerError):
    """The statement cannot be made (a message for the user, in Ukrainian)."""


@dataclass(frozen=True)
class Provider:
    """Надавач послуг (the first organisation of the catalogue)."""

    name: str
    edrpou: str
    address: str
    iban: str
    bank_name: str
    phone: str
    email: str


@dataclass(frozen=True)
class StatementAccount:
    id: int
    number: str
    owner: str
    address: str


@dataclass(frozen=True)
class PaymentItem:
    """A payment of a month (``amount`` positive) or its reversal (``reversal``: ``amount``
    negative, ``day`` the day of the reversal, ``paid_on`` the day of the payment reversed)."""

    period: str
    day: date
    amount: Decimal
    identifier: str
    source: str
    reversal: bool = False
    paid_on: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class StatementMonth:
    period: str
    opening: Decimal
    charged: Decimal
    recalculated: Decimal
    benefits: Decimal
    subsidies: Decimal
    paid: Decimal
    written_off: Decimal
    closing: Decimal
    payments: tuple[PaymentItem, ...]
    preliminary: bool  # the open period, with its draft: «попередньо, період не закрито»

    @property
    def first_day(self) -> date:
        return first_day(self.period)

    @property
    def last_day(self) -> date:
        return last_day(self.period)


@dataclass(frozen=True)
class StatementTotals:
    charged: Decimal
    recalculated: Decimal
    benefits: Decimal
    subsidies: Decimal
    paid: Decimal
    written_off: Decimal


@dataclass(frozen=True)
class Statement:
    provider: Provider | None
    account: StatementAccount
    first_period: str
    last_period: str
    opening: Decimal
    months: tuple[StatementMonth, ...]
    totals: StatementTotals
    closing: Decimal
    issued_on: date

    @property
    def preliminary(self) -> bool:
        return any(m.preliminary for m in self.months)

    @property
    def first_day(self) -> date:
        return first_day(self.first_period)

    @property
    def last_day(self) -> date:
        return last_day(self.last_period)


# -- the range -------------------------------------------------------------------------------

def read_month(text: str | None, field: str) -> str:
    """A month typed on a form — ``YYYY-MM`` (what a browser's month field sends) or
    ``MM.YYYY`` — as a period ``YYYY-MM``; ``field`` names the field in the message."""
    value = (text or "").strip()
    dotted = _MONTH_DOTTED.match(value)
    if dotted:
        value = f"{dotted.group(2)}-{int(dotted.group(1)):02d}"
    try:
        parse_period(value)
    except ValueError:
        raise StatementError(_("%(field)s: «%(value)s» is not a month; write it as YYYY-MM or MM.YYYY",
                               field=field, value=(text or "").strip())) from None
    return value


def months_between(first: str, last: str) -> int:
    """How many months ``first``…``last`` covers, both included (0 when first is after last)."""
    (y1, m1), (y2, m2) = parse_period(first), parse_period(last)
    return max(0, (y2 - y1) * 12 + m2 - m1 + 1)


def shift(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def default_range(session) -> tuple[str | None, str | None]:
    """The last :data:`DEFAULT_MONTHS` months up to the open period (None, None before any)."""
    last = open_period(session) or session.scalar(select(func.max(Period.period)))
    if last is None:
        return None, None
    return shift(last, -(DEFAULT_MONTHS - 1)), last


# -- the statement ---------------------------------------------------------------------------

def statement(session, account_id: int, first_period: str, last_period: str,
              issued_on: date | None = None) -> Statement:
    """The statement of ``account_id`` for the posting periods ``first_period``…``last_period``
    (at most :data:`MAX_MONTHS`), limited to the months the books hold (from the first period
    opened to the open one). Raises :class:`StatementError` with a message for the user."""
    for value in (first_period, last_period):
        try:
            parse_period(value)
        except (TypeError, ValueError):
            raise StatementError(_("A period is written YYYY-MM: %(value)s", value=value)) from None
    if first_period > last_period:
        raise StatementError(_("The first month %(first)s is after the last one %(last)s",
                               first=first_period, last=last_period))
    if months_between(first_period, last_period) > MAX_MONTHS:
        raise StatementError(_("A statement covers at most %(max)s months; %(first)s–%(last)s is %(count)s",
                               max=MAX_MONTHS, first=first_period, last=last_period,
                               count=months_between(first_period, last_period)))
    account = _account(session, account_id)
    current = open_period(session)
    earliest, latest = session.execute(select(func.min(Period.period), func.max(Period.period))).one()
    if current is not None:
        latest = current
    first, last = max(first_period, earliest or first_period), min(last_period, latest or last_period)
    if earliest is None or first > last:
        raise StatementError(_("The books hold no period within %(first)s–%(last)s (they hold %(earliest)s–%(latest)s)",
                               first=first_period, last=last_period, earliest=earliest or "—",
                               latest=latest or "—"))
    lines = _payments(session, account_id, first, last)
    months = []
    period = first
    while period <= last:
        preliminary = period == current
        row = turnover(session, period, [account_id], draft=preliminary).get(account_id)
        row = row or dict.fromkeys(("opening", "charged", "recalculated", "benefits", "subsidies", "paid",
                                    "written_off", "closing"), ZERO)
        month = StatementMonth(
            period=period, opening=row["opening"], charged=row["charged"], recalculated=row["recalculated"],
            benefits=-row["benefits"], subsidies=-row["subsidies"], paid=-row["paid"],
            written_off=-row["written_off"], closing=row["closing"],
            payments=_with_rest(lines.get(period, ()), -row["paid"], period), preliminary=preliminary)
        if months and months[-1].closing != month.opening:
            raise StatementError(_("The books disagree: the closing balance of %(previous)s (%(closing)s) is not "
                                   "the opening balance of %(period)s (%(opening)s)", previous=months[-1].period,
                                   closing=months[-1].closing, period=period, opening=month.opening))
        months.append(month)
        period = next_period(period)
    closing = months[-1].closing
    book = balances(session, [account_id], period=None if last == current else last, draft=last == current)
    balance = sum(book.get(account_id, {}).values(), ZERO)
    if balance != closing:
        raise StatementError(_("The books disagree: the statement closes %(period)s at %(closing)s, the balance "
                               "is %(balance)s", period=last, closing=closing, balance=balance))
    totals = StatementTotals(**{name: sum((getattr(m, name) for m in months), ZERO) for name in (
        "charged", "recalculated", "benefits", "subsidies", "paid", "written_off")})
    return Statement(provider=_provider(session), account=account, first_period=first, last_period=last,
                     opening=months[0].opening, months=tuple(months), totals=totals, closing=closing,
                     issued_on=issued_on or date.today())


def _account(session, account_id) -> StatementAccount:
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise StatementError(_("No such personal account"))
    premise = session.get(Premise, account.premise_id)
    return StatementAccount(id=account.id, number=account.account_number, owner=account.owner_name or "",
                            address=str(premise) if premise is not None else "")


def account_by_number(session, number: str | None) -> int:
    """The id of the account with that number (a message naming it when there is none)."""
    number = (number or "").strip()
    if not number:
        raise StatementError(_("Enter the personal account number"))
    found = session.scalar(select(Account.id).where(Account.account_number == number))
    if found is None:
        raise StatementError(_("There is no personal account %(number)s", number=number))
    return found


def _provider(session) -> Provider | None:
    org = session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    if org is None:
        return None
    return Provider(name=org.name or "", edrpou=org.edrpou or "", address=org.address or "", iban=org.iban or "",
                    bank_name=org.bank_name or "", phone=org.phone or "", email=org.email or "")


def _payments(session, account_id, first, last) -> dict[str, list[PaymentItem]]:
    result: dict[str, list[PaymentItem]] = {}
    for line in payment_lines(session, account_id, first, last):
        reversal = line.kind == "reversal"
        item = PaymentItem(
            period=line.posting_period, day=line.value_date, amount=-line.amount,
            identifier=line.external_id or line.document or "", source=line.source or "", reversal=reversal,
            paid_on=line.paid_on, reason=(line.reason or "") if reversal else "")
        if item.amount != 0:
            result.setdefault(line.posting_period, []).append(item)
    return result


def _with_rest(items, paid: Decimal, period: str) -> tuple[PaymentItem, ...]:
    """The month's payment lines; should the journal hold a payment entry that names no
    payment (none is written so), its amount is one more line, so the lines add up to the
    month's payments column."""
    rest = paid - sum((i.amount for i in items), ZERO)
    if rest == 0:
        return tuple(items)
    return (*items, PaymentItem(period=period, day=last_day(period), amount=rest, identifier="", source=""))
