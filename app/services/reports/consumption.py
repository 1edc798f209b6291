"""The losses report (issue 11 item 5; billing.md §5; formats.md «Reports»): what the house meters
measure against what the flats are billed for.

* ``consumption`` (втрати і небаланс): per building and resource of a house meter, the house
  volume of the month, the individual volumes billed by their source (actual — with the true-ups
  after estimates —, estimated, norm; the charge lines of the billing results), the imbalance
  ``house − individual`` and its percent of the house volume, ranked by the percent (highest
  first); the chart of the percent by building over the last 12 months.
* ``consumption_suspects``: the premises behind the imbalance — no reading for 3+ months, zero
  consumption with residents counted, verification overdue, consumption far below the
  building's per-person average (:data:`LOW_SHARE`).
* ``node_losses``: the network nodes' meters against the house meters of their buildings
  (:func:`app.services.claim_acts.node_losses`, from the readings).

House volume: the house meters' volumes billed for the month (``MeterMonth`` of a closed month,
``MeterMonthDraft`` of the open one), only those measured (source ``actual``). A building with no
house meter of the resource is not in the report; a house meter without an actual volume in the
month (no reading: billing.md §5 distributes nothing) leaves the house volume, the imbalance and
the percent empty, with a note. A node's own meter is no house meter. Resources: those billed by
individual meters (water, gas, electricity) — heat is distributed whole from the house meter
(billing.md §5 «Heat»), so it has no imbalance.

Every figure comes from a few grouped queries over the whole set (no query per building or month).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select

from ...billing.codes import WATER
from ...billing.money import from_db, round_qty, trim
from ...billing.periods import first_day, last_day, previous_period
from ...models import (
    Account, Building, ChargeLine, GroupMeterPremise, Meter, MeterMonth, MeterMonthDraft, MeterType, NetworkNode,
    Period, Premise, Reading, Registration, Service,
)
from ...models.choices import METER_RESOURCES
from ..invoices.data import natural_key
from . import Column, OwnFilter, Report, ReportError, ReportKind, account_directory

# the resources whose flats are billed by their own meters: a house meter of these has an imbalance
LOSS_RESOURCES = ("cold_water", "hot_water", "gas", "electricity")
# the individual volumes' sources (ChargeLine.source) and the report column each goes to
SOURCE_COLUMN = {"actual": "actual", "true_up": "actual", "estimated": "estimated", "norm": "norm"}
# consumption_suspects: a premise whose volume per person is below this share of its building's
# per-person average is «far below» (docs/reports.md)
LOW_SHARE = Decimal("0.30")
# consumption_suspects: months in a row without a reading (the period included) that make a suspect
NO_READING_MONTHS = 3
# the chart: the buildings with the highest imbalance % of the period, at most this many lines
CHART_BUILDINGS = 10
TREND_MONTHS = 12
HUNDRED = Decimal(100)
CHUNK = 5000  # ids in one IN list

RESOURCE_CHOICES = tuple((code, METER_RESOURCES.labels[code]) for code in LOSS_RESOURCES)
RESOURCE_LABELS = tuple(METER_RESOURCES.labels.items())


def _qty(value) -> Decimal:
    """A summed quantity as an exact Decimal of the column's 4 places (SQLite sums in floats;
    PostgreSQL's Decimal is kept as it is — trimmed when shown, :func:`_shown`)."""
    if type(value) is Decimal:
        return value
    return round_qty(from_db(value) or Decimal(0), 4)


def _shown(value):
    return trim(value) if value is not None else None


def _pct(part, whole) -> Decimal | None:
    if part is None or whole is None or not whole:
        return None
    return round_qty(part * HUNDRED / whole, 2)


def _periods(last_period: str, months: int) -> list[str]:
    periods = [last_period]
    while len(periods) < months:
        periods.append(previous_period(periods[-1]))
    return periods[::-1]


