"""The reading rules (billing.md §4.3): monotonic registers, rollover past ``digits``, dates
inside the meter's installation and not after today — for the form, the REST API and the
import alike.

A reading dated in a *closed* period is accepted: the period is recalculated in the open one
(billing.md §10), and the user is told so (:func:`closed_period_notice` on the form and the
API, :func:`closed_period_warnings` in the import's preview and report)."""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Collection, Iterable

from flask_babel import gettext as _

from .core import FieldError
from .facts import Neighbours, SessionFacts

# A lower reading is taken as a rollover only when the implied consumption is below this
# share of the register's capacity; anything else is a typing mistake.
ROLLOVER_MAX_SHARE = Decimal("0.1")


def rollover_consumption(previous: Decimal, value: Decimal, digits: int | None) -> Decimal | None:
    """Consumption across a rollover, or None if ``value < previous`` is not a rollover."""
    if not digits:
        return None
    capacity = Decimal(10) ** digits
    if value >= capacity or previous >= capacity:
        return None
    consumption = value + capacity - previous
    return consumption if consumption < capacity * ROLLOVER_MAX_SHARE else None


@dataclass(frozen=True)
class MeterFacts:
    """What the reading rules need to know about the meter."""

    installed_on: date
    removed_on: date | None
    initial_reading: Decimal
    digits: int | None

    @classmethod
    def of(cls, meter) -> "MeterFacts":
        return cls(meter.installed_on, meter.removed_on, Decimal(meter.initial_reading or 0),
                   meter.meter_type.digits if meter.meter_type else None)


def provider_zone():
    """The provider's time zone (``BABEL_DEFAULT_TIMEZONE``, Europe/Kyiv); outside an
    application (a script, a test's helper) the same default: never the server's."""
    from zoneinfo import ZoneInfo

    from flask import current_app, has_app_context

    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or PROVIDER_TIMEZONE)


def local_today() -> date:
    """Today in the provider's time zone, not the server's: at 01:00 in Kyiv a server on UTC
    is still in yesterday."""
    return datetime.now(provider_zone()).date()


def utcnow() -> datetime:
    """Now as every ``DateTime`` stamp the system writes is stored: naive UTC (like ``func.now()``
    on a session in UTC and SQLite's CURRENT_TIMESTAMP), never the server's local time —
    :func:`local_moment` shows it in Kyiv time. The one clock of the stamps written in Python
    (approvals, cancellations, heartbeats, mail, sessions); in an application whose config has
    ``OBLIK_CLOCK`` (a callable returning naive UTC, for tests) that clock."""
    from datetime import timezone

    from flask import current_app, has_app_context

    clock = current_app.config.get("OBLIK_CLOCK") if has_app_context() else None
    if clock is not None:
        return clock()
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_moment(value: datetime) -> datetime:
    """A stored moment (naive UTC, as every ``DateTime`` stamp is written; an aware one as it
    says) in the provider's time zone, naive — as people read it."""
    from datetime import timezone

    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(provider_zone()).replace(tzinfo=None)


PROVIDER_TIMEZONE = "Europe/Kyiv"  # config.py's BABEL_DEFAULT_TIMEZONE


