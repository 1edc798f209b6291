"""Reports (issue 11; formats.md «Reports»): every kind builds a :class:`Report` — its columns and a
stream of rows — from the ledger (``services/ledger``) and the billing results, and one set of
writers and one screen serve every kind:

* the **machine CSV** of formats.md (``,``, decimal point, the English column codes of the
  columns marked ``machine``; what ``oblik report`` writes by default and scripts read);
* the **XLSX for people** and the **CSV for Ukrainian Excel** (``;``, decimal comma, UTF-8 with a
  BOM): a title with the organisation and the period, Ukrainian headers, names and addresses,
  a totals row;
* the screen «Звіти → …» with the kind's filters, sorting, paging and totals.

**Adding a kind.** A module of this package defines ``KINDS = [ReportKind(...), ...]`` and is
named in :data:`MODULES`; its ``build(session, filters) -> Report`` reads what it needs in a few
set-based queries (no query per row) and yields rows as tuples in the order of its columns:
``Decimal`` for money, quantities and percents, ``int``, ``str``, ``date`` or ``None``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable

from flask_babel import gettext as _

from ...billing.periods import parse_period


class ReportError(Exception):
    """The report cannot be made (message for the user, in the interface language)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # the filter it concerns, shown next to it on the screen


COLUMN_KINDS = ("text", "money", "price", "quantity", "percent", "int", "date")  # price: ≥ 2 places, up to 5


def _same(value):
    return value


@dataclass(frozen=True)
class Column:
    code: str                  # the machine CSV's header (formats.md), stable English
    title: str                 # the people's header (lazy_gettext: Ukrainian by default)
    kind: str = "text"         # one of COLUMN_KINDS: how it is formatted and aligned
    total: bool = False        # summed in the totals row
    machine: bool = True       # in the machine CSV; False: people's files and the screen only
    width: int | None = None   # XLSX column width in characters (None: from the kind)
    labels: tuple = ()         # ((code, label), ...): a code column shown to people by its label
                               # (the machine CSV keeps the code)
    people: bool = True        # shown to people (the screen, the XLSX, the CSV for Excel); False: a
                               # code for the machine CSV only, its name in the column beside it
    explained: bool = False    # a charge line's explanation as stored (phrases, app/billing/phrases.py):
                               # rendered in the reader's language where it is shown or written

    def shown(self, value):
        """The value as people see it (a code by its label)."""
        return self.shower()(value)

    def shower(self):
        """``shown`` for many rows: the labels translated once (a file of 750,000 lines)."""
        if self.explained:
            from ..explanations import renderer

            return renderer().text
        if not self.labels:
            return _same
        table = {code: str(label) for code, label in self.labels}
        return lambda value: value if value is None else table.get(value, value)


@dataclass(frozen=True)
class OwnFilter:
    """A filter of one report (``ReportFilters.extra[name]``), parsed and checked by the screen
    and the command line: ``type`` "choice" (``choices`` [(value, label)]), "decimal", "int",
    "text" or "bool"."""

    name: str
    label: str
    type: str = "text"
    choices: tuple = ()
    default: object = None


@dataclass
class ReportFilters:
    """What the report is asked for. ``period`` (YYYY-MM) or a date range; ``building_ids`` is the
    caller's scope (an inspector's buildings; None: all) and every kind applies it."""

    period: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    building_id: int | None = None
    service_id: int | None = None
    account_id: int | None = None
    building_ids: tuple[int, ...] | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Report:
    kind: str
    title: str                      # «Оборотно-сальдова відомість»
    period: str                     # YYYY-MM (or the range's first month): file names
    columns: list[Column]
    rows: Iterable[tuple]
    subtitle: str = ""              # the filters in words, under the title
    totals: dict | None = None      # {code: value}; None: the writers sum the ``total`` columns
    chart: dict | None = None       # optional chart (see docs/reports.md): {"type", "labels", "datasets", "unit"}
    notes: list[str] = field(default_factory=list)  # lines under the table (e.g. what «—» means)

    @property
    def file_name(self) -> str:
        return f"{self.kind}-{self.period}"

    @property
    def machine_columns(self) -> list[Column]:
        return [c for c in self.columns if c.machine]

    @property
    def people_index(self) -> list[int]:
        """The positions in a row of the columns people see (the screen, the XLSX, the CSV for Excel)."""
        return [i for i, c in enumerate(self.columns) if c.people]


