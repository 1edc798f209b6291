"""``charges``: every charge line of the period (the draft while it is open), formats.md:
account_number, service_code, kind, target_period, quantity, price, amount, estimated (0/1)."""
from sqlalchemy import case, select

from ...billing.money import trim
from ...models import Account, ChargeLine, Service
from . import Report

COLUMNS = ["account_number", "service_code", "kind", "target_period", "quantity", "price", "amount", "estimated"]
KIND_ORDER = case({"charge": 0, "imbalance": 1, "benefit": 2, "recalculation": 3, "penalty": 4}, value=ChargeLine.kind, else_=9)


def charges_report(session, period: str) -> Report:
    stmt = (select(Account.account_number, Service.code, ChargeLine.kind, ChargeLine.target_period,
                   ChargeLine.quantity, ChargeLine.price, ChargeLine.amount, ChargeLine.source)
            .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
            .where(ChargeLine.period == period)
            .order_by(Account.account_number, Service.code, KIND_ORDER, ChargeLine.target_period, ChargeLine.seq)
            .execution_options(yield_per=5000))

    def rows():
        for r in session.execute(stmt):
            yield (r[0], r[1], r[2], r[3], trim(r[4]), trim(r[5], 2), r[6], 1 if r[7] == "estimated" else 0)

    return Report("charges", period, COLUMNS, rows(), money_columns=("price", "amount"),
                  quantity_columns=("quantity",))
