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
from ..sql import driver_rows, parts, trimmed
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


def _as_read(value):
    return value


def charges_report(session, filters) -> Report:
    """Set-based in a fixed number of queries per 5,000 accounts: the accounts with lines (one
    query), their number, owner and address (one per part), then the lines of each part of
    accounts in the account number's order (one per part, by the index on account and period),
    read as the driver's tuples (:func:`~app.services.sql.driver_rows`) and put in order in
    Python — no sort of the whole month in the database, no join per line (sorting each part in
    the database with the joins it needs was slower: 10–14 s against 6–7 s at 100,000 accounts)."""
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
    dialect = connection.dialect
    # PostgreSQL trims the quantities and prices (trim_scale), SQLite's are trimmed here, each
    # distinct value once
    quantity_sql, price_sql = trimmed(ChargeLine.quantity, 0, dialect), trimmed(ChargeLine.price, 2, dialect)
    quantity = trimmer() if quantity_sql is None else _as_read
    price = trimmer(2) if price_sql is None else _as_read
    services = dict(connection.execute(select(Service.id, Service.code)).all())
    lines = narrowed(select(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind, ChargeLine.target_period,
                            ChargeLine.quantity if quantity_sql is None else quantity_sql.label("quantity"),
                            ChargeLine.price if price_sql is None else price_sql.label("price"),
                            ChargeLine.amount, ChargeLine.source, ChargeLine.explanation, ChargeLine.seq))

    def rows():
        position = {a: i for i, a in enumerate(account_ids)}
        rank = {service_id: i for i, (service_id, _) in enumerate(sorted(services.items(), key=lambda s: s[1]))}
        for part in parts(account_ids):
            found = driver_rows(connection, lines.where(ChargeLine.account_id.in_(part)))
            found.sort(key=lambda r: (position[r[0]], rank[r[1]], KIND_ORDER.get(r[2], 9), r[3] or "", r[9] or 0))
            for account_id, service_id, kind, target, q, p, amount, source, explanation, _ in found:
                number, owner, address = people[account_id]
                yield (number, services[service_id], kind, target, quantity(q), price(p), amount,
                       1 if source == "estimated" else 0, owner, address, source, explanation or "")

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