def _period(filters) -> str:
    if not filters.period:
        raise ReportError(_("Choose the period"), "period")
    return filters.period


@dataclass
class Group:
    """One building's resource in one month."""

    house: Decimal | None = None     # None: no house meter with an actual volume (all of them needed)
    actual: Decimal = Decimal(0)
    estimated: Decimal = Decimal(0)
    norm: Decimal = Decimal(0)
    distributed: Decimal = Decimal(0)  # the imbalance lines' volume (billed to the flats)
    meters: int = 0                  # house meters in service in the month
    measured: int = 0                # … of them with an actual volume

    @property
    def individual(self) -> Decimal:
        return self.actual + self.estimated + self.norm

    @property
    def imbalance(self) -> Decimal | None:
        return None if self.house is None else self.house - self.individual

    @property
    def imbalance_pct(self) -> Decimal | None:
        return _pct(self.imbalance, self.house)


def _house_meters(session, periods, building_ids=None, building_id=None, resources=LOSS_RESOURCES):
    """[(meter id, building id, resource, installed_on, removed_on)] of the house meters that
    were in service in any of ``periods`` (a node's own meter excluded)."""
    node_meters = select(NetworkNode.meter_id).where(NetworkNode.meter_id.is_not(None))
    stmt = (select(Meter.id, Meter.building_id, MeterType.resource, Meter.installed_on, Meter.removed_on)
            .join(MeterType, MeterType.id == Meter.meter_type_id)
            .where(Meter.premise_id.is_(None), MeterType.resource.in_(list(resources)), Meter.id.not_in(node_meters),
                   Meter.installed_on <= last_day(periods[-1]),
                   or_(Meter.removed_on.is_(None), Meter.removed_on >= first_day(periods[0]))))
    if building_ids is not None:
        stmt = stmt.where(Meter.building_id.in_(list(building_ids)))
    if building_id is not None:
        stmt = stmt.where(Meter.building_id == building_id)
    return session.execute(stmt).all()


def _served(session, meters) -> dict:
    """{(building id, resource): premise ids} where every house meter of the resource lists the
    premises it serves (груповий облік, billing.md §5); a house meter listing none serves the
    whole building, and the building is not here."""
    ids = sorted(m[0] for m in meters)
    listed = defaultdict(set)
    for start in range(0, len(ids), CHUNK):
        for meter_id, premise_id in session.execute(
                select(GroupMeterPremise.meter_id, GroupMeterPremise.premise_id)
                .where(GroupMeterPremise.meter_id.in_(ids[start:start + CHUNK]))):
            listed[meter_id].add(premise_id)
    by_group = defaultdict(list)
    for meter_id, b, resource, _installed, _removed in meters:
        by_group[(b, resource)].append(meter_id)
    return {key: set().union(*(listed[m] for m in group)) for key, group in by_group.items()
            if all(listed.get(m) for m in group)}


