"""The engine's records: what goes into :func:`app.billing.engine.bill_period` and what comes
out. Every record is a small immutable value (``@dataclass(frozen=True)``), like beancount's
``core/data.py``: the database layer builds them from its rows and stores the results;
nothing edits one.

Numbers are ``Decimal``; a record also accepts an ``int`` or a text (``"12,5"``) and turns
it into a ``Decimal``, and refuses a ``float``. Sequences are stored as tuples.
Dates are ``datetime.date``; ranges are inclusive and an empty end is open (billing.md §1).

Vocabulary of codes (:mod:`app.billing.codes`, labelled in ``app/models/choices.py``):

* method: ``fixed`` ``area`` ``persons`` ``metered`` ``group`` ``one_off``
* resource: ``cold_water`` ``hot_water`` ``heat`` ``gas`` ``electricity`` ``sewerage``;
  a meter may also be a ``heat_allocator`` (розподілювач теплоти)
* registration kind: ``registered`` ``temporary`` ``absent``
* line kind: ``charge`` ``imbalance`` ``benefit``, and ``penalty`` (пеня, :mod:`app.billing.penalties`)
* volume source: ``actual`` ``estimated`` ``norm`` ``true_up`` ``imbalance`` ``allocation``
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal

from .codes import (  # noqa: F401  (the codes live in .codes; here for the records that check them)
    CLAIM_KINDS, IMBALANCE_KEYS, LINE_KINDS, METER_RESOURCES, METER_SOURCES, METHODS, REGISTRATION_KINDS, RESOURCES,
    VOLUME_SOURCES, WATER,
)
from .money import to_decimal
from .periods import parse_period
from .settings import HEAT_COMMON_SHARE, HEAT_MIN_SHARE, HEAT_SYSTEM_SHARE


def _normalise(record, decimals=(), optional_decimals=(), tuples=()):
    """Coerce numbers to Decimal (refusing float) and sequences to tuples, in place."""
    for name in decimals:
        object.__setattr__(record, name, to_decimal(getattr(record, name)))
    for name in optional_decimals:
        value = getattr(record, name)
        if value is not None:
            object.__setattr__(record, name, to_decimal(value))
    for name in tuples:
        object.__setattr__(record, name, tuple(getattr(record, name)))


def _check(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


# ----------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Service:
    """Послуга (номенклатура), billing.md §2."""

    id: int
    code: str
    method: str
    name: str = ""
    unit: str = ""
    resource: str | None = None
    area_basis: str = "total"
    quantity_precision: int = 3

    def __post_init__(self):
        _check(self.method, METHODS, "method")
        if self.resource is not None:
            _check(self.resource, RESOURCES, "resource")
        _check(self.area_basis, ("total", "heated"), "area basis")
        if self.method in ("metered", "group") and self.resource is None:
            raise ValueError(f"service {self.code}: a {self.method} service needs a resource")


@dataclass(frozen=True)
class PriceComponent:
    """Складова тарифу (e.g. hot water = water + heating of water)."""

    name: str
    price: Decimal

    def __post_init__(self):
        _normalise(self, decimals=("price",))


@dataclass(frozen=True)
class Price:
    """Прайс-лист entry: the price of ``service_id`` from ``valid_from`` on. With components,
    the price is their sum (a mismatch is refused)."""

    service_id: int
    valid_from: date
    price: Decimal
    components: tuple[PriceComponent, ...] = ()

    def __post_init__(self):
        _normalise(self, decimals=("price",), tuples=("components",))
        if self.components and sum(c.price for c in self.components) != self.price:
            raise ValueError(f"price {self.price} of service {self.service_id} from {self.valid_from} "
                             "is not the sum of its components")


@dataclass(frozen=True)
class Norm:
    """Норма споживання (Довідник ОТН): volume per person and month of a service."""

    service_id: int
    valid_from: date
    per_person: Decimal

    def __post_init__(self):
        _normalise(self, decimals=("per_person",))


@dataclass(frozen=True)
class Setting:
    """A dated billing setting (key as in ``app/services/setup.py``); value as text or number."""

    key: str
    valid_from: date
    value: Decimal

    def __post_init__(self):
        _normalise(self, decimals=("value",))


@dataclass(frozen=True)
class NetworkNode:
    """Вузол мережі of the communication scheme; ``parent_id`` is upstream."""

    id: int
    parent_id: int | None = None


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Building:
    """Будинок with the allocation settings of §5."""

    id: int
    code: str
    imbalance_key: str = "volume"
    heat_system_share: Decimal = HEAT_SYSTEM_SHARE
    heat_common_share: Decimal = HEAT_COMMON_SHARE
    heat_min_share: Decimal = HEAT_MIN_SHARE
    network_node_id: int | None = None

    def __post_init__(self):
        _check(self.imbalance_key, IMBALANCE_KEYS, "imbalance key")
        _normalise(self, decimals=("heat_system_share", "heat_common_share", "heat_min_share"))


@dataclass(frozen=True)
class Premise:
    """Приміщення. ``heated_area`` empty = the total area; ``heating`` central|individual;
    ``gas_category`` "1"|"2"|"3" (social norm of gas, §6)."""

    id: int
    building_id: int
    number: str
    total_area: Decimal
    heated_area: Decimal | None = None
    heating: str = "central"
    gas_category: str | None = None
    kind: str = "apartment"

    def __post_init__(self):
        _normalise(self, decimals=("total_area",), optional_decimals=("heated_area",))
        _check(self.heating, ("central", "individual"), "heating")


@dataclass(frozen=True)
class AreaChange:
    """A premise's areas from ``valid_from`` on (re-measurement, conversion)."""

    premise_id: int
    valid_from: date
    total_area: Decimal
    heated_area: Decimal | None = None

    def __post_init__(self):
        _normalise(self, decimals=("total_area",), optional_decimals=("heated_area",))


