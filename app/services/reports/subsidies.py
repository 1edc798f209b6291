"""``subsidies``: the subsidies received in the period against the charges, per account and service
(formats.md): account_number, service_code, amount — the subsidy credited, positive as received
(the journal holds it negative; a reversal of a subsidy counts against it), with the people's
columns owner, address and what the service was charged (charges and recalculations) and
granted as benefits in the period. The figures are the ledger's turnover per service
(:func:`app.services.ledger.turnover`), for the accounts with a subsidy posted in the period; a
subsidy spread onto no service (an advance) has an empty service."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ...models import Account, Building, JournalEntry, Premise, Service
from ..sql import parts
from .. import ledger
from . import Column, Report, ReportKind, where_accounts

CODES = ("account_number", "service_code", "amount")
COLUMNS = [
    Column("account_number", _l("Account")),
    Column("owner_name", _l("Owner"), machine=False, width=30),
    Column("address", _l("Address"), machine=False, width=36),
    Column("service_code", _l("Service"), people=False),
    Column("service_name", _l("Service name"), machine=False, width=24),
    Column("charged", _l("Charged"), "money", total=True, machine=False),
    Column("benefits", _l("Benefits"), "money", total=True, machine=False),
    Column("amount", _l("Subsidy"), "money", total=True),
]


def subsidy_accounts(session, filters) -> list[int]:
    """The accounts with a subsidy (or its reversal) posted in the period, within the filters."""
    stmt = (select(JournalEntry.account_id).distinct()
            .join(Account, Account.id == JournalEntry.account_id).join(Premise, Premise.id == Account.premise_id)
            .where(JournalEntry.posting_period == filters.period,
                   or_(JournalEntry.kind == "subsidy",
                       (JournalEntry.kind == "reversal") & (JournalEntry.detail_kind == "subsidy"))))
    stmt = where_accounts(stmt, filters, Account.id, Premise.building_id)
    if filters.service_id is not None:
        stmt = stmt.where(JournalEntry.service_id == filters.service_id)
    return sorted(session.scalars(stmt))


def subsidies_report(session, filters) -> Report:
    period = filters.period
    account_ids = subsidy_accounts(session, filters)
    figures = ledger.turnover(session, period, account_ids, by_service=True) if account_ids else {}
    people = {}
    for part in parts(account_ids):
        for row in session.execute(
                select(Account.id, Account.account_number, Account.owner_name, Building.address, Premise.number)
                .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id)
                .where(Account.id.in_(part))):
            people[row.id] = row
    services = {row.id: row for row in session.execute(select(Service.id, Service.code, Service.name))}
    rows = []
    for (account_id, service_id), values in figures.items():
        if not values["subsidies"]:
            continue
        if filters.service_id is not None and service_id != filters.service_id:
            continue
        person, service = people[account_id], services.get(service_id)
        rows.append((person.account_number, person.owner_name, f"{person.address}, {_l('fl.')} {person.number}",
                     service.code if service else "", service.name if service else "",
                     values["charged"] + values["recalculated"], -values["benefits"], -values["subsidies"]))
    rows.sort(key=lambda r: (r[0], r[3]))
    return Report("subsidies", str(_l("Subsidies")), period, COLUMNS, rows)


KINDS = [ReportKind("subsidies", _l("Subsidies"), subsidies_report, codes=CODES,
                    filters=("period", "building", "service", "account"))]
__all__ = ["subsidies_report", "KINDS"]
