"""Working days (робочі дні): weekends and the public holidays a utility keeps as a setting.

Plain functions over dates; ``holidays`` is any collection of ``datetime.date`` (the holidays
store of the claim acts, or nothing). Saturday and Sunday are never working days. Used by the
penalty (its first day: the first working day after the due day, billing.md §11) and by the
claim acts' deadline (5 working days, Закон № 2189-VIII ст. 27).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Collection

ONE_DAY = timedelta(days=1)


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """A weekday that is not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: Collection[date] = ()) -> date:
    """The first working day strictly after ``day``."""
    day += ONE_DAY
    while not is_working_day(day, holidays):
        day += ONE_DAY
    return day


def add_working_days(day: date, count: int, holidays: Collection[date] = ()) -> date:
    """The ``count``-th working day after ``day`` (``count`` ≥ 0; 0 is ``day`` itself): a
    deadline of «N working days» from ``day``."""
    if count < 0:
        raise ValueError("count must not be negative")
    for _ in range(count):
        day = next_working_day(day, holidays)
    return day


def working_days(date_from: date, date_to: date, holidays: Collection[date] = ()) -> int:
    """The number of working days in ``date_from``…``date_to`` (inclusive; 0 when empty)."""
    days = 0
    day = date_from
    while day <= date_to:
        if is_working_day(day, holidays):
            days += 1
        day += ONE_DAY
    return days
