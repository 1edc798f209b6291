"""The seventeen kinds of import file (formats.md): for each, its columns, key, references and
how a row becomes the model object that the shared validators check.

A column's type comes from the model column it fills (text with its length, a number with its
places, a whole number, a date); closed lists and periods are marked. A reference (building,
premise, account, meter…) is found by its code in the file's own columns and loaded for the
whole file at once (:mod:`.refs`).
"""
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from decimal import Decimal
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Integer, Numeric, String, inspect as sa_inspect

from ...billing.settings import HEAT_COMMON_SHARE, HEAT_MIN_SHARE, HEAT_SYSTEM_SHARE
from ...models import (
    Account, AccountService, Beneficiary, BenefitCategory, Building, Meter, MeterType, NetworkNode,
    Norm, OpeningBalance, Payment, Premise, Reading, Registration, Resident, Service, Subsidy, Tariff,
)
from ...models.choices import (
    AREA_BASES, CHARGING_METHODS, GAS_CATEGORIES, HEATING_KINDS, IMBALANCE_KEYS, METER_RESOURCES,
    PREMISE_KINDS, READING_SOURCES, REGISTRATION_KINDS, RESOURCES, Choices,
)
from ...validation import readings as readings_rules
from ...validation.rules import consent_date
from .. import ledger
from . import headers, refs


@dataclass(frozen=True)
class Col:
    """A column of the file. ``field``: the model column it fills (None: only a reference)."""

    name: str
    field: str | None = None
    help: object = ""
    example: object = None
    choices: Choices | None = None
    period: bool = False
    default: object = None  # stored when the cell is empty (a NOT NULL column with a default)
    key: bool = False


@dataclass(frozen=True)
class Ref:
    """A related record named by the file's columns: ``premise`` ← (building_code, number).

    The reference is absent when its last column is empty; the validator then decides
    (a premise is required for an account, optional for a meter)."""

    field: str
    columns: tuple
    loader: Callable        # (session, set of tuples of texts) -> {tuple: object}
    by_id: Callable         # (session, ids) -> {id: object}
    unknown: object         # message: "Unknown building"


@dataclass
class Kind:
    name: str
    model: type
    resource: str            # the permission resource (security.ROLE_RIGHTS)
    label: object
    help: object
    columns: list
    refs: list = field(default_factory=list)
    key: tuple = ()          # model fields (columns or references) that identify a row
    facts_only: bool = False  # payments, subsidies: never updated by a re-import
    order: Callable | None = None  # sort key of the rows for checking (readings: meter, date)
    building_of: Callable | None = None  # obj -> building id, for an inspector's scope
    defaults_on_create: dict = field(default_factory=dict)
    created_stamp: str | None = None  # column receiving the importing user's name on create
    # (session) -> a message refusing the whole file now, or None (opening balances once a period closed)
    refused: Callable | None = None
    # (session, username): after the rows are written, in the same transaction (payments → the journal)
    after_write: Callable | None = None
    edited_stamp: tuple | None = None  # (user column, time column) set on every row updated
    # (session, [(row number, values)] of the accepted rows) -> warnings for the preview/report
    notices: Callable | None = None
    # (values, existing record's values or None, the import's day): fields derived from others,
    # set on the merged values of a row before it is compared and checked (an account's consent date)
    settle: Callable | None = None
    settled: tuple = ()  # the fields ``settle`` may set: compared and written when the file has one of them
    # payment registers: the user may write the valid rows and keep the rejected ones as a file
    partial_write: bool = False
    # control totals of the preview: the money column summed, the column of dates (or months) whose range is shown
    total_of: str | None = None
    dated_by: str | None = None

    def __post_init__(self):
        self.by_name = {c.name: c for c in self.columns}
        # the Ukrainian headers (one table for every kind: headers.HEADERS); every column has one
        self.titles = {c.name: headers.title(self.name, c.name) for c in self.columns}
        self.header_lookup = headers.lookup(self.name)
        self.ref_by_field = {r.field: r for r in self.refs}
        self.table = self.model.__table__
        self.key_names = [c.name for c in self.columns if c.key]

    @cached_property
    def fk_of(self) -> dict:
        """{relationship: its foreign key column} — read from the mapper when first needed
        (every model is defined by then)."""
        mapper = sa_inspect(self.model)
        found = {}
        for rel in self.refs:
            (column,) = mapper.relationships[rel.field].local_columns
            found[rel.field] = column.key
        return found

    @cached_property
    def key_columns(self) -> tuple:
        return tuple(self.fk_of.get(part, part) for part in self.key)

    def column_type(self, col: Col):
        """(kind, length/precision, scale) of a column: text, decimal, int, bool, date, choice, period."""
        if col.choices is not None:
            return "choice", None, None
        if col.period:
            return "period", None, None
        column_type = self.table.c[col.field].type
        column_type = getattr(column_type, "impl_instance", column_type)  # MONEY: its NUMERIC(14, 2)
        if isinstance(column_type, Boolean):
            return "bool", None, None
        if isinstance(column_type, Numeric):
            return "decimal", column_type.precision, column_type.scale
        if isinstance(column_type, Integer):
            return "int", None, None
        if isinstance(column_type, Date):
            return "date", None, None
        if isinstance(column_type, String):
            return "text", column_type.length, None
        return "text", None, None

    def columns_for_field(self, name: str) -> list[str]:
        """The file columns behind a model field (for the report of a validator's error)."""
        if name in self.ref_by_field:
            return list(self.ref_by_field[name].columns[-1:])
        if name.endswith("_id") and name[:-3] in self.ref_by_field:
            return list(self.ref_by_field[name[:-3]].columns[-1:])
        return [c.name for c in self.columns if c.field == name]


