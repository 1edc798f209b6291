"""The run's look-ups over a :class:`~app.billing.data.BillingInput` (indices built once):
prices, norms and areas of a day, accounts and their subscriptions, meters, readings and
history, residents, settings, claim acts — and the warnings collected on the way."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal

from .allocation import premise_sort_key
from .codes import VOLUME_METHODS
from .data import AccountService, BillingInput, BillingWarning, Price, Service
from .periods import days_in, days_of, first_day, last_day, value_on
from .reductions import ClaimActs
from .residents import Residents
from .segments import active_days
from .settings import Settings



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
        self._warning_set: set[BillingWarning] = set()
        self._sort_keys: dict[int, tuple] = {}
        self._premise_subs: dict[tuple, list[AccountService]] = {}
        self._sub_days: dict[int, list[date]] = {}
        self._sub_keep: list[AccountService] = []

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
                self.warn("unknown_reference", ("w_unknown", str(sub.account_id), str(sub.service_id)),
                          account_id=sub.account_id,
                          service_id=sub.service_id)
                continue
            if self.subscription_days(sub) or (service.method == "one_off" and self._one_off_in_month(sub)):
                self.subscriptions.append(sub)
        self.min_persons = int(self.settings.get("min_persons_for_norm", self.last))
        self._by_premise: dict[int, list[AccountService]] = defaultdict(list)
        for sub in self.subscriptions:
            self._by_premise[self.accounts[sub.account_id].premise_id].append(sub)
        self._norm_services: dict[tuple[int, str, date], Service | None] = {}
        self._change_days: dict[int, frozenset[date]] = {}
        self._global_changes: frozenset[date] | None = None

    # --- ordering -------------------------------------------------------------------------

    def sort_key(self, premise_id: int) -> tuple:
        key = self._sort_keys.get(premise_id)
        if key is None:
            premise = self.premises[premise_id]
            building = self.buildings.get(premise.building_id)
            key = self._sort_keys[premise_id] = premise_sort_key(building.code if building else "", premise.number)
        return key

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
        days = self._sub_days.get(id(sub))  # by identity: hashing the record costs more than the days
        if days is None:
            account = self.accounts[sub.account_id]
            days = self._sub_days[id(sub)] = active_days(self.period, (account.opened_on, account.closed_on),
                                                         (sub.date_from, sub.date_to))
            self._sub_keep.append(sub)  # the id stays this record's while the book lives
        return days

    def _one_off_in_month(self, sub: AccountService) -> bool:
        return self.first <= sub.date_from <= self.last

    def premise_subscriptions(self, premise_id: int, resource: str, methods=VOLUME_METHODS) -> list[AccountService]:
        key = (premise_id, resource, methods)
        found = self._premise_subs.get(key)
        if found is None:
            found = self._premise_subs[key] = [
                s for s in self._by_premise.get(premise_id, ())
                if self.services[s.service_id].resource == resource and self.services[s.service_id].method in methods]
        return found

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

    # --- the days on which a line may change -----------------------------------------------

    def change_days(self, premise_id: int) -> frozenset[date]:
        """The days of the month on which something a line of ``premise_id`` depends on may
        change: every date found in a record of the premise (registrations, area changes, its
        accounts and their subscriptions, its meters) or in a record that is the same for all
        premises (price lists, norms, settings, claim acts), and the day after each (an
        inclusive ``date_to`` changes things the next day). Between two such days every day
        of a line has the same key, so the line's key is computed on these days only and
        carried over to the days in between — the result equals the day-by-day walk of
        :mod:`app.billing.segments`, in a fraction of the time."""
        found = self._change_days.get(premise_id)
        if found is None:
            if self._global_changes is None:
                inputs = self.inputs
                self._global_changes = self._dates_in(inputs.prices, inputs.norms, inputs.settings,
                                                      inputs.claim_acts)
            records = [self.residents.registrations(premise_id), self._areas.get(premise_id, ()),
                       self._meters_by_premise().get(premise_id, ())]
            for account in self._accounts_by_premise().get(premise_id, ()):
                records.append((account,))
                records.append(self._subscriptions_by_account().get(account.id, ()))
            found = self._global_changes | self._dates_in(*records)
            self._change_days[premise_id] = found
        return found

    def _dates_in(self, *collections) -> frozenset[date]:
        first, last = self.first, self.last
        days = set()
        for records in collections:
            for record in records:
                for name in _date_fields(type(record)):
                    value = getattr(record, name)
                    if value is None:
                        continue
                    for day in (value, value + ONE_DAY):
                        if first <= day <= last:
                            days.add(day)
        return frozenset(days)

    def _accounts_by_premise(self) -> dict[int, list]:
        if not hasattr(self, "_accounts_index"):
            self._accounts_index = defaultdict(list)
            for account in self.inputs.accounts:
                self._accounts_index[account.premise_id].append(account)
        return self._accounts_index

    def _subscriptions_by_account(self) -> dict[int, list]:
        if not hasattr(self, "_subscriptions_index"):
            self._subscriptions_index = defaultdict(list)
            for sub in self.inputs.account_services:
                self._subscriptions_index[sub.account_id].append(sub)
        return self._subscriptions_index

    def _meters_by_premise(self) -> dict[int, list]:
        if not hasattr(self, "_meters_index"):
            self._meters_index = defaultdict(list)
            for meter in self.inputs.meters:
                if meter.premise_id is not None:
                    self._meters_index[meter.premise_id].append(meter)
        return self._meters_index

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

    def warn(self, code: str, message: tuple, **ids) -> None:
        """``message``: a phrase (:mod:`app.billing.phrases`), shown in the reader's language."""
        warning = BillingWarning(code, message, **ids)
        if warning not in self._warning_set:
            self._warning_set.add(warning)
            self._warnings.append(warning)

    @property
    def warnings(self) -> tuple[BillingWarning, ...]:
        return tuple(self._warnings)


ONE_DAY = timedelta(days=1)
_DATE_FIELDS: dict[type, tuple[str, ...]] = {}


def _date_fields(record_type: type) -> tuple[str, ...]:
    """The names of a record's date fields (by their annotation)."""
    names = _DATE_FIELDS.get(record_type)
    if names is None:
        names = tuple(f.name for f in fields(record_type) if "date" in str(f.type) and "datetime" not in str(f.type)
                      and f.name not in ("reading_date",))
        _DATE_FIELDS[record_type] = names
    return names
