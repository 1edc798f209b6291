"""The month's metering: every meter's volume (§4), every premise's volume per resource, and
the house meters' distribution (§5) — water imbalance shares and heat shares.

Decisions where billing.md is silent:

* A premise's individual volume ``Vi`` (water) = its meters' measured volume plus the norm
  volume of the days it is billed by norm while subscribed; a premise of the group without
  any water subscription still counts its meters in ``ΣVi`` but takes no imbalance share.
* A water house meter without an actual reading: no imbalance (billing.md), and its
  estimate, if it has history, is recorded in ``meter_volumes`` so that the next actual
  reading is trued up instead of counting two months as one.
* Heat: a house meter estimated or trued up is distributed like an actual one, with a
  warning for the estimate; without any volume the group gets no heat charge that month.
* A share given to a premise that has no heat (group) subscription is reported: nobody
  pays it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Hashable

from .allocation import HeatAllocation, HeatPremise, WaterPremise, allocate_heat, distribute_imbalance
from .context import Book
from .data import WATER, HouseBalance, Service
from .money import ratio, round_qty
from .phrases import num
from .settings import HEAT_SHARES
from .volumes import MeterVolume, PremiseVolume, measured_rate, meter_month, premise_volume, verification_overdue


@dataclass(frozen=True)
class DayVolume:
    """A premise's monthly base quantity of a resource valid on one day."""

    q: Fraction
    source: str
    detail: Hashable


@dataclass(frozen=True)
class ImbalanceShare:
    share: Decimal
    meter_id: int
    house_volume: Decimal
    individual_total: Decimal
    difference: Decimal
    key: str


@dataclass(frozen=True)
class HeatShare:
    share: Decimal
    meter_id: int
    house_volume: Decimal
    house_source: str
    allocation: HeatAllocation


