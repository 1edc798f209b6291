"""Charged against collected, month by month — the dashboard's chart and its collection rate.

For each period (the month an entry is *posted* into, as the turnover counts it):

* ``charged`` — what the payers were billed for the month: the turnover's columns *charged*
  (charges, imbalance, penalties), *recalculated* and *benefits* (a benefit lowers the bill);
* ``collected`` — the money that came in against the bills: *paid* (payments net of their
  reversals) and *subsidies*, both positive as received.

The open period is included with its draft (the charges of its last billing run, as the
turnover and the periods report show the open month), and flagged ``open``: its payments are
still coming in. Write-offs are neither: they close a debt without money.

One grouped statement over the journal (and one over the open period's draft), whatever the
number of accounts. A period with no entries reads as zeros.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ...billing.periods import previous_period
from ...models import ChargeLine, JournalEntry
from .books import ZERO, column_of, last_closed, money, open_period

CHARGED = ("charged", "recalculated", "benefits")
COLLECTED = ("paid", "subsidies")


@dataclass(frozen=True)
class MonthFlow:
    period: str
    charged: Decimal
    collected: Decimal
    open: bool = False

    @property
    def rate(self) -> Decimal | None:
        """collected / charged as a percent with one decimal (None when nothing was charged)."""
        return collection_rate(self.collected, self.charged)


def collection_rate(collected: Decimal, charged: Decimal) -> Decimal | None:
    if charged <= 0:
        return None
    return (collected * 100 / charged).quantize(Decimal("0.1"))


def _months(last: str, months: int) -> list[str]:
    periods = [last]
    while len(periods) < months:
        periods.append(previous_period(periods[-1]))
    return periods[::-1]


def charged_collected(session, months: int = 12, last: str | None = None) -> list[MonthFlow]:
    """The ``months`` periods up to ``last`` (default: the open period, else the last closed
    one), oldest first: [:class:`MonthFlow`]. Empty when no period exists."""
    current = open_period(session)
    last = last or current or last_closed(session)
    if last is None:
        return []
    periods = _months(last, months)
    sums = defaultdict(lambda: defaultdict(lambda: ZERO))
    je = JournalEntry
    rows = session.execute(
        select(je.posting_period, je.kind, je.detail_kind, func.sum(je.amount))
        .where(je.posting_period >= periods[0], je.posting_period <= periods[-1])
        .group_by(je.posting_period, je.kind, je.detail_kind))
    for period, kind, detail_kind, amount in rows:
        sums[period][column_of(kind, detail_kind)] += money(amount)
    if current is not None and current in periods:
        for kind, amount in session.execute(select(ChargeLine.kind, func.sum(ChargeLine.amount))
                                            .where(ChargeLine.period == current).group_by(ChargeLine.kind)):
            sums[current][column_of(kind, None)] += money(amount)
    result = []
    for period in periods:
        columns = sums.get(period, {})
        result.append(MonthFlow(period, sum((columns.get(c, ZERO) for c in CHARGED), ZERO),
                                -sum((columns.get(c, ZERO) for c in COLLECTED), ZERO), period == current))
    return result
