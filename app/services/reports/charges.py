"""``charges``: every charge line of the period (the draft while it is open) with how it was
computed, formats.md: account_number, service_code, kind, target_period, quantity, price, amount,
estimated (0/1) — and, for people only, the owner, the address, the source of the volume and the
explanation the engine wrote. Filters: building, service, account, the line's kind and the
volume's source; the scope."""
from flask_babel import lazy_gettext as _l
from dataclasses import replace

from sqlalchemy import case, select

from ...billing.money import trim
from ...models import Account, Building, ChargeLine, Premise, Service
from ...models.billing import LINE_KINDS, VOLUME_SOURCES
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
           Column("explanation", _l("Explanation"), machine=False, width=60)]
KIND_ORDER = case({"charge": 0, "imbalance": 1, "benefit": 2, "recalculation": 3, "penalty": 4}, value=ChargeLine.kind, else_=9)


def charges_report(session, filters) -> Report:
    period = filters.period
    extra = filters.extra or {}
    stmt = (select(Account.account_number, Service.code, ChargeLine.kind, ChargeLine.target_period,
                   ChargeLine.quantity, ChargeLine.price, ChargeLine.amount, ChargeLine.source,
                   Account.owner_name, Building.address, Premise.number, ChargeLine.explanation)
            .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
            .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == ChargeLine.building_id)
            .where(ChargeLine.period == period))
    stmt = where_accounts(stmt, filters, ChargeLine.account_id, ChargeLine.building_id)
    if filters.service_id is not None:
        stmt = stmt.where(ChargeLine.service_id == filters.service_id)
    if extra.get("line_kind"):
        stmt = stmt.where(ChargeLine.kind == extra["line_kind"])
    if extra.get("source"):
        stmt = stmt.where(ChargeLine.source == extra["source"])
    stmt = (stmt.order_by(Account.account_number, Service.code, KIND_ORDER, ChargeLine.target_period, ChargeLine.seq)
            .execution_options(yield_per=5000))

    address_of = address_maker()

    def rows():
        for r in session.execute(stmt):
            yield (r[0], r[1], r[2], r[3], trim(r[4]), trim(r[5], 2), r[6], 1 if r[7] == "estimated" else 0,
                   r[8], address_of(r[9], r[10]), r[7], r[11] or "")

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
