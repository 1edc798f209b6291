"""The billing part of the account card: the charge lines of a period beside their explanation
(«чому стільки?»), the balance by period and service, and the account's journal — a fixed
number of queries per card."""
from collections import defaultdict
from decimal import Decimal

from flask import request
from sqlalchemy import func, select

from ..extensions import current_appbuilder, db
from ..models import ChargeLine, ClosingBalance, JournalEntry, Period, Service
from ..models.billing import LINE_KINDS, VOLUME_SOURCES
from ..models.choices import JOURNAL_KINDS

BALANCE_PERIODS = 12
JOURNAL_ROWS = 30


def billing_card(account) -> dict | None:
    """None when the user may not see the journal."""
    if not current_appbuilder().sm.has_access("can_list", "Journal"):
        return None
    session = db.session
    periods = list(session.scalars(select(ChargeLine.period).where(ChargeLine.account_id == account.id)
                                   .distinct().order_by(ChargeLine.period.desc())))
    chosen = request.args.get("charges") or (periods[0] if periods else None)
    services = {s.id: s for s in session.scalars(select(Service))}
    lines = []
    if chosen:
        lines = list(session.scalars(select(ChargeLine).where(ChargeLine.account_id == account.id,
                                                              ChargeLine.period == chosen)
                                     .order_by(ChargeLine.seq)))
    return {
        "account_number": account.account_number, "periods": periods, "chosen": chosen, "lines": lines, "services": services,
        "line_kinds": LINE_KINDS, "sources": VOLUME_SOURCES, "journal_kinds": JOURNAL_KINDS,
        "total": sum((line.amount for line in lines), Decimal("0.00")),
        "balances": balances_by_period(session, account.id, services),
        "journal": list(session.scalars(select(JournalEntry).where(JournalEntry.account_id == account.id)
                                        .order_by(JournalEntry.id.desc()).limit(JOURNAL_ROWS))),
    }


def balances_by_period(session, account_id: int, services: dict) -> dict:
    """{"columns": [(service_id or None, label)], "rows": [(period, {service: amount}, total, draft?)]}:
    the closing balances of the last closed periods and, for the open period, the balance with
    its draft."""
    closed = list(session.scalars(select(Period.period).where(Period.status == "closed")
                                  .order_by(Period.period.desc()).limit(BALANCE_PERIODS)))
    table = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    if closed:
        for period, service_id, amount in session.execute(
                select(ClosingBalance.period, ClosingBalance.service_id, ClosingBalance.amount)
                .where(ClosingBalance.account_id == account_id, ClosingBalance.period.in_(closed))).all():
            table[period][service_id] += amount
    open_period = session.scalar(select(Period.period).where(Period.status == "open"))
    if open_period:
        for service_id, amount in session.execute(
                select(JournalEntry.service_id, func.sum(JournalEntry.amount))
                .where(JournalEntry.account_id == account_id, JournalEntry.posting_period <= open_period)
                .group_by(JournalEntry.service_id)).all():
            table[open_period][service_id] += amount
        for service_id, amount in session.execute(
                select(ChargeLine.service_id, func.sum(ChargeLine.amount))
                .where(ChargeLine.account_id == account_id, ChargeLine.period == open_period)
                .group_by(ChargeLine.service_id)).all():
            table[open_period][service_id] += amount
    used = sorted({s for row in table.values() for s in row}, key=lambda s: (s is None, services[s].code if s else ""))
    columns = [(s, services[s].code if s else None) for s in used]
    rows = []
    for period in sorted(table, reverse=True):
        values = table[period]
        rows.append((period, values, sum(values.values(), Decimal("0.00")), period == open_period))
    return {"columns": columns, "rows": rows}
