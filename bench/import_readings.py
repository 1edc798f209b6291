"""Benchmark: import a monthly readings file of 200,000 rows (issue 3: under a minute).

    .venv/bin/python bench/import_readings.py                       # SQLite in a temporary dir
    createdb -h 127.0.0.1 -U postgres oblik_imports_bench
    .venv/bin/python bench/import_readings.py --database-url postgresql+psycopg2://postgres@127.0.0.1:5432/oblik_imports_bench

The database must be empty (it is migrated and seeded here): ``--rows`` readings of
``--rows / 2`` meters, each with a reading before the file, two readings per meter in the file
(31.10 and 30.11.2026), as a bank of inspectors would send them: CSV, ``;``, decimal commas,
``дд.мм.рррр`` dates. The full path of an import is timed — reading the file, converting,
loading references and facts, validating every row with the shared validators, one bulk
write and the import record — then the same file again (every row unchanged).
``--billing-started`` marks billing as started first, so that the change-log triggers of
migration 0003 fire for every reading written (as in a database in use). The audit log
(``app.services.audit``) records every reading written; ``--without-audit`` pauses it, to
compare the two in one session.
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--billing-started", action="store_true",
                        help="with the billing change-log triggers active (a billing_building row exists)")
    parser.add_argument("--without-audit", action="store_true",
                        help="pause the audit log (for a side-by-side comparison)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="oblik-bench-")
    os.environ.setdefault("OBLIK_INSTANCE_DIR", tmp)
    os.environ.setdefault("OBLIK_SECRET_KEY", "bench")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"

    from sqlalchemy import func, insert, inspect, select

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OBLIK_IMPORT_MAX_MB": 100})
    with app.app_context():
        if inspect(db.engine).get_table_names():
            sys.exit(f"The database {db.engine.url!r} is not empty: give an empty one.")
        from app.models import Building, Meter, MeterType, Premise, Reading
        from app.services.imports import import_bytes, summary
        from app.services.setup import upgrade_database

        upgrade_database()
        meters = args.rows // 2
        started = time.perf_counter()
        db.session.add(MeterType(code="CW6", name="Лічильник води", resource="cold_water", digits=6,
                                 verification_years=6))
        db.session.add_all([Building(code=f"BB{b:03d}", address=f"вул. Бенчмаркова, {b}") for b in range(50)])
        db.session.commit()
        type_id = db.session.scalar(select(MeterType.id))
        buildings = list(db.session.scalars(select(Building.id).order_by(Building.code)))
        db.session.execute(insert(Premise.__table__), [
            {"building_id": buildings[i % 50], "number": str(i), "kind": "apartment", "total_area": 50,
             "heating": "central"} for i in range(meters)])
        premises = db.session.execute(select(Premise.id, Premise.building_id).order_by(Premise.id)).all()
        db.session.execute(insert(Meter.__table__), [
            {"serial": f"SN{i:07d}", "meter_type_id": type_id, "building_id": building_id, "premise_id": premise_id,
             "installed_on": date(2024, 1, 1), "initial_reading": 0}
            for i, (premise_id, building_id) in enumerate(premises)])
        meter_ids = db.session.execute(select(Meter.id, Meter.serial)).all()
        db.session.execute(insert(Reading.__table__), [
            {"meter_id": mid, "date": date(2026, 9, 30), "value": 100 + (i % 50), "source": "inspector"}
            for i, (mid, serial) in enumerate(meter_ids)])
        if args.billing_started:
            from app.models import BillingBuilding

            db.session.add(BillingBuilding(period="2026-11", building_id=buildings[0]))
        db.session.commit()
        print(f"seeded {meters} meters with a reading each in {time.perf_counter() - started:.1f} s"
              + (" (billing started: change-log triggers active)" if args.billing_started else ""))

        lines = ["serial;date;value;source"]
        for i in range(meters):
            base = 100 + (i % 50)
            lines.append(f"SN{i:07d};31.10.2026;{base + 3},{i % 1000:03d};inspector")
            lines.append(f"SN{i:07d};30.11.2026;{base + 7},{i % 1000:03d};inspector")
        data = ("\n".join(lines) + "\n").encode("utf-8")
        print(f"file: {len(lines) - 1} rows, {len(data) / 1024 / 1024:.1f} MB, database {db.engine.url.get_backend_name()}")

        from contextlib import nullcontext

        from app.models import AuditLog
        from app.services import audit

        audit_before = db.session.scalar(select(func.count()).select_from(AuditLog))
        for attempt in ("first import", "same file again"):
            started = time.perf_counter()
            with audit.paused() if args.without_audit else nullcontext():
                record_id, outcome = import_bytes("readings", data, "readings.csv")
            elapsed = time.perf_counter() - started
            if not hasattr(outcome, "rejected") or outcome.rejected:
                sys.exit(f"the import failed: {getattr(outcome, 'message', None) or outcome.problems[:5]}")
            print(f"{attempt}: {summary(outcome)}")
            print(f"  {elapsed:.1f} s, {outcome.total / elapsed:,.0f} rows/s".replace(",", " "))
        total = db.session.scalar(select(func.count()).select_from(Reading))
        print(f"readings in the database: {total}")
        logged = db.session.scalar(select(func.count()).select_from(AuditLog)) - audit_before
        print(f"audit log rows written by the imports: {logged}" + (" (audit paused)" if args.without_audit else ""))


if __name__ == "__main__":
    main()
