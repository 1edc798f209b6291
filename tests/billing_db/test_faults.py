"""Faults on the real services (issue 8 items 2 and 8): PostgreSQL, a Redis broker, real Celery
worker processes. A worker SIGKILLed in the middle of a billing run and of an import, a pool
process SIGKILLed in the middle of a chunk (given back and taken up again), the database
connections dropped during a run, Redis restarted during a run; two runs at once and
a close during a run. After the restart and the re-run, the charges, the journal and the
imported rows are exactly those of one clean run on the same data.

Skipped unless ``OBLIK_TEST_DATABASE_URL`` names PostgreSQL and ``OBLIK_TEST_BROKER_URL`` a
Redis (as ``.ci/run`` sets them). The worker is held in the middle of its work
deterministically: the test locks a table the work writes (``LOCK TABLE … IN EXCLUSIVE MODE``,
reads go on) and waits until the worker's connection waits for it; then it kills. Heartbeats
and sweeps are shortened (``OBLIK_WORKER_STALE_SECONDS=4``, ``OBLIK_SWEEP_SECONDS=1``) so
that the whole module takes about a minute.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Account,
    AccountService,
    BillingLock,
    BillingRun,
    Building,
    ChargeLine,
    ImportRecord,
    JournalEntry,
    Payment,
    Premise,
)
from app.services.billing import BillingError, close_period, run_billing, sweep_orphans
from app.services.billing import run as billing_run
from app.services.billing.draft import LINE_COLUMNS

from .conftest import fresh_database
from .town import OCTOBER, create_town

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("OBLIK_TEST_BROKER_URL", "")
STALE, SWEEP = 4, 1

pytestmark = pytest.mark.skipif(
    not (os.environ.get("OBLIK_TEST_DATABASE_URL", "").startswith("postgresql") and BROKER.startswith("redis")),
    reason="fault tests need OBLIK_TEST_DATABASE_URL (PostgreSQL) and OBLIK_TEST_BROKER_URL (Redis), as .ci/run")

EXTRA_BUILDINGS = 10  # E1 and ten more: eleven chunks, as in the run that stayed at 0/11
ENTRY_COLUMNS = ("kind", "account_id", "service_id", "posting_period", "value_date", "target_period", "quantity",
                 "amount", "document", "detail_kind")
PAYMENTS = ("external_id,account_number,paid_on,amount\n" + "".join(
    f"PB-{n},{account},{10 + n % 15}.10.2026,{100 + n}.{n % 100:02d}\n"
    for n, account in enumerate(["E1-001", "E1-002", "E1-003"] * 20))).encode()


# --- the town, the fingerprints, the clean results ---------------------------------------------

def _town():
    ids = create_town()
    for n in range(2, 2 + EXTRA_BUILDINGS):
        building = Building(code=f"E{n}", address=f"вул. Енергетиків, {n}", imbalance_key="volume")
        premise = Premise(building=building, number="1", total_area=D(30) + n, heated_area=D(30) + n)
        account = Account(account_number=f"E{n}-001", premise=premise, owner_name="Власник",
                          opened_on=date(2020, 1, 1))
        db.session.add_all([building, premise, account, AccountService(
            account=account, service_id=ids["services"]["UTR"], date_from=date(2020, 1, 1))])
    db.session.commit()


def _charges():
    table = ChargeLine.__table__
    return sorted(tuple(str(v) for v in row) for row in db.session.execute(select(*[table.c[c] for c in LINE_COLUMNS])))


def _journal():
    table = JournalEntry.__table__
    return sorted(tuple(str(v) for v in row) for row in db.session.execute(select(*[table.c[c] for c in ENTRY_COLUMNS])))


def _payments():
    return sorted(db.session.execute(select(Payment.external_id, Payment.account_id, Payment.paid_on,
                                            Payment.amount)).all())


_CLEAN = {}


def clean_billing():
    """(charges, journal after the close) of one clean run of the town, in this process."""
    if "billing" not in _CLEAN:
        fresh_database()
        _town()
        assert run_billing(user="clean").status == "done"
        charges = _charges()
        close_period(OCTOBER)
        _CLEAN["billing"] = (charges, _journal())
    return _CLEAN["billing"]


def clean_import():
    if "import" not in _CLEAN:
        fresh_database()
        _town()
        from app.services.imports import records

        record = records.create_record(_accountant(), "payments", "bank.csv", PAYMENTS)
        records.check_record(record.id, progress=False)
        records.claim_commit(record.id)
        assert records.commit_record(record.id, progress=False).created == 60
        _CLEAN["import"] = (_payments(), _journal())
    return _CLEAN["import"]


def _accountant():
    from flask_appbuilder.security.sqla.models import User

    from app.services.imports.actors import actor_for

    return actor_for(db.session, db.session.scalar(select(User).where(User.username == "accountant")))


def _close_and_compare(clean):
    charges, journal = clean
    assert _charges() == charges
    close_period(OCTOBER)
    assert _journal() == journal


# --- workers, brokers, locks ----------------------------------------------------------------

class Worker:
    """A real worker process (``--pool=solo`` with beat embedded, ``-B``; or ``prefork``: one
    pool child, no beat), in a process group of its own so that ``kill()`` SIGKILLs it with
    everything it started."""

    def __init__(self, tmp_path, name, broker, prefork=False):
        self.log = tmp_path / f"{name}.log"
        env = dict(os.environ, OBLIK_BROKER_URL=broker, OBLIK_RESULT_BACKEND=broker, OBLIK_CELERY_EAGER="0",
                   OBLIK_DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
                   OBLIK_INSTANCE_DIR=str(tmp_path / name), OBLIK_WORKER_STALE_SECONDS=str(STALE),
                   OBLIK_SWEEP_SECONDS=str(SWEEP))
        (tmp_path / name).mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.tasks.worker", "worker",
             *(["--pool=prefork", "--concurrency=1"] if prefork else ["--pool=solo", "-B"]), "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=info",
             f"--hostname={name}@%h", f"--logfile={self.log}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.log.exists() and " ready." in self.log.read_text(errors="replace"), 90,
                 f"worker {name} ready", self)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def wait_for(condition, seconds, what, worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{_state()}\n{worker.tail() if worker else ''}")


def _state() -> str:
    """The runs, locks and chunks as the database holds them (for a failure's message)."""
    from app.models import BillingChunk

    db.session.rollback()
    runs = db.session.execute(select(BillingRun.id, BillingRun.status, BillingRun.chunks_done, BillingRun.chunks_total,
                                     BillingRun.message)).all()
    locks = db.session.execute(select(BillingLock.period, BillingLock.run_id, BillingLock.heartbeat_at)).all()
    chunks = db.session.execute(select(BillingChunk.run_id, BillingChunk.seq, BillingChunk.attempts,
                                       BillingChunk.finished_at)).all()
    return f"runs {runs}\nlocks {locks} (now {datetime.now()})\nchunks {chunks}"


@pytest.fixture()
def workers(bdb, tmp_path, monkeypatch):
    """``workers(name, broker=BROKER)`` starts a worker; the app sends its tasks to the same
    broker, with the same short heartbeats."""
    from app.tasks.celery_app import celery

    monkeypatch.setitem(bdb.config, "WORKER_STALE_SECONDS", STALE)
    saved = {k: celery.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    started = []

    def start(name, broker=BROKER, prefork=False):
        _use_broker(celery, broker)
        if not started:  # messages left by an earlier test (another database, the same ids) go
            import redis

            redis.Redis.from_url(broker).flushdb()
        worker = Worker(tmp_path, name, broker, prefork)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()  # nothing of theirs is left to finish
    _use_broker(celery, saved["broker_url"], saved["result_backend"], saved["task_always_eager"])


def _use_broker(celery, broker, backend=None, eager=False):
    """Send the app's tasks to ``broker`` (its cached connections to another one dropped)."""
    from kombu import pools

    celery.conf.update(broker_url=broker, result_backend=backend or broker, task_always_eager=eager)
    pools.reset()  # closes and forgets every cached connection and producer
    celery._pool = None
    celery.amqp._producer_pool = None


class TableLock:
    """``LOCK TABLE name IN EXCLUSIVE MODE`` held by a connection of its own: a worker that
    writes the table waits (reads go on)."""

    def __init__(self, table):
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
        self.pid = self.connection.scalar(sa.text("SELECT pg_backend_pid()"))

    def waiting(self) -> bool:
        """Some other connection of this database waits for a lock."""
        self.connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))  # else cached for the transaction
        return bool(self.connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> pg_backend_pid()")))

    def release(self):
        try:
            self.transaction.rollback()
        finally:
            self.connection.close()


def _run(run_id) -> BillingRun:
    return db.session.get(BillingRun, run_id)


def _start_chunked_run(monkeypatch, user="оператор"):
    from app.tasks.billing import start_billing

    monkeypatch.setattr(billing_run, "CHUNK_ACCOUNTS", 1)  # every building a chunk of its own
    run = start_billing(user=user)
    assert run.status == "running" and run.chunks_total == 1 + EXTRA_BUILDINGS
    return run.id


def _rerun_until_done(worker, monkeypatch):
    run_id = _start_chunked_run(monkeypatch, user="оператор-2")  # starts at once: nothing refuses it
    wait_for(lambda: _run(run_id).status != "running", 90, "the re-run", worker)
    run = _run(run_id)
    assert run.status == "done", run.message
    assert (run.buildings_done, run.chunks_done, run.accounts) == (1 + EXTRA_BUILDINGS, 1 + EXTRA_BUILDINGS,
                                                                    3 + EXTRA_BUILDINGS)
    return run


# --- the faults ---------------------------------------------------------------------------------

def test_a_worker_sigkilled_in_the_middle_of_a_run(bdb, workers, web, monkeypatch):
    """SIGKILL of the worker while it bills: the run stays «running» only until the sweep (a
    minute in production, seconds here) marks it failed; meanwhile a second run and a close are
    refused with a clear message on the screen, the command line and the service; the next Run
    starts at once and gives exactly the clean run's charges and journal."""
    clean = clean_billing()
    fresh_database()
    _town()
    first = workers("first")
    held = TableLock("billing_warning")  # the first building's draft waits for it
    try:
        run_id = _start_chunked_run(monkeypatch)
        wait_for(held.waiting, 60, "the worker to wait in the middle of the run", first)
        # alive though silent in its work: the heartbeat thread keeps its lock fresh
        time.sleep(STALE + 1)
        assert sweep_orphans() == [] and _run(run_id).status == "running"

        # two runs at once, a close during a run: refused, naming who runs it
        with pytest.raises(BillingError, match="оператор"):
            _start_chunked_run(monkeypatch, user="другий")
        with pytest.raises(BillingError, match="уже виконується"):
            close_period(OCTOBER)
        page = web("accountant").post("/billing/run", data={"period": OCTOBER}, follow_redirects=True)
        assert "оператор" in page.get_data(as_text=True)
        from click.testing import CliRunner

        from app.cli import main

        monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])
        db.session.commit()
        refused = CliRunner().invoke(main, ["billing", "run", "--quiet"])
        assert refused.exit_code == 1 and "оператор" in refused.output
        assert db.session.scalar(select(sa.func.count()).select_from(BillingRun)) == 1

        first.kill()
    finally:
        held.release()
    assert _run(run_id).status == "running"  # nobody knows yet
    second = workers("second")  # its beat sweeps
    wait_for(lambda: _run(run_id).status == "failed", 60, "the sweep to fail the orphaned run", second)
    assert "жодного сигналу роботи" in _run(run_id).message
    assert db.session.scalar(select(BillingLock).where(BillingLock.run_id == run_id)) is None
    _rerun_until_done(second, monkeypatch)
    _close_and_compare(clean)