def groups(session, periods: list[str], building_ids=None, building_id=None, resources=LOSS_RESOURCES) -> dict:
    """{(period, building id, resource): :class:`Group`} of the buildings with a house meter of
    the resource in service in the month. A few grouped queries whatever the number of months:
    the house meters, the periods' states, the house meters' volumes (the frozen ones of closed
    months, the draft's of the others), the premises group meters list, the charge lines by
    source (and by premise in the buildings with group metering only)."""
    meters = _house_meters(session, periods, building_ids, building_id, resources)
    if not meters:
        return {}
    closed = set(session.scalars(select(Period.period).where(Period.period.in_(periods), Period.status == "closed")))
    result: dict = {}
    for period in periods:
        first, last = first_day(period), last_day(period)
        for _meter_id, b, resource, installed, removed in meters:
            if installed <= last and (removed is None or removed >= first):
                result.setdefault((period, b, resource), Group()).meters += 1
    by_meter = {m[0]: (m[1], m[2]) for m in meters}
    ids = sorted(by_meter)
    house = defaultdict(Decimal)
    for table, chosen in ((MeterMonth, sorted(closed)), (MeterMonthDraft, [p for p in periods if p not in closed])):
        if not chosen:
            continue
        # the house meters are few (one or two a building): found by the (meter, period) key
        for start in range(0, len(ids), CHUNK):
            stmt = (select(table.period, table.meter_id, table.volume)
                    .where(table.meter_id.in_(ids[start:start + CHUNK]), table.period.in_(chosen),
                           table.source == "actual"))
            for period, meter_id, volume in session.execute(stmt):
                b, resource = by_meter[meter_id]
                key = (period, b, resource)
                if key in result:
                    result[key].measured += 1
                    house[key] += from_db(volume)
    for key, group in result.items():
        if group.meters and group.measured == group.meters:
            group.house = _qty(house[key])
    services = {sid: resource for sid, resource in session.execute(
        select(Service.id, Service.resource).where(Service.resource.in_(list(resources))))}
    if services:
        source_or_kind = case((ChargeLine.kind == "imbalance", "imbalance"), else_=ChargeLine.source)
        conditions = (ChargeLine.period.in_(periods), ChargeLine.target_period == ChargeLine.period,
                      ChargeLine.service_id.in_(list(services)),
                      or_(and_(ChargeLine.kind == "charge", ChargeLine.source.in_(list(SOURCE_COLUMN))),
                          ChargeLine.kind == "imbalance"))
        stmt = (select(ChargeLine.period, ChargeLine.building_id, ChargeLine.service_id, source_or_kind,
                       func.sum(ChargeLine.quantity))
                .where(*conditions)
                .group_by(ChargeLine.period, ChargeLine.building_id, ChargeLine.service_id, source_or_kind))
        buildings = {k[1] for k in result}
        if building_ids is not None or building_id is not None:
            stmt = stmt.where(ChargeLine.building_id.in_(sorted(buildings)))

        def add(period, b, service_id, source, quantity, sign=1):
            group = result.get((period, b, services[service_id]))
            if group is not None:
                column = "distributed" if source == "imbalance" else SOURCE_COLUMN[source]
                setattr(group, column, getattr(group, column) + sign * _qty(quantity))

        for period, b, service_id, source, quantity in session.execute(stmt):
            if b in buildings:
                add(period, b, service_id, source, quantity)
        # group metering: house meters that serve only the premises they list leave the others out
        served = _served(session, meters)
        if served:
            stmt = (select(ChargeLine.period, ChargeLine.building_id, ChargeLine.service_id, source_or_kind,
                           Account.premise_id, func.sum(ChargeLine.quantity))
                    .join(Account, Account.id == ChargeLine.account_id)
                    .where(*conditions, ChargeLine.building_id.in_(sorted({b for b, _r in served})))
                    .group_by(ChargeLine.period, ChargeLine.building_id, ChargeLine.service_id, source_or_kind,
                              Account.premise_id))
            for period, b, service_id, source, premise_id, quantity in session.execute(stmt):
                premises = served.get((b, services[service_id]))
                if premises is not None and premise_id not in premises:
                    add(period, b, service_id, source, quantity, -1)
    return result


def imbalance_trend(session, last_period: str, months: int = TREND_MONTHS, building_ids=None,
                    resources=WATER) -> list[dict]:
    """The imbalance per month over the ``months`` months up to ``last_period``, all buildings with
    house meters (or ``building_ids``) together: [{"period", "house_volume", "individual",
    "imbalance", "imbalance_pct"}], oldest first (the dashboard's and the losses report's chart).
    Water by default (one unit, m³). A month counts only the buildings whose house meters have an
    actual volume in it; none: the month's figures are None."""
    periods = _periods(last_period, months)
    found = groups(session, periods, building_ids, resources=resources)
    sums = {p: [Decimal(0), Decimal(0), 0] for p in periods}
    for (period, _b, _r), group in found.items():
        if group.house is not None:
            sums[period][0] += group.house
            sums[period][1] += group.individual
            sums[period][2] += 1
    result = []
    for period in periods:
        house, individual, count = sums[period]
        if not count:
            result.append({"period": period, "house_volume": None, "individual": None, "imbalance": None,
                           "imbalance_pct": None})
            continue
        result.append({"period": period, "house_volume": trim(house), "individual": trim(individual),
                       "imbalance": trim(house - individual), "imbalance_pct": _pct(house - individual, house)})
    return result


