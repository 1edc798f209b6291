"""Benchmark of every report on the demo town (issue 11: the slowest report at 100,000 accounts in
under 10 s).

    python bench/reports.py                                   # 100,000 accounts on PostgreSQL
    python bench/reports.py --accounts 10000 --db sqlite
    python bench/reports.py --reuse                           # a town this bench already prepared

The town: a fresh database, ``oblik demo --accounts N``, ``oblik billing run``, a bank register of the month
(nine accounts in ten pay) through ``oblik import payments``, ``oblik period close`` (the closed month every report reads) and ``oblik billing run`` of the next month (the
open draft). ``--reuse`` keeps a database this bench prepared before (the preparation takes
minutes). Then, in this process, for each report kind of ``app.services.reports.kinds()``: the
report of the closed month built and every row read (what the screen and the files iterate),
then its people's XLSX and its machine CSV written in memory; a report the screen builds in the
background (``background=True``, and a report by account of the whole town) is also run as the screen runs it — ``runs.execute``, the rows
built and stored — and timed until its table can show ("on screen"). Prints seconds per report,
the slowest on the screen and the slowest file; a report's own files (the benefits' DBF) are
timed too.
"""
import argparse
import io
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import billing_run  # noqa: E402  (the same preparation commands and database naming)


def prepare(kind: str, accounts: int, args) -> str:
    url = billing_run.database_url(kind, accounts, args)
    env = dict(os.environ, OBLIK_DATABASE_URL=url, OBLIK_INSTANCE_DIR=str(Path(args.dir) / "instance"),
               OBLIK_CELERY_EAGER="1")
    if billing_run.fresh(kind, accounts, args):
        jobs = str((os.cpu_count() or 1) if kind == "postgresql" else 1)
        print(f"preparing {url}: demo, billing run, close, billing run of the next month")
        billing_run.oblik(env, "db", "upgrade", quiet=True)
        billing_run.oblik(env, "demo", "--accounts", str(accounts))
        billing_run.oblik(env, "billing", "run", "--jobs", jobs, "--quiet")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            period = conn.scalar(sa.text("SELECT period FROM period WHERE status = 'open'"))
            numbers = conn.scalars(sa.text("SELECT account_number FROM account WHERE closed_on IS NULL "
                                           "ORDER BY account_number")).all()
        engine.dispose()
        # the month's bank registers: nine accounts in ten pay, on days 1–28, from three sources
        path = Path(args.dir) / f"payments-{accounts}.csv"
        sources = ("ПриватБанк", "Ощадбанк", "каса")
        with path.open("w", encoding="utf-8") as out:
            out.write("external_id,account_number,paid_on,amount,source\n")
            for i, number in enumerate(numbers):
                if i % 10:
                    out.write(f"BENCH-{i},{number},{period}-{i % 28 + 1:02d},{100 + i % 800}.{i % 100:02d},"
                              f"{sources[i % 3]}\n")
        billing_run.oblik(env, "import", "payments", str(path))
        billing_run.oblik(env, "period", "close", period)
        billing_run.oblik(env, "billing", "run", "--jobs", jobs, "--quiet")
        if kind == "postgresql":  # fresh statistics, as autovacuum keeps them on a server in use
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
            engine.dispose()
    return url


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg-server", default=os.environ.get("OBLIK_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432"))
    parser.add_argument("--pg-prefix", default="oblik_reports")
    parser.add_argument("--dir", default="/tmp/oblik-bench")
    parser.add_argument("--reuse", action="store_true", help="keep a database this bench prepared before")
    parser.add_argument("--only", nargs="*", default=None, help="these report kinds only")
    args = parser.parse_args()
    url = prepare(args.db, args.accounts, args)

    from tests.conftest import make_app

    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context(), app.test_request_context():
        from app.extensions import db
        from app.services.reports import ReportFilters, build, kinds, runs
        from app.services.reports.writers import render
        from app.views.reports import in_background  # the screen's rule: which reports it runs in the background

        session = db.session
        closed = session.scalar(sa.text("SELECT max(period) FROM period WHERE status = 'closed'"))
        accounts = session.scalar(sa.text("SELECT count(*) FROM account"))
        print(f"{args.db}, {accounts:,} accounts; the closed month {closed}")
        print(f"{'report':<22} {'rows':>9} {'build+read, s':>14} {'on screen, s':>13} {'xlsx, s':>8} {'csv, s':>7} "
              f"{'own files, s':>13}")
        slowest, slowest_file = (0.0, ""), (0.0, "")
        runs._prepare_files = lambda run_id: None  # the worker's XLSX is timed in its own column
        for kind, spec in kinds().items():
            if args.only and kind not in args.only:
                continue
            filters = ReportFilters(period=closed)
            started = time.monotonic()
            report = build(kind, filters, session)
            rows = list(report.rows)
            built = time.monotonic() - started
            report.rows = rows
            started = time.monotonic()
            render(report, "xlsx")
            xlsx = time.monotonic() - started
            started = time.monotonic()
            render(report, "csv")
            csv = time.monotonic() - started
            own = 0.0
            for writer in spec.writers.values():
                started = time.monotonic()
                writer(session, filters, io.BytesIO())
                own += time.monotonic() - started
            session.rollback()
            screen = built
            if in_background(spec, {"period": closed}):  # the screen's run: built, rows stored, until the table shows
                run = runs.start_run(kind, {"period": closed}, None, "bench")
                started = time.monotonic()
                assert runs.execute(run.id) == "done"
                screen = time.monotonic() - started
            slowest = max(slowest, (screen, kind))
            slowest_file = max(slowest_file, (max(xlsx, csv, own), kind))
            print(f"{kind:<22} {len(rows):>9,} {built:>14.1f} {screen:>13.1f} {xlsx:>8.1f} {csv:>7.1f} "
                  f"{(f'{own:.1f}' if spec.writers else '—'):>13}", flush=True)
        print(f"slowest on the screen: {slowest[1]}, {slowest[0]:.1f} s (a background kind: its run until the "
              f"table shows; the others built and read)")
        print(f"slowest file: {slowest_file[1]}, {slowest_file[0]:.1f} s (above {runs.PREPARED_ROWS:,} rows a "
              f"run's XLSX is written by the worker after its table is on the screen)")


if __name__ == "__main__":
    main()
