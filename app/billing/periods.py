"""Periods are calendar months written ``YYYY-MM`` (billing.md §1)."""
import calendar
import re
from datetime import date

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str) -> tuple[int, int]:
    match = _PERIOD_RE.match((text or "").strip())
    if not match:
        raise ValueError(f"not a period YYYY-MM: {text!r}")
    return int(match.group(1)), int(match.group(2))


def first_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, 1)


def last_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def days_in(period: str) -> int:
    return last_day(period).day


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + (month == 12):04d}-{month % 12 + 1:02d}"


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
