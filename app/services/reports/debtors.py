"""``debtors`` (боржники): the accounts whose debt is over an amount and/or older than N months,
with the debt's age in buckets by FIFO (formats.md: account_number, owner_name, address, debt,
oldest_unpaid_period, months_0_1 … months_36_plus — they add up to debt), and for people the
contacts and the restructuring agreement in force: the list an accountant prints to chase.

The ages are the ledger's (:func:`app.services.ledger.aging`, stored at every close): for a
closed period the state at its close, counted on its last day; for the open period the state
now (every payment recorded so far), counted today (Kyiv) — the open month's draft is not a debt
yet. An advance on one service does not lower the debt on another: the debt is what is unpaid.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...billing.periods import first_day, last_day
from ...models import Account, Building, Period, Premise, RestructuringAgreement
from .. import ledger
from ..ledger.aging import BUCKETS, older_than
from . import Column, OwnFilter, Report, ReportError, ReportKind, address_maker, filtered_accounts

ZERO = Decimal("0.00")
BUCKET_CODES = ("months_0_1", "months_1_3", "months_3_6", "months_6_12", "months_12_36", "months_36_plus")
BUCKET_TITLES = (_l("0–1 months"), _l("1–3 months"), _l("3–6 months"), _l("6–12 months"), _l("12–36 months"),
                 _l("Over 36 months"))
COLUMNS = [
    Column("account_number", _l("Account"), width=14),
    Column("owner_name", _l("Owner"), width=30),
    Column("address", _l("Address"), width=34),
    Column("debt", _l("Debt"), "money", total=True),
    Column("oldest_unpaid_period", _l("Oldest unpaid month"), width=12),
    *[Column(code, title, "money", total=True) for code, title in zip(BUCKET_CODES, BUCKET_TITLES)],
    Column("phone", _l("Phone"), machine=False, width=16),
    Column("email", _l("E-mail"), machine=False, width=24),
    Column("restructuring", _l("Restructuring"), machine=False, width=22),
]
CODES = tuple(c.code for c in COLUMNS if c.machine)
OWN = (
    OwnFilter("min_debt", _l("Debt over, UAH"), "decimal"),
    OwnFilter("older_than", _l("Oldest debt older than, months"), "int"),
)


def _today() -> date:
    from ..reminders import local_now

    return local_now().date()


def state_and_day(session, period: str) -> tuple[str | None, date]:
    """Which state of the ledger and which day the ages are counted on, for ``period``."""
    status = session.scalar(select(Period.status).where(Period.period == period))
    if status is None:
        raise ReportError(_("There is no period %(period)s", period=period), "period")
    if status == "closed":
        return period, last_day(period)
    return None, min(max(_today(), first_day(period)), last_day(period))




def debtors_report(session, filters) -> Report:
    from ..periods import current_period

    period = filters.period or current_period()
    if not period:
        raise ReportError(_("No period is open yet"), "period")
    state, day = state_and_day(session, period)
    min_debt = filters.extra.get("min_debt")
    months = filters.extra.get("older_than")
    if min_debt is not None and Decimal(min_debt) < 0:
        raise ReportError(_("The debt is not negative"), "min_debt")
    if months is not None and int(months) < 0:
        raise ReportError(_("The number of months is not negative"), "older_than")
    per_account = {account_id: {"buckets": buckets, "oldest": oldest} for account_id, (buckets, oldest) in
                   ledger.debt_by_account(session, day, filtered_accounts(session, filters), period=state,
                                          service_id=filters.service_id).items()}
    chosen = {}
    for account_id, row in per_account.items():
        debt = sum(row["buckets"].values(), ZERO)
        if debt <= 0:
            continue
        if min_debt is not None and debt <= Decimal(min_debt):
            continue
        if months is not None and not older_than(row["oldest"], int(months), day):
            continue
        chosen[account_id] = (debt, row)
    people = _people(session, list(chosen))
    rows = []
    for account_id, (debt, row) in chosen.items():
        number, owner, address, phone, email, agreement = people[account_id]
        rows.append((number, owner, address, debt, row["oldest"], *[row["buckets"][b] for b in BUCKETS],
                     phone, email, agreement))
    rows.sort(key=lambda r: (-r[3], r[0]))
    words = [_("as of %(day)s", day=day.strftime("%d.%m.%Y"))]
    if min_debt is not None:
        words.append(_("debt over %(amount)s UAH", amount=format(Decimal(min_debt), "f").replace(".", ",")))
    if months is not None:
        words.append(_("older than %(months)s months", months=months))
    return Report("debtors", _("Debtors"), period, COLUMNS, rows, subtitle="; ".join(words),
                  notes=[_("The ages are counted by FIFO: payments pay the oldest months first.")])


def _people(session, account_ids) -> dict:
    from ..ledger.books import _chunks

    found = {}
    address_of = address_maker()
    for part in _chunks(account_ids):
        for account_id, number, owner, phone, email, address, flat in session.execute(
                select(Account.id, Account.account_number, Account.owner_name, Account.phone, Account.email,
                       Building.address, Premise.number)
                .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id)
                .where(Account.id.in_(part))):
            found[account_id] = [number, owner, address_of(address, flat), phone, email, None]
        for account_id, number, until in session.execute(
                select(RestructuringAgreement.account_id, RestructuringAgreement.number,
                       RestructuringAgreement.agreement_date)
                .where(RestructuringAgreement.account_id.in_(part), RestructuringAgreement.status == "approved")):
            found[account_id][5] = _("Agreement %(number)s of %(day)s", number=number, day=until.strftime("%d.%m.%Y"))
    return {a: tuple(v) for a, v in found.items()}


KINDS = [ReportKind("debtors", _l("Debtors"), debtors_report, codes=CODES,
                    filters=("period", "building", "service", "account"), own_filters=OWN)]
