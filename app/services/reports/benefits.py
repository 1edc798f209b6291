"""``benefits`` — форма «2-пільга» (розрахунок видатків на відшкодування вартості наданих пільг),
formats.md: one row per beneficiary, account and service — account_number, resident_id,
category_code, service_code, persons, amount (negative, as in the journal) — and
``benefits_by_category``, the form's table: per category and service the beneficiaries, persons
and amount, with totals. ``--format dbf`` writes the exchange file for the social protection body
(:mod:`.benefits_dbf`).

The per-beneficiary split exists only on the benefit lines of the period (the journal holds one
benefit entry per account, service and month): the lines of a closed period are the ones its
close froze into the journal; the open period's are the draft. The report checks its totals per
account and service against the ledger's benefit turnover of the period
(:func:`app.services.ledger.turnover`, which adds the draft for the open period) and says so under
the table when they differ. Recalculations of benefits of closed months are in the turnover's
«recalculated» column, not here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...billing.money import as_decimal
from ...models import Account, Beneficiary, BenefitCategory, ChargeLine, Premise, Resident, Service
from .. import ledger
from . import Column, Report, ReportKind, address_maker, where_accounts

ZERO = Decimal("0.00")

COLUMNS = [
    Column("account_number", _l("Account")),
    Column("address", _l("Address"), machine=False, width=30),
    Column("resident_id", _l("Resident")),
    Column("full_name", _l("Full name"), machine=False, width=30),
    Column("rnokpp", _l("RNOKPP"), machine=False, width=12),
    Column("category_code", _l("Benefit category")),
    Column("pct", _l("Discount, %"), "percent", machine=False),
    Column("service_code", _l("Service")),
    Column("days", _l("Days"), "int", machine=False),
    Column("quantity", _l("Volume within the norm"), "quantity", machine=False),
    Column("persons", _l("Persons using the benefit"), "int", total=True),
    Column("amount", _l("Amount"), "money", total=True),
]
CODES = tuple(c.code for c in COLUMNS if c.machine)

SUMMARY_COLUMNS = [
    Column("category_code", _l("Benefit category"), people=False),
    Column("category_name", _l("Category"), machine=False, width=30),
    Column("pct", _l("Discount, %"), "percent"),
    Column("service_code", _l("Service"), people=False),
    Column("service_name", _l("Service name"), machine=False, width=25),
    Column("beneficiaries", _l("Beneficiaries"), "int", total=True),
    Column("persons", _l("Persons using the benefit"), "int", total=True),
    Column("amount", _l("Amount"), "money", total=True),
]
SUMMARY_CODES = tuple(c.code for c in SUMMARY_COLUMNS if c.machine)


@dataclass
class BenefitLine:
    """One beneficiary's benefit on one account and service in the period (its segments summed)."""

    account_id: int
    account_number: str
    address: str
    resident_id: str
    full_name: str
    rnokpp: str
    category_code: str
    category_name: str
    pct: Decimal
    service_id: int
    service_code: str
    service_name: str
    target_period: str
    date_from: date | None
    date_to: date | None
    days: int
    quantity: Decimal
    persons: int
    amount: Decimal          # negative, as in the journal
    tariff: Decimal | None   # the price of the service's charge lines (the highest, if several)


def benefit_lines(session, filters) -> list[BenefitLine]:
    """The benefit lines of ``filters.period`` grouped per beneficiary, account, service and target
    month, in two set-based queries (the lines, the tariffs)."""
    period = filters.period
    lines = (select(ChargeLine.account_id, ChargeLine.beneficiary_id, ChargeLine.service_id, ChargeLine.target_period,
                    func.min(ChargeLine.date_from), func.max(ChargeLine.date_to), func.sum(ChargeLine.days),
                    func.sum(ChargeLine.quantity), func.sum(ChargeLine.amount))
             .where(ChargeLine.period == period, ChargeLine.kind == "benefit")
             .group_by(ChargeLine.account_id, ChargeLine.beneficiary_id, ChargeLine.service_id,
                       ChargeLine.target_period)
             .subquery())
    stmt = (select(lines, Account.account_number, Premise.number, Resident.resident_id, Resident.full_name,
                   Resident.rnokpp, BenefitCategory.code, BenefitCategory.name, BenefitCategory.pct,
                   Beneficiary.entitled, Service.code, Service.name, Premise.building_id)
            .join(Account, Account.id == lines.c.account_id)
            .join(Premise, Premise.id == Account.premise_id)
            .join(Service, Service.id == lines.c.service_id)
            .outerjoin(Beneficiary, Beneficiary.id == lines.c.beneficiary_id)
            .outerjoin(Resident, Resident.id == Beneficiary.resident_id)
            .outerjoin(BenefitCategory, BenefitCategory.id == Beneficiary.category_id))
    stmt = _scope(stmt, filters, lines.c.account_id, lines.c.service_id)
    tariffs = (select(ChargeLine.account_id, ChargeLine.service_id, func.max(ChargeLine.price))
               .where(ChargeLine.period == period, ChargeLine.kind == "charge")
               .group_by(ChargeLine.account_id, ChargeLine.service_id))
    tariffs = _scope(tariffs.join(Account, Account.id == ChargeLine.account_id)
                     .join(Premise, Premise.id == Account.premise_id), filters, ChargeLine.account_id,
                     ChargeLine.service_id)
    price = {(a, s): p for a, s, p in session.execute(tariffs)}
    addresses = _addresses(session)
    address_of = address_maker()
    result = []
    for r in session.execute(stmt):
        (account_id, _beneficiary_id, service_id, target, first, last, days, quantity, amount, number, flat,
         resident_id, full_name, rnokpp, category_code, category_name, pct, entitled, service_code, service_name,
         building_id) = r
        tariff = price.get((account_id, service_id))
        result.append(BenefitLine(
            account_id, number, address_of(addresses.get(building_id), flat), resident_id or "", full_name or "",
            rnokpp or "", category_code or "", category_name or "", as_decimal(pct, 2) if pct is not None else ZERO,
            service_id, service_code, service_name, target, first, last, int(days or 0),
            as_decimal(quantity, 4) if quantity is not None else Decimal("0"),
            int(entitled) if entitled is not None else 1, as_decimal(amount, 2),
            as_decimal(tariff, 4) if tariff is not None else None))
    result.sort(key=lambda b: (b.account_number, b.service_code, b.category_code, b.resident_id, b.target_period))
    return result


