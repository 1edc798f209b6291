"""The reading rules (billing.md §4.3): monotonic registers, rollover past ``digits``, and
dates inside the meter's installation."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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


def reading_errors(meter: MeterFacts, neighbours: Neighbours, day: date, value: Decimal) -> list[FieldError]:
    """The rules of a reading ``value`` on ``day``: pure, the facts are given."""
    errors = []
    if value < 0:
        return [FieldError("value", _("Must not be negative"))]
    digits = meter.digits
    if digits and value >= Decimal(10) ** digits:
        errors.append(FieldError("value", _("The value has more digits than the meter (%(digits)s)", digits=digits)))
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
    if value < 0 or day < meter_facts.installed_on or (meter_facts.removed_on and day > meter_facts.removed_on):
        neighbours = Neighbours(False, None, None)  # refused before the neighbours matter
    else:
        neighbours = facts.reading_neighbours(meter.id, day, reading_id)
    return reading_errors(meter_facts, neighbours, day, value)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")