def test_a_pool_process_sigkilled_in_the_middle_of_a_chunk_gives_it_back(bdb, workers, monkeypatch):
    """SIGKILL of the pool process billing a chunk (prefork; the worker itself lives): the chunk
    is given back to the broker (``acks_late``, ``reject_on_worker_lost``), a new pool process
    takes it up again, and the run finishes by itself — nobody sweeps, nobody re-runs — with
    exactly the clean run's charges and journal."""
    from app.models import BillingChunk

    clean = clean_billing()
    fresh_database()
    _town()
    worker = workers("worker", prefork=True)
    held = TableLock("billing_warning")
    try:
        run_id = _start_chunked_run(monkeypatch)
        wait_for(held.waiting, 60, "the pool process to wait in the middle of a chunk", worker)
        [child] = worker.children()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: worker.children() and worker.children() != [child], 60, "a new pool process", worker)
    finally:
        held.release()
    wait_for(lambda: _run(run_id).status != "running", 90, "the run to finish", worker)
    run = _run(run_id)
    assert run.status == "done", run.message
    assert (run.buildings_done, run.chunks_done, run.accounts) == (1 + EXTRA_BUILDINGS, 1 + EXTRA_BUILDINGS,
                                                                    3 + EXTRA_BUILDINGS)
    assert db.session.scalar(select(sa.func.max(BillingChunk.attempts))) == 2  # the killed chunk, taken up again
    _close_and_compare(clean)


