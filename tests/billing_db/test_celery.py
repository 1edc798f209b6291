"""The «Розрахунок» screen's run goes through Celery: the run task dispatches one task per chunk
of buildings; each adds its buildings to the progress and the last one finishes the run and
gives the lock back — here with a real worker process on the embedded SQLite broker."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BillingLock, BillingRun
from app.services.billing import run as billing_run

from .town import OCTOBER, amounts, create_town
from .test_run_close import OCTOBER_AMOUNTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def worker(bdb, tmp_path):
    broker = f"sqla+sqlite:///{tmp_path}/broker.db"
    backend = f"db+sqlite:///{tmp_path}/results.db"
    env = dict(os.environ, OBLIK_BROKER_URL=broker, OBLIK_RESULT_BACKEND=backend, OBLIK_CELERY_EAGER="0",
               OBLIK_DATABASE_URL=bdb.config["SQLALCHEMY_DATABASE_URI"], OBLIK_INSTANCE_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "app.tasks.worker", "worker", "--pool=solo",
                             "--loglevel=info", f"--logfile={tmp_path / 'worker.log'}"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    from app.tasks.celery_app import celery

    saved = dict(celery.conf)
    celery.conf.update(broker_url=broker, result_backend=backend, task_always_eager=False)
    yield
    celery.conf.update(broker_url=saved["broker_url"], result_backend=saved["result_backend"],
                       task_always_eager=saved["task_always_eager"])
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_worker_bills_the_chunks_and_finishes_the_run(bdb, worker, monkeypatch):
    from app.tasks.billing import start_billing

    from datetime import date
    from decimal import Decimal as D

    from app.models import Account, AccountService, Building, Premise

    ids = create_town()
    for code in ("E2", "E3"):  # two more buildings: three chunks
        building = Building(code=code, address=f"вул. Енергетиків, {code[1]}", imbalance_key="volume")
        premise = Premise(building=building, number="1", total_area=D("30"), heated_area=D("30"))
        account = Account(account_number=f"{code}-001", premise=premise, owner_name="Власник",
                          opened_on=date(2020, 1, 1))
        db.session.add_all([building, premise, account, AccountService(
            account=account, service_id=ids["services"]["UTR"], date_from=date(2020, 1, 1))])
    db.session.commit()
    monkeypatch.setattr(billing_run, "CHUNK_ACCOUNTS", 1)  # every building a chunk of its own
    run = start_billing(user="test")
    assert run.status == "running" and run.task_id
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(BillingRun, run.id)
        if run.status != "running":
            break
        time.sleep(0.5)
    assert run.status == "done", run.message
    assert (run.buildings_done, run.buildings_total, run.chunks_done, run.accounts) == (3, 3, 3, 5)
    assert db.session.scalar(select(BillingLock)) is None
    assert amounts(db.session, OCTOBER) == {**OCTOBER_AMOUNTS, ("E2-001", "UTR", "charge", OCTOBER): D("240.00"),
                                            ("E3-001", "UTR", "charge", OCTOBER): D("240.00")}