def _settle_consent(values, existing, today):
    """An account's consent date as a form sets it (:func:`app.validation.rules.consent_date`):
    «так» with an empty date — the date of a consent already recorded, else the import's day;
    «ні» — no date."""
    values["einvoice_consent_on"] = consent_date(
        bool(values.get("einvoice_consent")), values.get("einvoice_consent_on"), today,
        bool(existing and existing.get("einvoice_consent")), existing.get("einvoice_consent_on") if existing else None)


def _premise_building(obj):
    return obj.premise.building_id if obj.premise is not None else None


def _account_building(obj):
    account = obj.account
    return account.premise.building_id if account is not None and account.premise is not None else None


BUILDING = Ref("building", ("building_code",), refs.by_code(Building, Building.code),
               refs.by_id(Building), _l("Unknown building code"))
PREMISE = Ref("premise", ("building_code", "number"), refs.premise_by_building_number,
              refs.by_id(Premise), _l("Unknown premise: no such number in this building"))
def _opening_balances_refused(session):
    try:
        ledger.first_period_open(session)
    except ledger.LedgerError as refused:
        return str(refused)
    return None


ACCOUNT = Ref("account", ("account_number",), refs.by_code(Account, Account.account_number, refs.ACCOUNT_OPTIONS),
              refs.by_id(Account, refs.ACCOUNT_OPTIONS), _l("Unknown personal account"))
SERVICE = Ref("service", ("service_code",), refs.by_code(Service, Service.code),
              refs.by_id(Service), _l("Unknown service code"))
RESIDENT = Ref("resident", ("resident_id",), refs.by_code(Resident, Resident.resident_id),
               refs.by_id(Resident), _l("Unknown resident ID"))

DATE_EXAMPLE = date(2026, 11, 1)

KINDS: dict[str, Kind] = {}


