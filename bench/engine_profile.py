"""Profile the pure billing engine on a synthetic building (no database).

    python bench/engine_profile.py [--flats 300] [--profile]

A building like the demo town's blocks: area, persons, cold and hot water by meter,
sewerage, heat by house meter with allocators, intercom; a house cold-water meter; one
beneficiary in ten flats; three months of meter history.
"""
import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.billing import (  # noqa: E402
    Account, AccountService, Beneficiary, BillingInput, Building, Meter, MeterMonth, Norm, Premise, Price,
    Reading, Registration, Service, bill_period,
)

D = Decimal
LONG_AGO = date(2015, 1, 1)
PERIOD = "2026-10"


def building_input(flats=300, seed=1, period=PERIOD, building_id=1, allocators=True) -> BillingInput:
    rng = random.Random(seed)
    services = [
        Service(1, "UTR", "area", unit="м²", quantity_precision=2),
        Service(2, "TPV", "persons", unit="особа"),
        Service(3, "CW", "metered", resource="cold_water", unit="м³"),
        Service(4, "HW", "metered", resource="hot_water", unit="м³"),
        Service(5, "SEW", "metered", resource="sewerage", unit="м³"),
        Service(6, "HEAT", "group", resource="heat", area_basis="heated", unit="Гкал", quantity_precision=4),
        Service(7, "DOM", "fixed", unit="шт."),
    ]
    prices = [Price(s.id, date(2025, 1, 1), D(p)) for s, p in zip(services, ("7.48", "38.50", "31.68", "98.56",
                                                                               "24.12", "1964.36", "18"))]
    prices += [Price(s.id, date(2026, 1, 1), D(p)) for s, p in zip(services, ("8.35", "44.20", "35.46", "104.37",
                                                                               "27.84", "1964.36", "22"))]
    norms = [Norm(3, LONG_AGO, D(3)), Norm(4, LONG_AGO, D(2)), Norm(5, LONG_AGO, D(5))]
    base = building_id * 100000
    premises, accounts, subs, regs, meters, readings, history, bens = [], [], [], [], [], [], [], []
    prev = ["2026-07", "2026-08", "2026-09"]
    mid = base
    for n in range(1, flats + 1):
        pid = base + n
        area = D(rng.randint(300, 900)) / 10
        premises.append(Premise(pid, building_id, str(n), area, area - 3))
        accounts.append(Account(pid, pid, LONG_AGO, number=f"{pid:07d}"))
        for s in services:
            subs.append(AccountService(pid, s.id, LONG_AGO))
        persons = rng.randint(0, 4)
        for k in range(persons):
            regs.append(Registration(pid * 10 + k, pid, LONG_AGO))
        if rng.random() < 0.1:
            bens.append(Beneficiary(pid, pid * 10, pid, D(50), LONG_AGO, entitled=1))
        for resource in ("cold_water", "hot_water") + (("heat_allocator",) if allocators else ()):
            mid += 1
            meters.append(Meter(mid, resource, building_id, LONG_AGO, premise_id=pid, serial=str(mid), digits=5))
            value = D(rng.randint(10, 900))
            readings.append(Reading(mid, date(2026, 9, 25), value))
            if rng.random() < 0.93:
                readings.append(Reading(mid, date(2026, 10, 25), value + rng.randint(1, 9)))
            for p in prev:
                history.append(MeterMonth(mid, p, D(rng.randint(1, 9)), "actual", 30, date(2026, int(p[5:]), 25)))
    mid += 1
    meters.append(Meter(mid, "cold_water", building_id, LONG_AGO, serial="H" + str(mid)))
    readings += [Reading(mid, date(2026, 9, 30), D(1000)), Reading(mid, date(2026, 10, 31), D(1000 + 6 * flats))]
    mid += 1
    meters.append(Meter(mid, "heat", building_id, LONG_AGO, serial="H" + str(mid)))
    readings += [Reading(mid, date(2026, 9, 30), D(1000)), Reading(mid, date(2026, 10, 31), D(1000 + flats // 10))]
    return BillingInput(period, services=services, prices=prices, norms=norms,
                        buildings=[Building(building_id, f"B{building_id:04d}")], premises=premises,
                        registrations=regs, accounts=accounts, account_services=subs, meters=meters,
                        readings=readings, meter_history=history, beneficiaries=bens)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flats", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    inputs = building_input(args.flats)
    started = time.perf_counter()
    if args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(bill_period, inputs)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    else:
        result = bill_period(inputs)
    seconds = time.perf_counter() - started
    print(f"{args.flats} flats: {len(result.lines)} lines, {len(result.warnings)} warnings in {seconds:.2f} s")


if __name__ == "__main__":
    main()
