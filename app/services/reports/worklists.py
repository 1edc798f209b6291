"""The work lists of inspectors and operators (formats.md), by building and entrance, flats in
natural order (1, 2, … 10), house meters first in their building; restricted to
``filters.building_ids`` (an inspector's buildings) and ``filters.building_id``. No money.

* ``verification_due``: building_code, number, serial, resource, next_verification — the meters in
  service whose next verification (наступна повірка) is due by the period's last day, or by the
  date ``date_to`` when given; overdue ones included.
* ``readings_missing``: building_code, number, serial, resource, last_reading_date — the meters in
  service in the period (installed by its last day, not removed by then) with no reading dated in
  the period. A reading of 0, or the same value as before, is a reading: not missing.

The people's files add the address and the entrance."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select

from ...billing.periods import first_day, last_day
from ...models import Building, Meter, MeterType, Premise, Reading
from ...models.choices import METER_RESOURCES
from ..invoices.data import natural_key
from . import Column, Report, ReportError, ReportKind

PLACE = [Column("building_code", _l("Building")), Column("address", _l("Address"), machine=False, width=36),
         Column("entrance", _l("Entrance"), "int", machine=False), Column("number", _l("Premise")),
         Column("serial", _l("Serial number")), Column("resource", _l("Resource code"), people=False),
         Column("resource_name", _l("Resource"), machine=False, width=22)]
VERIFICATION_COLUMNS = [*PLACE, Column("next_verification", _l("Next verification"), "date")]
MISSING_COLUMNS = [*PLACE, Column("last_reading_date", _l("Date of the last reading"), "date")]


def _in_service(period: str):
    """SQL: a meter installed by the period's last day and not removed by then."""
    last = last_day(period)
    return and_(Meter.installed_on <= last, or_(Meter.removed_on.is_(None), Meter.removed_on > last))


def _scoped(stmt, building_id=None, building_ids=None):
    if building_id is not None:
        stmt = stmt.where(Meter.building_id == building_id)
    if building_ids is not None:
        stmt = stmt.where(Meter.building_id.in_(building_ids))
    return stmt


def _has_reading(period: str):
    return exists().where(Reading.meter_id == Meter.id, Reading.date >= first_day(period),
                          Reading.date <= last_day(period))


def _period(filters) -> str:
    if not filters.period:
        raise ReportError(_("Choose the period"), "period")
    return filters.period


def _place_select(*extra):
    return (select(Building.code, Building.address, Premise.entrance, Premise.number, Meter.serial,
                   MeterType.resource, *extra)
            .select_from(Meter).join(Building, Building.id == Meter.building_id)
            .join(MeterType, MeterType.id == Meter.meter_type_id)
            .outerjoin(Premise, Premise.id == Meter.premise_id))


def _ordered(rows):
    """By building, entrance (none last), flat in natural order; a house meter first."""
    def key(r):
        house = r[3] is None
        return (natural_key(r[0]), not house, r[2] if r[2] is not None else 10 ** 6, natural_key(r[3] or ""), r[4])
    return sorted(rows, key=key)


def _row(r, value):
    return (r[0], r[1], r[2], r[3] or "", r[4], r[5], str(METER_RESOURCES.labels.get(r[5], r[5])), value)


def verification_due(session, filters) -> Report:
    period = _period(filters)
    due_by = filters.date_to or last_day(period)
    stmt = _scoped(_place_select(Meter.next_verification)
                   .where(_in_service(period), Meter.next_verification.is_not(None), Meter.next_verification <= due_by),
                   filters.building_id, filters.building_ids)
    rows = [_row(r, r[6]) for r in _ordered(session.execute(stmt).all())]
    return Report("verification_due", str(_l("Verification due")), period, VERIFICATION_COLUMNS, rows,
                  subtitle=str(_l("Next verification by %(day)s", day=due_by.strftime("%d.%m.%Y"))))


def readings_missing(session, filters) -> Report:
    period = _period(filters)
    last_reading = (select(func.max(Reading.date)).where(Reading.meter_id == Meter.id, Reading.date <= last_day(period))
                    .correlate(Meter).scalar_subquery())
    stmt = _scoped(_place_select(last_reading).where(_in_service(period), ~_has_reading(period)),
                   filters.building_id, filters.building_ids)
    rows = [_row(r, r[6]) for r in _ordered(session.execute(stmt).all())]
    return Report("readings_missing", str(_l("Readings missing")), period, MISSING_COLUMNS, rows,
                  notes=[str(_l("Meters in service with no reading dated in the period; a reading of 0 counts."))])


def readings_missing_count(session, period: str, building_ids=None) -> int:
    """How many meters have no reading in ``period`` (the dashboard's figure; the work list
    ``readings_missing`` lists them)."""
    stmt = _scoped(select(func.count(Meter.id)).where(_in_service(period), ~_has_reading(period)),
                   None, building_ids)
    return session.scalar(stmt)


def _codes(columns):
    return tuple(c.code for c in columns if c.machine)


KINDS = [
    ReportKind("verification_due", _l("Verification due"), verification_due, codes=_codes(VERIFICATION_COLUMNS),
               filters=("period", "date_range", "building"), money=False, work_list=True),
    ReportKind("readings_missing", _l("Readings missing"), readings_missing, codes=_codes(MISSING_COLUMNS),
               filters=("period", "building"), money=False, work_list=True),
]
__all__ = ["verification_due", "readings_missing", "readings_missing_count", "KINDS"]
