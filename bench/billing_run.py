"""Benchmark of the billing run on the demo town (issue 4: 100,000 accounts on PostgreSQL in
under 2 minutes on a 2-core machine).

    python bench/billing_run.py                       # 10,000 and 100,000 accounts, PostgreSQL and SQLite
    python bench/billing_run.py --accounts 10000 --db postgresql --jobs 2 --close

For each database and size: a fresh database (PostgreSQL: ``oblik_bench_<N>`` on
``--pg-server``; SQLite: a file under ``--dir``), ``oblik db upgrade``, ``oblik demo --accounts
N``, then ``oblik billing run`` timed as a user runs it (a separate process; ``--jobs``
processes bill chunks of buildings in parallel) — and with ``--close`` the period close. Prints
accounts/s and charge lines/s. ``--reuse`` keeps an already loaded database (no new demo).
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
OBLIK = str(Path(sys.executable).with_name("oblik"))


def database_url(kind: str, accounts: int, args) -> str:
    if kind == "postgresql":
        return f"{args.pg_server}/{args.pg_prefix}_{accounts}"
    return f"sqlite:///{Path(args.dir) / f'oblik-bench-{accounts}.db'}"


def fresh(kind: str, accounts: int, args) -> bool:
    """Create an empty database; False when ``--reuse`` finds a loaded one."""
    url = database_url(kind, accounts, args)
    if kind == "postgresql":
        admin = sa.create_engine(f"{args.pg_server}/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and args.reuse:
                return False
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
    else:
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists() and args.reuse:
            return False
        for extra in ("", "-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    return True


def forget_drafts(url: str) -> None:
    """A reused database: drop the open period's drafts, so that the run timed is a first run."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        period = conn.scalar(sa.text("SELECT period FROM period WHERE status = 'open'"))
        for table in ("charge_line", "billing_warning", "billing_building"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE period = :p"), {"p": period})
        conn.execute(sa.text("DELETE FROM meter_month_draft"))
        conn.execute(sa.text("DELETE FROM billing_lock"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("VACUUM ANALYZE") if False else sa.text("SELECT 1"))
    engine.dispose()


CPU = {}  # the CPU seconds (user + system) of the last command, its pool processes included


def oblik(env, *arguments, quiet=False) -> float:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([OBLIK, *arguments], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.exit(f"oblik {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    if not quiet:
        print(f"    oblik {' '.join(arguments)}: {seconds:.1f} s — {result.stdout.strip().splitlines()[-1]}")
    return seconds


def bench(kind: str, accounts: int, args) -> dict:
    url = database_url(kind, accounts, args)
    env = dict(os.environ, OBLIK_DATABASE_URL=url, OBLIK_INSTANCE_DIR=str(Path(args.dir) / "instance"),
               OBLIK_CELERY_EAGER="1")
    print(f"== {kind}, {accounts:,} accounts ({url})")
    if fresh(kind, accounts, args):
        oblik(env, "db", "upgrade", quiet=True)
        oblik(env, "demo", "--accounts", str(accounts))
    else:
        forget_drafts(url)
    jobs = args.jobs or ((os.cpu_count() or 1) if kind == "postgresql" else 1)
    seconds = oblik(env, "billing", "run", "--jobs", str(jobs), "--quiet")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        run = conn.execute(sa.text("SELECT period, accounts, lines, warnings, buildings_done FROM billing_run "
                                   "WHERE status = 'done' ORDER BY id DESC LIMIT 1")).one()
    result = {"db": kind, "accounts": run.accounts, "lines": run.lines, "seconds": seconds, "jobs": jobs,
              "cpu": CPU["last"],
              "warnings": run.warnings, "buildings": run.buildings_done}
    if args.close:
        result["close"] = oblik(env, "period", "close", run.period)
    engine.dispose()
    print(f"    {run.accounts:,} accounts, {run.lines:,} charge lines in {seconds:.1f} s with {jobs} job(s): "
          f"{run.accounts / seconds:,.0f} accounts/s, {run.lines / seconds:,.0f} lines/s; "
          f"{result['cpu']:.1f} CPU s in the application's processes (the database server's not counted)")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", nargs="+", choices=["postgresql", "sqlite"], default=["postgresql", "sqlite"])
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: the CPUs on PostgreSQL, 1 on SQLite)")
    parser.add_argument("--pg-server", default=os.environ.get("OBLIK_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432"))
    parser.add_argument("--pg-prefix", default="oblik_bench",
                        help="PostgreSQL database name before _<N> (one per person sharing the server)")
    parser.add_argument("--dir", default="/tmp/oblik-bench")
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded with the demo")
    parser.add_argument("--close", action="store_true", help="close the period after the run, timed")
    args = parser.parse_args()
    results = [bench(kind, n, args) for kind in args.db for n in args.accounts]
    print()
    print(f"{'database':<11} {'accounts':>9} {'lines':>9} {'jobs':>4} {'seconds':>8} {'accounts/s':>11} {'lines/s':>9}"
          + ("  close, s" if args.close else ""))
    for r in results:
        print(f"{r['db']:<11} {r['accounts']:>9,} {r['lines']:>9,} {r['jobs']:>4} {r['seconds']:>8.1f} "
              f"{r['accounts'] / r['seconds']:>11,.0f} {r['lines'] / r['seconds']:>9,.0f}"
              + (f"  {r['close']:>8.1f}" if args.close else ""))


if __name__ == "__main__":
    main()
