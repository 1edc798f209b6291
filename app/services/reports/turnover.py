"""``turnover`` (оборотно-сальдова відомість) per account, formats.md:
account_number, opening, charged, recalculated, benefits, subsidies, paid, written_off, closing
with ``closing = opening + charged + recalculated + benefits + subsidies + paid + written_off``
(credits negative) on every row. The figures are the ledger's (:func:`app.services.ledger.turnover`):
payments, subsidies and reversals as soon as they are recorded; for the open period the draft
is added to charged, recalculated and benefits (what the close will freeze)."""

from sqlalchemy import select

from ...models import Account
from .. import ledger
from . import Report

COLUMNS = ["account_number", *ledger.TURNOVER_COLUMNS, "closing"]


def turnover_report(session, period: str) -> Report:
    totals = ledger.turnover(session, period)
    numbers = dict(session.execute(select(Account.id, Account.account_number)).all())

    def rows():
        for account_id in sorted(totals, key=lambda a: numbers.get(a, "")):
            values = totals[account_id]
            parts = [values[c] for c in ledger.TURNOVER_COLUMNS]
            if not any(parts):
                continue
            yield (numbers.get(account_id, str(account_id)), *parts, values["closing"])

    return Report("turnover", period, COLUMNS, rows(), money_columns=tuple(COLUMNS[1:]))


__all__ = ["turnover_report", "COLUMNS"]
