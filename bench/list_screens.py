"""How fast are the list screens, searches, pickers and the API on a big database?

    .venv/bin/python bench/list_screens.py --accounts 100000 [--database-url URL] [--repeat 20]

Creates the database (SQLite file or PostgreSQL database) unless it already holds a demo town
of that many active accounts, migrates it, loads ``oblik demo --accounts N`` (printing the
load time), logs in as an administrator through the Flask test client and requests each
screen ``--repeat`` times after one warm-up request. Prints p50/p95/max in milliseconds, the
number of SQL statements per request (an N+1 shows up here) and, for every slow screen
(p95 > ``--slow`` ms), its slowest SQL statements with their time — the place to look first.
See bench/README.md.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_PASSWORD = "bench-password-1"


def screens(ids):
    """(label, URL) of what is measured; ``ids`` are real ids found in the database."""
    return [
        ("Home page (counts)", "/"),
        ("Buildings", "/buildingview/list/"),
        ("Premises", "/premiseview/list/"),
        ("Accounts", "/accountview/list/"),
        ("Accounts, page 100", "/accountview/list/?page_AccountView=100"),
        ("Accounts: owner starts with «Шевч»", "/accountview/list/?_flt_0_owner_name=Шевч"),
        ("Accounts: owner contains «Олена»", "/accountview/list/?_flt_2_owner_name=Олена"),
        ("Accounts: number = …", f"/accountview/list/?_flt_3_account_number={ids['account_number']}"),
        ("Accounts: number starts with «0150»", "/accountview/list/?_flt_0_account_number=0150"),
        ("Account card", f"/accountview/show/{ids['account']}"),
        ("Residents", "/residentview/list/"),
        ("Residents: name contains «Коваль»", "/residentview/list/?_flt_2_full_name=Коваль"),
        ("Meters", "/meterview/list/"),
        ("Meters: serial starts with …", f"/meterview/list/?_flt_0_serial={ids['serial'][:6]}"),
        ("Readings (2M rows)", "/readingview/list/"),
        ("Readings, page 1000", "/readingview/list/?page_ReadingView=1000"),
        ("Readings of one meter", f"/readingview/list/?_flt_0_meter={ids['meter']}"),
        # the search box (?q=, app/services/search.py): every word must match — each shape of
        # SEARCH_SHAPES on each list and picker of SEARCH_TARGETS (search_screens), then a few more
        *search_screens(ids),
        ("Accounts: search owner and street", f"/accountview/list/?q={quote(ids['owner_word'] + ' ' + ids['street'])}"),
        ("Accounts: search «ь» (almost all)", f"/accountview/list/?q={quote('ь')}"),
        ("Meters: search serial", f"/meterview/list/?q={ids['serial']}"),
        ("Residents: search «коваль петро»", f"/residentview/list/?q={quote('коваль петро')}"),
        ("Lookup meter «с» (one letter)", f"/lookup/meter/?q={quote('с')}"),
        ("Lookup meter, opened empty", "/lookup/meter/?q="),
        ("Lookup premise «Шевченка»", "/lookup/premise/?q=Шевченка"),
        ("Lookup premise «Шевченка 12»", "/lookup/premise/?q=Шевченка%2012"),
        ("Lookup account «010»", "/lookup/account/?q=010"),
        ("Lookup resident «Ковал»", "/lookup/resident/?q=Ковал"),
        ("Lookup meter by serial", f"/lookup/meter/?q={ids['serial'][:5]}"),
        ("API readings (page_size 50)", "/api/v1/reading/?q=(page_size:50)"),
        ("API accounts (page_size 50)", "/api/v1/account/?q=(page_size:50)"),
    ]


# The search box's shapes (label, text of the sample ids) and where they are typed (label, URL
# prefix): every shape on every target is a screen «<target>: search <shape>».
SEARCH_SHAPES = (
    ("number", lambda ids: ids["account_number"]),
    ("owner «Коваленко»", lambda ids: "Коваленко"),
    ("«<street>»", lambda ids: ids["street"]),
    ("«<street> <building>»", lambda ids: f"{ids['street']} {ids['building_number']}"),
    ("«<street> <building> кв. <flat>»", lambda ids: f"{ids['street']} {ids['building_number']} кв. {ids['flat']}"),
)
SEARCH_TARGETS = (
    ("Accounts", "/accountview/list/?q="),
    ("Premises", "/premiseview/list/?q="),
    ("Meters", "/meterview/list/?q="),
    ("Lookup account", "/lookup/account/?q="),
    ("Lookup premise", "/lookup/premise/?q="),
    ("Lookup meter", "/lookup/meter/?q="),
)


def search_screens(ids):
    return [(f"{target}: search {shape}", prefix + quote(typed(ids)))
            for target, prefix in SEARCH_TARGETS for shape, typed in SEARCH_SHAPES]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="personal accounts of the demo town")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL; default: a SQLite file bench-<N>.db in the bench directory")
    parser.add_argument("--dir", default=os.environ.get("OBLIK_INSTANCE_DIR") or os.path.join(tempfile.gettempdir(), "oblik-bench"),
                        help="instance directory (secret key, default SQLite file); default /tmp/oblik-bench")
    parser.add_argument("--repeat", type=int, default=20, help="requests per screen (after one warm-up)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--slow", type=float, default=500, help="p95 in ms above which a screen is explained")
    parser.add_argument("--fresh", action="store_true", help="empty the database first (drops everything in it)")
    parser.add_argument("--only", default=None, help="measure only screens whose label contains this text")
    parser.add_argument("--role", default="admin", choices=("admin", "accountant", "operator", "inspector"),
                        help="log in with this role (an inspector gets the first 20 buildings)")
    parser.add_argument("--street", default=None,
                        help="the street word of the search screens (default: the sample account's street)")
    parser.add_argument("--building", default=None, help="the building number of the search screens")
    parser.add_argument("--flat", default=None, help="the flat number of the search screens")
    parser.add_argument("--baseline", default=None, metavar="REV",
                        help="also measure every search screen with the search of git revision REV "
                             "(its app/services/search.py and the pickers of app/views/lookup.py), the two "
                             "requested by turns in the same run; prints both, their ratio, the EXPLAIN "
                             "ANALYZE time of their statements (PostgreSQL) and whether they find the same")
    return parser.parse_args()


def ensure_database(url, fresh):
    """Create the PostgreSQL database or the SQLite file's directory; ``fresh`` empties it."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return
    if parsed.get_backend_name() == "postgresql":
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
        if fresh:
            engine = sa.create_engine(parsed)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            engine.dispose()


