"""Відомість показників (issue 12): a whole building's (or entrance's) readings entered at once.

* :func:`sheet` — every meter in service of the building on a day, in the order of the round:
  house meters first, then by entrance and flat in natural order (1, 2, … 10, 10а); each with
  its previous reading (value and date) and its average monthly consumption. A few queries for
  the whole sheet, never one per meter.
* :func:`save` — the rows typed on the sheet, checked by the reading rules of the form, the REST
  API and the import (:func:`app.validation.readings.reading_errors`, with the import's bulk
  facts :class:`app.services.imports.facts.BulkFacts`), plus one check of its own: a consumption
  over ``readings.high_factor`` (default 3) × the meter's average is implausibly high and is
  saved only when the row is confirmed («підтверджую»). All or nothing: one refused row and
  nothing is written, every refused row explained; else one bulk insert.

An empty new value is no reading for that meter (not an error, not zero); a consumption of 0 is
a reading. A reading dated in a closed period is accepted, as everywhere (billing.md §10), with a
notice that the period is recalculated in the open one.

The average monthly consumption of a meter: its actual readings (not estimates) of the last 12
months before the day, with its installation reading when it was installed in that time — the
consumption between the first and the last of them (a rollover counted as the register turns
over) over the days between, × 30,44 days (365,25 / 12). Fewer than two such readings, or less
than 28 days between the first and the last: no average, and no check of high consumption. A
consumption is implausibly high when it is over factor × average × the months since the previous
reading (at least one month): a reading taken two months after the last one may carry two months.
A meter whose average is 0 (a vacant flat) has nothing to compare with: not checked."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..billing.settings import DEFAULTS
from ..models import Building, Meter, MeterType, Premise, Reading
from ..models.choices import METER_RESOURCES
from ..validation.facts import Neighbours, ReadingPoint
from ..validation.readings import (
    MeterFacts, closed_period_notice, local_today, period_states, reading_errors, rollover_consumption,
)
from .invoices.data import natural_key

HIGH_FACTOR_KEY = "readings.high_factor"
AVERAGE_WINDOW_DAYS = 365     # the readings an average is taken from: the last 12 months
AVERAGE_MIN_DAYS = 28         # an average needs about a month between its first and last reading
MONTH_DAYS = Decimal("30.4375")  # 365,25 / 12
SOURCE = "inspector"          # a reading of the round (READING_SOURCES)
ESTIMATE = "estimate"


class SheetRefused(Exception):
    """The sheet cannot be opened or saved at all (no such building): a message for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    number: int                     # the row of the sheet, from 1
    meter_id: int
    serial: str
    resource: str
    resource_name: str
    premise_id: int | None          # None: a house meter
    premise_number: str             # "" for a house meter
    entrance: int | None
    digits: int | None
    installed_on: date
    removed_on: date | None
    initial_reading: Decimal
    previous_value: Decimal         # the last reading on or before the day, else the installation's
    previous_date: date | None      # None: no reading yet (the installation reading is shown)
    average: Decimal | None         # average monthly consumption, None: no basis

    @property
    def is_house_meter(self) -> bool:
        return self.premise_id is None

    @property
    def place(self) -> str:
        return _("House meter") if self.is_house_meter else self.premise_number

    def facts(self) -> MeterFacts:
        return MeterFacts(self.installed_on, self.removed_on, self.initial_reading, self.digits)


@dataclass
class Sheet:
    building_id: int
    building_code: str
    address: str
    entrance: int | None
    on: date
    factor: Decimal
    rows: list[SheetRow]
    entrances: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A refused row: its number on the sheet, the field (``value``, ``date``, ``confirmed``
    or "" for the row as a whole) and the reason, in the user's language."""

    row: int
    meter_id: int | None
    field: str
    message: str


@dataclass
class Saved:
    saved: int = 0
    problems: list[Problem] = field(default_factory=list)
    high: dict[int, str] = field(default_factory=dict)   # meter id → the high-consumption warning
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def high_factor(session, day: date) -> Decimal:
    """The setting ``readings.high_factor`` in force on ``day`` (its default when not stored)."""
    from .reminders import setting_value

    try:
        factor = Decimal(setting_value(session, HIGH_FACTOR_KEY, day))
    except Exception:  # a setting that is not a number: the default
        factor = DEFAULTS[HIGH_FACTOR_KEY]
    return factor if factor > 0 else DEFAULTS[HIGH_FACTOR_KEY]


def building_entrances(session, building_id: int) -> list[int]:
    return list(session.scalars(select(Premise.entrance).where(Premise.building_id == building_id,
                                                                Premise.entrance.is_not(None))
                                .distinct().order_by(Premise.entrance)))


