"""The run's look-ups over a :class:`~app.billing.data.BillingInput` (indices built once):
prices, norms and areas of a day, accounts and their subscriptions, meters, readings and
history, residents, settings, claim acts — and the warnings collected on the way."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from .allocation import premise_sort_key
from .data import AccountService, BillingInput, BillingWarning, Price, Service
from .periods import days_in, days_of, first_day, last_day, value_on
from .reductions import ClaimActs
from .residents import Residents
from .segments import active_days
from .settings import Settings

VOLUME_METHODS = ("metered", "group")


class Book:
    def __init__(self, inputs: BillingInput):
        self.inputs = inputs
        self.period = inputs.period
        self.first, self.last = first_day(self.period), last_day(self.period)
        self.month_days = days_in(self.period)
        self.days = days_of(self.period)
        self.services = {s.id: s for s in inputs.services}
        self.buildings = {b.id: b for b in inputs.buildings}
        self.premises = {p.id: p for p in inputs.premises}
        self.accounts = {a.id: a for a in inputs.accounts}
        self.settings = Settings(inputs.settings)
        self.residents = Residents(inputs.registrations)
        self.acts = ClaimActs(inputs.claim_acts, inputs.buildings, inputs.network_nodes)
        self.meters = {m.id: m for m in inputs.meters}
        self._warnings: list[BillingWarning] = []
        self._sub_days: dict[AccountService, list[date]] = {}

        self._prices: dict[int, list[Price]] = defaultdict(list)
        for price in inputs.prices:
            self._prices[price.service_id].append(price)
        self._norms = defaultdict(list)
        for norm in inputs.norms:
            self._norms[norm.service_id].append(norm)
        self._areas = defaultdict(list)
        for change in inputs.area_changes:
            self._areas[change.premise_id].append(change)
        self.readings = defaultdict(list)
        for reading in inputs.readings:
            self.readings[reading.meter_id].append(reading)
        self.history = defaultdict(list)
        for month in inputs.meter_history:
            self.history[month.meter_id].append(month)

        self.subscriptions: list[AccountService] = []
        for sub in sorted(inputs.account_services, key=self._subscription_order):
            account, service = self.accounts.get(sub.account_id), self.services.get(sub.service_id)
            if account is None or service is None or account.premise_id not in self.premises:
                self.warn("unknown_reference", f"підписка рахунку {sub.account_id} на послугу {sub.service_id}: "
                          "немає рахунку, послуги або приміщення у вхідних даних", account_id=sub.account_id,
                          service_id=sub.service_id)
                continue
            if self.subscription_days(sub) or (service.method == "one_off" and self._one_off_in_month(sub)):
                self.subscriptions.append(sub)
        self.min_persons = int(self.settings.get("min_persons_for_norm", self.last))
        self._by_premise: dict[int, list[AccountService]] = defaultdict(list)
        for sub in self.subscriptions:
            self._by_premise[self.accounts[sub.account_id].premise_id].append(sub)
        self._norm_services: dict[tuple[int, str, date], Service | None] = {}

    # --- ordering -------------------------------------------------------------------------

    def sort_key(self, premise_id: int) -> tuple:
        premise = self.premises[premise_id]
        building = self.buildings.get(premise.building_id)
        return premise_sort_key(building.code if building else "", premise.number)

    def _subscription_order(self, sub: AccountService):
        account = self.accounts.get(sub.account_id)
        service = self.services.get(sub.service_id)
        premise_key = self.sort_key(account.premise_id) if account and account.premise_id in self.premises else ()
        return (premise_key, account.number if account else "", sub.account_id,
                service.code if service else "", sub.service_id, sub.date_from)

    # --- dated values ---------------------------------------------------------------------

    def price_on(self, service_id: int, day: date) -> Price | None:
        return value_on(self._prices.get(service_id, ()), day)

    def norm_on(self, service_id: int, day: date) -> Decimal | None:
        norm = value_on(self._norms.get(service_id, ()), day)
        return norm.per_person if norm else None

    def area_on(self, premise_id: int, day: date, basis: str = "total") -> Decimal:
        premise = self.premises[premise_id]
        change = value_on(self._areas.get(premise_id, ()), day)
        total, heated = (change.total_area, change.heated_area) if change else (premise.total_area, premise.heated_area)
        if basis == "heated":
            return heated if heated is not None else total
        return total

    # --- accounts and subscriptions --------------------------------------------------------

    def premise_of(self, account_id: int) -> int:
        return self.accounts[account_id].premise_id

    def building_of(self, premise_id: int) -> int:
        return self.premises[premise_id].building_id

    def subscription_days(self, sub: AccountService) -> list[date]:
        """Days of the month the account is open and the subscription runs."""
        if sub not in self._sub_days:
            account = self.accounts[sub.account_id]
            self._sub_days[sub] = active_days(self.period, (account.opened_on, account.closed_on),
                                              (sub.date_from, sub.date_to))
        return self._sub_days[sub]

    def _one_off_in_month(self, sub: AccountService) -> bool:
        return self.first <= sub.date_from <= self.last

    def premise_subscriptions(self, premise_id: int, resource: str, methods=VOLUME_METHODS) -> list[AccountService]:
        return [s for s in self._by_premise.get(premise_id, ())
                if self.services[s.service_id].resource == resource
                and self.services[s.service_id].method in methods]

    def norm_service(self, premise_id: int, resource: str, day: date) -> Service | None:
        """The premise's subscribed metered/group service of ``resource`` active on ``day``
        (first by code): its norm bills that resource's norm volume."""
        key = (premise_id, resource, day)
        if key not in self._norm_services:
            self._norm_services[key] = next(
                (self.services[sub.service_id] for sub in self.premise_subscriptions(premise_id, resource)
                 if day in self.subscription_days(sub)), None)
        return self._norm_services[key]

    def has_resource_service(self, premise_id: int, resource: str) -> bool:
        return any(self.services[s.service_id].resource == resource for s in self._by_premise.get(premise_id, ()))

    # --- meters ---------------------------------------------------------------------------

    def premises_served(self, meter) -> list[int]:
        if meter.serves:
            ids = [p for p in meter.serves if p in self.premises]
        else:
            ids = [p.id for p in self.premises.values() if p.building_id == meter.building_id]
        return sorted(ids, key=self.sort_key)

    def resource_precision(self, resource: str) -> int:
        resource = "heat" if resource == "heat_allocator" else resource
        precisions = [s.quantity_precision for s in self.services.values() if s.resource == resource]
        return max(precisions) if precisions else (4 if resource == "heat" else 3)

    # --- warnings -------------------------------------------------------------------------

    def warn(self, code: str, message: str, **ids) -> None:
        warning = BillingWarning(code, message, **ids)
        if warning not in self._warnings:
            self._warnings.append(warning)

    @property
    def warnings(self) -> tuple[BillingWarning, ...]:
        return tuple(self._warnings)