def bench_app(directory, accounts, database_url=None, fresh=False):
    """(app, url): the bench's application on ``database_url`` (default: the SQLite file
    bench-<accounts>.db in ``directory``), its instance in ``directory``, Celery in the process,
    no CSRF and no rate limits (the test client posts the forms); the database made first."""
    os.environ.setdefault("OBLIK_INSTANCE_DIR", directory)
    os.environ.setdefault("OBLIK_SECRET_KEY", "bench-secret-key")
    os.environ["OBLIK_CELERY_EAGER"] = "1"
    os.environ.setdefault("OBLIK_BROKER_URL", "memory://")
    os.environ.setdefault("OBLIK_RESULT_BACKEND", "cache+memory://")
    url = database_url or f"sqlite:///{Path(directory) / f'bench-{accounts}.db'}"
    ensure_database(url, fresh)

    from app import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "AUTH_RATE_LIMITED": False,
        "RATELIMIT_ENABLED": False, "SERVER_NAME": None,
    })
    print(f"Database: {url.split('@')[-1]}")
    return app, url


def signed_in(app, username):
    """A test client signed in as the bench user ``username`` (made by :func:`prepare`)."""
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": BENCH_PASSWORD})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        sys.exit(f"Login failed: HTTP {response.status_code} → {response.headers.get('Location')}")
    return client