@dataclass(frozen=True)
class Registration:
    """Реєстрація: a resident in a premise. ``absent`` = documented absence (those days the
    resident is not counted even if also registered)."""

    resident_id: int
    premise_id: int
    date_from: date
    date_to: date | None = None
    kind: str = "registered"

    def __post_init__(self):
        _check(self.kind, REGISTRATION_KINDS, "registration kind")


@dataclass(frozen=True)
class Account:
    """Особовий рахунок of a premise."""

    id: int
    premise_id: int
    opened_on: date
    closed_on: date | None = None
    number: str = ""


@dataclass(frozen=True)
class AccountService:
    """An account's subscription to a service; ``quantity`` is the base of ``fixed`` and
    ``one_off`` services."""

    account_id: int
    service_id: int
    date_from: date
    date_to: date | None = None
    quantity: Decimal = Decimal(1)

    def __post_init__(self):
        _normalise(self, decimals=("quantity",))


@dataclass(frozen=True)
class Beneficiary:
    """Пільговик living in ``premise_id``: discount ``pct`` of the category, ``entitled``
    persons E (the beneficiary and family members). ``service_ids`` empty = every service
    a benefit applies to."""

    id: int
    resident_id: int
    premise_id: int
    pct: Decimal
    date_from: date
    date_to: date | None = None
    entitled: int = 1
    category: str = ""
    service_ids: tuple[int, ...] = ()

    def __post_init__(self):
        _normalise(self, decimals=("pct",), tuples=("service_ids",))
        if self.entitled < 1:
            raise ValueError("entitled persons must be at least 1")


@dataclass(frozen=True)
class ClaimAct:
    """Акт-претензія (approved acts only). It covers ``building_ids``, every building
    downstream of ``network_node_ids``, and ``account_ids``. ``not_provided`` reduces by
    100 %, ``poor_quality`` by ``reduction_pct``."""

    id: int
    service_id: int
    date_from: date
    date_to: date
    kind: str = "not_provided"
    reduction_pct: Decimal | None = None
    building_ids: tuple[int, ...] = ()
    network_node_ids: tuple[int, ...] = ()
    account_ids: tuple[int, ...] = ()
    number: str = ""

    def __post_init__(self):
        _check(self.kind, CLAIM_KINDS, "claim act kind")
        _normalise(self, optional_decimals=("reduction_pct",),
                   tuples=("building_ids", "network_node_ids", "account_ids"))
        if self.kind == "poor_quality" and self.reduction_pct is None:
            raise ValueError(f"claim act {self.number or self.id}: poor quality needs a reduction %")

    @property
    def reduction(self) -> Decimal:
        """The share taken off, 0…1."""
        pct = Decimal(100) if self.kind == "not_provided" else self.reduction_pct
        return min(max(pct, Decimal(0)), Decimal(100)) / 100


# ----------------------------------------------------------------------------- metering


