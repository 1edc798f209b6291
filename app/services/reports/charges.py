"""``charges``: every charge line of the period (the draft while it is open) with how it was
computed, formats.md: account_number, service_code, kind, target_period, quantity, price, amount,
estimated (0/1) — and, for people only, the owner, the address, the source of the volume and the
explanation the engine wrote. Filters: building, service, account, the line's kind and the
volume's source; the scope."""
from dataclasses import replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...billing.money import trimmer
from ...models import Account, Building, ChargeLine, Premise, Service
from ...models.billing import LINE_KINDS, VOLUME_SOURCES
from ..sql import parts
from . import Column, OwnFilter, Report, ReportKind, address_maker, service_labels, where_accounts

KIND_LABELS = tuple((code, label) for code, label in LINE_KINDS)
SOURCE_LABELS = tuple((code, label) for code, label in VOLUME_SOURCES)
COLUMNS = [Column("account_number", _l("Account"), width=14), Column("service_code", _l("Service"), width=10),
           Column("kind", _l("Kind"), width=14, labels=KIND_LABELS),
           Column("target_period", _l("For the period"), width=10), Column("quantity", _l("Quantity"), "quantity"),
           Column("price", _l("Price"), "price"), Column("amount", _l("Amount"), "money", total=True),
           Column("estimated", _l("Estimated"), "int"),
           Column("owner", _l("Owner"), machine=False, width=28), Column("address", _l("Address"), machine=False, width=34),
           Column("source", _l("Source"), machine=False, width=16, labels=SOURCE_LABELS),
           Column("explanation", _l("Explanation"), machine=False, width=60, explained=True)]
KIND_ORDER = {"charge": 0, "imbalance": 1, "benefit": 2, "recalculation": 3, "penalty": 4}


def charges_report(session, filters) -> Report:
    """Set-based in a fixed number of queries per 5,000 accounts: the accounts with lines (one
    query), their number, owner and address (one per part), then the lines of each part of
    accounts in the account number's order (one per part, by the index on account and period),
    put in order in Python — no sort of the whole month in the database, no join per line."""
    period = filters.period
    extra = filters.extra or {}

    def narrowed(stmt):
        stmt = where_accounts(stmt.where(ChargeLine.period == period), filters, ChargeLine.account_id,
                              ChargeLine.building_id)
        if filters.service_id is not None:
            stmt = stmt.where(ChargeLine.service_id == filters.service_id)
        if extra.get("line_kind"):
            stmt = stmt.where(ChargeLine.kind == extra["line_kind"])
        if extra.get("source"):
            stmt = stmt.where(ChargeLine.source == extra["source"])
        return stmt

    connection = session.connection()  # Core rows: no ORM loading per line
    account_ids = list(connection.execute(narrowed(select(ChargeLine.account_id).distinct())).scalars())
    people = {}
    address_of = address_maker()
    for part in parts(account_ids):
        for account_id, number, owner, address, flat in connection.execute(
                select(Account.id, Account.account_number, Account.owner_name, Building.address, Premise.number)
                .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id)
                .where(Account.id.in_(part))):
            people[account_id] = (number, owner, address_of(address, flat))
    account_ids.sort(key=lambda a: (people[a][0], a))
    services = dict(connection.execute(select(Service.id, Service.code)).all())
    quantity, price = trimmer(), trimmer(2)
    lines = narrowed(select(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind, ChargeLine.target_period,
                            ChargeLine.quantity, ChargeLine.price, ChargeLine.amount, ChargeLine.source,
                            ChargeLine.explanation, ChargeLine.seq))

    def rows():
        position = {a: i for i, a in enumerate(account_ids)}
        for part in parts(account_ids):
            found = connection.execute(lines.where(ChargeLine.account_id.in_(part))).all()
            found.sort(key=lambda r: (position[r[0]], services[r[1]], KIND_ORDER.get(r[2], 9), r[3] or "", r[9] or 0))
            for r in found:
                number, owner, address = people[r[0]]
                yield (number, services[r[1]], r[2], r[3], quantity(r[4]), price(r[5]), r[6],
                       1 if r[7] == "estimated" else 0, owner, address, r[7], r[8] or "")

    words = []
    if extra.get("line_kind"):
        words.append(str(LINE_KINDS.label(extra["line_kind"])))
    if extra.get("source"):
        words.append(str(VOLUME_SOURCES.label(extra["source"])))
    # people see the service's name, the machine CSV its code
    columns = [replace(c, labels=service_labels(session)) if c.code == "service_code" else c for c in COLUMNS]
    return Report("charges", str(_l("Charges")), period, columns, rows(), subtitle="; ".join(words))


KINDS = [ReportKind("charges", _l("Charges"), charges_report, codes=tuple(c.code for c in COLUMNS if c.machine),
                    background=True,  # a line per account and service: the screen builds it in the background
                    filters=("period", "building", "service", "account"),
                    own_filters=(OwnFilter("line_kind", _l("Line kind"), "choice", KIND_LABELS),
                                 OwnFilter("source", _l("Volume source"), "choice", SOURCE_LABELS)))]