def test_a_worker_sigkilled_in_the_middle_of_an_import(bdb, workers):
    """SIGKILL of the worker while it writes a file (one transaction: nothing written): the
    sweep makes the file ready to write again; written again, the payments and the journal are
    exactly those of one clean import."""
    from app.services.imports import records
    from app.tasks.imports import commit_import

    clean = clean_import()
    fresh_database()
    _town()
    first = workers("first")
    record = records.create_record(_accountant(), "payments", "bank.csv", PAYMENTS)
    assert records.check_record(record.id, progress=False).created == 60
    held = TableLock("payment")
    try:
        assert records.claim_commit(record.id)
        commit_import.delay(record.id)
        wait_for(held.waiting, 60, "the worker to wait while writing", first)
        first.kill()
    finally:
        held.release()
    second = workers("second")
    wait_for(lambda: db.session.get(ImportRecord, record.id).status == "ready", 60, "the sweep", second)
    assert "нічого не записано" in db.session.get(ImportRecord, record.id).message
    assert _payments() == []
    assert records.claim_commit(record.id)
    commit_import.delay(record.id)
    wait_for(lambda: db.session.get(ImportRecord, record.id).status == "committed", 60, "the write", second)
    assert (_payments(), _journal()) == clean


def test_database_connections_dropped_during_a_run(bdb, workers, monkeypatch):
    """What a restart of PostgreSQL does to the app: every connection to the database is
    terminated (``pg_terminate_backend`` on the connections to this test's database only — the
    server is shared, it is not restarted). The chunk that lost its connection fails the run
    with the database's message; the worker reconnects; the next Run gives the clean charges."""
    clean = clean_billing()
    fresh_database()
    _town()
    worker = workers("worker")
    held = TableLock("billing_warning")
    try:
        run_id = _start_chunked_run(monkeypatch)
        wait_for(held.waiting, 60, "the worker to wait in the middle of the run", worker)
        terminated = held.connection.scalar(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))
        assert terminated >= 1
    finally:
        held.release()
    try:  # this process's own connection was terminated too: the app's next request reconnects
        db.session.remove()
    except sa.exc.DBAPIError:
        db.session.remove()
    db.engine.dispose()
    wait_for(lambda: _run(run_id).status != "running", 60, "the run to stop", worker)
    run = _run(run_id)
    assert run.status == "failed" and "terminat" in run.message.lower()
    assert db.session.scalar(select(BillingLock)) is None
    _rerun_until_done(worker, monkeypatch)
    _close_and_compare(clean)


