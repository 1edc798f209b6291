"""Loading: what a billing run reads: the database rows of a chunk of buildings turned into the
engine's records (:mod:`app.billing.data`), with a fixed number of set-based queries per chunk
— never a query per account or per meter.

* :func:`load_catalog` — once per run: services, price lists (with components), norms,
  dated settings, the communication scheme, meter types and the approved claim acts.
* :func:`load_buildings` — per chunk of buildings and month: buildings, every premise (heat
  allocation needs the whole group), area changes, registrations, accounts and their
  services, meters with the derived fields (resource and digits from the type, ``serves`` from
  group metering, ``replaces``), readings, the meter history, beneficiaries; and, for the open
  month when the penalty is on (billing.md §11), the overdue debts of its accounts from the
  ledger (:func:`app.services.ledger.overdue_debts`), their penalty exemptions and the debt
  under restructuring agreements (:func:`app.services.restructuring.restructured_debts`); for a
  closed month computed again, the same for the accounts ``penalty_accounts`` only (those
  whose agreement was cancelled: the penalty it kept out of the month is recalculated).

Derived fields, where the registries leave a choice:

* ``Meter.replaces`` — the meter of the same premise and resource removed on the day this one
  was installed (the demo's and an import's replacement).
* ``Beneficiary.premise_id`` — the premise of the resident's registration (registered or
  temporary) covering the month's last day, else the latest registration overlapping the
  month; ``pct`` from the benefit category.
* Readings: those dated in the month and, per meter, the last actual one before it — the
  engine needs nothing older (its ``start``).
* Meter history (``MeterMonth``): the engine reads the months without a reading since the
  meter's last reading (a true-up subtracts them, the 4th month goes to norm) and, for a meter
  without a reading this month, the last three months with actual consumption (the estimate).
  Exactly those rows are loaded: every unread month (``reading_date`` empty) of the last
  ``UNREAD_MONTHS`` and, for the meters that may need an estimate (and the meters they
  replaced), their last three actual months. A recalculation passes ``history_before``: rows
  from that month on come from the months it computed again (``extra_history``), not from
  the database.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ...billing import data as rec
from ...billing.codes import ESTIMATE_READING
from ...billing.money import from_db as decimal
from ...billing.money import parse_decimal, trim
from ...billing.periods import first_day, last_day, overlaps, period_of, previous_period
from ...billing.penalties import ENABLED_KEY as PENALTY_KEY
from ...billing.settings import DEFAULTS, LOOKBACK_KEY
from ...billing.volumes import consumption
from ...models import (
    Account, AccountService, AreaChange, BenefitCategory, Beneficiary, Building, ClaimAct, ClaimActTarget,
    GroupMeterPremise, Meter, MeterMonth, MeterType, NetworkNode, Norm, PenaltyExemption, Period, Premise, Reading,
    Registration, Service, Setting, Tariff, TariffComponent,
)
from ..sql import overlapping, parts

UNREAD_MONTHS = 36       # how far back unread months are looked for (a true-up subtracts them)
ESTIMATE_MONTHS = 3      # billing.md §4: the average of up to 3 months with actual consumption
DEFAULT_LOOKBACK = int(DEFAULTS[LOOKBACK_KEY])


def record(cls, **values):
    """An engine record made from trusted database values without its ``__post_init__``
    checks (the database's own CHECK constraints and column types already hold them): a
    chunk makes tens of thousands. Numbers must be Decimal already (``decimal``:
:func:`app.billing.money.from_db`)."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


def _core(session):
    """The session's connection: Core execution, without the ORM's result machinery."""
    return session.connection()


def months_back(period: str, n: int) -> str:
    for _ in range(n):
        period = previous_period(period)
    return period


@dataclass
class Catalog:
    """The part of the input every building shares."""

    services: tuple[rec.Service, ...]
    prices: tuple[rec.Price, ...]
    norms: tuple[rec.Norm, ...]
    settings: tuple[rec.Setting, ...]
    network_nodes: tuple[rec.NetworkNode, ...]
    meter_types: dict[int, tuple[str, int | None]]
    claim_acts: tuple[rec.ClaimAct, ...]
    raw_settings: dict[str, list[tuple[date, str]]] = field(default_factory=dict)
    warnings: list[tuple] = field(default_factory=list)  # phrases (app/billing/phrases.py)

    def setting(self, key: str, day: date, default: str | None = None) -> str | None:
        best = None
        for valid_from, value in self.raw_settings.get(key, ()):
            if valid_from <= day and (best is None or valid_from >= best[0]):
                best = (valid_from, value)
        return best[1] if best else default

    def lookback(self, period: str) -> int:
        value = self.setting(LOOKBACK_KEY, last_day(period))
        try:
            return max(0, int(parse_decimal(value))) if value is not None else DEFAULT_LOOKBACK
        except (ValueError, TypeError):
            return DEFAULT_LOOKBACK

    def acts_for(self, period: str) -> tuple[rec.ClaimAct, ...]:
        first, last = first_day(period), last_day(period)
        return tuple(a for a in self.claim_acts if overlaps(a.date_from, a.date_to, first, last))


def load_catalog(session) -> Catalog:
    services = tuple(
        rec.Service(r.id, r.code, r.method, r.name, r.unit, r.resource, r.area_basis or "total",
                    r.quantity_precision if r.quantity_precision is not None else 3)
        for r in session.execute(select(Service.__table__)).all())
    components = defaultdict(list)
    for r in session.execute(select(TariffComponent.__table__).order_by(TariffComponent.id)).all():
        components[r.tariff_id].append(rec.PriceComponent(r.name, trim(r.price, 2)))
    warnings = []
    prices = []
    for r in session.execute(select(Tariff.__table__).order_by(Tariff.service_id, Tariff.valid_from)).all():
        shown = components.get(r.id, ())
        if shown and sum(c.price for c in shown) != r.price:
            warnings.append(("w_tariff_parts", str(r.service_id), r.valid_from.isoformat()))
            shown = ()
        prices.append(rec.Price(r.service_id, r.valid_from, trim(r.price, 2), tuple(shown)))
    norms = tuple(rec.Norm(r.service_id, r.valid_from, trim(r.norm_per_person))
                  for r in session.execute(select(Norm.__table__)).all())
    settings, raw = [], defaultdict(list)
    for r in session.execute(select(Setting.key, Setting.valid_from, Setting.value)).all():
        raw[r.key].append((r.valid_from, r.value))
        try:
            settings.append(rec.Setting(r.key, r.valid_from, parse_decimal(r.value)))
        except (ValueError, TypeError):
            pass  # not a number: not a billing setting
    nodes = tuple(rec.NetworkNode(r.id, r.parent_id)
                  for r in session.execute(select(NetworkNode.id, NetworkNode.parent_id)).all())
    types = {r.id: (r.resource, r.digits) for r in session.execute(
        select(MeterType.id, MeterType.resource, MeterType.digits)).all()}
    return Catalog(services, tuple(prices), norms, tuple(settings), nodes, types, _claim_acts(session),
                   dict(raw), warnings)


def _claim_acts(session) -> tuple[rec.ClaimAct, ...]:
    targets = defaultdict(lambda: ([], [], []))
    for r in session.execute(select(ClaimActTarget.__table__).join(
            ClaimAct, ClaimAct.id == ClaimActTarget.act_id).where(ClaimAct.status == "approved")).all():
        buildings, nodes, accounts = targets[r.act_id]
        if r.building_id:
            buildings.append(r.building_id)
        if r.network_node_id:
            nodes.append(r.network_node_id)
        if r.account_id:
            accounts.append(r.account_id)
    acts = []
    for r in session.execute(select(ClaimAct.__table__).where(ClaimAct.status == "approved")).all():
        buildings, nodes, accounts = targets[r.id]
        pct = r.reduction_pct if r.kind == "poor_quality" else None
        acts.append(rec.ClaimAct(r.id, r.service_id, r.date_from, r.date_to, r.kind,
                                 pct if pct is not None or r.kind != "poor_quality" else Decimal(0),
                                 tuple(sorted(buildings)), tuple(sorted(nodes)), tuple(sorted(accounts)), r.number))
    return tuple(acts)


@dataclass
class BuildingData:
    building: rec.Building
    premises: list = field(default_factory=list)
    area_changes: list = field(default_factory=list)
    registrations: list = field(default_factory=list)
    accounts: list = field(default_factory=list)
    account_services: list = field(default_factory=list)
    meters: list = field(default_factory=list)
    readings: list = field(default_factory=list)
    history: list = field(default_factory=list)
    beneficiaries: list = field(default_factory=list)
    overdue_debts: list = field(default_factory=list)
    penalty_exemptions: list = field(default_factory=list)
    holidays: tuple = ()
    penalty_mark: int | None = None   # the last journal entry the penalty saw (None: no penalty)

    @property
    def id(self) -> int:
        return self.building.id

    def meter_ids(self) -> set[int]:
        return {m.id for m in self.meters}

    def billing_input(self, catalog: Catalog, period: str, extra_history=()) -> rec.BillingInput:
        meter_ids = self.meter_ids() | {m.replaces for m in self.meters if m.replaces}
        history = list(self.history) + [h for h in extra_history if h.meter_id in meter_ids and h.period < period]
        return rec.BillingInput(
            period, services=catalog.services, prices=catalog.prices, norms=catalog.norms,
            settings=catalog.settings, network_nodes=catalog.network_nodes, buildings=(self.building,),
            premises=self.premises, area_changes=self.area_changes, registrations=self.registrations,
            accounts=self.accounts, account_services=self.account_services, meters=self.meters,
            readings=self.readings, meter_history=history, beneficiaries=self.beneficiaries,
            claim_acts=catalog.acts_for(period), overdue_debts=self.overdue_debts,
            penalty_exemptions=self.penalty_exemptions, holidays=self.holidays)


def load_buildings(session, catalog: Catalog, building_ids, period: str,
                   history_before: str | None = None, penalty_accounts=None) -> dict[int, BuildingData]:
    """Everything the engine needs to bill ``period`` for the buildings ``building_ids``.
    ``history_before``: read stored meter history only for months before it (a
    recalculation supplies the later months itself). ``penalty_accounts``: for a closed
    ``period`` computed again, the accounts whose penalty it computes again too (their
    restructuring agreement was cancelled: :func:`app.services.restructuring.cancelled_in_building`);
    the open month's penalty concerns every account whatever it says."""
    ids = sorted(set(building_ids))
    first, last = first_day(period), last_day(period)
    cut = history_before or period
    result: dict[int, BuildingData] = {}
    for r in _core(session).execute(select(Building.__table__).where(Building.id.in_(ids))).all():
        result[r.id] = BuildingData(rec.Building(
            r.id, r.code, r.imbalance_key or "volume", r.heat_system_share, r.heat_common_share, r.heat_min_share,
            r.network_node_id))
    premise_building = {}
    for r in _core(session).execute(select(Premise.__table__).where(Premise.building_id.in_(ids))
                             .order_by(Premise.id)).all():
        premise_building[r.id] = r.building_id
        result[r.building_id].premises.append(rec.Premise(
            r.id, r.building_id, r.number, trim(r.total_area), trim(r.heated_area), r.heating or "central",
            r.gas_category, r.kind or "apartment"))
    premises_in = select(Premise.id).where(Premise.building_id.in_(ids))

    for r in _core(session).execute(select(AreaChange.__table__).where(AreaChange.premise_id.in_(premises_in))
                             .order_by(AreaChange.id)).all():
        result[premise_building[r.premise_id]].area_changes.append(
            rec.AreaChange(r.premise_id, r.valid_from, trim(r.total_area), trim(r.heated_area)))

    registrations = _core(session).execute(
        select(Registration.__table__).where(Registration.premise_id.in_(premises_in),
                                             overlapping(Registration.date_from, Registration.date_to, first, last))
        .order_by(Registration.id)).all()
    for r in registrations:
        result[premise_building[r.premise_id]].registrations.append(
            record(rec.Registration, resident_id=r.resident_id, premise_id=r.premise_id, date_from=r.date_from,
                   date_to=r.date_to, kind=r.kind))

    account_building = {}
    for r in _core(session).execute(
            select(Account.id, Account.premise_id, Account.opened_on, Account.closed_on, Account.account_number)
            .where(Account.premise_id.in_(premises_in), overlapping(Account.opened_on, Account.closed_on, first, last))
            .order_by(Account.id)).all():
        account_building[r.id] = premise_building[r.premise_id]
        result[account_building[r.id]].accounts.append(
            record(rec.Account, id=r.id, premise_id=r.premise_id, opened_on=r.opened_on, closed_on=r.closed_on,
                   number=r.account_number))
    accounts_in = select(Account.id).where(Account.premise_id.in_(premises_in),
                                           overlapping(Account.opened_on, Account.closed_on, first, last))
    for r in _core(session).execute(
            select(AccountService.__table__).where(
                AccountService.account_id.in_(accounts_in),
                overlapping(AccountService.date_from, AccountService.date_to, first, last))
            .order_by(AccountService.id)).all():
        result[account_building[r.account_id]].account_services.append(
            record(rec.AccountService, account_id=r.account_id, service_id=r.service_id, date_from=r.date_from,
                   date_to=r.date_to, quantity=decimal(r.quantity) if r.quantity is not None else Decimal(1)))

    _load_meters(session, catalog, result, ids, period, cut)
    _load_beneficiaries(session, result, premise_building, premises_in, period)
    if account_building and _penalty_on(session, catalog, period):
        _load_penalties(session, result, account_building, period)
    elif account_building and penalty_accounts:
        chosen = {a: b for a, b in account_building.items() if a in penalty_accounts}
        if chosen and _penalty_on(session, catalog, period, closed=True):
            _load_penalties(session, result, chosen, period)
    return result


# A network node's own meter (a heat point's in its building) is no house meter of that
# building: the network's losses compare it with the house meters (services/claim_acts.py).
_NODE_METERS = select(NetworkNode.meter_id).where(NetworkNode.meter_id.is_not(None))


def _penalty_on(session, catalog: Catalog, period: str, closed: bool = False) -> bool:
    """The penalty runs in the open month (``closed``: in a closed month computed again, for the
    accounts whose agreement was cancelled — nobody else's closed penalty is recalculated), and
    only when ``penalty.enabled`` is on for the month."""
    value = catalog.setting(PENALTY_KEY, last_day(period), str(DEFAULTS[PENALTY_KEY]))
    try:
        if value is None or parse_decimal(value) == 0:
            return False
    except (ValueError, TypeError):
        return False
    return session.scalar(select(Period.status).where(Period.period == period)) == ("closed" if closed else "open")


def _load_penalties(session, result, account_building: dict, period: str) -> None:
    from ..ledger import entry_mark, overdue_debts
    from ..restructuring import restructured_debts

    first, last = first_day(period), last_day(period)
    ids = sorted(account_building)
    mark = entry_mark(session)      # before the debt is read: what comes later is not in it
    for data in result.values():
        data.penalty_mark = mark
    debts = overdue_debts(session, ids, period)
    restructured = restructured_debts(session, ids, period, debts)
    for (account_id, service_id), debt in sorted(debts.items()):
        part = restructured.get((account_id, service_id))
        result[account_building[account_id]].overdue_debts.append(rec.OverdueDebt(
            account_id, service_id, debt.overdue, debt.due, tuple(debt.movements), debt.penalty_in_debt,
            part.amount if part else Decimal(0), part.until if part else None, part.number if part else ""))
    for part in parts(ids):
        for r in _core(session).execute(
                select(PenaltyExemption.account_id, PenaltyExemption.date_from, PenaltyExemption.date_to)
                .where(PenaltyExemption.account_id.in_(part),
                       overlapping(PenaltyExemption.date_from, PenaltyExemption.date_to, first, last))).all():
            result[account_building[r.account_id]].penalty_exemptions.append(
                rec.PenaltyExemption(r.account_id, r.date_from, r.date_to))
    holidays = _holidays(session, first, last)
    for data in result.values():
        data.holidays = holidays


def _holidays(session, first: date, last: date) -> tuple[date, ...]:
    """The public holidays of the month (``PublicHoliday``, the claim acts' store): the penalty's
    first working day after the due day skips them as the claim acts' deadlines do."""
    from ...models import PublicHoliday

    return tuple(sorted(session.scalars(select(PublicHoliday.day).where(PublicHoliday.day >= first,
                                                                        PublicHoliday.day <= last))))


def _load_meters(session, catalog, result, ids, period, cut):
    first, last = first_day(period), last_day(period)
    serves = defaultdict(list)
    for r in _core(session).execute(select(GroupMeterPremise.meter_id, GroupMeterPremise.premise_id).join(
            Meter, Meter.id == GroupMeterPremise.meter_id).where(Meter.building_id.in_(ids))
            .order_by(GroupMeterPremise.premise_id)).all():
        serves[r.meter_id].append(r.premise_id)
    rows = _core(session).execute(select(
        Meter.id, Meter.serial, Meter.meter_type_id, Meter.building_id, Meter.premise_id, Meter.installed_on,
        Meter.initial_reading, Meter.removed_on, Meter.final_reading, Meter.next_verification)
        .where(Meter.building_id.in_(ids), Meter.id.not_in(_NODE_METERS)).order_by(Meter.id)).all()
    removed_on_day = {}
    for r in rows:
        if r.premise_id is not None and r.removed_on is not None:
            resource = catalog.meter_types[r.meter_type_id][0]
            removed_on_day.setdefault((r.premise_id, resource, r.removed_on), r.id)
    meters = {}
    for r in rows:
        if r.installed_on > last or (r.removed_on is not None and r.removed_on < first):
            continue
        resource, digits = catalog.meter_types[r.meter_type_id]
        replaces = removed_on_day.get((r.premise_id, resource, r.installed_on)) if r.premise_id else None
        meter = rec.Meter(r.id, resource, r.building_id, r.installed_on, r.premise_id,
                          r.initial_reading if r.initial_reading is not None else Decimal(0), r.removed_on,
                          r.final_reading, r.next_verification, digits, r.serial, tuple(serves.get(r.id, ())),
                          Decimal(1), replaces if replaces != r.id else None)
        meters[r.id] = meter
        result[r.building_id].meters.append(meter)
    if not meters:
        return
    meter_in = select(Meter.id).where(Meter.building_id.in_(ids))
    actual = Reading.source != ESTIMATE_READING
    in_month = _core(session).execute(
        select(Reading.meter_id, Reading.date, Reading.value, Reading.source)
        .where(Reading.meter_id.in_(meter_in), Reading.date >= first, Reading.date <= last, actual)
        .order_by(Reading.meter_id, Reading.date)).all()
    # Per meter, the date of its last actual reading before the month (one index probe per
    # meter: a GROUP BY over the readings of the chunk was 30× slower on PostgreSQL).
    earlier = aliased(Reading)
    last_date = select(func.max(earlier.date)).where(
        earlier.meter_id == Meter.id, earlier.date < first, earlier.date >= Meter.installed_on,
        earlier.source != ESTIMATE_READING).correlate(Meter).scalar_subquery()
    last_before = select(Meter.id.label("meter_id"), last_date.label("day")).where(
        Meter.building_id.in_(ids)).subquery()
    before = _core(session).execute(
        select(Reading.meter_id, Reading.date, Reading.value, Reading.source).join(
            last_before, and_(last_before.c.meter_id == Reading.meter_id, last_before.c.day == Reading.date))).all()
    start = {}
    for r in before:
        if r.meter_id in meters:
            start[r.meter_id] = r.value
            result[meters[r.meter_id].building_id].readings.append(record(
                rec.Reading, meter_id=r.meter_id, date=r.date, value=decimal(r.value), source=r.source))
    read_in_month = defaultdict(list)
    for r in in_month:
        if r.meter_id in meters:
            meter = meters[r.meter_id]
            if meter.installed_on <= r.date and (meter.removed_on is None or r.date <= meter.removed_on):
                read_in_month[r.meter_id].append(r.value)
            result[meter.building_id].readings.append(record(
                rec.Reading, meter_id=r.meter_id, date=r.date, value=decimal(r.value), source=r.source))

    # Meters that may need an estimate: no reading this month (and not removed with a final
    # reading), or a reading below the start that is no rollover. With their predecessors.
    needing = set()
    for meter in meters.values():
        removed_here = meter.removed_on is not None and first <= meter.removed_on <= last \
            and meter.final_reading is not None
        values = read_in_month.get(meter.id)
        if removed_here:
            continue
        if not values:
            needing.add(meter.id)
        elif values[-1] < start.get(meter.id, meter.initial_reading) and not meter.digits:
            needing.add(meter.id)
    needing |= {meters[m].replaces for m in needing if meters[m].replaces}
    building_of = {m.id: m.building_id for m in meters.values()}
    for m in meters.values():
        if m.replaces:
            building_of.setdefault(m.replaces, m.building_id)
    wanted = sorted(building_of)
    rows = []
    for part in parts(wanted):
        rows += _core(session).execute(select(MeterMonth.__table__).where(
            MeterMonth.meter_id.in_(part), MeterMonth.reading_date.is_(None),
            MeterMonth.period >= months_back(cut, UNREAD_MONTHS), MeterMonth.period < cut)).all()
    if needing:
        ranked = select(MeterMonth.__table__, func.row_number().over(
            partition_by=MeterMonth.meter_id, order_by=MeterMonth.period.desc()).label("n")).where(
            MeterMonth.meter_id.in_(sorted(needing)), MeterMonth.source == "actual", MeterMonth.period < cut,
        ).subquery()
        rows += _core(session).execute(select(ranked).where(ranked.c.n <= ESTIMATE_MONTHS)).all()
    seen = set()
    for r in rows:
        if (r.meter_id, r.period) in seen:
            continue
        seen.add((r.meter_id, r.period))
        result[building_of[r.meter_id]].history.append(record(
            rec.MeterMonth, meter_id=r.meter_id, period=r.period, volume=decimal(r.volume), source=r.source,
            days=r.days, reading_date=r.reading_date, start=decimal(r.start_value), end=decimal(r.end_value)))
    with_actual = {r.meter_id for r in rows if r.source == "actual"}
    unbilled = sorted(m for m in needing if m not in with_actual and m in meters)
    for month in _history_from_readings(session, meters, unbilled, cut):
        if (month.meter_id, month.period) not in seen:
            seen.add((month.meter_id, month.period))
            result[building_of[month.meter_id]].history.append(month)


def _history_from_readings(session, meters: dict, meter_ids: list, cut: str) -> list:
    """Actual months read off the readings themselves, for meters that need an estimate but
    have no billed month with actual consumption: a database just filled by ``oblik import``
    (years of readings, no billing yet), the demo town, a meter whose history predates the
    program. billing.md §4 asks for «the last (up to) 3 months that had actual consumption»;
    an accountant expects the readings already in the registry to count, not a fall to norm
    (and, for a house heat meter, no heating charge at all) in the first month.

    Month ``m``'s volume = its last actual reading − the last actual reading before it (or the
    meter's initial reading on its installation day), over the days between the two; a
    register that went down counts only as a rollover of a meter type with ``digits``."""
    if not meter_ids:
        return []
    window = first_day(months_back(cut, ESTIMATE_MONTHS + 1))
    end = first_day(cut)
    months = []
    for part in parts(meter_ids):
        rows = _core(session).execute(
            select(Reading.meter_id, Reading.date, Reading.value)
            .where(Reading.meter_id.in_(part), Reading.date >= window, Reading.date < end,
                   Reading.source != ESTIMATE_READING)
            .order_by(Reading.meter_id, Reading.date)).all()
        by_meter = defaultdict(list)
        for r in rows:
            by_meter[r.meter_id].append((r.date, decimal(r.value)))
        for meter_id, readings in by_meter.items():
            meter = meters[meter_id]
            readings = [(day, value) for day, value in readings if day >= meter.installed_on
                        and (meter.removed_on is None or day <= meter.removed_on)]
            if window <= meter.installed_on:
                readings.insert(0, (meter.installed_on, meter.initial_reading))
            last_of_month = {}
            for day, value in readings:  # in date order: the month's last reading wins
                last_of_month[period_of(day)] = (day, value)
            points = sorted(last_of_month.values())
            for (start_day, start), (end_day, end_value) in zip(points, points[1:]):
                days = (end_day - start_day).days
                volume = consumption(start, end_value, meter.digits)
                if days <= 0 or volume is None:
                    continue
                months.append(rec.MeterMonth(meter_id, period_of(end_day), volume, "actual", days, end_day,
                                             start, end_value))
    return months


def _load_beneficiaries(session, result, premise_building, premises_in, period):
    first, last = first_day(period), last_day(period)
    rows = _core(session).execute(
        select(Beneficiary.id, Beneficiary.resident_id, Beneficiary.date_from, Beneficiary.date_to,
               Beneficiary.entitled, BenefitCategory.pct, BenefitCategory.code)
        .join(BenefitCategory, BenefitCategory.id == Beneficiary.category_id)
        .where(Beneficiary.resident_id.in_(select(Registration.resident_id).where(
            Registration.premise_id.in_(premises_in))),
            overlapping(Beneficiary.date_from, Beneficiary.date_to, first, last))
        .order_by(Beneficiary.id)).all()
    if not rows:
        return
    residents = sorted({r.resident_id for r in rows})
    homes = defaultdict(list)
    for part in parts(residents):
        for g in _core(session).execute(select(Registration.resident_id, Registration.premise_id, Registration.date_from,
                                        Registration.date_to, Registration.kind).where(
                Registration.resident_id.in_(part),
                overlapping(Registration.date_from, Registration.date_to, first, last))).all():
            homes[g.resident_id].append(g)
    for r in rows:
        premise_id = _home(homes.get(r.resident_id, ()), last)
        if premise_id is None or premise_id not in premise_building:
            continue
        result[premise_building[premise_id]].beneficiaries.append(rec.Beneficiary(
            r.id, r.resident_id, premise_id, r.pct, r.date_from, r.date_to, max(1, r.entitled or 1), r.code))


def _home(registrations, day: date) -> int | None:
    """The premise a resident lives in for the month: the registration covering ``day``
    (registered or temporary), else the latest one overlapping the month."""
    living = [g for g in registrations if g.kind in ("registered", "temporary")]
    covering = [g for g in living if g.date_from <= day and (g.date_to is None or g.date_to >= day)]
    pool = covering or living
    if not pool:
        return None
    return max(pool, key=lambda g: (g.date_from, g.premise_id)).premise_id


def building_accounts(session, building_ids, period: str) -> dict[int, int]:
    """Accounts open in ``period`` per building (for chunking and progress)."""
    first, last = first_day(period), last_day(period)
    rows = _core(session).execute(
        select(Premise.building_id, func.count(Account.id)).join(Account, Account.premise_id == Premise.id)
        .where(Premise.building_id.in_(building_ids) if building_ids is not None else True,
               overlapping(Account.opened_on, Account.closed_on, first, last))
        .group_by(Premise.building_id)).all()
    return {r[0]: r[1] for r in rows}