class Metering:
    def __init__(self, book: Book):
        self.book = book
        self.meters: dict[int, MeterVolume] = {}
        self.premise_volumes: dict[tuple[int, str], PremiseVolume] = {}
        self.imbalance: dict[tuple[int, str], ImbalanceShare] = {}
        self.heat: dict[int, HeatShare] = {}
        self.balances: list[HouseBalance] = []
        self._month_volumes: dict[tuple[int, str], Fraction] = {}
        self._measure()
        for meter in sorted(book.meters.values(), key=lambda m: m.id):
            if meter.is_house_meter and meter.id in self.meters:
                if meter.resource in WATER:
                    self._water_group(meter)
                elif meter.resource == "heat":
                    self._heat_group(meter)

    # --- §4 -------------------------------------------------------------------------------

    def _warn_unmeasured(self, meter, volume: MeterVolume) -> None:
        """The flat meters the run could not measure, for the accountant to chase: an estimate
        (no reading this month), a norm for an overdue verification, a norm for want of
        readings (the 4th month without one, or no history)."""
        if meter.is_house_meter or volume.status not in ("estimated", "norm"):
            return
        book = self.book
        if volume.status == "estimated":
            code = "meter_estimated"
        elif verification_overdue(meter, book.period):
            code = "meter_overdue"
        else:
            code = "meter_norm"
        premise = book.premises.get(meter.premise_id)
        message = ("w_premise", premise.number, volume.reason) if premise is not None else ("w_reasons", volume.reason)
        book.warn(code, message, building_id=meter.building_id, premise_id=meter.premise_id, meter_id=meter.id)

    def _measure(self) -> None:
        book = self.book
        flat: dict[tuple[int, str], list[MeterVolume]] = {}
        for meter in sorted(book.meters.values(), key=lambda m: m.id):
            predecessor = book.history.get(meter.replaces, ()) if meter.replaces else ()
            volume = meter_month(meter, book.readings.get(meter.id, ()), book.history.get(meter.id, ()),
                                 book.period, predecessor, book.resource_precision(meter.resource),
                                 house=meter.is_house_meter)
            if volume is None:
                continue
            self.meters[meter.id] = volume
            for message in volume.warnings:
                book.warn("meter", message, building_id=meter.building_id, premise_id=meter.premise_id,
                          meter_id=meter.id)
            self._warn_unmeasured(meter, volume)
            if not meter.is_house_meter and meter.premise_id in book.premises:
                flat.setdefault((meter.premise_id, meter.resource), []).append(volume)
        for (premise_id, resource), volumes in flat.items():
            self.premise_volumes[(premise_id, resource)] = premise_volume(premise_id, resource, volumes)

    def volume(self, premise_id: int, resource: str) -> PremiseVolume:
        return self.premise_volumes.get((premise_id, resource)) or premise_volume(premise_id, resource, [])

    def norm_q(self, premise_id: int, service: Service, day: date) -> tuple[Fraction, int, Decimal] | None:
        """``persons × norm_per_person`` of ``service`` on ``day`` (None without a norm)."""
        per_person = self.book.norm_on(service.id, day)
        if per_person is None:
            self.book.warn("no_norm", ("w_no_norm", service.code), premise_id=premise_id, service_id=service.id)
            return None
        persons = self.book.residents.for_norm(premise_id, day, self.book.min_persons)
        numerator, denominator = ratio(per_person)
        return Fraction(persons * numerator, denominator), persons, per_person

    def resource_q(self, premise_id: int, resource: str, norm_service: Service | None, day: date) -> DayVolume:
        volume = self.volume(premise_id, resource)
        if volume.is_measured_on(day):
            return DayVolume(measured_rate(volume, self.book.month_days), volume.source, ("measured", resource))
        norm = self.norm_q(premise_id, norm_service, day) if norm_service else None
        if norm is None:
            return DayVolume(Fraction(0), "norm", ("no_norm", resource))
        return DayVolume(norm[0], "norm", ("norm", resource, norm[1], norm[2]))

    def month_volume(self, premise_id: int, resource: str) -> Fraction:
        """The premise's volume of the month: measured, plus norm on the subscribed days
        not measured. The day's norm is computed on the premise's change days only and
        carried over to the days in between (see ``Book.change_days``)."""
        key = (premise_id, resource)
        found = self._month_volumes.get(key)
        if found is not None:
            return found
        volume = self.volume(premise_id, resource)
        total = Fraction(0) if volume.by_norm else Fraction(volume.volume)
        change = self.book.change_days(premise_id)
        runs, computed = [], False  # [norm of the day, days] — consecutive days with one norm
        for day in self.book.days:
            if volume.is_measured_on(day):
                computed = False
                continue
            if not computed or day in change:
                service = self.book.norm_service(premise_id, resource, day)
                norm = self.norm_q(premise_id, service, day) if service else None
                runs.append([norm[0] if norm is not None else None, 0])
                computed = True
            runs[-1][1] += 1
        norm_days = sum((value * days for value, days in runs if value is not None), Fraction(0))
        total += norm_days / self.book.month_days
        self._month_volumes[key] = total
        return total

    # --- §5 water -------------------------------------------------------------------------

    def _water_group(self, meter) -> None:
        book, house = self.book, self.meters[meter.id]
        precision = book.resource_precision(meter.resource)
        premises = book.premises_served(meter)
        individual = {p: round_qty(self.month_volume(p, meter.resource), precision) for p in premises}
        total = sum(individual.values(), Decimal(0))
        ids = dict(building_id=meter.building_id, meter_id=meter.id)
        if house.status not in ("actual", "true_up"):
            book.warn("house_no_reading", ("w_house_unread", meter.serial or str(meter.id), meter.resource), **ids)
            self.balances.append(HouseBalance(meter.id, meter.building_id, meter.resource, house.volume,
                                              house.status if house.status != "none" else None, total, None,
                                              Decimal(0), "none"))
            return
        difference = house.volume - total
        building = book.buildings.get(meter.building_id)
        key = building.imbalance_key if building else "volume"
        eligible = [p for p in premises if book.premise_subscriptions(p, meter.resource)]
        group = [WaterPremise(p, book.sort_key(p), individual[p], book.residents.person_days(p, book.period),
                              book.area_on(p, book.last)) for p in eligible]
        result = distribute_imbalance(difference, group, key, precision)
        for message in result.warnings:
            book.warn("imbalance", ("w_meter", meter.serial or str(meter.id), message), **ids)
        for premise_id, share in result.shares.items():
            self.imbalance[(premise_id, meter.resource)] = ImbalanceShare(
                share, meter.id, house.volume, total, round_qty(difference, precision), result.key)
        self.balances.append(HouseBalance(meter.id, meter.building_id, meter.resource, house.volume, house.status,
                                          total, round_qty(difference, precision), result.distributed,
                                          result.key))

    # --- §5 heat --------------------------------------------------------------------------

    def _heat_group(self, meter) -> None:
        book, house = self.book, self.meters[meter.id]
        ids = dict(building_id=meter.building_id, meter_id=meter.id)
        serial = meter.serial or str(meter.id)
        premises = book.premises_served(meter)
        if house.status == "none":
            book.warn("house_no_volume", ("w_heat_no_volume", serial), **ids)
            self.balances.append(HouseBalance(meter.id, meter.building_id, "heat", None, None, None, None,
                                              Decimal(0), "none"))
            return
        if house.status == "estimated":
            book.warn("house_estimated", ("w_heat_estimated", serial, num(house.volume)), **ids)
        building = book.buildings.get(meter.building_id)
        group = [self._heat_premise(p) for p in premises]
        settings = (building.heat_system_share, building.heat_common_share, building.heat_min_share) if building \
            else HEAT_SHARES
        allocation = allocate_heat(house.volume, group, *settings, precision=book.resource_precision("heat"))
        for message in allocation.warnings:
            book.warn("heat_allocation", ("w_heat_meter", serial, message), **ids)
        for premise_id, share in allocation.shares.items():
            self.heat[premise_id] = HeatShare(share, meter.id, house.volume, house.status, allocation)
            if share and not book.premise_subscriptions(premise_id, "heat", methods=("group",)):
                book.warn("heat_share_unbilled",
                          ("w_heat_unbilled", serial, num(share), book.premises[premise_id].number),
                          premise_id=premise_id, **ids)
        self.balances.append(HouseBalance(meter.id, meter.building_id, "heat", house.volume, house.status, None,
                                          None, sum(allocation.shares.values(), Decimal(0)), allocation.method))

    def _heat_premise(self, premise_id: int) -> HeatPremise:
        book, premise = self.book, self.book.premises[premise_id]
        devices = {}
        for resource in ("heat", "heat_allocator"):
            volume = self.premise_volumes.get((premise_id, resource))
            if volume is None:
                continue
            if volume.by_norm:
                book.warn("heat_device_ignored", ("w_device", premise.number, resource, volume.reason),
                          premise_id=premise_id)
                continue
            devices[resource] = sum((m.volume * (m.meter.allocator_factor if resource == "heat_allocator" else 1)
                                     for m in volume.meters), Decimal(0))
        return HeatPremise(premise_id, book.sort_key(premise_id), book.area_on(premise_id, book.last),
                           book.area_on(premise_id, book.last, "heated"), premise.heating == "central",
                           devices.get("heat"), devices.get("heat_allocator"))
