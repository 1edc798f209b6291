"""What an invoice says, loaded for a whole chunk of accounts in a fixed number of queries.

Money comes from the ledger alone (:mod:`app.services.ledger`): the turnover of the period per
account and service (opening balance, charged, recalculated, benefits, subsidies, paid,
closing) — a closed period's from the journal, the open period's with its draft — and the
payments posted into the period with their dates (:func:`ledger.payments_in`). The charge lines
(the draft of the open period, the frozen lines of a closed one) give what the ledger does not
hold: volumes, tariffs, where a volume came from, and the month each recalculation concerns.
The meters' months (``meter_month`` for a closed month, ``meter_month_draft`` for the open one)
give the readings.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select

from ...billing.codes import ESTIMATE_READING, RECALCULATION
from ...billing.money import from_db
from ...billing.periods import first_day, last_day, next_period, parse_period, previous_period
from ...billing.settings import Settings
from ...billing.data import Setting as SettingRecord
from ...billing.money import parse_decimal
from ...models import (
    Account, AreaChange, Building, ChargeLine, Meter, MeterMonth, MeterMonthDraft, MeterType, Organisation,
    Premise, Reading as ReadingRow, Registration, Service, Setting,
)
from .. import ledger
from ..sql import parts

ZERO = Decimal("0.00")
CHUNK = 2000
DUE_DAY = "invoice.due_day"
QR_FORMAT = "invoice.qr_format"


@dataclass
class Provider:
    name: str = ""
    edrpou: str = ""
    iban: str = ""
    bank_name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    working_hours: str = ""
    notice: str = ""


@dataclass
class Reading:
    value: Decimal | None
    day: date | None


@dataclass
class ServiceLine:
    """One service of the invoice: its charge for the month and the ledger's figures."""

    service_id: int
    code: str
    name: str
    unit: str
    method: str
    resource: str | None
    volume: Decimal | None = None  # the charge lines' quantity (kind charge)
    tariff: Decimal | None = None  # the price (the last segment's where it changed)
    tariffs: int = 0  # how many prices the month had
    source: str | None = None  # actual / estimated / norm / true_up / allocation…
    previous: Reading | None = None
    current: Reading | None = None
    meters: int = 0
    charge: Decimal = ZERO  # the charge lines of kind charge
    imbalance_volume: Decimal | None = None
    imbalance: Decimal = ZERO  # the imbalance share (source imbalance)
    # the penalty (пеня, kind penalty): in the ledger's «charged», shown as a line of its own
    penalty: Decimal = ZERO
    penalty_days: int | None = None
    penalty_base: Decimal | None = None  # the overdue debt it ran on
    penalty_rate: Decimal | None = None  # % a day
    # the ledger's figures (turnover of the period for the account and service)
    charged: Decimal = ZERO
    recalculated: Decimal = ZERO
    benefit: Decimal = ZERO  # negative: it reduces what is due
    subsidy: Decimal = ZERO  # negative
    opening: Decimal = ZERO
    paid: Decimal = ZERO  # negative
    closing: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """What the month adds for the service: charged + recalculation + benefit + subsidy."""
        return self.charged + self.recalculated + self.benefit + self.subsidy


@dataclass
class Recalculation:
    service_id: int
    name: str
    target_period: str
    kind: str  # the kind corrected: charge, imbalance, benefit (penalty: a cancelled agreement's)
    quantity: Decimal | None
    amount: Decimal


@dataclass
class Payment:
    day: date
    amount: Decimal  # positive; a reversal negative
    reversal: bool = False


@dataclass
class HouseMeter:
    serial: str
    resource: str
    volume: Decimal | None
    source: str | None


@dataclass
class Consumption:
    """A metered resource's month beside the same month a year before (Закон 2119-VIII, ст. 8)."""

    name: str
    unit: str
    current: Decimal | None
    last_year: Decimal | None


