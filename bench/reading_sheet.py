"""How fast do the readings sheet (issue 12: «Відомість показників») open and save on a big town?

    .venv/bin/python bench/reading_sheet.py --accounts 100000 [--database-url URL] [--repeat 10] [--flats 100]

The town is bench/list_screens.py's (the same loader and database: reused when it already holds a
demo town of that many accounts, a SQLite file under /tmp/oblik-bench by default). The building: the
one whose flat count is nearest to ``--flats`` (100). Signed in as an operator through the Flask
test client, each ``--repeat`` times after a warm-up:

* **open**: ``GET /readings/sheet/?building=…`` — the whole page with every meter of the building;
* **save**: ``POST /readings/sheet/save`` with a new value for every meter (previous + 1,5) — every
  row checked, one bulk insert, the redirect; the readings saved are deleted again between runs
  (not timed), so each save is the same.

Prints p50/p95/max in milliseconds and SQL statements per request (the target: under 1 s each).
"""
import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import list_screens  # noqa: E402  (the same town, database and login)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: list_screens.py's SQLite file")
    parser.add_argument("--dir", default=os.environ.get("OBLIK_INSTANCE_DIR") or "/tmp/oblik-bench")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--flats", type=int, default=100, help="the building's size to look for")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true")
    return parser.parse_args()


def pick_building(app, flats):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Building, Meter, Premise

    with app.app_context():
        counts = db.session.execute(select(Premise.building_id, func.count()).group_by(Premise.building_id)).all()
        building_id, count = min(counts, key=lambda c: (abs(c[1] - flats), c[0]))
        meters = db.session.scalar(select(func.count()).select_from(Meter).where(Meter.building_id == building_id))
        address = db.session.scalar(select(Building.address).where(Building.id == building_id))
        return building_id, count, meters, address


def main():
    args = parse_args()
    app, _url = list_screens.bench_app(args.dir, args.accounts, args.database_url, args.fresh)

    from sqlalchemy import delete, select

    from app.extensions import db
    from app.models import Reading
    from app.services import reading_sheet
    from app.validation.readings import local_today

    username = list_screens.prepare(app, args.accounts, args.seed, "operator")
    building_id, flats, meters, address = pick_building(app, args.flats)
    print(f"Building {building_id} ({address}): {flats} premises, {meters} meters.")
    client = list_screens.signed_in(app, username)
    with app.app_context():
        log = list_screens.StatementLog(db.engine)
        today = local_today()
        sheet = reading_sheet.sheet(db.session, building_id, on=today)
        form = {"building": building_id, "entrance": "", "date": today.strftime("%d.%m.%Y")}
        for row in sheet.rows:
            form[f"value-{row.meter_id}"] = format(row.previous_value + Decimal("1.5"), "f")
            form[f"confirm-{row.meter_id}"] = "1"  # a quiet flat's 1,5 may be over 3× its average
        ids = [row.meter_id for row in sheet.rows]
        # a reading of today left by an interrupted run would refuse the save
        db.session.execute(delete(Reading).where(Reading.meter_id.in_(ids), Reading.date == today))
        db.session.commit()

    def timed(call):
        log.statements = []
        log.active = True
        started = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - started) * 1000
        log.active = False
        return elapsed, len(log.statements), response

    results = {"open": [], "save": []}
    queries = {"open": [], "save": []}
    for i in range(args.repeat + 1):
        ms, n, response = timed(lambda: client.get(f"/readings/sheet/?building={building_id}"))
        assert response.status_code == 200, response.status_code
        if i:
            results["open"].append(ms)
            queries["open"].append(n)
        ms, n, response = timed(lambda: client.post("/readings/sheet/save", data=form))
        assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:2000])
        with app.app_context():
            saved = db.session.scalars(select(Reading.id).where(Reading.meter_id.in_(ids), Reading.date == today)).all()
            assert len(saved) == len(ids), (len(saved), len(ids))
            db.session.execute(delete(Reading).where(Reading.id.in_(saved)))
            db.session.commit()
        if i:
            results["save"].append(ms)
            queries["save"].append(n)
    print(f"{args.repeat} requests each after a warm-up; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs.")
    print(f"{'request':32s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'SQL/req':>8s}")
    for label, key in ((f"open the sheet ({meters} meters)", "open"), (f"save the sheet ({meters} readings)", "save")):
        t = results[key]
        print(f"{label:32s} {list_screens.percentile(t, 50):8.1f} {list_screens.percentile(t, 95):8.1f} "
              f"{max(t):8.1f} {statistics.median(queries[key]):8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
