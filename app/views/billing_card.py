"""The billing part of the account card: the charge lines of a period beside their explanation
(«чому стільки?»), the balance now and by period and service, payments waiting for their period,
and the account's journal — every figure from the ledger, in a fixed number of queries."""
from decimal import Decimal

from flask import request
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import ChargeLine, Service
from ..models.billing import LINE_KINDS, VOLUME_SOURCES
from ..models.choices import JOURNAL_KINDS
from ..services import ledger

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
    history = ledger.balance_history(session, account.id, BALANCE_PERIODS)
    _, recorded = ledger.account_balance(session, account.id)
    drafted = bool(history) and history[0][3] and history[0][0] in periods  # the open month has been billed
    return {
        "account_id": account.id, "account_number": account.account_number, "periods": periods, "chosen": chosen,
        "lines": lines, "services": services,
        "line_kinds": LINE_KINDS, "sources": VOLUME_SOURCES, "journal_kinds": JOURNAL_KINDS,
        "total": sum((line.amount for line in lines), Decimal("0.00")),
        "balance_now": recorded,
        "balance_with_draft": history[0][2] if drafted else recorded,
        "open_period": history[0][0] if drafted else None,
        "balances": _table(history, services),
        "waiting": ledger.waiting_payments(session, account.id),
        "journal": list(session.scalars(ledger.entries_query(account_id=account.id).limit(JOURNAL_ROWS))),
    }


def _table(history, services) -> dict:
    """{"columns": [(service_id or None, code)], "rows": [(period, {service: amount}, total, open?)]}."""
    used = sorted({s for _, book, _, _ in history for s in book},
                  key=lambda s: (s is None, services[s].code if s in services else ""))
    columns = [(s, services[s].code if s in services else None) for s in used]
    return {"columns": columns, "rows": history}
