"""``turnover`` (оборотно-сальдова відомість) per account, formats.md:
account_number, opening, charged, recalculated, benefits, subsidies, paid, written_off, closing
with ``closing = opening + charged + recalculated + benefits + subsidies + paid + written_off``
(credits negative) on every row — the columns are sums of the journal, so it holds exactly.

* opening — the balance at the start of the period (the previous closing balances, or the sum
  of earlier entries) plus ``opening_balance`` entries posted into the period (balances
  brought over from an old system);
* charged — charge and imbalance entries, and penalty and reversal entries;
* recalculated, benefits, subsidies, paid (payment), written_off (write_off) — by kind.

For the open period the not yet frozen draft is added to charged, recalculated and benefits (a
preview); payments and subsidies reach the journal when the period closes.
"""
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from ...models import Account, ChargeLine, ClosingBalance, JournalEntry, Period
from ..recalculation import as_decimal
from . import Report

COLUMNS = ["account_number", "opening", "charged", "recalculated", "benefits", "subsidies", "paid", "written_off",
           "closing"]
COLUMN_OF_KIND = {
    "opening_balance": "opening", "charge": "charged", "imbalance": "charged", "penalty": "charged",
    "reversal": "charged", "recalculation": "recalculated", "benefit": "benefits", "subsidy": "subsidies",
    "payment": "paid", "write_off": "written_off",
}


def turnover_rows(session, period: str) -> dict[int, dict]:
    """{account_id: {column: Decimal}} without the closing column."""
    totals = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    previous = session.scalar(select(Period.period).where(Period.status == "closed", Period.period < period)
                              .order_by(Period.period.desc()).limit(1))
    status = session.scalar(select(Period.status).where(Period.period == period))
    if previous is not None and previous == _before(period):
        opening = select(ClosingBalance.account_id, func.sum(ClosingBalance.amount)).where(
            ClosingBalance.period == previous).group_by(ClosingBalance.account_id)
    else:
        opening = select(JournalEntry.account_id, func.sum(JournalEntry.amount)).where(
            JournalEntry.posting_period < period).group_by(JournalEntry.account_id)
    for account_id, amount in session.execute(opening).all():
        totals[account_id]["opening"] += as_decimal(amount, 2)
    for account_id, kind, amount in session.execute(
            select(JournalEntry.account_id, JournalEntry.kind, func.sum(JournalEntry.amount))
            .where(JournalEntry.posting_period == period).group_by(JournalEntry.account_id, JournalEntry.kind)).all():
        totals[account_id][COLUMN_OF_KIND.get(kind, "charged")] += as_decimal(amount, 2)
    if status == "open":
        for account_id, kind, amount in session.execute(
                select(ChargeLine.account_id, ChargeLine.kind, func.sum(ChargeLine.amount))
                .where(ChargeLine.period == period).group_by(ChargeLine.account_id, ChargeLine.kind)).all():
            totals[account_id][COLUMN_OF_KIND.get(kind, "charged")] += as_decimal(amount, 2)
    return totals


def _before(period: str) -> str:
    from ...billing.periods import previous_period

    return previous_period(period)


def turnover_report(session, period: str) -> Report:
    totals = turnover_rows(session, period)
    numbers = dict(session.execute(select(Account.id, Account.account_number)
                                   .where(Account.id.in_(list(totals)) if len(totals) < 30000 else True)).all())

    def rows():
        for account_id in sorted(totals, key=lambda a: numbers.get(a, "")):
            values = totals[account_id]
            parts = [values[c] for c in COLUMNS[1:-1]]
            if not any(parts):
                continue
            yield (numbers.get(account_id, str(account_id)), *parts, sum(parts, Decimal("0.00")))

    return Report("turnover", period, COLUMNS, rows(), money_columns=tuple(COLUMNS[1:]))
