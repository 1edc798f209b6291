"""Charge and imbalance lines of the account services (billing.md §2, §4, §5, §8).

Each subscription is evaluated day by day into (base quantity, price, reduction, what the
explanation shows); :func:`app.billing.segments.cut` groups equal consecutive days into
segments; each segment is one line with ``amount = round(q × p × d / D × (1 − r), 2)``.
``q`` is rounded to the service's precision before it is multiplied, so the accountant
can redo the line with a calculator from what it shows.

Base quantity by method: ``fixed`` the subscription's quantity; ``area`` the premise's area
(``area_basis``) of the day; ``persons`` the residents counted that day; ``metered`` (and
``group`` for anything but heat) the premise's volume of the resource (§4); ``group`` heat
the premise's share of the house meter (§5); sewerage the cold- plus hot-water volume of
the premise including their imbalance shares — each water part by its own service's norm
when not metered; a premise with neither water service nor water meter by the sewerage
service's own norm. ``one_off``: one line ``quantity × price`` (price of ``date_from``) in
the month of ``date_from``, not prorated nor reduced.

Water imbalance shares are charged on separate ``imbalance`` lines of each ``metered`` or
``group`` water service at the same price, prorated by the same days, never reduced.
A day without a price is not billed (warning).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .context import Book
from .data import WATER, AccountService, ChargeLine, ClaimAct, Price, Service
from .metering import DayVolume, Metering
from . import phrases as P
from .money import round_money, round_qty
from .phrases import Phrase
from .reductions import reducible
from .segments import Segment, segment_amount, segment_quantity
from .volumes import combine_sources

@dataclass(frozen=True)
class _Day:
    volume: DayVolume
    price: Price
    reduction: Decimal
    act: ClaimAct | None

    @cached_property
    def _key(self):
        return self.key()

    def key(self):
        return (self.volume.q, self.volume.source, self.volume.detail, self.price.price,
                self.price.components, self.reduction, self.act.id if self.act else None)


def runs_of(days, change_days, day_of) -> list[tuple[Segment, "_Day"]]:
    """The segments of a line over its ``days`` (ascending), each with the value of its first
    day — what :func:`app.billing.segments.cut` gives for ``{day: day_of(day)}`` keyed by
    ``_Day.key()``, but calling ``day_of`` only on the first day, after a gap and on the days
    in ``change_days``: nothing a line depends on changes between two change days (see
    :meth:`app.billing.context.Book.change_days`), so the days in between continue the
    segment. ``EVERY_DAY = True`` evaluates every day (the tests compare both)."""
    if not days:
        return []
    first, last = days[0], days[-1]
    if not EVERY_DAY and (last - first).days + 1 == len(days):
        return _runs_of_range(first, last, change_days, day_of)
    runs = []
    start = previous = value = key = None
    previous_ordinal = -2
    for day in days:
        ordinal = day.toordinal()
        gap = ordinal != previous_ordinal + 1
        if gap or EVERY_DAY or day in change_days:
            day_value = day_of(day)
            day_key = day_value._key if day_value is not None else None
            if gap or day_key is None or day_key != key:
                if key is not None:
                    runs.append((Segment(start, previous, (previous - start).days + 1, key), value))
                start, value, key = (day, day_value, day_key) if day_key is not None else (None, None, None)
        previous, previous_ordinal = day, ordinal
    if key is not None:
        runs.append((Segment(start, previous, (previous - start).days + 1, key), value))
    return runs


def _runs_of_range(first, last, change_days, day_of) -> list:
    """:func:`runs_of` for the consecutive days ``first … last``: ``day_of`` on ``first`` and on
    each change day inside; a value lasts until the next change day."""
    points = [first] + sorted(d for d in change_days if first < d <= last)
    runs = []
    start = value = key = None
    for n, day in enumerate(points):
        day_value = day_of(day)
        day_key = day_value._key if day_value is not None else None
        if day_key is not None and day_key == key:
            continue  # the segment goes on
        if key is not None:
            end = day - ONE_DAY
            runs.append((Segment(start, end, (end - start).days + 1, key), value))
        start, value, key = (day, day_value, day_key) if day_key is not None else (None, None, None)
    if key is not None:
        runs.append((Segment(start, last, (last - start).days + 1, key), value))
    return runs


EVERY_DAY = False  # tests set it to compare the shortcut with the plain day-by-day walk
ONE_DAY = timedelta(days=1)


class Charges:
    def __init__(self, book: Book, metering: Metering):
        self.book, self.metering = book, metering
        self._price_texts: dict = {}
        self._day_texts: dict = {}
        self._part_texts: dict = {}

    def lines(self) -> list[ChargeLine]:
        lines: list[ChargeLine] = []
        for sub in self.book.subscriptions:
            service = self.book.services[sub.service_id]
            if service.method == "one_off":
                lines.extend(self._one_off(sub, service))
                continue
            lines.extend(self._charge_lines(sub, service))
            if service.method in ("metered", "group") and service.resource in WATER:
                lines.extend(self._imbalance_lines(sub, service))
        return lines

    # --- one line per segment -------------------------------------------------------------

    def _charge_lines(self, sub: AccountService, service: Service) -> list[ChargeLine]:
        book = self.book
        premise_id = book.premise_of(sub.account_id)
        building_id = book.building_of(premise_id)
        if service.method == "group" and service.resource == "heat" and premise_id not in self.metering.heat:
            book.warn("no_heat_share", ("w_no_heat_share", service.code, book.premises[premise_id].number),
                      account_id=sub.account_id, service_id=service.id, premise_id=premise_id)
            return []

        def day_of(day: date) -> _Day | None:
            price = self._price(service, day, sub.account_id)
            if price is None:
                return None
            volume, reduce_as = self._quantity(service, sub, premise_id, day)
            reduction, act = (book.acts.reduction(service.id, sub.account_id, building_id, day)
                              if reducible(service, reduce_as) else (Decimal(0), None))
            return _Day(volume, price, reduction, act)

        runs = runs_of(book.subscription_days(sub), book.change_days(premise_id), day_of)
        return [self._line(sub, service, premise_id, segment, value, "charge") for segment, value in runs]

    def _imbalance_lines(self, sub: AccountService, service: Service) -> list[ChargeLine]:
        premise_id = self.book.premise_of(sub.account_id)
        share = self.metering.imbalance.get((premise_id, service.resource))
        if share is None or share.share == 0:
            return []
        volume = DayVolume(Fraction(share.share), "imbalance", ("imbalance",))

        def day_of(day: date) -> _Day | None:
            price = self._price(service, day, sub.account_id)
            return _Day(volume, price, Decimal(0), None) if price else None

        runs = runs_of(self.book.subscription_days(sub), self.book.change_days(premise_id), day_of)
        return [self._line(sub, service, premise_id, segment, value, "imbalance") for segment, value in runs]

    def _line(self, sub, service: Service, premise_id: int, segment: Segment, day: _Day, kind: str) -> ChargeLine:
        book, precision = self.book, service.quantity_precision
        q = round_qty(day.volume.q, precision)
        amount = segment_amount(q, day.price.price, segment.days, book.month_days, day.reduction)
        quantity = segment_quantity(q, segment.days, book.month_days, precision)
        source = day.volume.source if service.method in ("metered", "group") else None
        explanation = (self._explain_quantity(service, premise_id, day.volume, q)
                       + [self._explain_price(service, day.price), self._explain_days(segment)])
        if day.act is not None:
            explanation.append(("act", str(day.act.number or day.act.id), day.act.kind, P.day(day.act.date_from),
                                P.day(day.act.date_to), P.num((day.reduction * 100).normalize())))
            explanation.append(("sum_reduced", P.num(q), P.num(day.price.price), segment.days, book.month_days,
                                P.num(day.reduction), P.money(amount)))
        else:
            explanation.append(("sum", P.num(q), P.num(day.price.price), segment.days, book.month_days,
                                P.money(amount)))
        return ChargeLine(sub.account_id, service.id, kind, book.period, segment.date_from, segment.date_to,
                          segment.days, q, quantity, day.price.price, amount, service.method, source,
                          day.reduction, tuple(explanation))

    def _one_off(self, sub: AccountService, service: Service) -> list[ChargeLine]:
        book = self.book
        if not (book.first <= sub.date_from <= book.last):
            return []
        price = self._price(service, sub.date_from, sub.account_id)
        if price is None:
            return []
        q = round_qty(sub.quantity, service.quantity_precision)
        amount = round_money(Fraction(q) * Fraction(price.price))
        explanation = (("one_off", P.day(sub.date_from), P.num(q)), self._explain_price(service, price),
                       ("sum_one_off", P.num(q), P.num(price.price), P.money(amount)))
        return [ChargeLine(sub.account_id, service.id, "charge", book.period, sub.date_from, sub.date_from, 1,
                           q, q, price.price, amount, service.method, None, Decimal(0), explanation)]

    # --- base quantity of a day -----------------------------------------------------------

    def _quantity(self, service: Service, sub: AccountService, premise_id: int, day: date) -> tuple[DayVolume, str | None]:
        """The day's base quantity and the source a claim act judges it by."""
        book, method = self.book, service.method
        if method == "fixed":
            return DayVolume(Fraction(sub.quantity), "fixed", ("fixed",)), None
        if method == "area":
            return DayVolume(Fraction(book.area_on(premise_id, day, service.area_basis)), "area",
                             ("area", service.area_basis)), None
        if method == "persons":
            persons = book.residents.counted(premise_id, day)
            return DayVolume(Fraction(persons), "persons", ("persons", persons)), None
        if service.resource == "heat" and method == "group":
            return DayVolume(Fraction(self.metering.heat[premise_id].share), "allocation", ("allocation",)), "allocation"
        if service.resource == "sewerage":
            return self._sewerage(service, premise_id, day)
        volume = self.metering.resource_q(premise_id, service.resource, service, day)
        return volume, volume.source

    def _sewerage(self, service: Service, premise_id: int, day: date) -> tuple[DayVolume, str]:
        parts = []
        for resource in WATER:
            norm_service = self.book.norm_service(premise_id, resource, day)
            if self.metering.volume(premise_id, resource).meters or norm_service:
                parts.append(self.metering.resource_q(premise_id, resource, norm_service, day))
        if not parts:
            norm = self.metering.norm_q(premise_id, service, day)
            parts = [DayVolume(norm[0], "norm", ("norm", "sewerage", norm[1], norm[2])) if norm
                     else DayVolume(Fraction(0), "norm", ("no_norm", "sewerage"))]
        shares = tuple((r, self.metering.imbalance[(premise_id, r)].share) for r in WATER
                       if (premise_id, r) in self.metering.imbalance)
        q = sum((p.q for p in parts), Fraction(0)) + sum((Fraction(s) for _, s in shares), Fraction(0))
        source = combine_sources(p.source for p in parts)
        reduce_as = "norm" if all(p.source == "norm" for p in parts) else source
        return DayVolume(q, source, ("sewerage", tuple(p.detail for p in parts), shares)), reduce_as

    def _price(self, service: Service, day: date, account_id: int) -> Price | None:
        price = self.book.price_on(service.id, day)
        if price is None:
            self.book.warn("no_price", ("w_no_price", service.code), service_id=service.id, account_id=account_id)
        return price

    # --- explanations ---------------------------------------------------------------------

    def _explain_price(self, service: Service, price: Price) -> str:
        key = (service.id, price)
        text = self._price_texts.get(key)
        if text is None:
            text = self._price_texts[key] = self._price_text(service, price)
        return text

    def _price_text(self, service: Service, price: Price) -> Phrase:
        unit = service.unit or ""
        if price.components:
            return ("tariff_parts", P.num(price.price), unit, P.day(price.valid_from),
                    tuple((c.name, P.num(c.price)) for c in price.components))
        return ("tariff", P.num(price.price), unit, P.day(price.valid_from))

    def _explain_quantity(self, service: Service, premise_id: int, volume: DayVolume, q: Decimal) -> list[Phrase]:
        unit = service.unit or ""
        detail = volume.detail
        if detail[0] == "fixed":
            return [("qty", P.num(q), unit)]
        if detail[0] == "area":
            return [("area_heated" if detail[1] == "heated" else "area_total", P.num(q))]
        if detail[0] == "persons":
            return [("persons", detail[1] if isinstance(detail[1], int) else str(detail[1]))]
        if detail[0] == "allocation":
            return self._explain_heat(premise_id, q, unit, service.quantity_precision)
        if detail[0] == "imbalance":
            share = self.metering.imbalance[(premise_id, service.resource)]
            house = round_qty(share.house_volume, service.quantity_precision)
            return [("imb", self._serial(share.meter_id), P.num(house), P.num(share.individual_total),
                     P.num(share.difference), unit),
                    ("imb_share", share.key, P.num(q), unit)]
        if detail[0] == "sewerage":
            lines = [("sew", P.num(q), unit)]
            for part in detail[1]:
                lines.extend(self._explain_part(premise_id, part, unit))
            for resource, share in detail[2]:
                lines.append(("sew_imb", resource, P.num(share), unit))
            return lines
        return [("vol", P.num(q), unit, volume.source)] + self._explain_part(premise_id, detail, unit)

    def _explain_days(self, segment: Segment) -> Phrase:
        key = (segment.date_from, segment.date_to)
        phrase = self._day_texts.get(key)
        if phrase is None:
            phrase = self._day_texts[key] = ("days", P.day(segment.date_from), P.day(segment.date_to), segment.days,
                                             self.book.month_days)
        return phrase

    def _explain_part(self, premise_id: int, detail, unit: str) -> list[Phrase]:
        key = (premise_id, detail, unit)
        lines = self._part_texts.get(key)
        if lines is None:
            lines = self._part_texts[key] = tuple(self._part_text(premise_id, detail, unit))
        return list(lines)

    def _part_text(self, premise_id: int, detail, unit: str) -> list[Phrase]:
        kind, resource = detail[0], detail[1]
        volume = self.metering.volume(premise_id, resource)
        if kind == "measured":
            lines = [("meter", resource, m.reason) for m in volume.meters]
            if len(volume.covered) != self.book.month_days:
                lines.append(("cover", resource, len(volume.covered), self.book.month_days, P.num(volume.volume)))
            return lines
        if kind == "norm":
            reason = volume.reason if volume.by_norm else (("no_meter_days",),)
            return [("norm", resource, str(detail[2]), P.num(detail[3]), unit, P.num(detail[2] * detail[3]), reason)]
        return [("no_norm", resource)]

    def _explain_heat(self, premise_id: int, q: Decimal, unit: str, precision: int) -> list[Phrase]:
        heat = self.metering.heat[premise_id]
        allocation = heat.allocation
        house = round_qty(heat.house_volume, precision)
        return [("heat_house", P.num(house), unit, self._serial(heat.meter_id), heat.house_source),
                ("heat_vs", P.num(allocation.vs), P.num(allocation.system_parts.get(premise_id, 0))),
                ("heat_vr", P.num(allocation.vr), allocation.method, P.num(allocation.room_parts.get(premise_id, 0))),
                ("heat_share", P.num(q), unit)]

    def _serial(self, meter_id: int) -> str:
        meter = self.book.meters.get(meter_id)
        return (meter.serial or str(meter.id)) if meter else str(meter_id)
