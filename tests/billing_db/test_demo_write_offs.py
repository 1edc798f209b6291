"""The demo town brings over opening balances (вхідне сальдо) with the month each debt dates from:
its write-off candidates are found by FIFO right after loading, and an approved statement moves
the turnover's ``written_off`` column by exactly its total (issue 10's done-when)."""
from datetime import date
from decimal import Decimal as D

from app.extensions import db
from app.models import OpeningBalance
from app.services import ledger, write_offs
from app.services.demo import load_demo
from app.services.ledger.aging import last_month_older_than
from app.services.periods import current_period

Z = D("0.00")


def test_the_demo_towns_old_debts_are_write_off_candidates_and_the_statement_moves_the_turnover(bdb):
    load_demo(accounts=300, seed=2026)
    session = db.session
    period = current_period()
    day = date(int(period[:4]), int(period[5:]), 28)
    cutoff = last_month_older_than(36, day)
    old = {(b.account_id, b.service_id): b.amount for b in session.query(OpeningBalance)
           if b.debt_since is not None and b.debt_since <= cutoff}
    young = [b for b in session.query(OpeningBalance) if b.debt_since is not None and b.debt_since > cutoff]
    assert len(old) >= 3 and young  # some beyond the limitation period, some not
    found = write_offs.candidates(session, day)
    # nothing was paid on them: by FIFO the whole opening debt is as old as the month it dates from
    assert {(c.account_id, c.service_id): c.amount for c in found} == old
    assert all(c.debt == c.amount for c in found)
    before = ledger.turnover(session, period)
    wo = write_offs.form_from_candidates(session, doc_date=day, user="accountant")
    session.commit()
    count, total = write_offs.totals(session, wo.id)
    assert count == len(old) and total == sum(old.values(), Z)
    write_offs.approve(session, wo.id, "accountant")
    session.commit()
    after = ledger.turnover(session, period)
    moved = sum((after[a]["written_off"] - before.get(a, {}).get("written_off", Z) for a in after), Z)
    assert moved == -total
    assert write_offs.candidates(session, day) == []  # written off: no candidate left
