"""``charges``: every charge line of the period (the draft while it is open), formats.md:
account_number, service_code, kind, target_period, quantity, price, amount, estimated (0/1)."""
from sqlalchemy import case, select

from ...billing.money import trim
from ...models import Account, ChargeLine, Service
from flask_babel import lazy_gettext as _l

from . import Column, Report, ReportKind

COLUMNS = [Column("account_number", _l("Account")), Column("service_code", _l("Service")), Column("kind", _l("Kind")),
           Column("target_period", _l("For the period")), Column("quantity", _l("Quantity"), "quantity"),
           Column("price", _l("Price"), "money"), Column("amount", _l("Amount"), "money", total=True),
           Column("estimated", _l("Estimated"), "int")]
KIND_ORDER = case({"charge": 0, "imbalance": 1, "benefit": 2, "recalculation": 3, "penalty": 4}, value=ChargeLine.kind, else_=9)


def charges_report(session, filters) -> Report:
    period = filters.period
    stmt = (select(Account.account_number, Service.code, ChargeLine.kind, ChargeLine.target_period,
                   ChargeLine.quantity, ChargeLine.price, ChargeLine.amount, ChargeLine.source)
            .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
            .where(ChargeLine.period == period)
            .order_by(Account.account_number, Service.code, KIND_ORDER, ChargeLine.target_period, ChargeLine.seq)
            .execution_options(yield_per=5000))

    def rows():
        for r in session.execute(stmt):
            yield (r[0], r[1], r[2], r[3], trim(r[4]), trim(r[5], 2), r[6], 1 if r[7] == "estimated" else 0)

    return Report("charges", str(_l("Charges")), period, COLUMNS, rows())


KINDS = [ReportKind("charges", _l("Charges"), charges_report, codes=tuple(c.code for c in COLUMNS))]