# --- consumption: the losses report ------------------------------------------------------------
COLUMNS = [
    Column("building_code", _l("Building"), width=10),
    Column("address", _l("Address"), machine=False, width=34),
    Column("resource", _l("Resource code"), width=12, people=False),
    Column("resource_name", _l("Resource"), machine=False, width=20),
    Column("house_volume", _l("House meter"), "quantity", total=True),
    Column("actual", _l("Actual readings"), "quantity", total=True),
    Column("estimated", _l("Estimated"), "quantity", total=True),
    Column("norm", _l("By norm"), "quantity", total=True),
    Column("individual", _l("Individual, total"), "quantity", total=True, machine=False),
    Column("imbalance", _l("Imbalance"), "quantity", total=True),
    Column("imbalance_pct", _l("Imbalance, %"), "percent"),
    Column("distributed", _l("Imbalance billed"), "quantity", total=True, machine=False),
    Column("note", _l("Note"), machine=False, width=36),
]


def _chart(session, filters, period, ranked, addresses) -> dict:
    """Imbalance % by building over the 12 months up to ``period``: a line per building (the
    :data:`CHART_BUILDINGS` highest of the period), its resources together."""
    chosen = []
    for building_id, _resource, group in ranked:
        if group.imbalance_pct is not None and building_id not in chosen:
            chosen.append(building_id)
        if len(chosen) == CHART_BUILDINGS:
            break
    periods = _periods(period, TREND_MONTHS)
    resource = (filters.extra or {}).get("resource")
    found = groups(session, periods, building_ids=chosen, resources=(resource,) if resource else LOSS_RESOURCES) \
        if chosen else {}
    datasets = []
    for building_id in chosen:
        data = []
        for p in periods:
            parts = [g for (gp, b, _r), g in found.items() if gp == p and b == building_id and g.house is not None]
            house = sum((g.house for g in parts), Decimal(0))
            pct = _pct(house - sum((g.individual for g in parts), Decimal(0)), house) if parts else None
            data.append(float(pct) if pct is not None else None)
        datasets.append({"label": addresses[building_id][0], "data": data})
    return {"type": "line", "labels": periods, "datasets": datasets, "unit": "%"}


def _buildings(session, ids) -> dict:
    return {b: (code, address) for b, code, address in session.execute(
        select(Building.id, Building.code, Building.address).where(Building.id.in_(list(ids))))} if ids else {}


