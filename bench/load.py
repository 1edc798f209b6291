"""20 users at once on a 100,000-account town while a billing run goes on (issue 8 item 9).

    .venv/bin/python bench/load.py --accounts 100000 --users 20 --duration 120

One command: it creates and loads the PostgreSQL database if it does not hold the demo town of
``--accounts`` yet (``oblik demo``, bench/list_screens.py's loader), drops the open period's
drafts (the run is a first run), starts a Celery worker on Redis (``--broker``, default db 6)
and gunicorn (``--workers`` 2) on loopback, starts a billing run from the «Розрахунок» screen
as an administrator, and drives ``--users`` operators over HTTP — each its own session and
thread — for ``--duration`` seconds: lists (accounts, premises, buildings, residents, readings,
at random pages), searches (owner, resident name, the account picker), account cards, and
readings entered through the reading form (its CSRF token and all; a saved reading is the
form's redirect). Each user waits ``--think`` seconds (±50 %) between pages, as a person does.

Prints p50/p95/max per page kind, the requests and the errors (HTTP ≥ 400, a refused reading
form, a connection error), and how long the billing run took and whether it was still going
when the users stopped. See bench/README.md. The servers are stopped at the end.
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BIN = Path(sys.executable).parent
SURNAMES = ("Шевч", "Коваль", "Бонд", "Ткач", "Мельн", "Кравч", "Олійн", "Лисен", "Бойк", "Марч")
LISTS = (("accountview", "AccountView"), ("premiseview", "PremiseView"), ("buildingview", "BuildingView"),
         ("residentview", "ResidentView"), ("readingview", "ReadingView"))
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120, help="seconds the users work")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a user's pages (±50 %%)")
    parser.add_argument("--database-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/oblik_load_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6", help="Celery broker and result backend")
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--no-run", action="store_true", help="no billing run (the users alone, to compare)")
    parser.add_argument("--dir", default="/tmp/oblik-load-bench", help="instance directory of the servers")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# --- the town -------------------------------------------------------------------------------
def prepare_town(args):
    """Migrate and load the town if needed (list_screens.prepare), make the bench users, drop
    the open period's drafts and the readings of earlier bench runs; returns the sample ids."""
    import sqlalchemy as sa
    from list_screens import BENCH_PASSWORD, ensure_database, prepare

    ensure_database(args.database_url, fresh=False)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SERVER_NAME": None})
    operator = prepare(app, args.accounts, args.seed, "operator")
    admin = prepare(app, args.accounts, args.seed, "admin")
    engine = sa.create_engine(args.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM reading WHERE entered_by LIKE 'bench-%'"))
        period = conn.scalar(sa.text("SELECT period FROM period WHERE status = 'open'"))
        for table in ("charge_line", "billing_warning", "billing_building"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE period = :p"), {"p": period})
        conn.execute(sa.text("DELETE FROM meter_month_draft"))
        conn.execute(sa.text("DELETE FROM billing_lock"))
        conn.execute(sa.text("UPDATE billing_run SET status = 'failed' WHERE status = 'running'"))
    with engine.connect() as conn:
        accounts = [r[0] for r in conn.execute(sa.text(
            "SELECT id FROM account WHERE closed_on IS NULL ORDER BY random() LIMIT 5000"))]
        meters = [tuple(r) for r in conn.execute(sa.text(
            "SELECT m.id, max(r.value) FROM meter m JOIN reading r ON r.meter_id = m.id "
            "WHERE m.premise_id IS NOT NULL AND m.removed_on IS NULL "
            "AND m.id IN (SELECT id FROM meter WHERE premise_id IS NOT NULL ORDER BY random() LIMIT 20000) "
            "GROUP BY m.id"))]
    engine.dispose()
    return {"operator": operator, "admin": admin, "password": BENCH_PASSWORD, "period": period,
            "accounts": accounts, "meters": meters}


# --- the servers ----------------------------------------------------------------------------
def server_env(args):
    return dict(os.environ, OBLIK_DATABASE_URL=args.database_url, OBLIK_BROKER_URL=args.broker,
                OBLIK_RESULT_BACKEND=args.broker, OBLIK_INSTANCE_DIR=args.dir,
                OBLIK_SECRET_KEY=os.environ.get("OBLIK_SECRET_KEY", "load-bench-secret-key-0123456789abcdef"),
                OBLIK_CELERY_EAGER="0",
                # 20 people behind one address log in within a second: the per-address limit
                # of the login form is for attackers, not for this
                OBLIK_AUTH_RATE_LIMIT="10000 per 20 second")


def start_servers(args):
    import redis

    Path(args.dir).mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(args.broker).flushdb()  # this bench's own db: no task left from before
    env = server_env(args)
    log = open(Path(args.dir) / "servers.log", "w")  # noqa: SIM115  (the servers' output, open while they run)
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "app.tasks.worker", "worker", "--loglevel", "warning",
         "--concurrency", str(args.celery_concurrency), "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
         "--timeout", "120", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    import requests

    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{args.port}/login/", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if web.poll() is not None:
            sys.exit(f"gunicorn stopped: see {Path(args.dir) / 'servers.log'}")
        time.sleep(0.5)
    else:
        sys.exit("gunicorn did not answer in 60 s")
    time.sleep(3)  # the worker connects to the broker
    return [web, worker]


def stop_servers(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- a user ---------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    return (found.group(1) or found.group(2)) if found else ""


def login(base, username, password):
    import requests

    session = requests.Session()
    token = csrf_of(session.get(f"{base}/login/", timeout=60).text)
    response = session.post(f"{base}/login/", data={"username": username, "password": password, "csrf_token": token},
                            allow_redirects=False, timeout=60)
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        sys.exit(f"{username}: login failed (HTTP {response.status_code})")
    return session


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(list)

    def add(self, kind, seconds, error=None):
        with self.lock:
            self.times[kind].append(seconds * 1000)
            if error:
                self.errors[kind].append(error)


def user_loop(n, base, town, args, results, stop_at):
    import requests

    rng = random.Random(args.seed + n)
    session = login(base, town["operator"], town["password"])
    meters = town["meters"][n::args.users]  # each user its own meters: no two enter the same reading
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date().strftime("%d.%m.%Y")

    def get(kind, url):
        started = time.perf_counter()
        try:
            response = session.get(base + url, timeout=120)
            error = None if response.status_code < 400 else f"HTTP {response.status_code} {url}"
        except requests.RequestException as exc:  # a refused or reset connection is an error of the run
            response, error = None, f"{type(exc).__name__} {url}"
        results.add(kind, time.perf_counter() - started, error)
        return response

    def enter_reading():
        if not meters:
            return
        meter, last = meters.pop()
        form = get("reading form", "/readingview/add")
        if form is None or form.status_code != 200:
            return
        value = f"{float(last) + rng.uniform(0.5, 3.0):.3f}".replace(".", ",")
        data = {"csrf_token": csrf_of(form.text), "meter": str(meter), "date": today, "value": value,
                "source": "inspector"}
        started = time.perf_counter()
        try:
            response = session.post(base + "/readingview/add", data=data, allow_redirects=False, timeout=120)
            error = None if response.status_code == 302 else f"reading refused: HTTP {response.status_code}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__} reading"
        results.add("reading saved", time.perf_counter() - started, error)

    def list_page(view, name, page):
        return get("list", f"/{view}/list/?page_{name}={page}")

    pages = [
        (4, lambda: list_page(*rng.choice(LISTS), rng.choice([0, 0, 1, 2, rng.randint(3, 40)]))),
        (3, lambda: get("search", rng.choice([
            f"/accountview/list/?_flt_0_owner_name={rng.choice(SURNAMES)}",
            f"/residentview/list/?_flt_2_full_name={rng.choice(SURNAMES)}",
            f"/lookup/account/?q=0{rng.randint(10, 99)}"]))),
        (3, lambda: get("account card", f"/accountview/show/{rng.choice(town['accounts'])}")),
        (2, enter_reading),
    ]
    weights = [w for w, _ in pages]
    while time.monotonic() < stop_at:
        rng.choices(pages, weights)[0][1]()
        time.sleep(args.think * rng.uniform(0.5, 1.5))


# --- the run --------------------------------------------------------------------------------
def start_run(base, town):
    admin = login(base, town["admin"], town["password"])
    token = csrf_of(admin.get(f"{base}/billing/", timeout=60).text)
    response = admin.post(f"{base}/billing/run", data={"csrf_token": token}, allow_redirects=False, timeout=120)
    if response.status_code != 302:
        sys.exit(f"the billing run was not started: HTTP {response.status_code}")


def run_state(url):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, status, started_at, finished_at, accounts, chunks_done, chunks_total "
                                   "FROM billing_run ORDER BY id DESC LIMIT 1")).one_or_none()
    engine.dispose()
    return row


def percentile(values, pct):
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main():
    args = parse_args()
    os.environ.setdefault("OBLIK_INSTANCE_DIR", args.dir)
    os.environ.setdefault("OBLIK_SECRET_KEY", "load-bench-secret-key-0123456789abcdef")
    os.environ["OBLIK_CELERY_EAGER"] = "1"  # the preparation only; the servers get the broker
    started = time.perf_counter()
    town = prepare_town(args)
    print(f"Town ready in {time.perf_counter() - started:.0f} s: {len(town['accounts'])} sample accounts, "
          f"{len(town['meters'])} sample meters; open period {town['period']}.")
    base = f"http://127.0.0.1:{args.port}"
    processes = start_servers(args)
    try:
        before = run_state(args.database_url)
        if not args.no_run:
            start_run(base, town)
        run = run_state(args.database_url)
        run_id = run.id if run is not None and (before is None or run.id != before.id) else None
        if not args.no_run and run_id is None:
            sys.exit("no billing run was recorded")
        results = Results()
        load_before = os.getloadavg()[0]
        t0 = time.monotonic()
        stop_at = t0 + args.duration
        threads = [threading.Thread(target=user_loop, args=(n, base, town, args, results, stop_at), daemon=True)
                   for n in range(args.users)]
        for thread in threads:
            thread.start()
        progress = []
        while any(t.is_alive() for t in threads):
            time.sleep(5)
            if run_id:
                state = run_state(args.database_url)
                progress.append((time.monotonic() - t0, state.status, state.chunks_done, state.chunks_total))
        for thread in threads:
            thread.join()
        worked = time.monotonic() - t0
        load_after = os.getloadavg()[0]
        during = [p for p in progress if p[0] <= args.duration]
        running_at_end = bool(during) and during[-1][1] == "running"
        state = run_state(args.database_url) if run_id else None
        while state is not None and state.status == "running":
            time.sleep(2)
            state = run_state(args.database_url)
    finally:
        stop_servers(processes)

    total = sum(len(v) for v in results.times.values())
    errors = sum(len(v) for v in results.errors.values())
    print(f"\n{args.users} users, {worked:.0f} s, think time {args.think} s ±50 %; gunicorn {args.workers} workers, "
          f"Celery concurrency {args.celery_concurrency}; load average {load_before:.1f} → {load_after:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"{'page kind':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    for kind in ("list", "search", "account card", "reading form", "reading saved"):
        times = results.times.get(kind) or []
        if times:
            print(f"{kind:<16}{len(times):>9}{percentile(times, 50):>9.0f}{percentile(times, 95):>9.0f}"
                  f"{max(times):>9.0f}{len(results.errors.get(kind, [])):>8}")
    every = [t for v in results.times.values() for t in v]
    print(f"{'all':<16}{total:>9}{percentile(every, 50):>9.0f}{percentile(every, 95):>9.0f}{max(every):>9.0f}"
          f"{errors:>8}   error rate {errors / max(total, 1):.2%}, {total / worked:.1f} requests/s")
    for kind, messages in results.errors.items():
        for message in sorted(set(messages))[:5]:
            print(f"  error ({kind}): {message} ×{messages.count(message)}")
    if state is not None:
        seconds = (state.finished_at - state.started_at).total_seconds() if state.finished_at else float("nan")
        print(f"Billing run {state.id}: {state.status}, {state.accounts} accounts, {state.chunks_done}/"
              f"{state.chunks_total} chunks in {seconds:.0f} s; "
              + ("still running when the users stopped" if running_at_end else
                 f"finished {seconds:.0f} s after it started (the users went on {args.duration:.0f} s)"))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
