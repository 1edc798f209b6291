"""A billing run while readings and payments are imported (issue 8 item 8), on PostgreSQL with
real concurrency: the run, the imports and a single reading saved in another transaction each
on their own connection, in threads. Consistency: every reading is in the run's draft or its
building's draft is stale (the close refuses it until it is billed again); every payment is in
the journal once; no deadlock, no error.

Skipped unless ``OBLIK_TEST_DATABASE_URL`` names a PostgreSQL database (SQLite has one writer:
the case is tests/test_concurrent_edits.py's busy database)."""
import threading
import time
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from tests.conftest import DATABASE_URL

from .town import OCTOBER, create_town

pytestmark = pytest.mark.skipif(not DATABASE_URL.startswith("postgresql"),
                                reason="real concurrency: PostgreSQL (OBLIK_TEST_DATABASE_URL)")


def _in_thread(app, target, *args):
    """Run ``target`` in a thread with its own app context (its own session and connection);
    returns (thread, box) — box["error"] is what it raised."""
    box = {}

    def work():
        from app.extensions import db

        with app.app_context():
            try:
                box["result"] = target(*args)
            except BaseException as error:  # noqa: BLE001  (reported by the test)
                box["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, box


def _run():
    from app.services.billing import run_billing

    return run_billing(OCTOBER).status


def _reading_in_draft_or_stale(session, meter_id, day) -> bool:
    from app.models import MeterMonthDraft
    from app.services.billing.close import stale_buildings

    used = session.scalar(sa.select(sa.func.count()).select_from(MeterMonthDraft).where(
        MeterMonthDraft.meter_id == meter_id, MeterMonthDraft.reading_date == day))
    return bool(used) or "E1" in stale_buildings(session, OCTOBER)


def test_a_reading_committed_late_with_an_earlier_change_id_is_not_lost(bdb):
    """Transaction A saves a reading (its change-log row gets id N) and commits only after
    transaction B's reading (id N+1) is committed and the run has started: the run must not
    take N+1 as «everything up to here is in the draft» while A's reading is not in it."""
    from app.extensions import db

    ids = create_town()
    assert _run() == "done"  # the change log records changes once a period has been billed
    engine = db.engine
    slow = engine.connect()
    slow_tx = slow.begin()
    slow.execute(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (:m, :d, 55, 'inspector')"),
                 {"m": ids["meters"][2], "d": date(2026, 10, 31)})
    with engine.begin() as fast:
        fast.execute(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (:m, :d, 204, 'inspector')"),
                     {"m": ids["meters"][3], "d": date(2026, 10, 31)})
    run, box = _in_thread(bdb, _run)
    time.sleep(1.5)  # the run reads its mark and the data meanwhile (or waits for A)
    slow_tx.commit()
    slow.close()
    run.join(60)
    assert not run.is_alive(), "the run did not finish (deadlock?)"
    assert box.get("error") is None, box.get("error")
    assert box["result"] == "done"
    db.session.expire_all()
    assert _reading_in_draft_or_stale(db.session, ids["meters"][3], date(2026, 10, 31))
    assert _reading_in_draft_or_stale(db.session, ids["meters"][2], date(2026, 10, 31))


def test_a_run_that_cannot_wait_for_a_long_import_leaves_a_stale_draft(bdb, monkeypatch):
    """The import (transaction A) is still writing when the run's wait is over: the draft
    takes mark 0 — stale, the close asks for a new run — never B's newer id as «all seen»."""
    from app.extensions import db
    from app.services.billing import recalculation
    from app.services.billing.close import stale_buildings

    ids = create_town()
    assert _run() == "done"
    monkeypatch.setattr(recalculation, "MARK_WAIT_SECONDS", 1.0)
    slow = db.engine.connect()
    slow_tx = slow.begin()
    slow.execute(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (:m, :d, 55, 'inspector')"),
                 {"m": ids["meters"][2], "d": date(2026, 10, 31)})
    with db.engine.begin() as fast:
        fast.execute(sa.text("INSERT INTO reading (meter_id, date, value, source) VALUES (:m, :d, 204, 'inspector')"),
                     {"m": ids["meters"][3], "d": date(2026, 10, 31)})
    try:
        assert _run() == "done"
    finally:
        slow_tx.commit()
        slow.close()
    db.session.expire_all()
    assert stale_buildings(db.session, OCTOBER) == ["E1"]


def _import(kind, text):
    from app.services.imports import import_bytes

    _record, outcome = import_bytes(kind, text.encode(), f"{kind}.csv")
    return outcome


def test_a_run_while_readings_and_payments_are_imported(bdb, monkeypatch):
    from app.extensions import db
    from app.models import JournalEntry, Meter, Payment
    from app.services.billing import run as billing_run

    ids = create_town()
    assert _run() == "done"
    monkeypatch.setattr(billing_run, "CHUNK_ACCOUNTS", 1)  # more transactions to interleave with
    serials = dict(db.session.execute(sa.select(Meter.id, Meter.serial)).all())
    readings = "serial,date,value\n" + "".join(
        f"{serials[ids['meters'][n]]},31.10.2026,{value}\n" for n, value in ((2, "57"), (3, "206")))
    payments = "external_id,account_number,paid_on,amount,source\n" + "".join(
        f"CONC-{n}-{k},E1-{n:03d},{20 + k}.10.2026,{100 + k}.50,Банк\n" for n in (1, 2, 3) for k in range(5))
    before = _total(db.session, ids)
    db.session.remove()

    workers = [_in_thread(bdb, _run), _in_thread(bdb, _import, "readings", readings),
               _in_thread(bdb, _import, "payments", payments), _in_thread(bdb, _run)]
    for thread, _box in workers:
        thread.join(120)
        assert not thread.is_alive(), "a worker did not finish (deadlock?)"
    runs = [workers[0][1], workers[3][1]]
    for _thread, box in workers:
        error = box.get("error")
        # the second run at once is refused with the lock's message, nothing else fails
        assert error is None or "уже виконується" in str(error) or "already in progress" in str(error), error
    assert any(box.get("result") == "done" for box in runs)
    for _thread, box in workers[1:3]:
        assert box["result"].rejected == 0 and box["result"].written, box["result"]

    for n in (2, 3):
        assert _reading_in_draft_or_stale(db.session, ids["meters"][n], date(2026, 10, 31))
    # every payment in the journal (spread over the services), the balances moved by exactly that
    paid = db.session.scalar(sa.select(sa.func.sum(Payment.amount)).where(Payment.external_id.like("CONC-%")))
    assert paid == sum(D(f"{100 + k}.50") for k in range(5)) * 3
    journal_paid = db.session.scalar(sa.select(sa.func.sum(JournalEntry.amount)).join(
        Payment, Payment.id == JournalEntry.payment_id).where(Payment.external_id.like("CONC-%")))
    assert abs(journal_paid) == paid
    assert _total(db.session, ids) - before == journal_paid


def _total(session, ids):
    from app.services import ledger

    books = ledger.balances(session, list(ids["accounts"].values()))
    return sum((amount for book in books.values() for amount in book.values()), D(0))
