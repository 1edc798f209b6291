"""docs/billing.md: every worked example is computed here through the real engine.

The examples live in docs/billing.md as fenced blocks::

    ```example NAME
    price   = 30.00        # an input (given)
    amount  → 186.00       # a result the doc prints
    ```

Each block stands under an anchor ``<a id="ex-NAME"></a>``. This module parses the blocks,
feeds their inputs to the function registered for NAME (which calls ``app.billing`` and, for
the spread of payments, the ledger's ``spread``), and asserts that the results the
doc prints are exactly what the code computes — same digits, same sign. A block without a
function, a function without a block, a result the doc forgets to print or prints without
the code computing it: each fails. So the doc and the engine cannot drift apart.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.billing import (
    Account, AccountService, Beneficiary, BillingInput, Building, ClaimAct, Meter, MeterMonth, Norm, Premise,
    Price, Reading, Registration, Service, bill_period,
)
from app.billing.allocation import HeatPremise, allocate_heat, premise_sort_key
from app.billing.benefits import norm_kind, norm_ratio, residents_day, social_norm
from app.billing.residents import Residents
from app.billing.settings import Settings
from app.billing.money import largest_remainder, parse_decimal, round_money, round_qty
from app.billing.periods import days_in, last_day
from app.services.ledger import spread

DOC = Path(__file__).resolve().parent.parent / "docs" / "billing.md"
BLOCK_RE = re.compile(r"^```example[ \t]+([a-z0-9-]+)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
LINE_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(=|→)\s*(.*?)\s*$")
LONG_AGO = date(2020, 1, 1)
D = Decimal


def parse_examples(text: str) -> dict[str, tuple[dict, dict]]:
    """{name: (given, expected)} of the ```example blocks of ``text``; values as written."""
    found: dict[str, tuple[dict, dict]] = {}
    for match in BLOCK_RE.finditer(text):
        name, body = match.group(1), match.group(2)
        if name in found:
            raise AssertionError(f"example {name} appears twice in docs/billing.md")
        given, expected = {}, {}
        for number, raw in enumerate(body.splitlines(), start=1):
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip():
                continue
            parsed = LINE_RE.match(line)
            if parsed is None:
                raise AssertionError(f"example {name}, line {number}: not «key = value» or «key → value»: {raw!r}")
            key, sign, value = parsed.groups()
            target = given if sign == "=" else expected
            if key in target:
                raise AssertionError(f"example {name}: {key} twice")
            target[key] = value
        found[name] = (given, expected)
    return found


def _doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _text(value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


# --- the examples ------------------------------------------------------------------------------

COMPUTE = {}


def example(name):
    def register(fn):
        COMPUTE[name] = fn
        return fn
    return register


def _one_account(period, service, prices, *, area="52.30", heated=None, subs_from=LONG_AGO, subs_to=None,
                 quantity=1, registrations=(), **extra):
    return BillingInput(
        period, services=[service], prices=prices, buildings=[Building(1, "B-17")],
        premises=[Premise(1, 1, "12", D(area), D(heated) if heated else None)],
        accounts=[Account(1, 1, LONG_AGO, number="1700012")],
        account_services=[AccountService(1, service.id, subs_from, subs_to, D(quantity))],
        registrations=list(registrations), **extra)


@example("rounding")
def _rounding(g):
    return {
        "money_a": round_money(D(g["a"])), "money_b": round_money(D(g["b"])),
        "money_c": round_money(D(g["c"])),
        "quantity_c": round_qty(D(g["c"]), int(g["precision"])),
        "parsed": parse_decimal(g["typed"]),
    }


@example("largest-remainder")
def _largest_remainder(g):
    weights = [D(w) for w in g["weights"].split("/")]
    shares = largest_remainder(D(g["total"]), weights, int(g["precision"]))
    return {f"share_{n}": s for n, s in enumerate(shares, start=1)} | {"sum": sum(shares)}


@example("segments")
def _segments(g):
    period = g["period"]
    service = Service(1, "MAINT", "area", "Утримання будинку", "м²")
    prices = [Price(1, _date(g["price_1_from"]), g["price_1"]), Price(1, _date(g["price_2_from"]), g["price_2"]),
              Price(1, _date(g["price_3_from"]), g["price_3"])]
    lines = bill_period(_one_account(period, service, prices, area=g["area"])).lines
    out = {"D": days_in(period), "lines": len(lines)}
    for n, line in enumerate(lines, start=1):
        out |= {f"line_{n}_days": f"{line.date_from:%d}–{line.date_to:%d} ({line.days})",
                f"line_{n}_quantity": line.quantity, f"line_{n}_amount": line.amount}
    return out


@example("fixed")
def _fixed(g):
    service = Service(1, "INTERCOM", "fixed", "Домофон", "шт.")
    lines = bill_period(_one_account(g["period"], service, [Price(1, LONG_AGO, g["price"])],
                                     subs_from=_date(g["subscribed_from"]), quantity=g["quantity"])).lines
    (line,) = lines
    return {"days": line.days, "quantity_shown": line.quantity, "amount": line.amount}


@example("one-off")
def _one_off(g):
    service = Service(1, "CALL", "one_off", "Виклик сантехніка", "шт.")
    result = bill_period(_one_account(g["period"], service, [Price(1, LONG_AGO, g["price"])],
                                      subs_from=_date(g["date"]), subs_to=_date(g["date"]), quantity=g["quantity"]))
    (line,) = result.lines
    following = bill_period(_one_account(g["next_period"], service, [Price(1, LONG_AGO, g["price"])],
                                         subs_from=_date(g["date"]), subs_to=_date(g["date"]), quantity=g["quantity"]))
    return {"amount": line.amount, "lines_next_month": len(following.lines)}


@example("persons")
def _persons(g):
    period = g["period"]
    service = Service(1, "WASTE", "persons", "Вивезення побутових відходів", "особа")
    first = _date(g["registered_from"])
    registrations = [Registration(1, 1, first, None, "registered"), Registration(2, 1, first, None, "registered"),
                     Registration(3, 1, _date(g["temporary_from"]), None, "temporary"),
                     Registration(2, 1, _date(g["absent_from"]), _date(g["absent_to"]), "absent"),
                     Registration(1, 1, first, None, "registered")]  # entered twice: counts once
    lines = bill_period(_one_account(period, service, [Price(1, LONG_AGO, g["price"])],
                                     registrations=registrations)).lines
    out = {"lines": len(lines)}
    for n, line in enumerate(lines, start=1):
        out |= {f"line_{n}_days": f"{line.date_from:%d}–{line.date_to:%d} ({line.days})",
                f"line_{n}_persons": line.base_quantity.normalize(), f"line_{n}_amount": line.amount}
    return out


def _water(period, premises, registrations=(), meters=(), readings=(), history=(), norm="3.2", price="38.448",
           services=None, extra_subs=(), prices=None):
    cold = Service(1, "CW", "metered", "Холодна вода", "м³", resource="cold_water")
    services = services or [cold]
    accounts = [Account(p.id, p.id, LONG_AGO, number=f"17000{p.id:02d}") for p in premises]
    subs = [AccountService(p.id, 1, LONG_AGO) for p in premises] + list(extra_subs)
    return BillingInput(period, services=services, prices=prices or [Price(1, LONG_AGO, price)],
                        norms=[Norm(1, LONG_AGO, norm)], buildings=[Building(1, "B-17")], premises=list(premises),
                        accounts=accounts, account_services=subs, registrations=list(registrations),
                        meters=list(meters), readings=list(readings), meter_history=list(history))


@example("norm")
def _norm(g):
    period = g["period"]
    premises = [Premise(n, 1, str(n), D("50")) for n in (1, 2, 3)]
    registrations = ([Registration(10 + i, 1, LONG_AGO) for i in range(int(g["flat_1_residents"]))]
                     + [Registration(20 + i, 3, LONG_AGO) for i in range(int(g["flat_3_residents"]))])
    meter = Meter(31, "cold_water", 1, LONG_AGO, premise_id=3, serial="CW-3",
                  next_verification=_date(g["flat_3_next_verification"]))
    readings = [Reading(31, _date(g["flat_3_reading_date"]), g["flat_3_reading"]),
                Reading(31, date(2026, 10, 31), "100")]
    lines = bill_period(_water(period, premises, registrations, [meter], readings, norm=g["norm"],
                               price=g["price"])).lines
    out = {}
    for line in lines:
        out |= {f"flat_{line.account_id}_volume": line.quantity, f"flat_{line.account_id}_source": line.source,
                f"flat_{line.account_id}_amount": line.amount}
    return out


@example("rollover")
def _rollover(g):
    period = g["period"]
    meter = Meter(11, "cold_water", 1, LONG_AGO, premise_id=1, serial="CW-1", digits=int(g["digits"]))
    readings = [Reading(11, _date(g["previous_date"]), g["previous"]), Reading(11, _date(g["reading_date"]),
                                                                            g["reading"])]
    (line,) = bill_period(_water(period, [Premise(1, 1, "1", D("50"))], meters=[meter], readings=readings,
                                 price=g["price"])).lines
    return {"volume": line.quantity, "source": line.source, "amount": line.amount}


@example("estimate-true-up")
def _estimate_true_up(g):
    months = g["months"].split()
    readings = [Reading(11, _date(d), v) for d, v in (pair.split(":") for pair in g["readings"].split())]
    registrations = [Registration(1, 1, LONG_AGO), Registration(2, 1, LONG_AGO)]
    meter = Meter(11, "cold_water", 1, LONG_AGO, premise_id=1, serial="CW-1")
    history, out = [], {}
    for period in months:
        known = [r for r in readings if r.date <= last_day(period)]
        result = bill_period(_water(period, [Premise(1, 1, "1", D("50"))], registrations, [meter], known, history,
                                    norm=g["norm"], price=g["price"]))
        history.extend(result.meter_volumes)
        (line,) = result.lines
        out[period] = f"{line.source} {_text(line.quantity)} m³ {_text(line.amount)}"
    return out


@example("sewerage")
def _sewerage(g):
    period = g["period"]
    services = [Service(1, "CW", "metered", "Холодна вода", "м³", resource="cold_water"),
                Service(2, "HW", "metered", "Гаряча вода", "м³", resource="hot_water"),
                Service(3, "SEW", "metered", "Водовідведення", "м³", resource="sewerage")]
    prices = [Price(1, LONG_AGO, "38.448"), Price(2, LONG_AGO, "99.00"), Price(3, LONG_AGO, g["price"])]
    meters = [Meter(11, "cold_water", 1, LONG_AGO, premise_id=1, serial="CW-1"),
              Meter(12, "hot_water", 1, LONG_AGO, premise_id=1, serial="HW-1")]
    readings = [Reading(11, date(2026, 10, 31), "200"), Reading(11, _date(g["reading_date"]), g["cold_reading"]),
                Reading(12, date(2026, 10, 31), "80"), Reading(12, _date(g["reading_date"]), g["hot_reading"])]
    inputs = _water(period, [Premise(1, 1, "1", D("50"))], meters=meters, readings=readings, services=services,
                    prices=prices, extra_subs=[AccountService(1, 2, LONG_AGO), AccountService(1, 3, LONG_AGO)])
    lines = {line.service_id: line for line in bill_period(inputs).lines}
    return {"cold": lines[1].quantity, "hot": lines[2].quantity, "sewerage": lines[3].quantity,
            "amount": lines[3].amount}


@example("water-imbalance")
def _water_imbalance(g):
    period = g["period"]
    premises = [Premise(n, 1, str(n), D("50")) for n in (1, 2, 3)]
    meters = [Meter(100, "cold_water", 1, LONG_AGO, serial="HOUSE-CW")]
    readings = [Reading(100, date(2026, 10, 31), "5000"), Reading(100, _date(g["reading_date"]),
                                                                   str(5000 + D(g["house_volume"])))]
    for n in (1, 2, 3):
        meters.append(Meter(10 + n, "cold_water", 1, LONG_AGO, premise_id=n, serial=f"CW-{n}"))
        readings += [Reading(10 + n, date(2026, 10, 31), "100"),
                     Reading(10 + n, _date(g["reading_date"]), str(100 + D(g[f"flat_{n}"])))]
    result = bill_period(_water(period, premises, meters=meters, readings=readings, price=g["price"]))
    (balance,) = result.house_balances
    out = {"sum_individual": balance.individual_total, "imbalance": balance.difference}
    for line in result.lines:
        if line.kind == "imbalance":
            out |= {f"flat_{line.account_id}_share": line.quantity, f"flat_{line.account_id}_amount": line.amount}
    return out


@example("heat")
def _heat(g):
    units = [D(u) for u in g["units"].split("/")]
    area = D(g["area"])
    flats = [HeatPremise(n, premise_sort_key("B-17", str(n)), area, area, True, None, u)
             for n, u in enumerate(units, start=1)]
    result = allocate_heat(D(g["house_volume"]), flats, D(g["system_share"]), D(g["common_share"]),
                           D(g["min_share"]), precision=4)
    out = {"Vs": round_qty(result.vs, 4), "Vr": round_qty(result.vr, 4), "method": result.method}
    for n, letter in enumerate("ABCD", start=1):
        out[f"room_{letter}"] = round_qty(result.room_parts[n], 4)
        out[f"share_{letter}"] = result.shares[n]
    out["sum"] = sum(result.shares.values())
    return out


@example("benefit")
def _benefit(g):
    period = g["period"]
    service = Service(1, "MAINT", "area", "Утримання будинку", "м²")
    registrations = [Registration(1, 1, LONG_AGO), Registration(2, 1, LONG_AGO)]
    beneficiaries = [Beneficiary(1, 1, 1, D(g["pct"]), _date(g["valid_from"]), entitled=int(g["entitled"]))]
    result = bill_period(_one_account(period, service, [Price(1, LONG_AGO, g["price"])], area=g["area"],
                                      registrations=registrations, beneficiaries=beneficiaries))
    (charge,) = [line for line in result.lines if line.kind == "charge"]
    (benefit,) = [line for line in result.lines if line.kind == "benefit"]
    residents = Residents(registrations).for_benefit(1, period)
    norm = social_norm(norm_kind(service), residents, Settings(), residents_day(period))
    return {"S": charge.amount, "R": residents, "N": norm, "Q": benefit.base_quantity,
            "ratio": round_qty(norm_ratio(norm, benefit.base_quantity), 4), "v": benefit.days,
            "benefit": benefit.amount}


@example("claim-act")
def _claim_act(g):
    period = g["period"]
    area = Service(1, "MAINT", "area", "Утримання будинку", "м²")
    fixed = Service(2, "INTERCOM", "fixed", "Домофон", "шт.")
    acts = [ClaimAct(1, 1, _date(g["act_1_from"]), _date(g["act_1_to"]), "not_provided", building_ids=(1,),
                     number="1"),
            ClaimAct(2, 2, _date(g["act_2_from"]), _date(g["act_2_to"]), "poor_quality", D(g["act_2_pct"]),
                     account_ids=(1,), number="2")]
    inputs = BillingInput(
        period, services=[area, fixed], prices=[Price(1, LONG_AGO, g["area_price"]), Price(2, LONG_AGO, g["fixed_price"])],
        buildings=[Building(1, "B-17")], premises=[Premise(1, 1, "12", D(g["area"]))],
        accounts=[Account(1, 1, LONG_AGO, number="1700012")],
        account_services=[AccountService(1, 1, LONG_AGO), AccountService(1, 2, LONG_AGO)], claim_acts=acts)
    out = {}
    counters = {1: 0, 2: 0}
    for line in bill_period(inputs).lines:
        counters[line.service_id] += 1
        prefix = f"{'area' if line.service_id == 1 else 'fixed'}_{counters[line.service_id]}"
        out |= {f"{prefix}_days": f"{line.date_from:%d}–{line.date_to:%d} ({line.days})",
                f"{prefix}_reduction": line.reduction.normalize(), f"{prefix}_amount": line.amount}
    return out


def _debts(g, prefix="debt_"):
    codes = [k[len(prefix):] for k in g if k.startswith(prefix)]
    return codes, {n: D(g[prefix + code]) for n, code in enumerate(codes, start=1)}


@example("payment-spread")
def _payment_spread(g):
    codes, debts = _debts(g)
    out = {}
    for which in ("small", "large"):
        parts, advance = spread(D(g[f"payment_{which}"]), debts)
        for n, code in enumerate(codes, start=1):
            out[f"{which}_{code}"] = -parts.get(n, D("0.00"))
        out[f"{which}_advance"] = -advance
    return out


@example("advance-offset")
def _advance_offset(g):
    codes, debts = _debts(g, "charged_")
    advance = -D(g["advance"])
    parts, left = spread(advance, debts)
    out = {"advance_entry": advance - left}
    for n, code in enumerate(codes, start=1):
        out[f"entry_{code}"] = -parts.get(n, D("0.00"))
        out[f"balance_{code}"] = debts[n] - parts.get(n, D("0.00"))
    out["balance_advance"] = -left
    return out


@example("recalculation")
def _recalculation(g):
    period = g["period"]
    registrations = [Registration(1, 1, LONG_AGO), Registration(2, 1, LONG_AGO)]
    meter = Meter(11, "cold_water", 1, LONG_AGO, premise_id=1, serial="CW-1")
    history = [MeterMonth(11, p, D(v), "actual", days_in(p), last_day(p)) for p, v in
               (("2026-08", "6.2"), ("2026-09", "6.0"), ("2026-10", "6.2"))]
    before = [Reading(11, date(2026, 10, 31), g["october_reading"])]
    premises = [Premise(1, 1, "1", D("50"))]
    (posted,) = bill_period(_water(period, premises, registrations, [meter], before, history,
                                   price=g["price"])).lines
    late = before + [Reading(11, _date(g["late_reading_date"]), g["late_reading"])]
    (computed,) = bill_period(_water(period, premises, registrations, [meter], late, history,
                                     price=g["price"])).lines
    return {"posted": f"{posted.source} {_text(posted.quantity)} m³ {_text(posted.amount)}",
            "computed": f"{computed.source} {_text(computed.quantity)} m³ {_text(computed.amount)}",
            "recalculation_quantity": computed.quantity - posted.quantity,
            "recalculation_amount": computed.amount - posted.amount}


@example("close-freeze")
def _close_freeze(g):
    """The close's grouping (``freeze_draft`` does it in SQL): one entry per account, service, kind
    and target period, quantities and amounts summed over the engine's segment lines."""
    period = g["period"]
    service = Service(1, "MAINT", "area", "Утримання будинку", "м²")
    prices = [Price(1, _date(g["price_1_from"]), g["price_1"]), Price(1, _date(g["price_2_from"]), g["price_2"])]
    lines = bill_period(_one_account(period, service, prices, area=g["area"])).lines
    (key,) = {(line.account_id, line.service_id, line.kind, line.period) for line in lines}
    return {"lines": len(lines), "entry_kind": key[2], "entry_quantity": sum(line.quantity for line in lines),
            "entry_amount": sum(line.amount for line in lines)}


@example("penalty")
def _penalty(g):
    from app.billing import OverdueDebt, Setting

    def lines(period, debt):
        inputs = BillingInput(
            period, settings=[Setting("penalty.enabled", LONG_AGO, D(1)),
                              Setting("penalty.daily_pct", LONG_AGO, D(g["daily_pct"]))],
            services=[Service(1, "MAINT", "fixed")], buildings=[Building(1, "B-17")],
            premises=[Premise(1, 1, "12", D("52.30"))], accounts=[Account(1, 1, LONG_AGO, number="1700012")],
            overdue_debts=[debt])
        return [line for line in bill_period(inputs).lines if line.kind == "penalty"]

    [old] = lines(g["period"], OverdueDebt(1, 1, overdue=D(g["overdue"])))
    [bill] = lines(g["bill_period"], OverdueDebt(1, 1, due=D(g["bill"])))
    return {"days": old.days, "amount": old.amount, "bill_from": bill.date_from.isoformat(), "bill_days": bill.days,
            "bill_amount": bill.amount}


@example("journal-balance")
def _journal_balance(g):
    """Plain arithmetic of the journal (no engine function owns it): the closing balance is the
    sum of the opening balance and the period's entries, and each turnover column is its kind."""
    parts = {k: D(v) for k, v in g.items()}
    return {"closing": sum(parts.values(), D("0.00"))}


# --- the tests --------------------------------------------------------------------------------

EXAMPLES = parse_examples(_doc_text()) if DOC.exists() else {}


def test_every_example_in_the_doc_has_a_computation_and_back():
    assert EXAMPLES, "docs/billing.md has no ```example blocks"
    assert sorted(EXAMPLES) == sorted(COMPUTE)


def test_every_example_stands_under_its_anchor():
    text = _doc_text()
    for name in EXAMPLES:
        anchor = f'<a id="ex-{name}"></a>'
        assert anchor in text, f"docs/billing.md: {anchor} missing"
        assert text.index(anchor) < text.index(f"```example {name}"), f"{anchor} must precede its block"


@pytest.mark.parametrize("name", sorted(COMPUTE))
def test_worked_example(name):
    given, expected = EXAMPLES[name]
    computed = {key: _text(value) for key, value in COMPUTE[name](given).items()}
    assert sorted(expected) == sorted(computed), f"example {name}: results printed ≠ results computed"
    for key, value in computed.items():
        assert expected[key] == value, f"example {name}: {key} → {expected[key]} in the doc, {value} computed"


def test_the_parser_reads_inputs_and_results_and_refuses_garbage():
    text = "x\n```example demo\na = 1  # input\nb → 2\n```\n"
    assert parse_examples(text) == {"demo": ({"a": "1"}, {"b": "2"})}
    with pytest.raises(AssertionError):
        parse_examples("```example bad\njust words\n```\n")