def sheet(session, building_id: int, entrance: int | None = None, on: date | None = None) -> Sheet:
    """The sheet of ``building_id`` (or of its ``entrance``: its flats only, no house meter) on
    ``on`` (default today, Kyiv): three queries whatever the number of meters."""
    on = on or local_today()
    building = session.execute(select(Building.id, Building.code, Building.address)
                               .where(Building.id == building_id)).first()
    if building is None:
        raise SheetRefused(_("The building was not found"))
    stmt = (select(Meter.id, Meter.serial, MeterType.resource, MeterType.digits, Meter.premise_id, Premise.number,
                   Premise.entrance, Meter.installed_on, Meter.removed_on, Meter.initial_reading)
            .join(MeterType, MeterType.id == Meter.meter_type_id)
            .outerjoin(Premise, Premise.id == Meter.premise_id)
            .where(Meter.building_id == building_id, Meter.installed_on <= on,
                   or_(Meter.removed_on.is_(None), Meter.removed_on >= on)))
    if entrance is not None:
        stmt = stmt.where(Premise.entrance == entrance)
    meters = session.execute(stmt).all()
    meters.sort(key=lambda m: (m.premise_id is not None, m.entrance if m.entrance is not None else 10 ** 6,
                               natural_key(m.number or ""), m.resource, m.serial))
    ids = [m.id for m in meters]
    previous = last_readings(session, ids, on)
    averages = average_monthly(session, {m.id: (m.installed_on, Decimal(m.initial_reading or 0), m.digits)
                                         for m in meters}, on)
    rows = []
    for number, m in enumerate(meters, 1):
        prev = previous.get(m.id)
        rows.append(SheetRow(
            number=number, meter_id=m.id, serial=m.serial, resource=m.resource,
            resource_name=str(METER_RESOURCES.labels.get(m.resource, m.resource)),
            premise_id=m.premise_id, premise_number=m.number or "", entrance=m.entrance, digits=m.digits,
            installed_on=m.installed_on, removed_on=m.removed_on, initial_reading=Decimal(m.initial_reading or 0),
            previous_value=prev.value if prev else Decimal(m.initial_reading or 0),
            previous_date=prev.date if prev else None, average=averages.get(m.id)))
    return Sheet(building.id, building.code, building.address, entrance, on, high_factor(session, on), rows,
                 building_entrances(session, building_id))


def last_readings(session, meter_ids, on: date) -> dict[int, ReadingPoint]:
    """Per meter: its last reading dated on or before ``on`` — one query (a grouped subquery)."""
    if not meter_ids:
        return {}
    last = (select(Reading.meter_id.label("meter_id"), func.max(Reading.date).label("day"))
            .where(Reading.meter_id.in_(meter_ids), Reading.date <= on).group_by(Reading.meter_id).subquery())
    rows = session.execute(select(Reading.meter_id, Reading.date, Reading.value)
                           .join(last, and_(Reading.meter_id == last.c.meter_id, Reading.date == last.c.day)))
    return {meter_id: ReadingPoint(day, Decimal(value)) for meter_id, day, value in rows}


def average_monthly(session, meters: dict, on: date) -> dict[int, Decimal]:
    """Per meter (``{id: (installed_on, initial_reading, digits)}``): its average monthly
    consumption (see the module), one query for all of them."""
    if not meters:
        return {}
    start = on - timedelta(days=AVERAGE_WINDOW_DAYS)
    points = defaultdict(list)
    for meter_id, day, value in session.execute(
            select(Reading.meter_id, Reading.date, Reading.value)
            .where(Reading.meter_id.in_(list(meters)), Reading.date >= start, Reading.date <= on,
                   Reading.source != ESTIMATE).order_by(Reading.meter_id, Reading.date)):
        points[meter_id].append((day, Decimal(value)))
    averages = {}
    for meter_id, (installed_on, initial, digits) in meters.items():
        series = points.get(meter_id, [])
        if installed_on >= start and (not series or series[0][0] > installed_on):
            series = [(installed_on, initial), *series]
        average = average_of(series, digits)
        if average is not None:
            averages[meter_id] = average
    return averages


def average_of(series, digits) -> Decimal | None:
    """The average monthly consumption of ``series`` ((date, value) by date), None without basis."""
    if len(series) < 2:
        return None
    days = (series[-1][0] - series[0][0]).days
    if days < AVERAGE_MIN_DAYS:
        return None
    total = Decimal(0)
    for (_d1, a), (_d2, b) in zip(series, series[1:]):
        used = consumption(a, b, digits)
        if used is not None:
            total += used
    return (total * MONTH_DAYS / days).quantize(Decimal("0.001"), ROUND_HALF_UP)


def consumption(previous: Decimal, value: Decimal, digits) -> Decimal | None:
    """``value − previous``, across a rollover when the register turned over; None if neither."""
    if value >= previous:
        return value - previous
    return rollover_consumption(previous, value, digits)


def high_limit(average: Decimal | None, factor: Decimal, previous_date: date | None, day: date) -> Decimal | None:
    """The consumption above which a reading on ``day`` is implausibly high, None: not checked."""
    if average is None or average <= 0:
        return None
    months = Decimal(1)
    if previous_date is not None:
        months = max(Decimal((day - previous_date).days) / MONTH_DAYS, Decimal(1))
    return factor * average * months