def prepare(app, accounts, seed, role):
    """Migrate, load the demo unless the same town is already there, make the bench user."""
    from sqlalchemy import func, inspect, select

    from app.extensions import db
    from app.models import Account, Building
    from app.services.demo import load_demo
    from app.services.setup import upgrade_database
    from app.services.users import create_user

    with app.app_context():
        started = time.perf_counter()
        upgrade_database()  # idempotent: a reused database follows the code's schema
        migrated = time.perf_counter()
        tables = inspect(db.engine).get_table_names()
        active = 0
        if "account" in tables:
            active = db.session.scalar(select(func.count()).select_from(Account).where(Account.closed_on.is_(None)))
        if active == accounts:
            print(f"Database already holds {active} active accounts: loading skipped (use --fresh to reload).")
        else:
            if "building" in tables and db.session.scalar(select(Building.id).limit(1)) is not None:
                sys.exit(f"The database has other data ({active} active accounts, not {accounts}): "
                         "use --fresh or another --database-url.")
            summary = load_demo(accounts=accounts, seed=seed)
            loaded = time.perf_counter()
            print(summary)
            print(f"Migration {migrated - started:.1f} s; demo load {loaded - migrated:.1f} s "
                  f"({accounts} accounts).")
        username = f"bench-{role}"
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        if user is None:
            buildings = db.session.scalars(select(Building.code).order_by(Building.code).limit(20)).all() \
                if role == "inspector" else ()
            create_user(username, BENCH_PASSWORD, role, buildings=buildings)
        else:
            sm.reset_password(user.id, BENCH_PASSWORD)
        return username


def sample_ids(app):
    """An account, a meter and a serial of the 10th building (inside an inspector's scope)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Account, Building, Meter, Premise

    with app.app_context():
        codes = db.session.scalars(select(Building.code).order_by(Building.code).limit(10)).all()
        building = db.session.scalar(select(Building.id).where(Building.code == codes[-1]))
        account = db.session.execute(select(Account.id, Account.account_number).join(Premise).where(
            Premise.building_id == building, Account.closed_on.is_(None)).order_by(Account.id).limit(1)).one()
        meter = db.session.execute(select(Meter.id, Meter.serial).where(
            Meter.building_id == building, Meter.premise_id.is_not(None)).order_by(Meter.id).limit(1)).one()
        address, flat, owner = db.session.execute(
            select(Building.address, Premise.number, Account.owner_name).join(Premise, Premise.building_id == Building.id)
            .join(Account, Account.premise_id == Premise.id).where(Account.id == account.id)).one()
        street, _comma, number = address.rpartition(", ")
        return {"account": account.id, "account_number": account.account_number, "meter": meter.id,
                "serial": meter.serial, "street": street.split()[-1], "building_number": number, "flat": flat,
                "owner_word": owner.split()[0]}


class StatementLog:
    """Counts and times the SQL statements of one request."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.statements = []
        self._started = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active and id(cursor) in self._started:
            self.statements.append((time.perf_counter() - self._started.pop(id(cursor)), statement, parameters))


def percentile(values, pct):
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def timed_get(client, log, url):
    """One request: (the response, its milliseconds, the statements it ran as (seconds, SQL,
    parameters))."""
    log.statements = []
    log.active = True
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    log.active = False
    return response, elapsed, log.statements


def measure(app, client, log, url, repeat):
    times, counts, sql_ms, slowest = [], [], [], defaultdict(list)
    status = size = None
    for i in range(repeat + 1):
        response, elapsed, _statements = timed_get(client, log, url)
        status, size = response.status_code, len(response.data)
        if i == 0:
            continue  # warm-up: templates, caches
        times.append(elapsed)
        counts.append(len(log.statements))
        sql_ms.append(sum(seconds for seconds, _, _ in log.statements) * 1000)
        for seconds, statement, parameters in log.statements:
            slowest[" ".join(statement.split())].append((seconds * 1000, parameters))
    return {"times": times, "queries": statistics.median(counts), "sql_ms": statistics.median(sql_ms),
            "status": status, "size": size, "statements": slowest}


# --- the search of another revision, side by side (--baseline) -------------------------------
SEARCH_MARKS = (" LIKE ", " ILIKE ", "(SELECT ")  # a statement of the search (its condition)