def _kind(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


_kind(Kind(
    "buildings", Building, "Building", _l("Buildings"),
    _l("Buildings with the allocation settings of the Methodology"),
    columns=[
        Col("code", "code", _l("Building code, unique: the key of the row"), "B-17", key=True),
        Col("address", "address", _l("Address"), "вул. Соборна, 17"),
        Col("floors", "floors", _l("Number of floors"), 9),
        Col("heated_area", "heated_area", _l("Heated area of the building, m²"), Decimal("3120.5")),
        Col("common_area", "common_area", _l("Area of common parts, m²"), Decimal("410")),
        Col("imbalance_key", "imbalance_key", _l("How the water imbalance is shared: volume, persons or area"),
            "volume", choices=IMBALANCE_KEYS, default="volume"),
        Col("heat_system_share", "heat_system_share", _l("Share of heat for the heating system (0.05 = 5 %)"),
            HEAT_SYSTEM_SHARE, default=HEAT_SYSTEM_SHARE),
        Col("heat_common_share", "heat_common_share", _l("Share of heat for the common areas (0.10 = 10 %)"),
            HEAT_COMMON_SHARE, default=HEAT_COMMON_SHARE),
        Col("heat_min_share", "heat_min_share", _l("Minimum heat share of a premise with an allocator (0.5)"),
            HEAT_MIN_SHARE, default=HEAT_MIN_SHARE),
        Col("network_node", None, _l("Code of the network node (heat point) supplying the building"), ""),
    ],
    refs=[Ref("network_node", ("network_node",), refs.by_code(NetworkNode, NetworkNode.code),
              refs.by_id(NetworkNode), _l("Unknown network node code"))],
    key=("code",),
    building_of=lambda obj: obj.id,
))

_kind(Kind(
    "premises", Premise, "Premise", _l("Premises"), _l("Flats and non-residential premises of the buildings"),
    columns=[
        Col("building_code", None, _l("Code of the building: part of the key"), "B-17", key=True),
        Col("number", "number", _l("Number of the flat or premise: part of the key"), "12", key=True),
        Col("kind", "kind", _l("apartment or nonresidential"), "apartment", choices=PREMISE_KINDS, default="apartment"),
        Col("total_area", "total_area", _l("Total area, m²"), Decimal("52.3")),
        Col("heated_area", "heated_area", _l("Heated area, m²"), Decimal("52.3")),
        Col("heating", "heating", _l("central or individual heating"), "central", choices=HEATING_KINDS,
            default="central"),
        Col("gas_category", "gas_category", _l("Gas category 1, 2 or 3 (empty: no gas)"), "", choices=GAS_CATEGORIES),
        Col("entrance", "entrance", _l("Entrance (підʼїзд), a whole number from 1: the delivery order of the invoices"),
            1),
    ],
    refs=[BUILDING],
    key=("building", "number"),
    building_of=lambda obj: obj.building.id if obj.building is not None else None,
))

_kind(Kind(
    "residents", Resident, "Resident", _l("Residents"), _l("Residents with their stable external ID"),
    columns=[
        Col("resident_id", "resident_id", _l("Resident ID, unique: the key of the row"), "R-000125", key=True),
        Col("full_name", "full_name", _l("Surname, name and patronymic"), "Петренко Ольга Іванівна"),
        Col("rnokpp", "rnokpp", _l("РНОКПП (taxpayer number), 10 digits"), "3183501233"),
        Col("birth_date", "birth_date", _l("Date of birth"), date(1964, 5, 17)),
        Col("phone", "phone", _l("Phone"), "+380671234567"),
        Col("email", "email", _l("E-mail"), "olha@example.com"),
    ],
    key=("resident_id",),
))

_kind(Kind(
    "registrations", Registration, "Registration", _l("Registrations"),
    _l("Who is registered in which premise, from when to when"),
    columns=[
        Col("resident_id", None, _l("Resident ID: part of the key"), "R-000125", key=True),
        Col("building_code", None, _l("Code of the building: part of the key"), "B-17", key=True),
        Col("number", None, _l("Number of the premise: part of the key"), "12", key=True),
        Col("date_from", "date_from", _l("Registered from: part of the key"), date(2020, 3, 1), key=True),
        Col("date_to", "date_to", _l("Registered until (empty: still registered)"), ""),
        Col("kind", "kind", _l("registered, temporary or absent"), "registered", choices=REGISTRATION_KINDS,
            default="registered"),
    ],
    refs=[RESIDENT, PREMISE],
    key=("resident", "premise", "date_from"),
    building_of=_premise_building,
))

_kind(Kind(
    "accounts", Account, "Account", _l("Personal accounts"), _l("Personal accounts of the premises' owners"),
    columns=[
        Col("account_number", "account_number", _l("Personal account number, unique: the key of the row"),
            "1700012", key=True),
        Col("building_code", None, _l("Code of the building"), "B-17"),
        Col("number", None, _l("Number of the premise"), "12"),
        Col("owner_name", "owner_name", _l("Owner (tenant)"), "Петренко Ольга Іванівна"),
        Col("owner_rnokpp", "owner_rnokpp", _l("Owner's РНОКПП, 10 digits"), "3183501233"),
        Col("email", "email", _l("E-mail for invoices"), "olha@example.com"),
        Col("phone", "phone", _l("Phone"), "+380671234567"),
        Col("opened_on", "opened_on", _l("Opened on"), date(2020, 3, 1)),
        Col("closed_on", "closed_on", _l("Closed on (empty: open)"), ""),
        Col("einvoice_consent", "einvoice_consent", _l("The owner agreed to invoices by e-mail: так or ні "
                                                       "(yes/no, 1/0; empty: ні); needs the e-mail"), "так",
            default=False),
        Col("einvoice_consent_on", "einvoice_consent_on", _l("Date of the consent (empty with так: the date "
                                                             "already recorded, else the day of the import)"),
            date(2026, 10, 15)),
    ],
    refs=[PREMISE],
    key=("account_number",),
    building_of=_premise_building,
    settle=_settle_consent,
    settled=("einvoice_consent", "einvoice_consent_on"),
))

_kind(Kind(
    "services", Service, "Service", _l("Services"), _l("The services directory (номенклатура)"),
    columns=[
        Col("code", "code", _l("Service code, unique: the key of the row"), "CW", key=True),
        Col("name", "name", _l("Name"), "Холодна вода"),
        Col("unit", "unit", _l("Unit"), "м³"),
        Col("method", "method", _l("Charging method: fixed, area, persons, metered, group or one_off"), "metered",
            choices=CHARGING_METHODS),
        Col("resource", "resource", _l("Resource of a metered service: cold_water, hot_water, heat, gas, "
                                       "electricity or sewerage"), "cold_water", choices=RESOURCES),
        Col("area_basis", "area_basis", _l("Area charged: total or heated"), "total", choices=AREA_BASES,
            default="total"),
        Col("quantity_precision", "quantity_precision", _l("Decimal places of quantities (0–4)"), 3, default=3),
    ],
    key=("code",),
))

_kind(Kind(
    "tariffs", Tariff, "Tariff", _l("Price lists"), _l("Prices of the services from a date on"),
    columns=[
        Col("service_code", None, _l("Service code: part of the key"), "CW", key=True),
        Col("valid_from", "valid_from", _l("Valid from: part of the key"), DATE_EXAMPLE, key=True),
        Col("price", "price", _l("Price, UAH per unit"), Decimal("38.448")),
    ],
    refs=[SERVICE],
    key=("service", "valid_from"),
))

_kind(Kind(
    "norms", Norm, "Norm", _l("Consumption norms"), _l("Norms of consumption per person (Довідник ОТН)"),
    columns=[
        Col("service_code", None, _l("Service code: part of the key"), "CW", key=True),
        Col("valid_from", "valid_from", _l("Valid from: part of the key"), DATE_EXAMPLE, key=True),
        Col("norm_per_person", "norm_per_person", _l("Norm per person and month"), Decimal("2.4")),
    ],
    refs=[SERVICE],
    key=("service", "valid_from"),
))

_kind(Kind(
    "account_services", AccountService, "AccountService", _l("Account services"),
    _l("Which services each personal account receives"),
    columns=[
        Col("account_number", None, _l("Personal account number: part of the key"), "1700012", key=True),
        Col("service_code", None, _l("Service code: part of the key"), "CW", key=True),
        Col("date_from", "date_from", _l("From: part of the key"), DATE_EXAMPLE, key=True),
        Col("date_to", "date_to", _l("To (empty: open ended)"), ""),
        Col("quantity", "quantity", _l("Quantity for fixed services (default 1)"), Decimal("1"), default=Decimal("1")),
    ],
    refs=[ACCOUNT, SERVICE],
    key=("account", "service", "date_from"),
    building_of=_account_building,
))

_kind(Kind(
    "meter_types", MeterType, "MeterType", _l("Meter types"), _l("Types of meters with their digits and verification interval"),
    columns=[
        Col("code", "code", _l("Meter type code, unique: the key of the row"), "CW-15", key=True),
        Col("name", "name", _l("Name"), "Лічильник холодної води DN15"),
        Col("resource", "resource", _l("cold_water, hot_water, heat, gas, electricity, sewerage or heat_allocator"),
            "cold_water", choices=METER_RESOURCES),
        Col("digits", "digits", _l("Digits of the register before the decimal point"), 5),
        Col("verification_years", "verification_years", _l("Verification interval, years"), 6),
    ],
    key=("code",),
))

_kind(Kind(
    "meters", Meter, "Meter", _l("Meters"), _l("The meter card file: flat meters and house meters"),
    columns=[
        Col("serial", "serial", _l("Serial number, unique: the key of the row"), "CW-1700012-1", key=True),
        Col("meter_type_code", None, _l("Meter type code"), "CW-15"),
        Col("building_code", None, _l("Code of the building"), "B-17"),
        Col("number", None, _l("Number of the premise (empty: a house meter)"), "12"),
        Col("installed_on", "installed_on", _l("Installed on"), date(2024, 1, 15)),
        Col("initial_reading", "initial_reading", _l("Reading at installation"), Decimal("0"), default=Decimal("0")),
        Col("removed_on", "removed_on", _l("Removed on (empty: in service)"), ""),
        Col("final_reading", "final_reading", _l("Reading at removal"), ""),
        Col("verified_on", "verified_on", _l("Verified on"), date(2024, 1, 10)),
        Col("next_verification", "next_verification", _l("Next verification"), date(2030, 1, 10)),
    ],
    refs=[
        Ref("meter_type", ("meter_type_code",), refs.by_code(MeterType, MeterType.code), refs.by_id(MeterType),
            _l("Unknown meter type code")),
        BUILDING,
        PREMISE,
    ],
    key=("serial",),
    building_of=lambda obj: obj.building.id if obj.building is not None else None,
))

_kind(Kind(
    "readings", Reading, "Reading", _l("Meter readings"), _l("Meter readings on their dates"),
    columns=[
        Col("serial", None, _l("Serial number of the meter: part of the key"), "CW-1700012-1", key=True),
        Col("date", "date", _l("Date of the reading: part of the key"), date(2026, 11, 28), key=True),
        Col("value", "value", _l("Reading of the register"), Decimal("123.45")),
        Col("source", "source", _l("inspector, resident or import (empty: import)"), "import",
            choices=READING_SOURCES, default="import"),
    ],
    refs=[Ref("meter", ("serial",), refs.by_code(Meter, Meter.serial, refs.METER_OPTIONS),
              refs.by_id(Meter, refs.METER_OPTIONS), _l("Unknown meter serial number"))],
    key=("meter", "date"),
    order=lambda row: (row.values["meter_id"], row.values["date"]),
    building_of=lambda obj: obj.meter.building_id if obj.meter is not None else None,
    created_stamp="entered_by",
    edited_stamp=("edited_by", "edited_at"),
    dated_by="date",
    notices=lambda session, rows: readings_rules.closed_period_warnings(
        [(number, values["date"]) for number, values in rows], *readings_rules.period_states(session)),
))

_kind(Kind(
    "payments", Payment, "Payment", _l("Payments"), _l("Payment registers of banks and cash desks"),
    columns=[
        Col("external_id", "external_id", _l("Payment ID in the bank's register, unique: the key of the row"),
            "PB-20261128-000125", key=True),
        Col("account_number", None, _l("Personal account number"), "1700012"),
        Col("paid_on", "paid_on", _l("Date of payment"), date(2026, 11, 28)),
        Col("amount", "amount", _l("Amount, UAH"), Decimal("1250.40")),
        Col("source", "source", _l("Where the payment came from (bank, cash desk); empty: import"), "ПриватБанк",
            default="import"),
    ],
    refs=[ACCOUNT],
    key=("external_id",),
    facts_only=True,
    building_of=_account_building,
    created_stamp="created_by",
    after_write=ledger.post_pending,
    partial_write=True,
    total_of="amount",
    dated_by="paid_on",
))

_kind(Kind(
    "benefit_categories", BenefitCategory, "BenefitCategory", _l("Benefit categories"),
    _l("Categories of benefits with their discount"),
    columns=[
        Col("code", "code", _l("Category code, unique: the key of the row"), "UBD", key=True),
        Col("name", "name", _l("Name"), "Учасник бойових дій"),
        Col("pct", "pct", _l("Discount, %"), Decimal("75")),
    ],
    key=("code",),
))

_kind(Kind(
    "beneficiaries", Beneficiary, "Beneficiary", _l("Beneficiaries"), _l("Residents entitled to a benefit"),
    columns=[
        Col("resident_id", None, _l("Resident ID: part of the key"), "R-000125", key=True),
        Col("category_code", None, _l("Benefit category code: part of the key"), "UBD", key=True),
        Col("date_from", "date_from", _l("From: part of the key"), date(2026, 1, 1), key=True),
        Col("date_to", "date_to", _l("To (empty: open ended)"), ""),
        Col("entitled", "entitled", _l("Entitled persons, the beneficiary included (default 1)"), 2, default=1),
        Col("certificate", "certificate", _l("Certificate"), "АА 123456"),
    ],
    refs=[RESIDENT, Ref("category", ("category_code",), refs.by_code(BenefitCategory, BenefitCategory.code),
                        refs.by_id(BenefitCategory), _l("Unknown benefit category code"))],
    key=("resident", "category", "date_from"),
))

_kind(Kind(
    "subsidies", Subsidy, "Subsidy", _l("Subsidies"), _l("Subsidies of the social protection bodies per account and month"),
    columns=[
        Col("account_number", None, _l("Personal account number: part of the key"), "1700012", key=True),
        Col("period", "period", _l("Month, YYYY-MM: part of the key"), "2026-11", period=True, key=True),
        Col("amount", "amount", _l("Amount of the subsidy, UAH (a credit)"), Decimal("812.00")),
        Col("service_code", None, _l("Service code (empty: the whole account); with it, part of the key"), ""),
    ],
    refs=[ACCOUNT, SERVICE],
    key=("account", "period", "service"),
    facts_only=True,
    building_of=_account_building,
    after_write=ledger.post_pending,
    total_of="amount",
    dated_by="period",
))

_kind(Kind(
    "balances", OpeningBalance, "OpeningBalance", _l("Opening balances"),
    _l("Balances brought over from another system (вхідне сальдо) into the first open period: a debt is "
       "positive, an advance negative"),
    columns=[
        Col("account_number", None, _l("Personal account number: part of the key"), "1700012", key=True),
        Col("service_code", None, _l("Service code (empty: the account as a whole); with it, part of the key"),
            "CW"),
        Col("amount", "amount", _l("Balance, UAH: debt positive, advance negative"), Decimal("-120.50")),
        Col("debt_since", "debt_since", _l("The month a debt dates from in the old system, YYYY-MM (empty: the first "
                                           "open period): its age for the debtors and write-offs"), "", period=True),
    ],
    refs=[ACCOUNT, SERVICE],
    key=("account", "service"),
    building_of=_account_building,
    created_stamp="created_by",
    refused=_opening_balances_refused,
    after_write=ledger.post_opening_balances,
    total_of="amount",
))

KIND_NAMES = tuple(KINDS)
