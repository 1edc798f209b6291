"""Background work whose process died (issue 8 item 2): a billing run or an import whose
heartbeat went silent is swept — the run failed and its lock dropped, a file being written
ready to write again — so the next Run starts at once; a chunk delivered again does nothing
twice; a long chunk keeps its lock alive. Here the processes are simulated on the database
(the killed worker is a lock left behind); tests/faults/ kills real ones."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    Account,
    AccountService,
    BillingBuilding,
    BillingChunk,
    BillingLock,
    BillingRun,
    Building,
    ImportRecord,
    JournalEntry,
    Payment,
    Premise,
)
from app.services import heartbeat
from app.services.billing import (
    BillingError,
    bill_chunk,
    close_period,
    run_billing,
    start_run,
)
from app.services.billing import building as billing_building
from app.services.billing import lock as billing_lock
from app.services.billing import run as billing_run
from app.services.imports import records
from app.services.imports.actors import Actor, actor_for

from .test_run_close import OCTOBER_AMOUNTS
from .town import OCTOBER, amounts, create_town

TWO_MINUTES = timedelta(minutes=2)  # silent for far longer than a heartbeat, far less than the old 15 minutes


def _silence(run_id=None, ago=TWO_MINUTES):
    """The worker holding the lock was killed ``ago``: its heartbeat stopped then."""
    db.session.execute(update(BillingLock).values(heartbeat_at=billing_lock.now() - ago))
    db.session.commit()


def _three_buildings(ids):
    """E1 (3 accounts) and two more buildings of one account each."""
    for code in ("E2", "E3"):
        building = Building(code=code, address=f"вул. Енергетиків, {code[1]}", imbalance_key="volume")
        premise = Premise(building=building, number="1", total_area=D(30), heated_area=D(30))
        account = Account(account_number=f"{code}-001", premise=premise, owner_name="Власник",
                          opened_on=date(2020, 1, 1))
        db.session.add_all([building, premise, account, AccountService(
            account=account, service_id=ids["services"]["UTR"], date_from=date(2020, 1, 1))])
    db.session.commit()


ALL_AMOUNTS = {**OCTOBER_AMOUNTS, ("E2-001", "UTR", "charge", OCTOBER): D("240.00"),
               ("E3-001", "UTR", "charge", OCTOBER): D("240.00")}


def test_a_run_whose_worker_was_killed_is_failed_by_the_sweep_and_the_next_run_starts_at_once(bdb, web):
    session = db.session
    create_town()
    orphan = start_run(user="оператор").run  # queued; its worker killed at 0 of 1
    _silence()
    page = web("accountant").get("/billing/").get_data(as_text=True)
    assert 'id="billing-orphan"' in page and 'id="billing-busy"' not in page  # the truth, and Run is offered

    from app.tasks.housekeeping import sweep

    result = sweep.delay().get()  # what beat runs every SWEEP_SECONDS
    assert result["runs"] == [orphan.id]
    session.expire_all()
    failed = session.get(BillingRun, orphan.id)
    assert failed.status == "failed" and "жодного сигналу роботи" in failed.message
    assert session.scalar(select(func.count()).select_from(BillingLock)) == 0
    page = web("accountant").get("/billing/").get_data(as_text=True)
    assert "жодного сигналу роботи" in page and 'id="billing-orphan"' not in page

    run = run_billing(user="оператор")
    assert run.status == "done" and (run.buildings_done, run.accounts) == (1, 3)
    assert amounts(session, OCTOBER) == OCTOBER_AMOUNTS


def test_the_next_run_or_close_sweeps_a_silent_lock_itself_without_beat(bdb, oblik_cli):
    session = db.session
    create_town()
    orphan = start_run(user="оператор").run
    refused = oblik_cli("billing", "run", "--quiet")  # alive: refused, saying since when it is silent
    assert refused.exit_code == 1 and "оператор" in refused.output and "останній сигнал роботи" in refused.output
    with pytest.raises(BillingError, match="оператор"):
        close_period(OCTOBER)
    _silence()
    result = oblik_cli("billing", "run", "--quiet")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(BillingRun, orphan.id).status == "failed"
    assert amounts(session, OCTOBER) == OCTOBER_AMOUNTS
    start_run(user="оператор")  # a second orphan; the close sweeps it too
    _silence()
    close_period(OCTOBER)


@pytest.fixture()
def oblik_cli(bdb, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])

    def invoke(*args):
        db.session.commit()
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        db.session.expire_all()
        return result

    return invoke


def test_a_chunk_delivered_twice_adds_to_the_progress_once(bdb, monkeypatch):
    session = db.session
    _three_buildings(create_town())
    monkeypatch.setattr(billing_run, "CHUNK_ACCOUNTS", 1)
    plan = start_run(user="test")
    assert len(plan.chunks) == 3
    first = bill_chunk(plan.run.id, 0)
    assert bill_chunk(plan.run.id, 0) == {"skipped": True}  # the broker delivered it again
    session.expire_all()
    run = session.get(BillingRun, plan.run.id)
    assert (run.status, run.chunks_done, run.buildings_done, run.accounts) == ("running", 1, 1, first["accounts"])
    bill_chunk(plan.run.id, 2)
    bill_chunk(plan.run.id, 1)
    bill_chunk(plan.run.id, 1)
    session.expire_all()
    run = session.get(BillingRun, plan.run.id)
    assert (run.status, run.chunks_done, run.buildings_done, run.accounts) == ("done", 3, 3, 5)
    assert amounts(session, OCTOBER) == ALL_AMOUNTS


class Killed(BaseException):
    """The worker process dies: no ``except Exception`` sees it."""


def test_a_chunk_taken_up_again_keeps_the_buildings_its_killed_worker_stored(bdb, monkeypatch):
    session = db.session
    _three_buildings(create_town())
    plan = start_run(user="test")
    assert len(plan.chunks) == 1  # one chunk of three buildings
    real = billing_building.bill_building
    billed = []

    def dies_on_the_second(session, catalog, building_id, *args, **kwargs):
        billed.append(building_id)
        if len(billed) == 2:
            raise Killed()
        return real(session, catalog, building_id, *args, **kwargs)

    monkeypatch.setattr(billing_run, "bill_building", dies_on_the_second)
    with pytest.raises(Killed):
        bill_chunk(plan.run.id, 0)
    first = billed[0]
    stored = session.scalar(select(BillingBuilding.computed_at).where(BillingBuilding.building_id == first))
    billed.clear()
    monkeypatch.setattr(billing_run, "bill_building", lambda *a, **k: (billed.append(a[2]), real(*a, **k))[1])
    bill_chunk(plan.run.id, 0)  # delivered again to another worker
    assert first not in billed and len(billed) == 2
    session.expire_all()
    run = session.get(BillingRun, plan.run.id)
    assert (run.status, run.chunks_done, run.buildings_done, run.accounts) == ("done", 1, 3, 5)
    assert session.scalar(select(BillingBuilding.computed_at).where(BillingBuilding.building_id == first)) == stored
    assert session.get(BillingChunk, (plan.run.id, 0)).attempts == 2
    assert amounts(session, OCTOBER) == ALL_AMOUNTS


def test_a_chunk_that_kills_its_worker_each_time_fails_the_run_instead_of_looping(bdb):
    session = db.session
    create_town()
    plan = start_run(user="test")
    session.execute(update(BillingChunk).values(attempts=billing_run.MAX_ATTEMPTS))
    session.commit()
    assert bill_chunk(plan.run.id, 0) == {"failed": True}
    session.expire_all()
    run = session.get(BillingRun, plan.run.id)
    assert run.status == "failed" and "3 рази" in run.message
    assert session.scalar(select(func.count()).select_from(BillingLock)) == 0


def test_a_long_chunk_moves_its_heartbeat_between_buildings(bdb, monkeypatch):
    session = db.session
    _three_buildings(create_town())
    plan = start_run(user="test")
    monkeypatch.setattr(heartbeat, "interval", lambda: 0)  # every building beats
    real = billing_building.bill_building
    seen = []

    def silence_then_bill(session_, catalog, building_id, *args, **kwargs):
        with db.engine.begin() as connection:  # what the lock says now, then pretend it is old
            seen.append(connection.scalar(select(BillingLock.heartbeat_at)))
            connection.execute(update(BillingLock).values(heartbeat_at=billing_lock.now() - TWO_MINUTES))
        return real(session_, catalog, building_id, *args, **kwargs)

    monkeypatch.setattr(billing_run, "bill_building", silence_then_bill)
    bill_chunk(plan.run.id, 0)
    old = billing_lock.now() - TWO_MINUTES / 2
    assert len(seen) == 3 and all(moment > old for moment in seen)  # each building found it moved on
    session.expire_all()
    assert session.get(BillingRun, plan.run.id).status == "done"


def test_a_chunk_of_a_swept_run_stops_and_adds_nothing(bdb, monkeypatch):
    session = db.session
    _three_buildings(create_town())
    plan = start_run(user="test")
    monkeypatch.setattr(heartbeat, "interval", lambda: 0)
    real = billing_building.bill_building

    def swept_meanwhile(session_, catalog, building_id, *args, **kwargs):
        bill = real(session_, catalog, building_id, *args, **kwargs)
        with db.engine.begin() as connection:  # the worker was thought dead and swept
            connection.execute(BillingLock.__table__.delete())
        return bill

    monkeypatch.setattr(billing_run, "bill_building", swept_meanwhile)
    assert bill_chunk(plan.run.id, 0) == {"skipped": True}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BillingBuilding)) == 1
    assert session.get(BillingRun, plan.run.id).chunks_done == 0


def test_the_sweep_runs_on_beat_every_sweep_seconds(bdb):
    from app.tasks.celery_app import celery

    entry = celery.conf.beat_schedule["sweep-orphans"]
    assert entry["task"] == "oblik.sweep" and entry["schedule"] == float(bdb.config["SWEEP_SECONDS"])
    assert heartbeat.stale() == timedelta(seconds=bdb.config["WORKER_STALE_SECONDS"])
    from app.tasks.billing import billing_chunk
    from app.tasks.imports import check_import, commit_import

    for task in (billing_chunk, check_import, commit_import):  # tasks that must finish
        assert task.acks_late and task.reject_on_worker_lost


# --- imports ---------------------------------------------------------------------------------

PAYMENTS = (b"external_id,account_number,paid_on,amount\n"
            b"PB-1,E1-001,15.10.2026,100.50\nPB-2,E1-002,16.10.2026,200\nPB-3,E1-003,17.10.2026,300.25\n")


def _accountant():
    from flask_appbuilder.security.sqla.models import User

    user = db.session.scalar(select(User).where(User.username == "accountant"))
    return actor_for(db.session, user)


def _silence_import(record_id):
    db.session.execute(update(ImportRecord).where(ImportRecord.id == record_id)
                       .values(heartbeat_at=heartbeat.now() - TWO_MINUTES))
    db.session.commit()


def _payments():
    return sorted(db.session.execute(select(Payment.external_id, Payment.amount)).all())


def _journal():
    return sorted(db.session.execute(select(JournalEntry.kind, JournalEntry.account_id, JournalEntry.amount,
                                            JournalEntry.posting_period)).all())


def test_an_import_whose_worker_died_while_writing_is_ready_to_write_again(bdb):
    session = db.session
    create_town()
    actor = _accountant()
    record = records.create_record(actor, "payments", "bank.csv", PAYMENTS)
    assert records.check_record(record.id, progress=False).rejected == 0
    assert records.claim_commit(record.id)  # the write was queued; its worker is killed
    _silence_import(record.id)
    from app.tasks.housekeeping import sweep

    assert sweep.delay().get()["imports_ready"] == [record.id]
    session.expire_all()
    swept = session.get(ImportRecord, record.id)
    assert swept.status == "ready" and "нічого не записано" in swept.message and _payments() == []
    assert records.commit_record(record.id) is None  # the old message delivered late: nothing
    assert records.claim_commit(record.id)
    outcome = records.commit_record(record.id, progress=False)
    assert (outcome.created, outcome.rejected) == (3, 0)
    session.expire_all()
    assert session.get(ImportRecord, record.id).status == "committed"
    assert session.get(ImportRecord, record.id).message is None
    faulted = (_payments(), _journal())
    assert faulted[0] == [("PB-1", D("100.50")), ("PB-2", D("200.00")), ("PB-3", D("300.25"))]
    assert len(faulted[1]) >= 3

    from .conftest import fresh_database

    fresh_database()  # the same file, once, on the same data, with nobody killed
    create_town()
    clean = records.create_record(_accountant(), "payments", "bank.csv", PAYMENTS)
    records.check_record(clean.id, progress=False)
    records.claim_commit(clean.id)
    records.commit_record(clean.id, progress=False)
    assert (_payments(), _journal()) == faulted


def _record_being_checked():
    """A payments file of the town whose check a worker took up («checking»)."""
    create_town()
    record = records.create_record(_accountant(), "payments", "bank.csv", PAYMENTS)
    db.session.execute(update(ImportRecord).where(ImportRecord.id == record.id).values(status="checking"))
    db.session.commit()
    return record


def test_an_import_whose_worker_died_while_checking_is_checked_again(bdb):
    session = db.session
    record = _record_being_checked()
    _silence_import(record.id)
    from app.tasks.housekeeping import sweep

    assert sweep.delay().get()["imports_checked_again"] == [record.id]  # and queued (eager: done)
    session.expire_all()
    checked = session.get(ImportRecord, record.id)
    assert (checked.status, checked.created) == ("ready", 3)


def test_a_check_delivered_again_takes_over_the_record_of_its_killed_worker(bdb):
    session = db.session
    record = _record_being_checked()
    outcome = records.check_record(record.id, progress=False)  # redelivered (reject_on_worker_lost)
    assert outcome is not None and outcome.rejected == 0
    session.expire_all()
    assert session.get(ImportRecord, record.id).status == "ready"


def test_a_command_line_import_whose_process_died_is_failed(bdb):
    session = db.session
    create_town()
    record = records.create_record(Actor.system("root"), "payments", "bank.csv", PAYMENTS, channel="cli",
                                   keep_content=False)
    _silence_import(record.id)  # its process beat once, then was killed
    from app.tasks.housekeeping import sweep

    assert sweep.delay().get()["imports_failed"] == [record.id]
    session.expire_all()
    assert session.get(ImportRecord, record.id).status == "failed"
    fresh = records.create_record(Actor.system("root"), "payments", "bank.csv", PAYMENTS, channel="cli",
                                  keep_content=False)
    sweep.delay().get()
    session.expire_all()
    assert session.get(ImportRecord, fresh.id).status == "uploaded"  # never beat: not a process of ours
