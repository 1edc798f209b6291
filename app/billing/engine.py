"""The billing engine: ``bill_period(inputs) -> BillingResult`` — data in, charge lines out.

Plain Python; no Flask, SQLAlchemy or ``app.models``: the database layer builds a
:class:`~app.billing.data.BillingInput` from its rows and stores the
:class:`~app.billing.data.BillingResult` (lines as the period's draft, ``meter_volumes`` as
next month's ``meter_history``, warnings and house balances for the run report and the
losses report). The same input always yields the same result: every collection is walked
in a fixed order and every division is exact until its single rounding.

The steps: metering of the month (§4) and the house meters' distribution (§5) →
charge and imbalance lines per subscription, cut into segments (§2, §3, §8) → benefit
lines per beneficiary, account and service (§6) → penalty lines on overdue debt when the
penalty is on (§11, :mod:`.penalties`) → the per-meter volumes billed.

Benefit decisions where billing.md is silent: ``S`` is taken per account (one account per
premise is the normal case); for area-based norms ``Q`` is the premise's area by the
service's ``area_basis`` on the last day the service is charged; for volumes ``Q`` is the
day-weighted base quantity of the charged days plus the imbalance share. A benefit that
rounds to 0,00 gives no line.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from .benefits import (
    applies_to, benefit_amount, entitled_days, norm_kind, norm_ratio, residents_day, social_norm, valid_days,
)
from .charges import Charges
from .context import Book
from .data import BillingInput, BillingResult, ChargeLine, MeterMonth
from .metering import Metering
from . import phrases as P
from .money import largest_remainder, round_qty
from .penalties import penalty_lines
from .periods import clip

__all__ = ["bill_period"]

KIND_ORDER = {"charge": 0, "imbalance": 1, "benefit": 2, "penalty": 3}


def bill_period(inputs: BillingInput) -> BillingResult:
    """Compute the month ``inputs.period``: see :mod:`app.billing.data` for the records."""
    book = Book(inputs)
    metering = Metering(book)
    lines = Charges(book, metering).lines()
    lines += _benefit_lines(book, lines)
    lines += penalty_lines(book)
    lines.sort(key=lambda line: _line_order(book, line))
    return BillingResult(
        period=book.period,
        lines=tuple(lines),
        warnings=book.warnings,
        meter_volumes=tuple(_meter_volumes(book, metering)),
        house_balances=tuple(sorted(metering.balances, key=lambda b: b.meter_id)),
    )


def _line_order(book: Book, line: ChargeLine):
    account, service = book.accounts[line.account_id], book.services[line.service_id]
    return (book.sort_key(account.premise_id), account.number, line.account_id, service.code, line.service_id,
            KIND_ORDER[line.kind], line.date_from, line.beneficiary_id or 0)


# --- §6 benefits ------------------------------------------------------------------------------


def _benefit_lines(book: Book, lines: list[ChargeLine]) -> list[ChargeLine]:
    period, month_days = book.period, book.month_days
    beneficiaries = defaultdict(list)
    for b in sorted(book.inputs.beneficiaries, key=lambda b: b.id):
        if valid_days(b, period) > 0:
            beneficiaries[b.premise_id].append(b)
    charged = defaultdict(list)
    for line in lines:
        if line.kind in ("charge", "imbalance"):
            charged[(line.account_id, line.service_id)].append(line)
    result = []
    for (account_id, service_id), group in charged.items():
        service = book.services[service_id]
        premise_id = book.premise_of(account_id)
        eligible = [b for b in beneficiaries.get(premise_id, ()) if not b.service_ids or service_id in b.service_ids]
        if not applies_to(service) or not eligible:
            continue
        residents = book.residents.for_benefit(premise_id, period)
        person_days = entitled_days(eligible, residents, period)
        total = sum((line.amount for line in group), Decimal(0))
        quantity, norm, norm_text = _benefit_norm(book, service, premise_id, group, residents)
        ratio = norm_ratio(norm, quantity)
        for b in eligible:
            amount = benefit_amount(total, norm, quantity, person_days[b.id], residents, b.pct, month_days)
            if amount == 0:
                continue
            window = clip(b.date_from, b.date_to, period)
            v = valid_days(b, period)
            precision = service.quantity_precision
            within = min(Fraction(norm), Fraction(quantity)) if norm is not None and quantity > 0 else quantity
            head = (("benefit_category", b.category, P.num(b.pct)) if b.category else ("benefit", P.num(b.pct)))
            explanation = (
                head + (b.entitled, residents, P.day(residents_day(period))),
                ("benefit_s", P.money(total)),
                ("benefit_ratio", norm_text, P.num(ratio)),
                ("benefit_days", person_days[b.id], v, month_days),
                ("benefit_sum", P.money(total), P.num(ratio), person_days[b.id], residents, month_days, P.num(b.pct),
                 P.money(amount)),
            )
            result.append(ChargeLine(account_id, service_id, "benefit", period, window[0], window[1], v,
                                     round_qty(quantity, precision), round_qty(within, precision), None, amount,
                                     service.method, None, Decimal(0), explanation, b.id))
    return result


def _benefit_norm(book: Book, service, premise_id: int, group: list[ChargeLine], residents: int):
    """(Q, N, a sentence) for a service's benefit."""
    kind = norm_kind(service)
    day = residents_day(book.period)
    premise = book.premises[premise_id]
    charges = [line for line in group if line.kind == "charge"]
    if kind == "area":
        last = max(line.date_to for line in charges) if charges else book.last
        quantity = Fraction(book.area_on(premise_id, last, service.area_basis))
    else:
        charged_days = sum(line.days for line in charges)
        weighted = sum((Fraction(line.base_quantity) * line.days for line in group), Fraction(0))
        quantity = weighted / charged_days if charged_days else Fraction(0)
    if kind == "gas" and premise.gas_category not in ("1", "2", "3"):
        book.warn("gas_category", ("w_gas", premise.number), premise_id=premise_id, service_id=service.id)
    has_hot = book.has_resource_service(premise_id, "hot_water")
    norm = social_norm(kind, residents, book.settings, day, has_hot, premise.gas_category)
    if norm is None:
        return quantity, None, ("no_social_norm",)
    basis = {"area": "м²"}.get(kind, service.unit or "")
    key = "social_norm_no_hot" if kind == "cold_water" and not has_hot else "social_norm"
    return quantity, norm, (key, P.num(norm), basis, residents, P.num(quantity))


# --- the per-meter volumes billed ---------------------------------------------------------------


def _meter_volumes(book: Book, metering: Metering) -> list[MeterMonth]:
    result = []
    norm_split = {}
    for (premise_id, resource), volume in sorted(metering.premise_volumes.items()):
        if volume.by_norm:
            precision = book.resource_precision(resource)
            total = round_qty(metering.month_volume(premise_id, resource), precision)
            weights = [m.days for m in volume.meters]
            if sum(weights) == 0:
                weights = [1] * len(volume.meters)
            for meter_volume, share in zip(volume.meters, largest_remainder(total, weights, precision)):
                norm_split[meter_volume.meter.id] = share
    for meter_id, mv in sorted(metering.meters.items()):
        if meter_id in norm_split:
            volume, source = norm_split[meter_id], "norm"
        elif mv.measured:
            volume, source = mv.volume, mv.status
        else:
            continue
        result.append(MeterMonth(meter_id, book.period, volume, source, mv.days, mv.reading_date, mv.start, mv.end))
    return result
