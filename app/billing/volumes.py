"""Metered volume of a premise for one resource (billing.md §4).

Per meter (:func:`meter_month`):

1. A meter takes part in a month when its installation ``installed_on … removed_on``
   (inclusive) overlaps the month; its *days* are the overlap.
2. ``start`` = the last reading dated before the month, else ``initial_reading``;
   ``end`` = ``final_reading`` if removed in the month, else the last reading dated in the
   month. Consumption = ``end − start``; below ``start`` with ``digits`` it rolled over:
   ``end + 10^digits − start``. A lower reading without ``digits`` cannot be a rollover:
   the meter is treated as not read, with a warning. Readings with source ``estimate``
   are not actual readings and are ignored.
3. Verification overdue (``next_verification`` < first day of the month) → norm.
4. No reading in the month → estimate = average daily consumption of the last (up to) 3
   months with actual consumption (Σ volume / Σ days of those ``MeterMonth`` records)
   × the meter's days in the month (= D for a meter installed all month; a meter installed
   in the month is estimated for its own days only, so a replacement does not count the
   month twice). A month measured at zero (a vacant flat, an allocator that counted 0 units)
   is actual consumption: its average is 0 and so is the estimate. A new meter without
   history of its own uses the history of the meter it ``replaces``. No history → norm. The 4th consecutive month without a reading (and every
   further one) → norm.
5. True-up: when a reading arrives, ``volume = (end − start) − Σ volumes billed for the
   meter in the months without a reading since ``start`` (estimates, and the norm months of
   step 4's fallback: the reading covers them all, so what they billed is taken off —
   otherwise the consumer would pay those months twice). It may be negative.

House meters (:func:`meter_month` with ``house=True``) follow steps 1–5 except that an
overdue verification only warns (the readings are still used), and without a reading they
are estimated from their own history however many months in a row; with no history there
is no volume.

Per premise and resource (:func:`premise_volume`): the meters' volumes are summed. If
there is no meter, or any meter of the resource falls to norm, the whole premise is billed
by norm (``persons × norm_per_person``): the norm is the premise's, not a meter's. The
days of the month no meter covers (first meter installed in the middle of the month, a
meter removed without a successor) are billed by norm too; the measured volume is spread
over the covered days (:func:`measured_rate`).

A line's volume source: ``norm`` if any part is by norm, else ``estimated`` if any meter
was estimated, else ``true_up`` if any meter was trued up, else ``actual``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

from .data import Meter, MeterMonth, Reading
from .money import round_qty
from .phrases import day as iso_day, num
from .periods import first_day, last_day, period_of, previous_period

SOURCE_ORDER = ("actual", "true_up", "estimated", "norm")
ESTIMATE_MONTHS = 3
NORM_AFTER_MONTHS_WITHOUT_READING = 3


def combine_sources(sources: Iterable[str]) -> str:
    """The weakest source of the parts: norm > estimated > true_up > actual."""
    sources = list(sources)
    return max(sources, key=SOURCE_ORDER.index) if sources else "actual"


@dataclass(frozen=True)
class MeterVolume:
    """One meter's month. ``status``: ``actual`` | ``estimated`` | ``true_up`` | ``norm``
    (the premise falls to norm) | ``none`` (a house meter without any volume)."""

    meter: Meter
    status: str
    volume: Decimal | None
    days: int
    date_from: date
    date_to: date
    start: Decimal | None = None
    start_date: date | None = None
    end: Decimal | None = None
    end_date: date | None = None
    reading_date: date | None = None
    subtracted: Decimal = Decimal(0)
    reason: tuple = ()  # phrases (app.billing.phrases): why the volume is what it is
    warnings: tuple[tuple, ...] = ()  # phrases (app.billing.phrases)

    @property
    def measured(self) -> bool:
        return self.status in ("actual", "estimated", "true_up")

    def covered_days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range(self.days)]


def meter_active(meter: Meter, period: str) -> tuple[date, date] | None:
    start = max(meter.installed_on, first_day(period))
    end = min(meter.removed_on, last_day(period)) if meter.removed_on else last_day(period)
    return (start, end) if start <= end else None


def verification_overdue(meter: Meter, period: str) -> bool:
    """``next_verification`` before the first day of the month (§4 step 6)."""
    return meter.next_verification is not None and meter.next_verification < first_day(period)


def consumption(start: Decimal, end: Decimal, digits: int | None) -> Decimal | None:
    """``end − start``, across a rollover when the register has ``digits``; None if impossible."""
    if end >= start:
        return end - start
    if digits:
        return end + Decimal(10) ** digits - start
    return None


def meter_month(meter: Meter, readings: Iterable[Reading], history: Iterable[MeterMonth], period: str,
                predecessor_history: Iterable[MeterMonth] = (), precision: int = 3,
                house: bool = False) -> MeterVolume | None:
    """The volume of ``meter`` in ``period`` (None if not installed in the month)."""
    window = meter_active(meter, period)
    if window is None:
        return None
    first, last = first_day(period), last_day(period)
    days = (window[1] - window[0]).days + 1
    base = dict(meter=meter, days=days, date_from=window[0], date_to=window[1])
    serial = meter.serial or str(meter.id)
    history = {h.period: h for h in history if h.meter_id == meter.id and h.period < period}
    actual = sorted((r for r in readings if r.meter_id == meter.id and r.source != "estimate"
                     and meter.installed_on <= r.date and (meter.removed_on is None or r.date <= meter.removed_on)),
                    key=lambda r: r.date)
    before = [r for r in actual if r.date < first]
    in_month = [r for r in actual if first <= r.date <= last]
    start, start_date = (before[-1].value, before[-1].date) if before else (meter.initial_reading, meter.installed_on)
    end = end_date = None
    if meter.removed_on and first <= meter.removed_on <= last and meter.final_reading is not None:
        end, end_date = meter.final_reading, meter.removed_on
    elif in_month:
        end, end_date = in_month[-1].value, in_month[-1].date
    reading_date = end_date
    warnings = []
    overdue = verification_overdue(meter, period)
    if overdue and house:
        warnings.append(("w_house_overdue", serial, iso_day(meter.next_verification)))
    elif overdue:
        return MeterVolume(status="norm", volume=None, reading_date=reading_date, start=start,
                           start_date=start_date, end=end, end_date=end_date,
                           reason=(("overdue", serial, iso_day(meter.next_verification)),), **base)
    if end is not None:
        used = consumption(start, end, meter.digits)
        if used is None:
            warnings.append(("w_lower", num(end), serial, num(start)))
            end = end_date = reading_date = None
        else:
            since = period_of(start_date)
            unread = [h for p, h in sorted(history.items()) if p >= since and h.reading_date is None]
            subtracted = sum((h.volume for h in unread), Decimal(0))
            if house and not unread and since < previous_period(period):
                warnings.append(("w_months", serial, iso_day(start_date)))
            reason = (("read_rolled" if end < start else "read", serial, num(end), num(start), num(used)),)
            if unread:
                reason += (("true_up", len(unread), num(subtracted)),)
            return MeterVolume(status="true_up" if unread else "actual", volume=used - subtracted,
                               start=start, start_date=start_date, end=end, end_date=end_date,
                               reading_date=reading_date, subtracted=subtracted, reason=reason,
                               warnings=tuple(warnings), **base)
    without_reading = 0
    p = previous_period(period)
    while p in history and history[p].reading_date is None:
        without_reading += 1
        p = previous_period(p)
    if without_reading >= NORM_AFTER_MONTHS_WITHOUT_READING and not house:
        return MeterVolume(status="norm", volume=None, start=start, start_date=start_date,
                           reason=(("unread", serial, without_reading + 1),),
                           warnings=tuple(warnings), **base)
    # Zero is a rate: a vacant flat measured at 0 is estimated at 0, not sent to the
    # predecessor's history or to the norm — only a meter *without* history is.
    rate = average_daily(history.values())
    if rate is None:
        rate = average_daily(h for h in predecessor_history if h.period < period)
    if rate is None:
        if house:
            return MeterVolume(status="none", volume=None, start=start, start_date=start_date,
                               reason=(("no_history", serial),), warnings=tuple(warnings), **base)
        return MeterVolume(status="norm", volume=None, start=start, start_date=start_date,
                           reason=(("no_history", serial),),
                           warnings=tuple(warnings), **base)
    volume = round_qty(rate * days, precision)
    return MeterVolume(status="estimated", volume=volume, start=start, start_date=start_date,
                       reason=(("estimate", serial, num(rate), days, num(volume)),),
                       warnings=tuple(warnings), **base)


def average_daily(history: Iterable[MeterMonth]) -> Fraction | None:
    """Σ volume / Σ days of the last (up to) 3 months with actual consumption; None when
    there is no such month. ``Fraction(0)`` (months measured at zero) is a rate, not "no
    history": compare the result with None, never by its truth value."""
    months = sorted((h for h in history if h.source == "actual" and h.days > 0),
                    key=lambda h: h.period, reverse=True)[:ESTIMATE_MONTHS]
    if not months:
        return None
    return Fraction(sum(h.volume for h in months)) / sum(h.days for h in months)