@dataclass
class Invoice:
    account_id: int
    account_number: str
    owner: str
    email: str | None
    building_id: int
    building_code: str
    address: str
    entrance: int | None
    premise_number: str
    period: str
    amount_due: Decimal  # ≥ 0: nothing to pay where the account has an advance
    balance: Decimal  # the balance at the end of the period (negative: advance)
    preliminary: bool  # the open period's draft: «Попередній розрахунок»
    qr_url: str | None = None
    # the document's own fields
    provider: Provider = field(default_factory=Provider)
    building_address: str = ""
    persons: int = 0
    total_area: Decimal | None = None
    heated_area: Decimal | None = None
    services: list[ServiceLine] = field(default_factory=list)
    recalculations: list[Recalculation] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    opening: Decimal = ZERO  # debt (positive) or advance (negative) at the start of the month
    charged: Decimal = ZERO  # the month's charges without the penalty
    penalty: Decimal = ZERO  # the month's penalty (пеня): charged + penalty = the ledger's «charged»
    recalculated: Decimal = ZERO
    benefits: Decimal = ZERO  # negative
    subsidies: Decimal = ZERO  # negative
    paid: Decimal = ZERO  # positive: what was received
    written_off: Decimal = ZERO
    due_date: date | None = None
    house_meters: list[HouseMeter] = field(default_factory=list)
    consumption: list[Consumption] = field(default_factory=list)
    qr_purpose: str = ""
    qr_format: int = 2
    # restructuring agreements in force: (agreement number, instalment, due date, unpaid) due up
    # to the month's end and unpaid (app.services.restructuring.schedule_for) — a part of the balance
    instalments: list = field(default_factory=list)

    @property
    def advance(self) -> Decimal:
        """The advance (переплата) at the end of the month, positive; zero when there is a debt."""
        return -self.balance if self.balance < 0 else ZERO