@dataclass(frozen=True)
class ReportKind:
    kind: str                       # the code: `oblik report KIND`, /reports/KIND
    title: str                      # lazy_gettext
    build: Callable                 # build(session, ReportFilters) -> Report
    codes: tuple[str, ...] = ()     # the machine CSV's columns (formats.md; docs/formats.md documents them)
    filters: tuple[str, ...] = ("period",)  # common filters shown: period, date_range, building, service, account
    own_filters: tuple[OwnFilter, ...] = ()
    money: bool = True              # shows money: never to an inspector
    work_list: bool = False         # a work list (verification_due, readings_missing): inspectors too
    background: bool = False        # the screen builds it in the background with a progress bar
    # files of its own beyond csv/xlsx: {format: write(session, ReportFilters, binary_stream) -> int rows},
    # offered by `oblik report --format` and the screen (benefits: {"dbf": ...})
    writers: dict = field(default_factory=dict)


# the modules that define KINDS, in the menu's order
MODULES = ("turnover", "charges", "debtors", "payments", "consumption", "benefits", "subsidies", "worklists", "periods")


def kinds() -> dict[str, ReportKind]:
    found: dict[str, ReportKind] = {}
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for kind in getattr(module, "KINDS", ()):
            found[kind.kind] = kind
    return found


def build(kind: str, filters: ReportFilters, session=None) -> Report:
    from ...extensions import db

    known = kinds()
    if kind not in known:
        raise ReportError(_("Unknown report %(kind)s; available: %(kinds)s", kind=kind, kinds=", ".join(sorted(known))))
    if filters.period is not None:
        try:
            parse_period(filters.period)
        except ValueError:
            raise ReportError(_("A period is written YYYY-MM: %(value)s", value=filters.period), "period") from None
    return known[kind].build(session or db.session, filters)


def build_report(kind: str, period: str, session=None) -> Report:
    """The report of one period with no other filter (the command line's default)."""
    return build(kind, ReportFilters(period=period), session)


# -- the filters as the screen and the command line give them ---------------------------------

COMMON_FILTERS = ("period", "date_range", "building", "service", "account")
ARG_NAMES = ("period", "date_from", "date_to", "building", "service", "account")


def _parse_date(text: str, name: str) -> date:
    from datetime import datetime

    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ReportError(_("A date is written DD.MM.YYYY: %(value)s", value=text), name)