# --- saving ----------------------------------------------------------------------------------
def save(session, building_id: int, rows, user: str, on: date | None = None, today: date | None = None) -> Saved:
    """Check and store the rows of a sheet: ``rows`` — dicts with ``meter_id``, ``value`` (text;
    empty: no reading), ``date`` (text ``дд.мм.рррр`` or ``рррр-мм-дд``; empty: ``on``) and
    ``confirmed`` (the high consumption is confirmed), in the order of the sheet (``row``, when
    given, is the row number shown). All or nothing; the session is committed on success and
    rolled back on any problem."""
    from .imports.facts import BulkFacts
    from .imports.values import to_date, to_decimal

    on = on or local_today()
    today = today or local_today()
    result = Saved()
    meters = {m.id: m for m in session.execute(
        select(Meter.id, Meter.serial, Meter.building_id, Meter.installed_on, Meter.removed_on, Meter.initial_reading,
               MeterType.digits).join(MeterType, MeterType.id == Meter.meter_type_id)
        .where(Meter.building_id == building_id))}
    if session.scalar(select(Building.id).where(Building.id == building_id)) is None:
        raise SheetRefused(_("The building was not found"))
    entered = []   # (row number, meter, day, value, confirmed)
    seen = {}
    for index, row in enumerate(rows, 1):
        number = int(row.get("row") or index)
        text = str(row.get("value") or "").strip()
        if not text:
            continue  # no reading for this meter
        try:
            meter_id = int(row.get("meter_id"))
        except (TypeError, ValueError):
            meter_id = None
        meter = meters.get(meter_id)
        if meter is None:
            result.problems.append(Problem(number, meter_id, "", _("This meter is not in the building")))
            continue
        if meter_id in seen:
            result.problems.append(Problem(number, meter_id, "", _("The meter is on the sheet twice (row %(row)s)",
                                                                   row=seen[meter_id])))
            continue
        seen[meter_id] = number
        bad = False
        try:
            value = to_decimal(text, 16, 3)
        except ValueError as error:
            result.problems.append(Problem(number, meter_id, "value", str(error)))
            bad = True
        day_text = str(row.get("date") or "").strip()
        try:
            day = to_date(day_text) if day_text else on
        except ValueError as error:
            result.problems.append(Problem(number, meter_id, "date", str(error)))
            bad = True
        if not bad:
            entered.append((number, meter, day, value, bool(row.get("confirmed"))))
    if entered:
        facts = BulkFacts()
        facts.load_readings(session, [e[1].id for e in entered], min(e[2] for e in entered),
                            max(e[2] for e in entered))
        factor = high_factor(session, on)
        averages = average_monthly(session, {m.id: (m.installed_on, Decimal(m.initial_reading or 0), m.digits)
                                             for _n, m, _d, _v, _c in entered}, on)
        for number, meter, day, value, confirmed in entered:
            meter_facts = MeterFacts(meter.installed_on, meter.removed_on, Decimal(meter.initial_reading or 0),
                                     meter.digits)
            outside = day > today or day < meter.installed_on or (meter.removed_on and day > meter.removed_on)
            neighbours = Neighbours(False, None, None) if outside else facts.reading_neighbours(meter.id, day, None)
            errors = reading_errors(meter_facts, neighbours, day, value, today)
            for error in errors:
                result.problems.append(Problem(number, meter.id, error.field, error.message))
            if errors:
                continue
            prev = neighbours.previous
            start = prev.value if prev else meter_facts.initial_reading
            used = consumption(start, value, meter.digits)
            limit = high_limit(averages.get(meter.id), factor, prev.date if prev else meter.installed_on, day)
            if used is not None and limit is not None and used > limit:
                warning = _("Implausibly high: the consumption %(used)s is over %(factor)s× the meter's average "
                            "(%(average)s a month)", used=_number(used), factor=_number(factor),
                            average=_number(averages[meter.id]))
                result.high[meter.id] = warning
                if not confirmed:
                    result.problems.append(Problem(number, meter.id, "confirmed", _(
                        "%(warning)s: check the value, or tick «I confirm» to save it", warning=warning)))
    if result.problems:
        result.problems.sort(key=lambda p: p.row)
        session.rollback()
        return result
    if not entered:
        result.problems.append(Problem(0, None, "", _("Enter at least one new reading")))
        return result
    notice = closed_period_notice([e[2] for e in entered], *period_states(session))
    if notice:
        result.notices.append(notice)
    from .sql import insert_rows

    payload = [(meter.id, day, value, SOURCE, (user or "")[:100] or None)
               for _n, meter, day, value, _c in sorted(entered, key=lambda e: e[0])]
    try:
        insert_rows(session, Reading.__table__, ("meter_id", "date", "value", "source", "entered_by"), payload)
        session.commit()
    except Exception as error:  # the unique (meter, date): SQLAlchemy's IntegrityError, or COPY's own
        session.rollback()
        if not isinstance(error, IntegrityError) and "uq_reading_meter_date" not in str(error):
            raise
        result.problems.append(Problem(0, None, "", _(
            "Another user has just saved readings of these meters on these dates: open the sheet again")))
        return result
    result.saved = len(payload)
    return result


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f").replace(".", ",")


__all__ = ["sheet", "save", "Sheet", "SheetRow", "Saved", "Problem", "SheetRefused", "high_factor", "HIGH_FACTOR_KEY"]