class SearchArms:
    """The current search and that of git revision ``rev`` in one process: ``use("baseline")``
    puts the revision's ``condition`` into app.services.search and its pickers' specs into
    app.views.lookup.LOOKUPS; ``use("current")`` puts the current ones back."""

    def __init__(self, rev):
        import subprocess
        import types

        from app.services import search
        from app.views import lookup

        def module(name, path, package):
            source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True,
                                    capture_output=True, text=True).stdout
            mod = types.ModuleType(name)
            mod.__package__, mod.__file__ = package, f"{rev}:{path}"
            sys.modules[name] = mod
            exec(compile(source, mod.__file__, "exec"), mod.__dict__)
            return mod

        self.rev = rev
        old_search = module("app.services._baseline_search", "app/services/search.py", "app.services")
        old_lookup = module("app.views._baseline_lookup", "app/views/lookup.py", "app.views")
        old_lookup.search = old_search  # its pickers search with the old words
        self.search, self.lookup = search, lookup
        self.conditions = {"current": search.condition, "baseline": old_search.condition}
        current = dict(lookup.LOOKUPS)
        self.lookups = {"current": current,
                        "baseline": {**current, **{k: v for k, v in old_lookup.LOOKUPS.items() if k in current}}}

    def use(self, arm):
        self.search.condition = self.conditions[arm]
        self.lookup.LOOKUPS.clear()
        self.lookup.LOOKUPS.update(self.lookups[arm])

    def found(self, app, path):
        """{arm: the ids the search of ``path`` finds} (its whole condition, not a page)."""
        from urllib.parse import parse_qs, urlsplit

        from sqlalchemy import select

        from app.extensions import db
        from app.models import Account, Meter, Premise, Resident

        url = urlsplit(path)
        text = parse_qs(url.query).get("q", [""])[0]
        models = {"accountview": Account, "premiseview": Premise, "meterview": Meter, "residentview": Resident}
        parts = url.path.strip("/").split("/")
        model = self.lookup.LOOKUPS[parts[1]].model if parts[0] == "lookup" else models.get(parts[0])
        if model is None or not text.strip():
            return None
        with app.app_context():
            return {arm: set(db.session.scalars(select(model.id).where(condition(model, text, True))))
                    for arm, condition in self.conditions.items()}


def explain_ms(app, statements):
    """The EXPLAIN ANALYZE «Execution Time» of ``statements`` (PostgreSQL), summed: the median of 3."""
    from app.extensions import db

    runs = []
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for _ in range(3):
                total = 0.0
                for statement, parameters in statements:
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                    total += cursor.fetchone()[0][0]["Execution Time"]
                runs.append(total)
            connection.rollback()
        finally:
            connection.close()
    return statistics.median(runs)


def compare_search(app, client, log, arms, screens_, repeat, postgres):
    """Each search screen with the baseline's search and the current one, requested by turns."""
    import json

    rows = []
    for label, path in screens_:
        times = {"baseline": [], "current": []}
        sql = {"baseline": [], "current": []}
        statements, answers = {}, {}
        for i in range(repeat + 1):
            for arm in (("baseline", "current") if i % 2 else ("current", "baseline")):
                arms.use(arm)
                response, elapsed, _statements = timed_get(client, log, path)
                if i == 0:  # warm-up; the statements and the answer of each arm
                    statements[arm] = [(st, p) for _s, st, p in log.statements if any(m in st for m in SEARCH_MARKS)]
                    body = response.get_data(as_text=True)
                    answers[arm] = (response.status_code, json.loads(body)["results"] if path.startswith("/lookup/")
                                    else re.findall(r"Кількість записів:</strong>\s*(\d+)", body))
                    continue
                times[arm].append(elapsed)
                sql[arm].append(sum(seconds for seconds, _, _ in log.statements) * 1000)
        arms.use("current")
        found = arms.found(app, path)
        same = answers["baseline"] == answers["current"] and (found is None or found["baseline"] == found["current"])
        explained = {arm: explain_ms(app, statements[arm]) if postgres else None for arm in statements}
        rows.append((label, {arm: percentile(t, 50) for arm, t in times.items()},
                     {arm: statistics.median(v) for arm, v in sql.items()}, explained,
                     len(found["current"]) if found else None, same))
        print(f"  {label:52s} {rows[-1][1]['baseline']:7.1f} → {rows[-1][1]['current']:7.1f} ms"
              f"{'' if same else '  DIFFERENT RESULTS'}", file=sys.stderr, flush=True)
    print()
    print(f"Search: baseline {arms.rev} vs current, {repeat} requests each by turns (p50 ms of the request; SQL ms: "
          f"median database time per request; EXPLAIN: EXPLAIN ANALYZE time of the search's statements)")
    print(f"{'screen':52s} {'base':>7s} {'now':>7s} {'×':>5s}  {'SQL base':>8s} {'SQL now':>7s}  "
          f"{'EXPL base':>9s} {'EXPL now':>8s} {'×':>5s} {'found':>6s} same")
    print("-" * 128)
    for label, p50, sql_ms, explained, found, same in rows:
        ratio = p50["baseline"] / p50["current"] if p50["current"] else float("nan")
        if explained.get("current"):
            e = f"{explained['baseline']:9.1f} {explained['current']:8.1f} {explained['baseline'] / explained['current']:5.1f}"
        else:
            e = f"{'—':>9s} {'—':>8s} {'':5s}"
        print(f"{label:52s} {p50['baseline']:7.1f} {p50['current']:7.1f} {ratio:5.1f}  {sql_ms['baseline']:8.1f} "
              f"{sql_ms['current']:7.1f}  {e} {'' if found is None else found:>6} {'yes' if same else 'NO'}")
    return all(row[-1] for row in rows)