def _parse_own(own: OwnFilter, text: str):
    from decimal import Decimal, InvalidOperation

    if own.type == "choice":
        values = [str(v) for v, _label in own.choices]
        if text not in values:
            raise ReportError(_("Choose one of the offered values: %(value)s", value=text), own.name)
        return text
    if own.type == "decimal":
        try:
            value = Decimal(text.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ReportError(_("A number is expected: %(value)s", value=text), own.name)
        return value
    if own.type == "int":
        try:
            return int(text)
        except ValueError:
            raise ReportError(_("A whole number is expected: %(value)s", value=text), own.name) from None
    if own.type == "bool":
        return text.lower() in ("1", "on", "yes", "true", "так")
    return text


def parse_filters(kind: ReportKind, args, session=None, building_ids=None) -> ReportFilters:
    """:class:`ReportFilters` from texts (the screen's query string, the command line's options):
    ``period``, ``date_from``/``date_to`` (ДД.ММ.РРРР or РРРР-ММ-ДД), ``building`` (code),
    ``service`` (code), ``account`` (number) and the kind's own filters by name. Only the filters
    the kind offers are read; a bad one raises :class:`ReportError` naming it. ``building_ids``:
    the caller's scope (an inspector's buildings)."""
    from sqlalchemy import select

    from ...extensions import db
    from ...models import Account, Building, Service

    session = session or db.session

    def text(name):
        value = args.get(name)
        return str(value).strip() if value is not None else ""

    result = ReportFilters(building_ids=tuple(building_ids) if building_ids is not None else None)
    if "period" in kind.filters:
        period = text("period")
        if not period:
            from ..periods import current_period

            period = current_period() or ""
        if not period:
            raise ReportError(_("Choose the period"), "period")
        try:
            parse_period(period)
        except ValueError:
            raise ReportError(_("A period is written YYYY-MM: %(value)s", value=period), "period") from None
        result.period = period
    if "date_range" in kind.filters:
        if text("date_from"):
            result.date_from = _parse_date(text("date_from"), "date_from")
        if text("date_to"):
            result.date_to = _parse_date(text("date_to"), "date_to")
        if result.date_from and result.date_to and result.date_from > result.date_to:
            raise ReportError(_("The start of the range is after its end"), "date_to")
        if result.period is None and result.date_from is not None:
            result.period = result.date_from.strftime("%Y-%m")
    if "building" in kind.filters and text("building"):
        found = session.scalar(select(Building.id).where(Building.code == text("building")))
        if found is None or (result.building_ids is not None and found not in result.building_ids):
            raise ReportError(_("No building with the code %(code)s", code=text("building")), "building")
        result.building_id = found
    if "service" in kind.filters and text("service"):
        found = session.scalar(select(Service.id).where(Service.code == text("service")))
        if found is None:
            raise ReportError(_("No service with the code %(code)s", code=text("service")), "service")
        result.service_id = found
    if "account" in kind.filters and text("account"):
        found = session.scalar(select(Account.id).where(Account.account_number == text("account")))
        if found is None or (result.building_ids is not None and found not in set(
                session.scalars(accounts_in(result.building_ids)))):
            raise ReportError(_("No account with the number %(number)s", number=text("account")), "account")
        result.account_id = found
    for own in kind.own_filters:
        value = text(own.name)
        result.extra[own.name] = _parse_own(own, value) if value else own.default
    return result


def filter_args(kind: ReportKind, args) -> dict:
    """The texts of the filters the kind offers (kept with a background run, put in links)."""
    names = [n for n in ARG_NAMES if (n in ("date_from", "date_to") and "date_range" in kind.filters)
             or n in kind.filters]
    names += [own.name for own in kind.own_filters]
    return {n: str(args.get(n)).strip() for n in names if args.get(n) not in (None, "")}


def accounts_in(building_ids):
    """SELECT of the accounts of ``building_ids`` (a subquery for ``in_``)."""
    from sqlalchemy import select

    from ...models import Account, Premise

    return (select(Account.id).join(Premise, Premise.id == Account.premise_id)
            .where(Premise.building_id.in_(list(building_ids))))


def where_accounts(stmt, filters: ReportFilters, account_id, building_id):
    """``stmt`` narrowed to the filters' account, building and scope (``account_id`` and
    ``building_id`` are the statement's columns for them)."""
    if filters.account_id is not None:
        stmt = stmt.where(account_id == filters.account_id)
    if filters.building_id is not None:
        stmt = stmt.where(building_id == filters.building_id)
    if filters.building_ids is not None:
        stmt = stmt.where(building_id.in_(list(filters.building_ids)))
    return stmt


def filtered_accounts(session, filters: ReportFilters) -> list[int] | None:
    """The accounts the filters and the caller's scope allow; None: every account (no filter)."""
    from sqlalchemy import select

    from ...models import Account, Premise

    if filters.account_id is None and filters.building_id is None and filters.building_ids is None:
        return None
    stmt = select(Account.id).join(Premise, Premise.id == Account.premise_id)
    return list(session.scalars(where_accounts(stmt, filters, Account.id, Premise.building_id)))


def address_maker():
    """``address(building_address, flat)`` → «вул. Соборна, 1, кв. 5» in the interface language, the
    word for a flat translated once (100,000 lookups of the locale cost seconds); the one way the
    reports write an address."""
    apt = _("apt.")

    def address(building: str | None, flat: str | None) -> str:
        if not flat:
            return building or ""
        return f"{building}, {apt} {flat}" if building else f"{apt} {flat}"

    return address


def service_labels(session) -> tuple:
    """((service code, name), ...): the labels of a service-code column (people see the name)."""
    from sqlalchemy import select

    from ...models import Service

    return tuple(session.execute(select(Service.code, Service.name).order_by(Service.code)).tuples())


def category_labels(session) -> tuple:
    """((benefit category code, name), ...): the labels of a category-code column."""
    from sqlalchemy import select

    from ...models import BenefitCategory

    return tuple(session.execute(select(BenefitCategory.code, BenefitCategory.name)
                                 .order_by(BenefitCategory.code)).tuples())


def account_directory(session, filters: ReportFilters) -> dict:
    """{account id: (number, owner, address, building id, building code)} of the accounts the
    filters allow (scope, building, account) — one query, for the kinds that show people."""
    from sqlalchemy import select

    from ...models import Account, Building, Premise

    stmt = (select(Account.id, Account.account_number, Account.owner_name, Building.address, Premise.number,
                   Building.id, Building.code)
            .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id))
    stmt = where_accounts(stmt, filters, Account.id, Building.id)
    found = {}
    address_of = address_maker()
    for account_id, number, owner, address, flat, building_id, code in session.execute(stmt):
        found[account_id] = (number, owner, address_of(address, flat), building_id, code)
    return found