def reading_errors(meter: MeterFacts, neighbours: Neighbours, day: date, value: Decimal,
                   today: date | None = None) -> list[FieldError]:
    """The rules of a reading ``value`` on ``day``: pure, the facts (and ``today``) are given."""
    errors = []
    if value < 0:
        return [FieldError("value", _("Must not be negative"))]
    digits = meter.digits
    if digits and value >= Decimal(10) ** digits:
        errors.append(FieldError("value", _("The value has more digits than the meter (%(digits)s)", digits=digits)))
    today = local_today() if today is None else today
    if day > today:
        errors.append(FieldError("date", _("The reading date %(date)s is in the future (today is %(today)s): "
                                           "a reading is entered once it has been taken",
                                           date=day.strftime("%d.%m.%Y"), today=today.strftime("%d.%m.%Y"))))
        return errors
    if day < meter.installed_on or (meter.removed_on and day > meter.removed_on):
        errors.append(FieldError("date", _("The date is outside the meter's installation (%(start)s – %(end)s)",
                                           start=meter.installed_on.strftime("%d.%m.%Y"),
                                           end=meter.removed_on.strftime("%d.%m.%Y") if meter.removed_on else "…")))
        return errors
    if neighbours.same_day:
        errors.append(FieldError("date", _("This meter already has a reading on this date")))
        return errors
    prev, nxt = neighbours.previous, neighbours.next
    prev_value = prev.value if prev else meter.initial_reading
    if value < prev_value and rollover_consumption(prev_value, value, digits) is None:
        when = prev.date.strftime("%d.%m.%Y") if prev else _("installation")
        errors.append(FieldError("value", _("The reading %(value)s is below the previous one (%(previous)s on %(when)s)",
                                            value=_fmt(value), previous=_fmt(prev_value), when=when)))
    if nxt and nxt.value < value and rollover_consumption(value, nxt.value, digits) is None:
        errors.append(FieldError("value", _("The reading %(value)s is above the next one (%(next)s on %(when)s)",
                                            value=_fmt(value), next=_fmt(nxt.value),
                                            when=nxt.date.strftime("%d.%m.%Y"))))
    return errors


def check_reading(facts, meter, day, value: Decimal, reading_id=None) -> list[FieldError]:
    """Load the facts of one reading (``facts``: a provider of ``app.validation.facts``, or
    a session) and apply :func:`reading_errors`."""
    if not hasattr(facts, "reading_neighbours"):
        facts = SessionFacts(facts)
    meter_facts = MeterFacts.of(meter)
    today = local_today()
    if (value < 0 or day > today or day < meter_facts.installed_on
            or (meter_facts.removed_on and day > meter_facts.removed_on)):
        neighbours = Neighbours(False, None, None)  # refused before the neighbours matter
    else:
        neighbours = facts.reading_neighbours(meter.id, day, reading_id)
    return reading_errors(meter_facts, neighbours, day, value, today)


# --- a reading in a closed period: accepted, with a notice -----------------------------------


def period_states(session) -> tuple[frozenset, str | None]:
    """(the closed periods, the open period) — the ``period`` table has a row a month."""
    from sqlalchemy import select

    from ..models import Period

    rows = session.execute(select(Period.period, Period.status)).all()
    closed = frozenset(period for period, status in rows if status == "closed")
    return closed, next((period for period, status in rows if status == "open"), None)


def _recalculated(open_period) -> str:
    if open_period:
        return _("its charges will be recalculated in the open period %(open)s", open=open_period)
    return _("its charges will be recalculated in the open period")


def closed_period_notice(days: Iterable[date | None], closed: Collection[str], open_period: str | None) -> str | None:
    """The notice for a reading dated (or, edited, formerly dated) in a closed period, or None.
    ``days``: the reading's date — and its date before an edit."""
    from ..billing.periods import period_of

    touched = sorted({period_of(day) for day in days if day is not None} & set(closed))
    if not touched:
        return None
    return _("The reading is dated in the closed period %(period)s: %(recalculated)s",
             period=touched[0], recalculated=_recalculated(open_period))


def closed_period_warnings(rows: Iterable[tuple[int, date]], closed: Collection[str], open_period: str | None,
                           shown_rows: int = 10) -> list[str]:
    """The import's warnings: one per closed period that the file's readings (``(row, date)``)
    fall in, with the count and the first row numbers."""
    from ..billing.periods import period_of

    by_period: dict[str, list[int]] = {}
    for number, day in rows:
        period = period_of(day)
        if period in closed:
            by_period.setdefault(period, []).append(number)
    warnings = []
    for period, numbers in sorted(by_period.items()):
        numbers.sort()
        listed = ", ".join(str(n) for n in numbers[:shown_rows]) + (", …" if len(numbers) > shown_rows else "")
        warnings.append(_("Readings dated in the closed period %(period)s: %(count)s (rows %(rows)s) — "
                          "%(recalculated)s", count=len(numbers), period=period, rows=listed,
                          recalculated=_recalculated(open_period)))
    return warnings


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")