def main():
    args = parse_args()
    app, url = bench_app(args.dir, args.accounts, args.database_url, args.fresh)
    from app.extensions import db

    username = prepare(app, args.accounts, args.seed, args.role)
    ids = sample_ids(app)
    for key, value in (("street", args.street), ("building_number", args.building), ("flat", args.flat)):
        if value:
            ids[key] = value

    client = signed_in(app, username)
    with app.app_context():
        log = StatementLog(db.engine)

    print(f"Logged in as {username} ({args.role}); {args.repeat} requests per screen after a warm-up; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs.")
    chosen = [(label, path) for label, path in screens(ids) if not args.only or args.only.lower() in label.lower()]
    if args.baseline:
        with app.app_context():
            arms = SearchArms(args.baseline)
        same = compare_search(app, client, log, arms, [(label, path) for label, path in chosen
                                                        if "search" in label or path.startswith("/lookup/")],
                              args.repeat, url.startswith("postgresql"))
        return 0 if same else 1
    results = []
    for label, path in chosen:
        result = measure(app, client, log, path, args.repeat)
        results.append((label, path, result))
        t = result["times"]
        print(f"  {label:40s} p50 {percentile(t, 50):7.1f} ms  p95 {percentile(t, 95):7.1f} ms  "
              f"SQL {result['queries']:4.0f} ({result['sql_ms']:.1f} ms)  HTTP {result['status']}",
              file=sys.stderr, flush=True)

    print()
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min).")
    print(f"{'screen':40s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'SQL/req':>7s} {'SQL ms':>7s} "
          f"{'HTTP':>4s} {'KB':>5s}")
    print("-" * 96)
    for label, path, result in results:
        t = result["times"]
        flag = "  ← slow" if percentile(t, 95) > args.slow else ""
        print(f"{label:40s} {percentile(t, 50):8.1f} {percentile(t, 95):8.1f} {max(t):8.1f} "
              f"{result['queries']:7.0f} {result['sql_ms']:7.1f} {result['status']:4d} {result['size'] / 1024:5.0f}{flag}")
    print()
    for label, path, result in results:
        slow = percentile(result["times"], 95) > args.slow
        if not (slow or result["status"] >= 500):
            continue  # fast, or refused to this role (403)
        print(f"== {label}: {path} (HTTP {result['status']})")
        ranked = sorted(result["statements"].items(), key=lambda kv: -sum(ms for ms, _ in kv[1]))
        for statement, runs in ranked[:3]:
            per_request = len(runs) / args.repeat
            print(f"   {statistics.median(ms for ms, _ in runs):8.1f} ms median × {per_request:.0f}/request: "
                  f"{statement[:400]}")
            print(f"            parameters: {str(runs[0][1])[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
