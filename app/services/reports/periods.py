"""``periods``: every period, newest first — open or closed, when it was closed and by whom, and
what was charged and paid in it (the ledger's :func:`app.services.ledger.period_totals`: one
grouped statement over the journal; the open period with its draft, as the turnover shows it).

Columns: period, status (``open``/``closed``), closed_at (``YYYY-MM-DD HH:MM``, Kyiv time), closed_by, charged
(charges, imbalance and penalties), recalculated, benefits and subsidies (negative, as in the
journal), paid (positive as received, net of reversals), written_off (negative).

Who closed a period: the close writes the period's charges into the journal under the closing
user's name (document ``billing-P``); a period closed with nothing to freeze has no name."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Period
from ...models.choices import PERIOD_STATUSES
from ...validation.readings import local_moment
from .. import ledger
from . import Column, Report, ReportKind

COLUMNS = [
    Column("period", _l("Period")), Column("status", _l("Status"), people=False),
    Column("status_name", _l("State"), machine=False),
    Column("closed_at", _l("Closed at"), width=17), Column("closed_by", _l("Closed by"), width=20),
    Column("charged", _l("Charged"), "money", total=True),
    Column("recalculated", _l("Recalculated"), "money", total=True),
    Column("benefits", _l("Benefits"), "money", total=True),
    Column("subsidies", _l("Subsidies"), "money", total=True),
    Column("paid", _l("Paid"), "money", total=True),
    Column("written_off", _l("Written off"), "money", total=True),
]
CODES = tuple(c.code for c in COLUMNS if c.machine)


def closed_by(session) -> dict[str, str]:
    """{period: the user who closed it} from the journal's frozen charges (``billing-P``)."""
    entries = ledger.entries_query(document="billing-").order_by(None).subquery()
    found = {}
    for period, document, user in session.execute(
            select(entries.c.posting_period, entries.c.document, entries.c.created_by)
            .where(entries.c.created_by.is_not(None)).distinct()):
        if document == f"billing-{period}":
            found[period] = user
    return found


def periods_report(session, filters) -> Report:
    periods = session.execute(select(Period.period, Period.status, Period.closed_at)
                              .order_by(Period.period.desc())).all()
    totals = ledger.period_totals(session)
    who = closed_by(session)
    rows = []
    for period, status, closed_at in periods:
        values = totals.get(period) or dict.fromkeys(ledger.TURNOVER_COLUMNS, ledger.books.ZERO)
        rows.append((period, status, str(PERIOD_STATUSES.labels.get(status, status)),
                     local_moment(closed_at).strftime("%Y-%m-%d %H:%M") if closed_at else None,
                     who.get(period) if status == "closed" else None,
                     values["charged"], values["recalculated"], values["benefits"], values["subsidies"],
                     -values["paid"], values["written_off"]))
    first = periods[-1][0] if periods else ""
    return Report("periods", str(_l("Periods")), first, COLUMNS, rows)


KINDS = [ReportKind("periods", _l("Periods"), periods_report, codes=CODES, filters=(), money=True)]
__all__ = ["periods_report", "closed_by", "KINDS"]