def _free_port(start=6391):
    for port in range(start, start + 50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a redis-server")


class Redis:
    """A redis-server of this test's own on a free loopback port (the shared one is never
    restarted), without persistence: a restart loses every message — the worst case."""

    def __init__(self, tmp_path):
        self.port, self.dir = _free_port(), tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server to start")
def test_redis_restarted_during_a_run(bdb, workers, tmp_path, monkeypatch):
    """Redis killed and started again (empty) while the worker bills the first chunk: the
    chunks still queued are lost with it. The worker reconnects and finishes its chunk; the
    run's lock goes silent, the sweep fails the run, and the next Run gives the clean charges."""
    clean = clean_billing()
    fresh_database()
    _town()
    redis = Redis(tmp_path)
    try:
        worker = workers("worker", redis.url)
        held = TableLock("billing_warning")
        try:
            run_id = _start_chunked_run(monkeypatch)
            wait_for(held.waiting, 60, "the worker to wait in the middle of the run", worker)
            redis.kill()
            redis.start()
        finally:
            held.release()
        wait_for(lambda: _run(run_id).status != "running", 90, "the sweep to fail the run", worker)
        run = _run(run_id)
        assert run.status == "failed" and "жодного сигналу роботи" in run.message
        assert run.chunks_done < run.chunks_total  # the queued chunks were lost with Redis
        _rerun_until_done(worker, monkeypatch)
        _close_and_compare(clean)
    finally:
        redis.kill()
