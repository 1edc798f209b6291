"""Periods are calendar months written ``YYYY-MM`` (billing.md §1); dates and inclusive date
ranges (an empty end is open), and dates as people type them (``дд.мм.рррр``)."""
import calendar
import re
from datetime import date, datetime
from functools import lru_cache

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str) -> tuple[int, int]:
    if type(text) is str:
        return _parse_period(text)
    return _parse_period.__wrapped__(text)


@lru_cache(maxsize=1024)
def _parse_period(text: str) -> tuple[int, int]:
    match = _PERIOD_RE.match((text or "").strip())
    if not match:
        raise ValueError(f"not a period YYYY-MM: {text!r}")
    return int(match.group(1)), int(match.group(2))


@lru_cache(maxsize=1024)
def first_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, 1)


@lru_cache(maxsize=1024)
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


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def days_of(period: str) -> list[date]:
    """Every day of the month, in order (a new list; the days are computed once per month)."""
    return list(_days_of(period))


def month_days(period: str) -> tuple[date, ...]:
    """Every day of the month, in order — one shared tuple per month (do not keep a copy)."""
    return _days_of(period)


@lru_cache(maxsize=256)
def _days_of(period: str) -> tuple[date, ...]:
    start = first_day(period)
    return tuple(start.replace(day=n) for n in range(1, days_in(period) + 1))


def covers(date_from: date | None, date_to: date | None, day: date) -> bool:
    """Is ``day`` inside the inclusive range ``date_from … date_to`` (empty = open ended)?"""
    return (date_from is None or date_from <= day) and (date_to is None or day <= date_to)


def overlaps(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    """Do two inclusive date ranges meet? An empty start or end is open."""
    return (a_to is None or b_from is None or b_from <= a_to) and (b_to is None or a_from is None or a_from <= b_to)


DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")


def parse_date(text) -> date:
    """A date as typed on a Ukrainian screen or in a file: ``дд.мм.рррр`` (ISO and ``дд.мм.рр``
    accepted too); ValueError otherwise. The one parser of forms, filters and imports."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(str(text).strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def clip(date_from: date | None, date_to: date | None, period: str) -> tuple[date, date] | None:
    """The part of an inclusive date range inside the month, or None if they do not meet."""
    start = max(date_from, first_day(period)) if date_from else first_day(period)
    end = min(date_to, last_day(period)) if date_to else last_day(period)
    return (start, end) if start <= end else None


def value_on(entries, day: date, attr: str = "valid_from"):
    """The entry valid on ``day``: the one with the latest ``valid_from`` ≤ ``day`` (price
    lists, norms, settings, area changes). None when every entry starts later."""
    best = None
    for entry in entries:
        start = getattr(entry, attr)
        if start <= day and (best is None or start >= getattr(best, attr)):
            best = entry
    return best


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, as ЦК ст. 253–254 count a term: the same day
    of the month, or that month's last day when it has no such day (29.02.2024 + 36 → 28.02.2027)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