@dataclass(frozen=True)
class Meter:
    """Прилад обліку. ``premise_id`` empty = a house meter (загальнобудинковий); it serves
    ``serves`` (premise ids; empty = every premise of its building). ``digits`` is the
    register's розрядність (rollover). A ``heat_allocator`` counts units, multiplied by
    ``allocator_factor``. ``replaces`` = the meter this one replaced (its history feeds
    this meter's estimates until it has its own)."""

    id: int
    resource: str
    building_id: int
    installed_on: date
    premise_id: int | None = None
    initial_reading: Decimal = Decimal(0)
    removed_on: date | None = None
    final_reading: Decimal | None = None
    next_verification: date | None = None
    digits: int | None = None
    serial: str = ""
    serves: tuple[int, ...] = ()
    allocator_factor: Decimal = Decimal(1)
    replaces: int | None = None

    def __post_init__(self):
        _check(self.resource, METER_RESOURCES, "meter resource")
        _normalise(self, decimals=("initial_reading", "allocator_factor"),
                   optional_decimals=("final_reading",), tuples=("serves",))

    @property
    def is_house_meter(self) -> bool:
        return self.premise_id is None


@dataclass(frozen=True)
class Reading:
    """Показник. Readings with source ``estimate`` are not actual readings and are ignored."""

    meter_id: int
    date: date
    value: Decimal
    source: str = "inspector"

    def __post_init__(self):
        _normalise(self, decimals=("value",))


@dataclass(frozen=True)
class MeterMonth:
    """What was billed for one meter in one month — the engine's output for the month and
    its input (``meter_history``) in the months after, for estimates and true-ups.

    * ``volume``: the meter's volume billed that month (for a premise billed by norm, the
      norm volume split over its meters of that resource).
    * ``source``: ``actual`` | ``estimated`` | ``norm`` | ``true_up``.
    * ``days``: days of that month the meter was installed (the days ``volume`` covers).
    * ``reading_date``: the month's last actual reading; empty = a month without a reading
      (such months are the ones a later true-up subtracts and the ones counted towards the
      4th month billed by norm).
    * ``start``/``end``: the register values used (informational).
    """

    meter_id: int
    period: str
    volume: Decimal
    source: str
    days: int
    reading_date: date | None = None
    start: Decimal | None = None
    end: Decimal | None = None

    def __post_init__(self):
        parse_period(self.period)
        _check(self.source, METER_SOURCES, "meter volume source")
        _normalise(self, decimals=("volume",), optional_decimals=("start", "end"))


# ----------------------------------------------------------------------------- penalties


@dataclass(frozen=True)
class OverdueDebt:
    """The debt of an account on a service that a penalty (пеня, billing.md §11) may run on in
    the month billed, from the ledger:

    * ``overdue``: the debt already overdue when the month begins (bills of the months before
      the last one, left unpaid), penalties already in the debt taken out;
    * ``due``: the last month's bill still unpaid, due on the month's due day (``invoice.due_day``);
    * ``movements``: (value date, amount) of the entries posted in the month so far — payments
      and subsidies negative, their reversals positive; they pay the overdue debt first;
    * ``penalty_in_debt``: penalties charged earlier and still unpaid — no penalty runs on them,
      and with this month's they are capped at 100 % of the debt;
    * ``restructured``: the part of the debt under a restructuring agreement (реструктуризація),
      excluded while the agreement holds — until ``restructured_until`` (its termination day;
      empty: the whole month).
    """

    account_id: int
    service_id: int
    overdue: Decimal = Decimal(0)
    due: Decimal = Decimal(0)
    movements: tuple[tuple[date, Decimal], ...] = ()
    penalty_in_debt: Decimal = Decimal(0)
    restructured: Decimal = Decimal(0)
    restructured_until: date | None = None
    agreement: str = ""

    def __post_init__(self):
        _normalise(self, decimals=("overdue", "due", "penalty_in_debt", "restructured"), tuples=("movements",))
        object.__setattr__(self, "movements", tuple((day, to_decimal(amount)) for day, amount in self.movements))


@dataclass(frozen=True)
class PenaltyExemption:
    """An account exempt from penalties ``date_from``…``date_to`` (empty end: open)."""

    account_id: int
    date_from: date
    date_to: date | None = None
    reason: str = ""


# ----------------------------------------------------------------------------- input


