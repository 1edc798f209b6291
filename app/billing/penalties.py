"""Пеня (penalty) on overdue debt, billing.md §11 — off by default (the martial-law ban,
постанова КМУ № 206): ``penalty.enabled`` on the month's last day turns it on.

For each :class:`~app.billing.data.OverdueDebt` of an account and service the month's penalty is

* the debt it runs on, day by day: the debt already overdue when the month begins, and from
  the **first working day after the due day** (``invoice.due_day`` of this month; weekends and
  the ``holidays`` of the input are not working days) also last month's bill; the month's
  payments (``movements``) pay the oldest debt first; the restructured part (реструктуризація)
  is taken out while the agreement holds and comes back from its termination day; penalties
  already in the debt carry none; an exempt account's days (``PenaltyExemption``) carry none;
* × ``penalty.daily_pct`` per cent per day (default 0,01 %), summed over the days exactly and
  rounded once;
* capped so that the penalties on the debt, the earlier ones still unpaid and this one, stay
  within 100 % of it (the largest debt of the month).

One ``penalty`` line per account and service, explaining its days, base and rate.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .calendar import next_working_day
from .data import ChargeLine, OverdueDebt
from . import phrases as P
from .money import exact, round_money
from .periods import covers, days_in, first_day, last_day, parse_period

PENALTY = "penalty"
ENABLED_KEY, RATE_KEY, DUE_DAY_KEY = "penalty.enabled", "penalty.daily_pct", "invoice.due_day"
ZERO = Decimal("0.00")
ONE_DAY = timedelta(days=1)


def due_date(period: str, due_day) -> date:
    """The due day of ``period`` (the last month's bill is due on it), within the month."""
    year, month = parse_period(period)
    return date(year, month, max(1, min(int(due_day), days_in(period))))


def penalty_start(period: str, due_day, holidays=()) -> date:
    """The first day a penalty runs on last month's bill: the first working day after the due day."""
    return next_working_day(due_date(period, due_day), holidays)


def enabled(settings, period: str) -> bool:
    return settings.get(ENABLED_KEY, last_day(period)) != 0


def penalty_lines(book) -> list[ChargeLine]:
    """The month's penalty lines (none when the penalty is off for the month)."""
    inputs = book.inputs
    period = book.period
    if not inputs.overdue_debts or not enabled(book.settings, period):
        return []
    rate = book.settings.get(RATE_KEY, book.last)
    due = due_date(period, book.settings.get(DUE_DAY_KEY, book.last))
    start = next_working_day(due, inputs.holidays)
    exemptions = {}
    for e in inputs.penalty_exemptions:
        exemptions.setdefault(e.account_id, []).append(e)
    lines = []
    for debt in sorted(inputs.overdue_debts, key=lambda d: (d.account_id, d.service_id)):
        if debt.account_id not in book.accounts or debt.service_id not in book.services:
            continue
        line = penalty_line(debt, period, rate, due, start, exemptions.get(debt.account_id, ()),
                            book.services[debt.service_id].method)
        if line is not None:
            lines.append(line)
    return lines


def _pools(debt: OverdueDebt):
    """The debt in the order payments pay it: (name, amount, active from) — the ordinary overdue
    debt, last month's bill, then the restructured part (active only from its termination)."""
    overdue = max(debt.overdue, ZERO)
    due = max(debt.due, ZERO)
    restructured = min(max(debt.restructured, ZERO), overdue + due)
    from_overdue = min(restructured, overdue)
    from_due = restructured - from_overdue
    return overdue - from_overdue, due - from_due, restructured


def penalty_line(debt: OverdueDebt, period: str, rate: Decimal, due: date, start: date, exemptions=(),
                 method: str = "fixed") -> ChargeLine | None:
    """The penalty of one account and service for ``period`` (None: nothing to charge)."""
    first, last = first_day(period), last_day(period)
    ordinary, bill, restructured = _pools(debt)
    until = debt.restructured_until
    movements = sorted(debt.movements)
    # the days where something changes: the start of the bill's penalty, payments, the
    # agreement's termination, the exemptions' bounds
    cuts = {first, start, last + ONE_DAY}
    cuts.update(day for day, _ in movements)
    if until is not None and restructured:
        cuts.add(until)
    for e in exemptions:
        cuts.add(e.date_from)
        if e.date_to is not None:
            cuts.add(e.date_to + ONE_DAY)
    cuts = sorted(day for day in cuts if first <= day <= last + ONE_DAY)
    segments = []  # (from, to, days, base)
    exempt_days = 0
    for seg_from, seg_to_next in zip(cuts, cuts[1:]):
        seg_to = seg_to_next - ONE_DAY
        paid = -sum((amount for day, amount in movements if day <= seg_from), ZERO)
        paid = max(paid, ZERO)
        left = []
        for pool in (ordinary, bill, restructured):
            used = min(pool, paid)
            left.append(pool - used)
            paid -= used
        base = left[0]
        if seg_from >= start:
            base += left[1]
        if until is not None and seg_from >= until:
            base += left[2]
        days = (seg_to - seg_from).days + 1
        if any(covers(e.date_from, e.date_to, seg_from) for e in exemptions):
            if base > 0:
                exempt_days += days
            continue
        if base <= 0:
            continue
        if segments and segments[-1][3] == base and segments[-1][1] + ONE_DAY == seg_from:
            prev_from, _, prev_days, _ = segments.pop()
            segments.append((prev_from, seg_to, prev_days + days, base))
        else:
            segments.append((seg_from, seg_to, days, base))
    if not segments:
        return None
    daily = exact(rate) / 100
    raw = sum((exact(base) * days * daily for _, _, days, base in segments), Fraction(0))
    amount = round_money(raw)
    largest = max(base for _, _, _, base in segments)
    room = max(largest - max(debt.penalty_in_debt, ZERO), ZERO)
    capped = amount > room
    amount = min(amount, room)
    if amount <= 0:
        return None
    days = sum(d for _, _, d, _ in segments)
    text = [("penalty", P.num(rate), P.day(due), P.day(start))]
    if restructured:
        text.append(("penalty_restructured", str(debt.agreement), P.money(restructured)) if until is None else
                    ("penalty_restructured_until", str(debt.agreement), P.money(restructured), P.day(until)))
    if debt.penalty_in_debt > 0:
        text.append(("penalty_unpaid", P.money(debt.penalty_in_debt)))
    for seg_from, seg_to, seg_days, base in segments:
        text.append(("penalty_days", P.day(seg_from), P.day(seg_to), seg_days, P.money(base), P.num(rate),
                     P.money(exact(base) * seg_days * daily)))
    if exempt_days:
        text.append(("penalty_exempt", exempt_days))
    text.append(("penalty_total", days, P.money(raw)))
    if capped:
        text.append(("penalty_cap", P.money(largest), P.money(debt.penalty_in_debt), P.money(amount)))
    return ChargeLine(debt.account_id, debt.service_id, PENALTY, period, segments[0][0], segments[-1][1], days,
                      largest, largest, rate, amount, method, None, Decimal(0), tuple(text))
