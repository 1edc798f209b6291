"""Відомості списання (app/services/write_offs.py, app/services/ledger/aging.py): FIFO worked
examples, the candidates of a town with three-year-old debts (writeoff_town.py), the full life
draft → approve → cancel with the journal to the kopiyka, and the refusals."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import JournalEntry, Period, WriteOff, WriteOffLine, WriteOffPosting
from app.services import ledger
from app.services import write_offs as wo_service
from app.services.ledger.aging import BUCKETS, fifo, last_month_older_than, older_than
from app.services.write_offs import WriteOffRefused

from .writeoff_town import AS_OF, CANDIDATES_TOTAL, OPEN, close, entry, old_debts_town

ZERO = D("0.00")


# -- the age of a month: the boundary of 36 months ------------------------------------------

def test_a_debt_exactly_36_months_old_is_not_barred_one_day_more_is():
    # October 2023's charges are dated 31.10.2023: 36 months later is 31.10.2026
    assert not older_than("2023-10", 36, date(2026, 10, 31))
    assert older_than("2023-10", 36, date(2026, 11, 1))
    assert last_month_older_than(36, date(2026, 10, 31)) == "2023-09"
    assert last_month_older_than(36, date(2026, 11, 1)) == "2023-10"
    # a leap February: 29.02.2024 + 36 months = 28.02.2027 (ЦК ст. 254: the month's last day)
    assert not older_than("2024-02", 36, date(2027, 2, 28))
    assert older_than("2024-02", 36, date(2027, 3, 1))
    # a 30-day month: 30.11.2023 + 36 months = 30.11.2026
    assert last_month_older_than(36, date(2026, 11, 30)) == "2023-10"
    assert last_month_older_than(36, date(2026, 12, 1)) == "2023-11"


# -- FIFO, the rule in plain numbers ---------------------------------------------------------

def test_fifo_partial_payments_pay_the_oldest_months_first():
    # the docstring's example: 100,00 a month Jan–Apr 2023, payments 150,00 + 30,00
    months = {"2023-01": D("100.00"), "2023-02": D("100.00"), "2023-03": D("100.00"), "2023-04": D("100.00")}
    unpaid, advance = fifo(months, D("-180.00"))
    assert unpaid == {"2023-01": ZERO, "2023-02": D("20.00"), "2023-03": D("100.00"), "2023-04": D("100.00")}
    assert advance == ZERO and sum(unpaid.values()) == D("220.00")


def test_fifo_an_advance_leaves_nothing_unpaid():
    unpaid, advance = fifo({"2023-01": D("100.00"), "2023-02": D("50.00")}, D("-200.00"))
    assert unpaid == {"2023-01": ZERO, "2023-02": ZERO} and advance == D("-50.00")


def test_fifo_a_negative_month_is_a_credit():
    # a recalculation of March larger than its charges (−30,00) pays January first
    unpaid, advance = fifo({"2023-01": D("100.00"), "2023-02": D("100.00"), "2023-03": D("-30.00")}, ZERO)
    assert unpaid == {"2023-01": D("70.00"), "2023-02": D("100.00")} and advance == ZERO


# -- the same in the database ----------------------------------------------------------------

def _single_account_history(bdb, entries_of):
    """One account (flat 1), history written into closed periods, then a period open."""
    ids = old_debts_town_empty()
    flat, utr = ids["accounts"][1], ids["services"]["UTR"]
    periods = entries_of(flat, utr)
    session = db.session
    for period in sorted(periods):
        session.add_all(periods[period])
        session.flush()
        close(period)
    session.add(Period(period=OPEN, status="open"))
    session.commit()
    return flat, utr


def old_debts_town_empty():
    from .town import create_town

    return create_town(open_period=False)


def test_fifo_in_the_journal_partial_payments_and_the_boundary(bdb):
    def history(flat, utr):
        months = {m: [entry("charge", flat, utr, m, "100.00")] for m in ("2023-01", "2023-02", "2023-03", "2023-04")}
        months["2023-04"] += [entry("payment", flat, utr, "2023-04", "-150.00", day=date(2023, 4, 10)),
                              entry("payment", flat, utr, "2023-04", "-30.00", day=date(2023, 4, 20))]
        return months

    flat, utr = _single_account_history(bdb, history)
    session = db.session
    # 28.02.2026: February 2023 (dated 28.02.2023) is exactly 36 months old — only January is
    # older, and January is paid: no candidate
    assert ledger.debts_older_than(session, 36, date(2026, 2, 28)) == []
    # one day more: February's unpaid 20,00
    (found,) = ledger.debts_older_than(session, 36, date(2026, 3, 1))
    assert (found.account_id, found.service_id, found.amount, found.debt, found.oldest_unpaid) == (
        flat, utr, D("20.00"), D("220.00"), "2023-02")
    # 01.04.2026: February and March, 120,00
    (found,) = ledger.debts_older_than(session, 36, date(2026, 4, 1))
    assert found.amount == D("120.00")
    # the aging buckets add up to the balance
    ages = ledger.aging(session, date(2026, 4, 1))[(flat, utr)]
    assert ages.buckets["36+"] == D("120.00") and ages.buckets["12-36"] == D("100.00")
    assert sum(ages.buckets.values()) == ages.balance == D("220.00") and ages.advance == ZERO
    assert ages.oldest_unpaid == "2023-02"


def test_fifo_in_the_journal_an_advance(bdb):
    def history(flat, utr):
        return {"2023-01": [entry("charge", flat, utr, "2023-01", "100.00"),
                            entry("payment", flat, None, "2023-01", "-50.00", day=date(2023, 1, 5)),
                            entry("payment", flat, utr, "2023-01", "-130.00", day=date(2023, 1, 5))]}

    flat, utr = _single_account_history(bdb, history)
    session = db.session
    assert ledger.debts_older_than(session, 36, date(2026, 11, 30)) == []
    ages = ledger.aging(session, date(2026, 11, 30))
    assert ages[(flat, utr)].balance == D("-30.00") and ages[(flat, utr)].advance == D("-30.00")
    assert sum(ages[(flat, utr)].buckets.values()) == ZERO
    assert ages[(flat, None)].balance == D("-50.00") and ages[(flat, None)].advance == D("-50.00")


def test_reversed_payment_counts_again_as_unpaid(bdb):
    def history(flat, utr):
        return {"2023-01": [entry("charge", flat, utr, "2023-01", "100.00"),
                            entry("payment", flat, utr, "2023-01", "-100.00", day=date(2023, 1, 5)),
                            entry("reversal", flat, utr, "2023-01", "100.00", day=date(2023, 1, 9),
                                  detail_kind="payment")]}

    flat, utr = _single_account_history(bdb, history)
    (found,) = ledger.debts_older_than(db.session, 36, date(2026, 11, 30))
    assert found.amount == D("100.00") and found.oldest_unpaid == "2023-01"


# -- the town with three-year-old debts ------------------------------------------------------

def test_the_candidates_of_a_town_with_three_year_old_debts(bdb):
    ids = old_debts_town()
    flats, s = ids["accounts"], ids["services"]
    found = wo_service.candidates(db.session, AS_OF)
    assert [(c.account_id, c.service_id, c.amount, c.debt, c.oldest_unpaid) for c in found] == sorted([
        (flats[1], s["UTR"], D("800.00"), D("1200.00"), "2023-07"),
        (flats[1], s["CW"], D("180.00"), D("180.00"), "2023-07"),
        (flats[2], s["UTR"], D("480.00"), D("960.00"), "2023-08"),
    ])
    assert sum(c.amount for c in found) == CANDIDATES_TOTAL
    # the debt FIFO read is the ledger's balance
    books = ledger.balances(db.session)
    for c in found:
        assert books[c.account_id][c.service_id] == c.debt


def _journal(kind, document):
    return db.session.execute(
        select(JournalEntry.account_id, JournalEntry.service_id, JournalEntry.posting_period, JournalEntry.amount,
               JournalEntry.detail_kind)
        .where(JournalEntry.kind == kind, JournalEntry.document == document).order_by(JournalEntry.id)).all()


def test_the_full_life_draft_approve_cancel_to_the_kopiyka(bdb):
    ids = old_debts_town()
    flats, s = ids["accounts"], ids["services"]
    session = db.session
    before = ledger.turnover(session, OPEN, by_service=True)
    wo = wo_service.form_from_candidates(session, doc_date=date(2026, 11, 30), user="accountant")
    session.commit()
    assert wo.number == "ВС-2026-0001" and wo.status == "draft" and wo.reason == "limitation"
    assert wo.limitation_months == 36 and wo.as_of == date(2026, 11, 30)
    assert wo_service.totals(session, wo.id) == (3, CANDIDATES_TOTAL)
    # review: flat 1's UTR lowered to 750,00
    line = session.scalar(select(WriteOffLine).where(WriteOffLine.write_off_id == wo.id,
                                                     WriteOffLine.account_id == flats[1],
                                                     WriteOffLine.service_id == s["UTR"]))
    wo_service.edit_line(session, wo, line.id, "750,00", "частково")
    session.commit()
    total = CANDIDATES_TOTAL - D("50.00")
    assert wo_service.totals(session, wo.id) == (3, total)
    # a draft changes no money
    assert _journal("write_off", wo.number) == []

    entries = wo_service.approve(session, wo.id, "accountant")
    assert entries == 3
    session.refresh(wo)
    assert wo.status == "approved" and wo.approved_by == "accountant" and wo.approved_at is not None
    assert sorted(_journal("write_off", wo.number)) == sorted([
        (flats[1], s["UTR"], OPEN, D("-750.00"), None),
        (flats[1], s["CW"], OPEN, D("-180.00"), None),
        (flats[2], s["UTR"], OPEN, D("-480.00"), None),
    ])
    after = ledger.turnover(session, OPEN, by_service=True)
    moved = sum(after[k]["written_off"] for k in after) - sum(before[k]["written_off"] for k in before)
    assert moved == -total == D("-1410.00")
    assert after[(flats[1], s["UTR"])]["closing"] == D("450.00")
    assert after[(flats[1], s["CW"])]["closing"] == ZERO and after[(flats[2], s["UTR"])]["closing"] == D("480.00")
    # the same in the account-level turnover
    assert ledger.turnover(session, OPEN)[flats[1]]["written_off"] == D("-930.00")
    # an approved statement is not edited
    with pytest.raises(WriteOffRefused, match="лише чернетку"):
        wo_service.edit_line(session, wo, line.id, "1,00")
    with pytest.raises(WriteOffRefused):
        wo_service.delete_draft(session, wo)
    # approving twice posts nothing twice
    with pytest.raises(WriteOffRefused, match="уже затверджено"):
        wo_service.approve(session, wo.id, "accountant")
    assert len(_journal("write_off", wo.number)) == 3

    # cancel: reversals in the open period, the statement stays
    with pytest.raises(WriteOffRefused, match="причину скасування"):
        wo_service.cancel(session, wo.id, "  ", "accountant")
    assert wo_service.cancel(session, wo.id, "помилка у відомості", "admin") == 3
    session.refresh(wo)
    assert (wo.status, wo.cancelled_by, wo.cancel_reason) == ("cancelled", "admin", "помилка у відомості")
    assert sorted(_journal("reversal", wo.number)) == sorted([
        (flats[1], s["UTR"], OPEN, D("750.00"), "write_off"),
        (flats[1], s["CW"], OPEN, D("180.00"), "write_off"),
        (flats[2], s["UTR"], OPEN, D("480.00"), "write_off"),
    ])
    final = ledger.turnover(session, OPEN, by_service=True)
    assert sum(final[k]["written_off"] for k in final) == ZERO
    assert final[(flats[1], s["UTR"])]["closing"] == D("1200.00")
    assert session.scalar(select(func.count()).select_from(WriteOffPosting)
                          .where(WriteOffPosting.write_off_id == wo.id)) == 2
    with pytest.raises(WriteOffRefused, match="уже скасовано"):
        wo_service.cancel(session, wo.id, "ще раз", "admin")
    assert len(_journal("reversal", wo.number)) == 3


def test_cancel_after_the_period_closed_reverses_in_the_next_open_period(bdb):
    ids = old_debts_town()
    flats, s = ids["accounts"], ids["services"]
    session = db.session
    wo = wo_service.form_from_candidates(session, doc_date=date(2026, 11, 30), user="accountant")
    session.commit()
    wo_service.approve(session, wo.id, "accountant")
    # November closes (by hand, as the fixture's periods), December opens
    session.execute(Period.__table__.update().where(Period.period == OPEN).values(status="closed"))
    ledger.store_closing_balances(session, OPEN)
    session.add(Period(period="2026-12", status="open"))
    session.commit()
    assert ledger.balances(session, [flats[1]])[flats[1]][s["UTR"]] == D("400.00")
    wo_service.cancel(session, wo.id, "рішення суду", "accountant")
    december = ledger.turnover(session, "2026-12", by_service=True)
    assert sum(v["written_off"] for v in december.values()) == CANDIDATES_TOTAL
    assert {r.posting_period for r in _journal("reversal", wo.number)} == {"2026-12"}
    # November stays as it closed
    november = ledger.turnover(session, OPEN, by_service=True)
    assert sum(v["written_off"] for v in november.values()) == -CANDIDATES_TOTAL
    assert ledger.balances(session, [flats[1]])[flats[1]][s["UTR"]] == D("1200.00")


def test_by_hand_amount_over_the_debt_is_refused_naming_the_row(bdb):
    ids = old_debts_town()
    flats, s = ids["accounts"], ids["services"]
    session = db.session
    with pytest.raises(WriteOffRefused, match="примітці"):
        wo_service.start(session, doc_date=date(2026, 11, 20), reason="deceased", note="", user="operator")
    wo = wo_service.start(session, doc_date=date(2026, 11, 20), reason="deceased",
                          note="свідоцтво про смерть № 123", user="operator")
    with pytest.raises(WriteOffRefused, match=r"E1-002.*960,00"):
        wo_service.add_line(session, wo, flats[2], s["UTR"], "960,01")
    with pytest.raises(WriteOffRefused, match="більшою за нуль"):
        wo_service.add_line(session, wo, flats[2], s["UTR"], "0")
    with pytest.raises(WriteOffRefused, match="не є числом"):
        wo_service.add_line(session, wo, flats[2], s["UTR"], "abc")
    with pytest.raises(WriteOffRefused, match="немає боргу"):
        wo_service.add_line(session, wo, flats[3], s["UTR"], "1,00")
    line = wo_service.add_line(session, wo, flats[2], s["UTR"], "960,00", "усе")
    assert (line.debt, line.oldest_unpaid) == (D("960.00"), "2023-08")
    with pytest.raises(WriteOffRefused, match="уже є у відомості"):
        wo_service.add_line(session, wo, flats[2], s["UTR"], "1,00")
    session.commit()
    # the debt falls before approval (a payment of 100,00): the approval is refused, naming the row
    from app.models import Payment

    ledger.receive_payment(session, Payment(external_id="P-NOV", account_id=flats[2], paid_on=date(2026, 11, 25),
                                            amount=D("100.00")), "operator")
    session.commit()
    with pytest.raises(WriteOffRefused, match=r"Рядок 1 \(особовий рахунок E1-002.*960,00.*860,00"):
        wo_service.approve(session, wo.id, "accountant")
    assert _journal("write_off", wo.number) == []
    session.refresh(wo)
    assert wo.status == "draft"
    wo_service.edit_line(session, wo, line.id, "860,00")
    session.commit()
    assert wo_service.approve(session, wo.id, "accountant") == 1
    assert ledger.balances(session, [flats[2]])[flats[2]][s["UTR"]] == ZERO


def test_no_candidates_no_statement(bdb):
    old_debts_town()
    with pytest.raises(WriteOffRefused, match="36 міс"):
        wo_service.form_from_candidates(db.session, doc_date=date(2026, 10, 1), user="accountant",
                                        as_of=date(2026, 7, 31))
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0


def test_the_limitation_period_is_a_dated_setting(bdb):
    from app.models import Setting

    old_debts_town()
    session = db.session
    assert wo_service.limitation_months(session, AS_OF) == 36
    session.add(Setting(key="write_off.limitation_months", valid_from=date(2026, 11, 1), value="48"))
    session.commit()
    assert wo_service.limitation_months(session, AS_OF) == 48
    assert wo_service.limitation_months(session, date(2026, 10, 31)) == 36
    assert wo_service.candidates(session, AS_OF) == []


def test_buckets_are_the_debtors_report_s():
    assert BUCKETS == ("0-1", "1-3", "3-6", "6-12", "12-36", "36+")


def test_no_open_period_no_approval(bdb):
    ids = old_debts_town()
    session = db.session
    wo = wo_service.form_from_candidates(session, doc_date=date(2026, 11, 30), user="accountant")
    session.commit()
    session.execute(Period.__table__.update().where(Period.period == OPEN).values(status="closed"))
    session.commit()
    with pytest.raises(WriteOffRefused, match="oblik period open"):
        wo_service.approve(session, wo.id, "accountant")
    assert _journal("write_off", wo.number) == [] and ids