@dataclass(frozen=True)
class BillingInput:
    """Everything one billing run of ``period`` needs. Give every premise of a building
    whose house meter is distributed (allocation needs the whole group); the run may
    cover one building or many. ``meter_history`` = the ``MeterMonth`` records of earlier
    months (the engine reads at most what it needs: the last months with actual
    consumption and the months since the last reading)."""

    period: str
    services: tuple[Service, ...] = ()
    prices: tuple[Price, ...] = ()
    norms: tuple[Norm, ...] = ()
    settings: tuple[Setting, ...] = ()
    network_nodes: tuple[NetworkNode, ...] = ()
    buildings: tuple[Building, ...] = ()
    premises: tuple[Premise, ...] = ()
    area_changes: tuple[AreaChange, ...] = ()
    registrations: tuple[Registration, ...] = ()
    accounts: tuple[Account, ...] = ()
    account_services: tuple[AccountService, ...] = ()
    meters: tuple[Meter, ...] = ()
    readings: tuple[Reading, ...] = ()
    meter_history: tuple[MeterMonth, ...] = ()
    beneficiaries: tuple[Beneficiary, ...] = ()
    claim_acts: tuple[ClaimAct, ...] = ()
    overdue_debts: tuple[OverdueDebt, ...] = ()
    penalty_exemptions: tuple[PenaltyExemption, ...] = ()
    holidays: tuple[date, ...] = ()

    def __post_init__(self):
        parse_period(self.period)
        _normalise(self, tuples=[f.name for f in fields(self) if f.name != "period"])


# ----------------------------------------------------------------------------- output


@dataclass(frozen=True)
class ChargeLine:
    """Рядок нарахування.

    * ``kind``: ``charge`` | ``imbalance`` | ``benefit`` | ``penalty`` (``base_quantity`` and
      ``quantity`` the largest debt it ran on, ``price`` the daily rate in per cent).
    * ``base_quantity``: the monthly base quantity ``q`` of the segment (rounded to the
      service's precision); ``quantity``: the shown quantity ``round(q × d / D)``.
    * ``price``: the price of the segment (None on benefit lines); ``reduction``: the claim-act
      share ``r`` (0…1) applied.
    * ``amount = round(q × p × d / D × (1 − r), 2)``; benefits are negative.
    * ``source``: where the volume came from (``actual`` ``estimated`` ``norm`` ``true_up``
      ``imbalance`` ``allocation``), None for lines that are not volumes.
    * ``explanation``: the phrases (:mod:`app.billing.phrases`, codes and numbers) answering «чому стільки?»,
      rendered in the reader's language when shown.
    * ``beneficiary_id``: the beneficiary of a benefit line.
    """

    account_id: int
    service_id: int
    kind: str
    period: str
    date_from: date
    date_to: date
    days: int
    base_quantity: Decimal
    quantity: Decimal
    price: Decimal | None
    amount: Decimal
    method: str
    source: str | None = None
    reduction: Decimal = Decimal(0)
    explanation: tuple[tuple, ...] = ()
    beneficiary_id: int | None = None


@dataclass(frozen=True)
class BillingWarning:
    """Something the accountant should look at (shown on the run and in the losses report)."""

    code: str
    message: tuple  # a phrase (app/billing/phrases.py): shown in the reader's language
    building_id: int | None = None
    premise_id: int | None = None
    account_id: int | None = None
    service_id: int | None = None
    meter_id: int | None = None


@dataclass(frozen=True)
class HouseBalance:
    """One house meter's month: for the losses report (звіт про втрати / небаланс).

    ``house_volume`` Vh (None = no volume), ``house_source`` actual|estimated|true_up,
    ``individual_total`` ΣVi (water), ``difference`` Δ = Vh − ΣVi (water),
    ``distributed`` what was allocated to premises, ``method`` how (water: the imbalance key
    or ``none``; heat: ``area`` ``units`` ``partial`` ``area_fallback``)."""

    meter_id: int
    building_id: int
    resource: str
    house_volume: Decimal | None
    house_source: str | None
    individual_total: Decimal | None
    difference: Decimal | None
    distributed: Decimal
    method: str


@dataclass(frozen=True)
class BillingResult:
    """The month's draft: charge lines, warnings, the per-meter volumes billed (store them;
    they are next month's ``meter_history``) and the house-meter balances."""

    period: str
    lines: tuple[ChargeLine, ...]
    warnings: tuple[BillingWarning, ...] = ()
    meter_volumes: tuple[MeterMonth, ...] = ()
    house_balances: tuple[HouseBalance, ...] = field(default=())
