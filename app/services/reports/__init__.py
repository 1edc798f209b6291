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


COLUMN_KINDS = ("text", "money", "quantity", "percent", "int", "date")


@dataclass(frozen=True)
class Column:
    code: str                  # the machine CSV's header (formats.md), stable English
    title: str                 # the people's header (lazy_gettext: Ukrainian by default)
    kind: str = "text"         # one of COLUMN_KINDS: how it is formatted and aligned
    total: bool = False        # summed in the totals row
    machine: bool = True       # in the machine CSV; False: people's files and the screen only
    width: int | None = None   # XLSX column width in characters (None: from the kind)


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