def consumption_report(session, filters) -> Report:
    period = _period(filters)
    resource = (filters.extra or {}).get("resource")
    found = groups(session, [period], filters.building_ids, filters.building_id,
                   (resource,) if resource else LOSS_RESOURCES)
    places = _buildings(session, {b for _p, b, _r in found})
    ranked = [(b, r, g) for (_p, b, r), g in found.items()]
    ranked.sort(key=lambda x: (x[2].imbalance_pct is None, -(x[2].imbalance_pct or 0), natural_key(places[x[0]][0]),
                               LOSS_RESOURCES.index(x[1])))
    rows = []
    totals = {c.code: Decimal(0) for c in COLUMNS if c.total}
    measured_house = measured_individual = Decimal(0)
    for b, r, g in ranked:
        if g.house is None:
            note = _("No actual house meter volume: no imbalance this month")
        elif g.imbalance < 0:
            note = _("The flats are billed for more than the house meter measured")
        else:
            note = ""
        row = (places[b][0], places[b][1], r, str(METER_RESOURCES.label(r)), _shown(g.house), _shown(g.actual),
               _shown(g.estimated), _shown(g.norm), _shown(g.individual), _shown(g.imbalance), g.imbalance_pct,
               _shown(g.distributed), note)
        rows.append(row)
        for code in totals:
            value = row[[c.code for c in COLUMNS].index(code)]
            if value is not None:
                totals[code] += value
        if g.house is not None:
            measured_house += g.house
            measured_individual += g.individual
    totals = {code: _shown(value) for code, value in totals.items()}
    totals["imbalance_pct"] = _pct(measured_house - measured_individual, measured_house)
    notes = [str(_l("Imbalance = house meter − individual volumes (actual, estimated, by norm); the percent is of "
                    "the house meter's volume. Totals of the imbalance and its percent: buildings with a house "
                    "meter volume only.")),
             str(_l("Buildings without a house meter of the resource are not in the report."))]
    subtitle = str(METER_RESOURCES.label(resource)) if resource else ""
    return Report("consumption", str(_l("Losses and imbalance")), period, COLUMNS, rows, subtitle=subtitle,
                  totals=totals, chart=_chart(session, filters, period, ranked, places), notes=notes)


# --- consumption_suspects ----------------------------------------------------------------------
REASONS = (("no_reading", _l("No reading for 3+ months")),
           ("zero_consumption", _l("Zero consumption with residents")),
           ("verification_overdue", _l("Verification overdue")),
           ("low_consumption", _l("Far below the building's per-person average")))
SUSPECT_COLUMNS = [
    Column("building_code", _l("Building"), width=10),
    Column("account_number", _l("Account"), width=14),
    Column("owner_name", _l("Owner"), machine=False, width=28),
    Column("address", _l("Address"), machine=False, width=34),
    Column("resource", _l("Resource"), width=16, labels=RESOURCE_LABELS),
    Column("reason", _l("Reason"), width=30, labels=REASONS),
    Column("serial", _l("Serial number"), width=14),
    Column("persons", _l("Persons"), "int"),
    Column("value", _l("Figure"), "quantity"),
    Column("building_average", _l("Building average per person"), "quantity"),
    Column("date", _l("Date"), "date"),
]


def _months_between(earlier: date, period: str) -> int:
    """Months from ``earlier``'s month to ``period`` (same month: 0)."""
    year, month = int(period[:4]), int(period[5:7])
    return (year - earlier.year) * 12 + month - earlier.month


def _persons(session, first: date, last: date, building_ids=None) -> dict[int, int]:
    """{premise id: residents counted on the period's last day} (billing.md §3: registered and
    temporary count, a documented absence takes one off) — one grouped query."""
    sign = case((Registration.kind == "absent", -1), else_=1)
    stmt = (select(Registration.premise_id, func.sum(sign))
            .where(Registration.date_from <= last, or_(Registration.date_to.is_(None), Registration.date_to >= last))
            .group_by(Registration.premise_id))
    if building_ids is not None:
        stmt = stmt.where(Registration.premise_id.in_(select(Premise.id).where(Premise.building_id.in_(building_ids))))
    return {p: max(int(n or 0), 0) for p, n in session.execute(stmt)}


