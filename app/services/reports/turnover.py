"""``turnover`` (оборотно-сальдова відомість) per account, formats.md:
account_number, opening, charged, recalculated, benefits, subsidies, paid, written_off, closing
with ``closing = opening + charged + recalculated + benefits + subsidies + paid + written_off``
(credits negative) on every row. The figures are the ledger's (:func:`app.services.ledger.turnover`):
payments, subsidies and reversals as soon as they are recorded; for the open period the draft
is added to charged, recalculated and benefits (what the close will freeze)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Account
from .. import ledger
from . import Column, Report, ReportKind

CODES = ["account_number", *ledger.TURNOVER_COLUMNS, "closing"]
COLUMNS = [Column("account_number", _l("Account")),
           *[Column(code, code, "money", total=True) for code in CODES[1:]]]


def turnover_report(session, filters) -> Report:
    period = filters.period
    totals = ledger.turnover(session, period)
    numbers = dict(session.execute(select(Account.id, Account.account_number)).all())

    def rows():
        for account_id in sorted(totals, key=lambda a: numbers.get(a, "")):
            values = totals[account_id]
            parts = [values[c] for c in ledger.TURNOVER_COLUMNS]
            if not any(parts):
                continue
            yield (numbers.get(account_id, str(account_id)), *parts, values["closing"])

    return Report("turnover", str(_l("Turnover statement")), period, COLUMNS, rows())


KINDS = [ReportKind("turnover", _l("Turnover statement"), turnover_report, codes=tuple(CODES))]
__all__ = ["turnover_report", "COLUMNS", "KINDS"]