def _scope(stmt, filters, account_column, service_column):
    stmt = where_accounts(stmt, filters, account_column, Premise.building_id)
    if filters.service_id is not None:
        stmt = stmt.where(service_column == filters.service_id)
    return stmt


def _addresses(session) -> dict[int, str]:
    from ...models import Building

    return dict(session.execute(select(Building.id, Building.address)).all())




def ledger_check(session, filters, lines: list[BenefitLine]) -> list[str]:
    """Notes under the table where the lines disagree with the ledger's benefit turnover (none
    when every account and service of the report matches the journal, the draft for the open
    period)."""
    ids = sorted({line.account_id for line in lines})
    books = ledger.turnover(session, filters.period, ids or None, by_service=True)
    wanted = defaultdict(lambda: ZERO)
    for line in lines:
        wanted[(line.account_id, line.service_id)] += line.amount
    keys = set(wanted)
    if filters.account_id is None and filters.service_id is None and filters.building_id is None \
            and filters.building_ids is None:
        keys |= {k for k, v in books.items() if v["benefits"] != 0}
    numbers = {line.account_id: line.account_number for line in lines}
    notes = []
    for key in sorted(keys, key=lambda k: (k[0], k[1] or 0)):
        posted = books[key]["benefits"] if key in books else ZERO
        if posted != wanted[key]:
            notes.append(str(_l("The journal holds %(posted)s of benefits for account %(account)s, the lines %(lines)s",
                                posted=posted, account=numbers.get(key[0], key[0]), lines=wanted[key])))
    return notes


def benefits_report(session, filters) -> Report:
    lines = benefit_lines(session, filters)
    rows = [(b.account_number, b.address, b.resident_id, b.full_name, b.rnokpp, b.category_code, b.pct,
             b.service_code, b.days, b.quantity, b.persons, b.amount) for b in lines]
    # people see the category's and the service's names, the machine CSV their codes
    categories = {(b.category_code, b.category_name) for b in lines if b.category_code}
    services = {(b.service_code, b.service_name) for b in lines}
    columns = [replace(c, labels=tuple(sorted(categories))) if c.code == "category_code"
               else replace(c, labels=tuple(sorted(services))) if c.code == "service_code" else c for c in COLUMNS]
    return Report("benefits", str(_l("Benefits, form 2-pilha")), filters.period, columns, rows,
                  notes=ledger_check(session, filters, lines))


def summary_rows(lines: list[BenefitLine]) -> list[tuple]:
    groups: dict[tuple, list] = {}
    for b in lines:
        key = (b.category_code, b.service_code)
        group = groups.setdefault(key, [b.category_name, b.pct, b.service_name, set(), 0, ZERO])
        group[3].add(b.resident_id)
        group[4] += b.persons
        group[5] += b.amount
    return [(category, name, pct, service, service_name, len(who), persons, amount)
            for (category, service), (name, pct, service_name, who, persons, amount) in sorted(groups.items())]


def summary_report(session, filters) -> Report:
    lines = benefit_lines(session, filters)
    return Report("benefits_by_category", str(_l("Benefits by category and service, form 2-pilha")), filters.period,
                  SUMMARY_COLUMNS, summary_rows(lines), notes=ledger_check(session, filters, lines))


def _write_dbf(session, filters, stream) -> int:
    from .benefits_dbf import write_dbf

    return write_dbf(session, filters, stream)


FILTERS = ("period", "building", "service", "account")
KINDS = [
    ReportKind("benefits", _l("Benefits, form 2-pilha"), benefits_report, codes=CODES, filters=FILTERS,
               writers={"dbf": _write_dbf}),
    ReportKind("benefits_by_category", _l("Benefits by category and service, form 2-pilha"), summary_report,
               codes=SUMMARY_CODES, filters=FILTERS, writers={"dbf": _write_dbf}),
]
__all__ = ["KINDS", "BenefitLine", "benefit_lines", "benefits_report", "summary_report"]
