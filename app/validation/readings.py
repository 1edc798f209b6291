"""The reading rules (billing.md §4.3): monotonic registers, rollover past ``digits``, and
dates inside the meter's installation."""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..models import Reading
from .core import FieldError

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


def check_reading(session, meter, day, value: Decimal, reading_id=None) -> list[FieldError]:
    errors = []
    if value < 0:
        return [FieldError("value", _("Must not be negative"))]
    digits = meter.meter_type.digits if meter.meter_type else None
    if digits and value >= Decimal(10) ** digits:
        errors.append(FieldError("value", _("The value has more digits than the meter (%(digits)s)", digits=digits)))
    if day < meter.installed_on or (meter.removed_on and day > meter.removed_on):
        errors.append(FieldError("date", _("The date is outside the meter's installation (%(start)s – %(end)s)",
                                           start=meter.installed_on.strftime("%d.%m.%Y"),
                                           end=meter.removed_on.strftime("%d.%m.%Y") if meter.removed_on else "…")))
        return errors
    same_day = select(Reading.id).where(Reading.meter_id == meter.id, Reading.date == day)
    if reading_id is not None:
        same_day = same_day.where(Reading.id != reading_id)
    if session.scalar(same_day):
        errors.append(FieldError("date", _("This meter already has a reading on this date")))
        return errors
    before = select(Reading.date, Reading.value).where(Reading.meter_id == meter.id, Reading.date < day)
    after = select(Reading.date, Reading.value).where(Reading.meter_id == meter.id, Reading.date > day)
    if reading_id is not None:
        before = before.where(Reading.id != reading_id)
        after = after.where(Reading.id != reading_id)
    prev = session.execute(before.order_by(Reading.date.desc()).limit(1)).first()
    nxt = session.execute(after.order_by(Reading.date).limit(1)).first()
    prev_value = Decimal(prev.value) if prev else Decimal(meter.initial_reading or 0)
    if value < prev_value and rollover_consumption(prev_value, value, digits) is None:
        when = prev.date.strftime("%d.%m.%Y") if prev else _("installation")
        errors.append(FieldError("value", _("The reading %(value)s is below the previous one (%(previous)s on %(when)s)",
                                            value=_fmt(value), previous=_fmt(prev_value), when=when)))
    if nxt and Decimal(nxt.value) < value and rollover_consumption(value, Decimal(nxt.value), digits) is None:
        errors.append(FieldError("value", _("The reading %(value)s is above the next one (%(next)s on %(when)s)",
                                            value=_fmt(value), next=_fmt(Decimal(nxt.value)),
                                            when=nxt.date.strftime("%d.%m.%Y"))))
    return errors


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")