def natural_key(text: str):
    """«10» after «9», «2а» after «2»."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text or "") if part]


def delivery_key(invoice: Invoice):
    return (natural_key(invoice.building_code), invoice.building_id, invoice.entrance if invoice.entrance is not None
            else 10 ** 6, natural_key(invoice.premise_number), invoice.account_number)


def _settings(session) -> Settings:
    rows = session.execute(select(Setting.key, Setting.valid_from, Setting.value)
                           .where(Setting.key.in_((DUE_DAY, QR_FORMAT)))).all()
    entries = []
    for key, valid_from, value in rows:
        try:
            entries.append(SettingRecord(key, valid_from, parse_decimal(value)))
        except (ValueError, ArithmeticError):
            continue
    return Settings(entries)


def due_date(period: str, day: Decimal) -> date:
    """The ``day`` of the month after ``period`` (the month's last day where it is shorter)."""
    following = next_period(period)
    end = last_day(following)
    return end.replace(day=max(1, min(int(day), end.day)))


def qr_format_of(settings: Settings, period: str) -> int:
    return 3 if int(settings.get(QR_FORMAT, last_day(period))) == 3 else 2


def provider(session) -> Provider:
    org = session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    if org is None:
        return Provider()
    return Provider(name=org.name or "", edrpou=org.edrpou or "", iban=org.iban or "", bank_name=org.bank_name or "",
                    address=org.address or "", phone=org.phone or "", email=org.email or "",
                    website=org.website or "", working_hours=org.working_hours or "",
                    notice=org.invoice_notice or "")


def _in_parts(session, stmt, column, ids):
    for part in parts(sorted(ids), CHUNK):
        yield from session.execute(stmt.where(column.in_(part)))


def load_invoices(session, period: str, *, account_ids=None, building_ids=None) -> list[Invoice]:
    """The invoices of ``period`` for ``account_ids`` and/or ``building_ids`` (None: no limit by
    it), in delivery order. The open period's are preliminary (its draft)."""
    parse_period(period)
    current = ledger.open_period(session)
    preliminary = period == current
    last = last_day(period)
    stmt = (select(Account.id, Account.account_number, Account.owner_name, Account.email, Building.id,
                   Building.code, Building.address, Premise.entrance, Premise.number, Premise.id,
                   Premise.total_area, Premise.heated_area)
            .join(Premise, Account.premise_id == Premise.id).join(Building, Premise.building_id == Building.id)
            .where(Account.opened_on <= last,
                   or_(Account.closed_on.is_(None), Account.closed_on >= first_day(period))))
    rows = []
    if account_ids is not None:
        stmt2 = stmt if building_ids is None else stmt.where(Building.id.in_(list(building_ids)))
        rows = list(_in_parts(session, stmt2, Account.id, set(account_ids)))
    elif building_ids is not None:
        rows = list(_in_parts(session, stmt, Building.id, set(building_ids)))
    else:
        rows = session.execute(stmt).all()
    if not rows:
        return []
    settings = _settings(session)
    org = provider(session)
    due = due_date(period, settings.get(DUE_DAY, last))
    qr_format = qr_format_of(settings, period)
    accounts = {r[0] for r in rows}
    premises = {r[9] for r in rows}
    buildings = {r[4] for r in rows}

    persons = _persons(session, premises, last)
    areas = _areas(session, premises, last)
    services = {s.id: s for s in session.execute(select(Service.id, Service.code, Service.name, Service.unit,
                                                        Service.method, Service.resource)).all()}
    lines, recalcs = _charge_lines(session, period, accounts, services)
    last_year = _quantities(session, _shift(period, -12), accounts)
    books = ledger.turnover(session, period, accounts, by_service=True, draft=preliminary)
    by_account = defaultdict(dict)
    for (account_id, service_id), figures in books.items():
        by_account[account_id][service_id] = figures
    payments = ledger.payments_in(session, accounts, period)
    from ..restructuring import schedule_for

    plans = schedule_for(session, accounts, period)
    meters, house = _meters(session, period, preliminary, buildings)

    result = []
    for r in rows:
        (account_id, number, owner, email, building_id, code, building_address, entrance, flat, premise_id,
         total_area, heated_area) = r
        area = areas.get(premise_id)
        inv = Invoice(account_id=account_id, account_number=number, owner=owner or "", email=email,
                      building_id=building_id, building_code=code, address=f"{building_address}, кв. {flat}",
                      entrance=entrance, premise_number=flat, period=period, amount_due=ZERO, balance=ZERO,
                      preliminary=preliminary, provider=org, building_address=building_address,
                      persons=persons.get(premise_id, 0),
                      total_area=from_db(area[0] if area else total_area),
                      heated_area=from_db(area[1] if area else heated_area), due_date=due, qr_format=qr_format)
        by_service = lines.get(account_id, {})
        book = by_account.get(account_id, {})
        for service_id in sorted(set(by_service) | {s for s in book if s is not None},
                                 key=lambda s: (services[s].code, s)):
            line = by_service.get(service_id) or _empty_line(services[service_id])
            figures = book.get(service_id)
            if figures:
                line.charged = figures["charged"]
                line.recalculated = figures["recalculated"]
                line.benefit = figures["benefits"]
                line.subsidy = figures["subsidies"]
                line.opening = figures["opening"]
                line.paid = figures["paid"]
                line.closing = figures["closing"]
            _readings(line, meters.get((premise_id, line.resource)))
            inv.services.append(line)
        inv.recalculations = sorted(recalcs.get(account_id, []), key=lambda x: (x.target_period, x.name))
        for figures in book.values():
            inv.opening += figures["opening"]
            inv.charged += figures["charged"]
            inv.recalculated += figures["recalculated"]
            inv.benefits += figures["benefits"]
            inv.subsidies += figures["subsidies"]
            inv.paid -= figures["paid"]
            inv.written_off += figures["written_off"]
            inv.balance += figures["closing"]
        inv.penalty = sum((line.penalty for line in inv.services), ZERO)
        inv.charged -= inv.penalty
        inv.amount_due = inv.balance if inv.balance > 0 else ZERO
        inv.payments = [Payment(day, amount, rev) for day, amount, _pid, rev in payments.get(account_id, ())]
        inv.house_meters = house.get(building_id, [])
        inv.instalments = [(agreement, m.seq, m.due_date, unpaid) for agreement, m, unpaid in plans.get(account_id, ())]
        inv.consumption = _consumption(inv.services, last_year.get(account_id, {}))
        result.append(inv)
    result.sort(key=delivery_key)
    return result


def _empty_line(service) -> ServiceLine:
    return ServiceLine(service_id=service.id, code=service.code, name=service.name, unit=service.unit,
                       method=service.method, resource=service.resource)


def _shift(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _persons(session, premises, day: date) -> dict[int, int]:
    stmt = (select(Registration.premise_id, func.count())
            .where(Registration.date_from <= day, or_(Registration.date_to.is_(None), Registration.date_to >= day),
                   Registration.kind.in_(("registered", "temporary")))
            .group_by(Registration.premise_id))
    return {p: n for p, n in _in_parts(session, stmt, Registration.premise_id, premises)}


def _areas(session, premises, day: date) -> dict[int, tuple]:
    """The latest area change on or before ``day`` of each premise that has one."""
    stmt = (select(AreaChange.premise_id, AreaChange.valid_from, AreaChange.total_area, AreaChange.heated_area)
            .where(AreaChange.valid_from <= day))
    best = {}
    for premise_id, valid_from, total, heated in _in_parts(session, stmt, AreaChange.premise_id, premises):
        if premise_id not in best or valid_from > best[premise_id][0]:
            best[premise_id] = (valid_from, total, heated)
    return {p: (v[1], v[2]) for p, v in best.items()}


def _charge_lines(session, period, accounts, services):
    """{account: {service: ServiceLine}} and {account: [Recalculation]} from the period's lines."""
    stmt = (select(ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind, ChargeLine.detail_kind,
                   ChargeLine.target_period, ChargeLine.quantity, ChargeLine.price, ChargeLine.amount,
                   ChargeLine.source, ChargeLine.seq, ChargeLine.days)
            .where(ChargeLine.period == period))
    lines = defaultdict(dict)
    recalcs = defaultdict(dict)
    for (account_id, service_id, kind, detail_kind, target, quantity, price, amount, source,
         seq, days) in sorted(_in_parts(session, stmt, ChargeLine.account_id, accounts), key=lambda r: (r[0], r[9])):
        service = services[service_id]
        amount = from_db(amount) or ZERO
        quantity = from_db(quantity)
        if kind == RECALCULATION:
            key = (service_id, target, detail_kind)
            item = recalcs[account_id].get(key)
            if item is None:
                item = recalcs[account_id][key] = Recalculation(service_id, service.name, target, detail_kind or "",
                                                                None, ZERO)
            item.amount += amount
            if quantity is not None and detail_kind == "charge":
                item.quantity = (item.quantity or 0) + quantity
            continue
        line = lines[account_id].get(service_id)
        if line is None:
            line = lines[account_id][service_id] = _empty_line(service)
        if kind == "penalty":
            line.penalty += amount
            line.penalty_days = (line.penalty_days or 0) + (days or 0)
            line.penalty_base = quantity if line.penalty_base is None else max(line.penalty_base, quantity or ZERO)
            line.penalty_rate = from_db(price) if price is not None else line.penalty_rate
        elif kind == "imbalance":
            line.imbalance += amount
            if quantity is not None:
                line.imbalance_volume = (line.imbalance_volume or 0) + quantity
        elif kind == "charge":
            line.charge += amount
            if quantity is not None:
                line.volume = (line.volume or 0) + quantity
            if price is not None:
                price = from_db(price)
                if price != line.tariff:
                    line.tariffs += 1
                line.tariff = price
            if source:
                line.source = source if line.source in (None, source) else "mixed"
    return lines, {a: list(v.values()) for a, v in recalcs.items()}


def _quantities(session, period, accounts) -> dict[int, dict[int, Decimal]]:
    """{account: {service: quantity charged}} of another period (the same month last year)."""
    stmt = (select(ChargeLine.account_id, ChargeLine.service_id, func.sum(ChargeLine.quantity))
            .where(ChargeLine.period == period, ChargeLine.kind == "charge")
            .group_by(ChargeLine.account_id, ChargeLine.service_id))
    result = defaultdict(dict)
    for account_id, service_id, quantity in _in_parts(session, stmt, ChargeLine.account_id, accounts):
        result[account_id][service_id] = from_db(quantity)
    return result


def _meters(session, period, preliminary, buildings):
    """The readings of the flats' meters {(premise, resource): [(start, end, previous date, end
    date)]} and the house meters {building: [HouseMeter]} of the month."""
    table = MeterMonthDraft if preliminary else MeterMonth
    month = (select(Meter.id, Meter.serial, Meter.building_id, Meter.premise_id, MeterType.resource,
                    table.volume, table.source, table.reading_date, table.start_value, table.end_value)
             .join(MeterType, MeterType.id == Meter.meter_type_id)
             .join(table, (table.meter_id == Meter.id) & (table.period == period)))
    before = (select(Meter.id, MeterMonth.reading_date)
              .join(MeterMonth, (MeterMonth.meter_id == Meter.id) & (MeterMonth.period == previous_period(period))))
    previous_dates = {m: d for m, d in _in_parts(session, before, Meter.building_id, buildings)}
    # the first month billed has no month before it: the last reading before the month then
    earlier = (select(ReadingRow.meter_id, func.max(ReadingRow.date)).join(Meter, Meter.id == ReadingRow.meter_id)
               .where(ReadingRow.date < first_day(period), ReadingRow.source != ESTIMATE_READING)
               .group_by(ReadingRow.meter_id))
    for meter_id, day in _in_parts(session, earlier, Meter.building_id, buildings):
        previous_dates.setdefault(meter_id, day)
    flats = defaultdict(list)
    house = defaultdict(list)
    for (meter_id, serial, building_id, premise_id, resource, volume, source, day, start, end) in sorted(
            _in_parts(session, month, Meter.building_id, buildings), key=lambda r: r[1]):
        if premise_id is None:
            house[building_id].append(HouseMeter(serial, resource, from_db(volume), source))
        else:
            flats[(premise_id, resource)].append((from_db(start), from_db(end), previous_dates.get(meter_id), day))
    return flats, house


def _readings(line: ServiceLine, meters) -> None:
    if not meters or line.method != "metered":
        return
    line.meters = len(meters)
    if len(meters) == 1:
        start, end, previous_day, day = meters[0]
        line.previous = Reading(start, previous_day)
        line.current = Reading(end, day)


def _consumption(services, last_year) -> list[Consumption]:
    result = []
    for line in services:
        if line.method in ("metered", "group") and line.resource:
            result.append(Consumption(line.name, line.unit, line.volume if line.volume is not None else
                                      (ZERO if line.charge == 0 and line.charged == 0 else None),
                                      last_year.get(line.service_id)))
    return result