def suspects_report(session, filters) -> Report:
    period = _period(filters)
    first, last = first_day(period), last_day(period)
    resource_filter = (filters.extra or {}).get("resource")
    resources = (resource_filter,) if resource_filter else LOSS_RESOURCES
    directory = account_directory(session, filters)
    # the accounts of the period by premise (opened by its end, not closed before its start)
    accounts = defaultdict(list)
    for account_id, premise_id in session.execute(
            select(Account.id, Account.premise_id).where(Account.opened_on <= last,
                                                         or_(Account.closed_on.is_(None), Account.closed_on >= first))):
        if account_id in directory:
            accounts[premise_id].append(account_id)
    scope = list(filters.building_ids) if filters.building_ids is not None else None
    if filters.building_id is not None:
        scope = [filters.building_id] if scope is None or filters.building_id in scope else []
    persons = _persons(session, first, last, scope)
    found = []  # (building id, premise id, resource, reason, serial, value, average, date)

    # 1, 3: the flats' meters in service at the period's end — the last reading, the verification
    unread_before = first
    for _ in range(NO_READING_MONTHS - 1):
        unread_before = first_day(previous_period(unread_before.strftime("%Y-%m")))
    read = and_(Reading.meter_id == Meter.id, Reading.source != "estimate")
    last_reading = select(func.max(Reading.date)).where(read, Reading.date <= last).correlate(Meter).scalar_subquery()
    stmt = (select(Meter.id, Meter.building_id, Meter.premise_id, MeterType.resource, Meter.serial, Meter.installed_on,
                   Meter.next_verification, last_reading)
            .join(MeterType, MeterType.id == Meter.meter_type_id)
            .where(Meter.premise_id.is_not(None), MeterType.resource.in_(list(resources)), Meter.installed_on <= last,
                   or_(Meter.removed_on.is_(None), Meter.removed_on > last),
                   # only the candidates (the last reading is then looked up for them alone): no reading in
                   # the period's last NO_READING_MONTHS months, or the verification overdue
                   or_(~exists().where(read, Reading.date >= unread_before, Reading.date <= last),
                       Meter.next_verification < first)))
    if scope is not None:
        stmt = stmt.where(Meter.building_id.in_(scope))
    for _id, b, premise_id, resource, serial, installed, next_verification, read_on in session.execute(stmt):
        months = _months_between(read_on, period) if read_on else _months_between(installed, period) + 1
        if months >= NO_READING_MONTHS:
            found.append((b, premise_id, resource, "no_reading", serial, Decimal(months), None, read_on))
        if next_verification is not None and next_verification < first:
            found.append((b, premise_id, resource, "verification_overdue", serial, None, None, next_verification))

    # 2, 4: the volumes billed in the period by account, resource and source
    services = {sid: r for sid, r in session.execute(
        select(Service.id, Service.resource).where(Service.resource.in_(list(resources))))}
    actual = defaultdict(Decimal)  # (account, resource): the volume billed by readings
    other = set()                  # (account, resource) billed (also) by estimate or norm
    if services:
        stmt = (select(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.source, func.sum(ChargeLine.quantity))
                .where(ChargeLine.period == period, ChargeLine.target_period == period, ChargeLine.kind == "charge",
                       ChargeLine.service_id.in_(list(services)), ChargeLine.source.in_(list(SOURCE_COLUMN)))
                .group_by(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.source))
        if scope is not None:
            stmt = stmt.where(ChargeLine.building_id.in_(scope))
        for account_id, service_id, source, quantity in session.execute(stmt):
            key = (account_id, services[service_id])
            if source == "actual":
                actual[key] += _qty(quantity)
            else:
                other.add(key)
    premise_of = {a: p for p, ids in accounts.items() for a in ids}
    metered = []  # (building, premise, account, resource, volume, persons) billed by readings only, residents counted
    sums = defaultdict(lambda: [Decimal(0), 0])
    for key, volume in actual.items():
        account_id, resource = key
        premise_id = premise_of.get(account_id)
        n = persons.get(premise_id, 0)
        if premise_id is None or key in other or n <= 0:
            continue
        b = directory[account_id][3]
        metered.append((b, premise_id, account_id, resource, volume, n))
        total = sums[(b, resource)]
        total[0] += volume
        total[1] += n
    averages = {key: round_qty(total / people, 4) for key, (total, people) in sums.items()}
    for b, premise_id, account_id, resource, volume, n in metered:
        if volume == 0:
            found.append((b, premise_id, resource, "zero_consumption", None, volume, None, None, account_id))
            continue
        average = averages[(b, resource)]
        if volume < LOW_SHARE * average * n:
            found.append((b, premise_id, resource, "low_consumption", None, round_qty(volume / n, 4), average, None,
                          account_id))

    order = {code: i for i, (code, _label) in enumerate(REASONS)}
    rows = []
    for item in found:
        b, premise_id, resource, reason, serial, value, average, day = item[:8]
        chosen = [item[8]] if len(item) > 8 else accounts.get(premise_id, [])
        for account_id in chosen:
            number, owner, address, _b, code = directory[account_id]
            rows.append((code, number, owner, address, resource, reason, serial or "", persons.get(premise_id, 0),
                         trim(value) if value is not None else None,
                         trim(average) if average is not None else None, day))
    rows.sort(key=lambda r: (natural_key(r[0]), order[r[5]], r[4], natural_key(r[3]), r[1]))
    notes = [str(_l("No reading: %(months)s months or more in a row without a reading, the period included; "
                    "far below: under %(share)s %% of the building's actual volume per person.",
                    months=NO_READING_MONTHS, share=int(LOW_SHARE * 100)))]
    subtitle = str(METER_RESOURCES.label(resource_filter)) if resource_filter else ""
    return Report("consumption_suspects", str(_l("Suspicious premises")), period, SUSPECT_COLUMNS, rows,
                  subtitle=subtitle, notes=notes)


