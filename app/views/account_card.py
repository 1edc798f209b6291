"""The personal account card (картка особового рахунку): who lives there, the meters with
their latest readings and the beneficiaries — loaded in a fixed number of queries."""
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import Beneficiary, Meter, Reading, Registration
from ..services import ledger
from ..services.invoices.builds import default_period
from .billing_card import billing_card

LAST_READINGS = 6


def account_card(account) -> dict:
    session = db.session
    premise = account.premise
    today = date.today()
    # The card shows the residents, the benefit categories and the meters' types: only these
    # relations are loaded (the premise and its building are the account's, already loaded; a
    # beneficiary's resident is one of the registrations'), each in one statement for all rows.
    registrations = list(session.scalars(
        select(Registration).where(Registration.premise_id == premise.id)
        .options(lazyload(Registration.premise)).order_by(Registration.date_from.desc())
    ))
    resident_ids = [r.resident_id for r in registrations]
    beneficiaries = list(session.scalars(
        select(Beneficiary).where(Beneficiary.resident_id.in_(resident_ids))
        .options(lazyload(Beneficiary.resident)).order_by(Beneficiary.date_from.desc())
    )) if resident_ids else []
    meters = list(session.scalars(select(Meter).where(Meter.premise_id == premise.id)
                                  .options(lazyload(Meter.building), lazyload(Meter.premise)).order_by(Meter.serial)))
    readings = {}
    if meters:
        ranked = select(
            Reading.meter_id, Reading.date, Reading.value, Reading.source,
            func.row_number().over(partition_by=Reading.meter_id, order_by=Reading.date.desc()).label("n"),
        ).where(Reading.meter_id.in_([m.id for m in meters])).subquery()
        for row in session.execute(select(ranked).where(ranked.c.n <= LAST_READINGS).order_by(ranked.c.date.desc())):
            readings.setdefault(row.meter_id, []).append(row)
    billing = billing_card(account)
    current = ledger.open_period(session)  # read once for the whole card
    return {
        "summary": _summary(session, account, billing, today, meters, current),
        "registrations": registrations,
        "current": [r for r in registrations if r.date_from <= today and (r.date_to is None or r.date_to >= today)],
        "beneficiaries": beneficiaries,
        "meters": meters,
        "readings": readings,
        "billing": billing,
        "payments": _payments(session, account, current) if billing else None,
        "invoice_period": default_period(),  # the «Рахунок» button: the open (or last) period's invoice
        **_restructuring(session, account),
    }


def _restructuring(session, account) -> dict:
    """The agreements of the account with their schedules (two queries and the ledger's two)."""
    from ..models.restructuring import RESTRUCTURING_STATUSES
    from ..services.restructuring import account_agreements
    from .restructuring import STATUS_LABELS

    return {"restructuring": account_agreements(session, account.id), "restructuring_statuses": RESTRUCTURING_STATUSES,
            "instalment_statuses": STATUS_LABELS}


def _summary(session, account, billing, today, meters, current) -> dict:
    """The top of the card (app/services/cards.py): money for those who may see the journal,
    the meters' warnings for everyone. The balances are the billing tab's (the ledger's, read
    once), the meters the card's."""
    from ..services.cards import account_summary, meter_warnings

    if billing is None:
        return {"money": None, "warnings": meter_warnings(session, account.premise_id, today, meters=meters,
                                                          current=current)}
    found = account_summary(session, account, today, drafted=billing["open_period"] is not None,
                            balance=billing["balance_now"], with_draft=billing["balance_with_draft"],
                            current=current, meters=meters)
    return {"money": found, "warnings": found.warnings}


PAYMENT_PERIODS = 12


def _payments(session, account, current) -> list:
    """The payments tab: the account's payments and reversals posted in the last
    ``PAYMENT_PERIODS`` months (ledger.payment_lines), newest first, and those waiting for
    their period. ``current``: the open period."""
    from ..billing.periods import add_months, first_day, period_of

    last = current or period_of(date.today())
    first = period_of(add_months(first_day(last), -(PAYMENT_PERIODS - 1)))
    return list(reversed(ledger.payment_lines(session, account.id, first, last)))