@dataclass(frozen=True)
class PremiseVolume:
    """A premise's volume of one resource in a month: either ``by_norm`` (with ``reason``) or
    measured: ``volume`` over the ``covered`` days, of ``source``."""

    premise_id: int
    resource: str
    by_norm: bool
    volume: Decimal = Decimal(0)
    source: str = "norm"
    covered: frozenset[date] = field(default_factory=frozenset)
    meters: tuple[MeterVolume, ...] = ()
    reason: tuple = ()  # phrases (app.billing.phrases): why the volume is what it is

    def is_measured_on(self, day: date) -> bool:
        return not self.by_norm and day in self.covered


def premise_volume(premise_id: int, resource: str, meters: Iterable[MeterVolume]) -> PremiseVolume:
    meters = tuple(sorted(meters, key=lambda m: m.meter.id))
    if not meters:
        return PremiseVolume(premise_id, resource, True, reason=(("no_meter",),))
    falling = [m for m in meters if m.status == "norm"]
    if falling:
        return PremiseVolume(premise_id, resource, True, meters=meters,
                             reason=tuple(p for m in falling for p in m.reason))
    covered = frozenset(day for m in meters for day in m.covered_days())
    return PremiseVolume(premise_id, resource, False, volume=sum((m.volume for m in meters), Decimal(0)),
                         source=combine_sources(m.status for m in meters), covered=covered, meters=meters)


def measured_rate(volume: PremiseVolume, month_days: int) -> Fraction:
    """The monthly base quantity of the measured days: ``V × D / C`` (C = days covered by a
    meter), so that the covered days' ``q × d / D`` add up to exactly ``V``."""
    if not volume.covered:
        return Fraction(0)
    return Fraction(volume.volume) * month_days / len(volume.covered)


def meter_history_by_meter(history: Iterable[MeterMonth]) -> Mapping[int, list[MeterMonth]]:
    by_meter: dict[int, list[MeterMonth]] = {}
    for h in history:
        by_meter.setdefault(h.meter_id, []).append(h)
    return by_meter