# --- node_losses -------------------------------------------------------------------------------
NODE_COLUMNS = [
    Column("node_code", _l("Network node"), width=12),
    Column("node_name", _l("Name"), machine=False, width=28),
    Column("resource", _l("Resource code"), width=12, people=False),
    Column("resource_name", _l("Resource"), machine=False, width=20),
    Column("node_volume", _l("Node meter"), "quantity", total=True),
    Column("buildings_volume", _l("House meters of its buildings"), "quantity", total=True),
    Column("loss", _l("Losses"), "quantity", total=True),
    Column("loss_pct", _l("Losses, %"), "percent"),
    Column("without_reading", _l("House meters without a reading"), machine=False, width=36),
]


def node_losses_report(session, filters) -> Report:
    from ..claim_acts import node_losses

    period = _period(filters)
    names = {n: (code, name) for n, code, name in session.execute(
        select(NetworkNode.id, NetworkNode.code, NetworkNode.name))}
    rows = []
    for x in node_losses(session, period):
        code, name = names[x.node_id]
        rows.append((code, name, x.resource, str(METER_RESOURCES.label(x.resource)),
                     trim(x.node_volume) if x.node_volume is not None else None, trim(x.buildings_volume),
                     trim(x.loss) if x.loss is not None else None, x.loss_pct, ", ".join(x.buildings_without_reading)))
    rows.sort(key=lambda r: (r[7] is None, -(r[7] or 0), r[0]))
    notes = [str(_l("Losses = the node's meter − the house meters of the buildings downstream of it, from the "
                    "readings of the month; a node without a reading has no losses figure."))]
    return Report("node_losses", str(_l("Network losses")), period, NODE_COLUMNS, rows, notes=notes)


def _codes(columns):
    return tuple(c.code for c in columns if c.machine)


RESOURCE_FILTER = OwnFilter("resource", _l("Resource"), "choice", RESOURCE_CHOICES)
KINDS = [
    ReportKind("consumption", _l("Losses and imbalance"), consumption_report, codes=_codes(COLUMNS),
               filters=("period", "building"), own_filters=(RESOURCE_FILTER,), money=False),
    ReportKind("consumption_suspects", _l("Suspicious premises"), suspects_report, codes=_codes(SUSPECT_COLUMNS),
               filters=("period", "building"), own_filters=(RESOURCE_FILTER,), money=False),
    ReportKind("node_losses", _l("Network losses"), node_losses_report, codes=_codes(NODE_COLUMNS),
               filters=("period",), money=False),
]
__all__ = ["groups", "imbalance_trend", "KINDS", "LOW_SHARE", "NO_READING_MONTHS"]
