"""Cutting a month into segments (billing.md §2).

A line's month is cut only where something that changes the line changes. Instead of
listing causes and hoping the list is complete, the engine evaluates the line **day by
day** into a key — (base quantity, price, reduction, and the facts the explanation shows,
such as the persons counted and the norm) — and consecutive days with an equal key form
one segment. So a price list entry that repeats the old price, or a resident leaving on
the day another arrives, does not cut a ``persons`` line; a registration change does not
cut a line billed by an actual meter volume; a claim act cuts only the lines it reduces.
A day on which the line is not active (account closed, service ended) is not billed, and
the gap ends the segment.

For a segment of ``d`` days with monthly base quantity ``q``, price ``p`` and reduction
``r``::

    amount = round(q × p × d / D × (1 − r), 2)      shown quantity = round(q × d / D, precision)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable, Hashable, Iterable

from .money import Number, ratio, round_ratio
from .periods import days_of, month_days  # noqa: F401


@dataclass(frozen=True)
class Segment:
    date_from: date
    date_to: date
    days: int
    key: Hashable


def active_days(period: str, *ranges: tuple[date | None, date | None]) -> list[date]:
    """The days of the month inside every one of the inclusive ``(date_from, date_to)`` ranges."""
    days = month_days(period)
    start, end = days[0], days[-1]
    for date_from, date_to in ranges:
        if date_from is not None and date_from > start:
            start = date_from
        if date_to is not None and date_to < end:
            end = date_to
    if start > end:
        return []
    return list(days[start.day - 1:end.day])


def cut(days: Iterable[date], key_of: Callable[[date], Hashable | None]) -> list[Segment]:
    """Group consecutive days with an equal key; a day whose key is None is not billed."""
    segments: list[Segment] = []
    start = prev = key = None
    prev_ordinal = None
    for day in sorted(days):
        day_key = key_of(day)
        ordinal = day.toordinal()
        if day_key is None:
            continued = False
        else:
            continued = prev is not None and ordinal == prev_ordinal + 1 and (day_key is key or day_key == key)
        if not continued and start is not None:
            segments.append(Segment(start, prev, (prev - start).days + 1, key))
            start = None
        if day_key is None:
            prev = key = prev_ordinal = None
            continue
        if start is None:
            start, key = day, day_key
        prev, prev_ordinal = day, ordinal
    if start is not None:
        segments.append(Segment(start, prev, (prev - start).days + 1, key))
    return segments


def segment_amount(q: Number, price: Number, days: int, month_days: int,
                   reduction: Number = 0) -> Decimal:
    """``round(q × p × d / D × (1 − r), 2)``, computed exactly and rounded once."""
    qn, qd = ratio(q)
    pn, pd = ratio(price)
    rn, rd = ratio(reduction)
    return round_ratio(qn * pn * days * (rd - rn), qd * pd * month_days * rd, 2)


def segment_quantity(q: Number, days: int, month_days: int, precision: int) -> Decimal:
    """``round(q × d / D, precision)``."""
    qn, qd = ratio(q)
    return round_ratio(qn * days, qd * month_days, precision)
