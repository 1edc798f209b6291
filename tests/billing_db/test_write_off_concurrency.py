"""Approving a write-off statement twice posts nothing twice — two approvals at the same moment
(threads with their own connections, on SQLite and PostgreSQL), and the database's own rule: the
posting marker's primary key refuses a second mark even past the row lock."""
import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import JournalEntry, WriteOffPosting
from app.services import write_offs as wo_service
from app.services.write_offs import WriteOffRefused

from .writeoff_town import CANDIDATES_TOTAL, OPEN, old_debts_town


def _entries(number):
    return db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.kind == "write_off", JournalEntry.document == number))


def test_two_concurrent_approvals_post_once(bdb_any):
    old_debts_town()
    session = db.session
    wo = wo_service.form_from_candidates(session, doc_date=date(2026, 11, 30), user="accountant")
    session.commit()
    wo_id, number = wo.id, wo.number
    db.session.remove()
    start = threading.Barrier(2)
    results = []

    def approve(user):
        with bdb_any.app_context():
            start.wait()
            try:
                results.append(("ok", wo_service.approve(db.session, wo_id, user)))
            except WriteOffRefused as refused:
                results.append(("refused", str(refused)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("accountant", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert [r[1] for r in results if r[0] == "ok"] == [3]
    db.session.rollback()
    assert _entries(number) == 3
    assert db.session.scalar(select(func.count()).select_from(WriteOffPosting)) == 1
    from app.services import ledger

    turnover = ledger.turnover(db.session, OPEN)
    assert sum(v["written_off"] for v in turnover.values()) == -CANDIDATES_TOTAL


def test_the_posting_marker_refuses_a_second_mark(bdb_any):
    old_debts_town()
    session = db.session
    wo = wo_service.form_from_candidates(session, doc_date=date(2026, 11, 30), user="accountant")
    session.commit()
    session.add(WriteOffPosting(write_off_id=wo.id, action="approve", period=OPEN, entries=0))
    session.commit()
    session.add(WriteOffPosting(write_off_id=wo.id, action="approve", period=OPEN, entries=0))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # a draft whose approval was marked (a crash between the mark and the status cannot happen:
    # one transaction — but were it so) is refused, and posts nothing
    with pytest.raises(WriteOffRefused, match="уже проведено"):
        wo_service.approve(session, wo.id, "accountant")
    assert _entries(wo.number) == 0
