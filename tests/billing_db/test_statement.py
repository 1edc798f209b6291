"""Акт звірки (app/services/ledger/statement.py and its documents): the town's October and the
worked November of scenario.py for flat 1, with a payment, a subsidy, a payment dated in closed
October, an overpayment whose advance the close offsets, and a reversal.

Flat 1, by hand (town.py, scenario.py):
    October   opening 0; charged 400 + 80 + 180 + 22,50 + 10000 = 10682,50; closing 10682,50
    November  charged 400 + 80 + 165 + 19,57 + 13333,40 = 13997,97; recalculated 9,29 − 7,35 = 1,94;
              subsidy 300,00; paid 500,00 (P-1, 10.11.2026) + 100,00 (P-0, dated 20.10.2026, posted
              into November) = 600,00;
              closing 10682,50 + 13997,97 + 1,94 − 300,00 − 600,00 = 23782,41
"""
import io
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Organisation, Payment, Subsidy
from app.services import ledger
from app.services.billing_run import run_billing
from app.services.period_close import close_period

from .test_recalculation import november_changes
from .town import NOVEMBER, OCTOBER, create_town

DECEMBER = "2026-12"
OCTOBER_CHARGED = D("10682.50")
NOVEMBER_CHARGED = D("13997.97")
NOVEMBER_RECALCULATED = D("1.94")
NOVEMBER_CLOSING = D("23782.41")


def _town_with_november(close_november=False):
    """October billed and closed; November's changes, payments and a subsidy recorded through
    the ledger; November billed (and closed when asked)."""
    session = db.session
    ids = create_town()
    session.add(Organisation(name="КП «Теплоенерго»", edrpou="32855961", iban="UA213223130000026007233566001",
                             bank_name="АТ «Ощадбанк»", address="м. Енергодар, вул. Центральна, 5"))
    session.commit()
    run_billing()
    close_period(OCTOBER)
    november_changes(ids)
    flat1, flat2 = ids["accounts"][1], ids["accounts"][2]
    ledger.receive_payment(session, Payment(external_id="P-1", account_id=flat1, paid_on=date(2026, 11, 10),
                                            amount=D("500.00"), source="ПриватБанк"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-0", account_id=flat1, paid_on=date(2026, 10, 20),
                                            amount=D("100.00"), source="cash"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-LATER", account_id=flat1, paid_on=date(2026, 12, 3),
                                            amount=D("1.00"), source="cash"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-2", account_id=flat2, paid_on=date(2026, 11, 12),
                                            amount=D("30000.00"), source="cash"), "operator")
    subsidy = Subsidy(account_id=flat1, period=NOVEMBER, amount=D("300.00"))
    session.add(subsidy)
    session.flush()
    ledger.post_received_subsidies(session, [subsidy.id])
    session.commit()
    run_billing()
    if close_november:
        close_period(NOVEMBER)
    return ids


def _total(book):
    return sum(book.values(), D("0.00"))


def _assert_worked_numbers(st, preliminary_november):
    october, november = st.months
    assert (st.first_period, st.last_period) == (OCTOBER, NOVEMBER)
    assert st.opening == 0 and october.opening == 0
    assert (october.charged, october.recalculated, october.paid, october.subsidies) == (OCTOBER_CHARGED, 0, 0, 0)
    assert october.closing == OCTOBER_CHARGED == november.opening and not october.preliminary
    assert october.payments == ()
    assert november.charged == NOVEMBER_CHARGED and november.recalculated == NOVEMBER_RECALCULATED
    assert november.subsidies == D("300.00") and november.benefits == 0 and november.written_off == 0
    assert november.paid == D("600.00")
    assert [(p.day, p.amount, p.identifier, p.source, p.reversal) for p in november.payments] == [
        (date(2026, 10, 20), D("100.00"), "P-0", "cash", False),
        (date(2026, 11, 10), D("500.00"), "P-1", "ПриватБанк", False)]  # P-LATER waits for December
    assert november.closing == st.closing == NOVEMBER_CLOSING
    assert november.preliminary is preliminary_november and st.preliminary is preliminary_november
    assert st.totals.charged == OCTOBER_CHARGED + NOVEMBER_CHARGED and st.totals.paid == D("600.00")
    assert st.opening + st.totals.charged + st.totals.recalculated - st.totals.benefits - st.totals.subsidies \
        - st.totals.paid - st.totals.written_off == st.closing
    assert st.account.number == "E1-001" and st.account.owner == "Власник 1"
    assert st.account.address == "вул. Енергетиків, 1, кв. 1"
    assert st.provider.name == "КП «Теплоенерго»" and st.provider.edrpou == "32855961"


def test_the_statement_of_the_open_month_includes_its_draft(bdb):
    ids = _town_with_november()
    session = db.session
    flat1 = ids["accounts"][1]
    st = ledger.statement(session, flat1, OCTOBER, NOVEMBER)
    _assert_worked_numbers(st, preliminary_november=True)
    # the November closing is the account's ledger balance with the draft
    assert ledger.account_balance(session, flat1, draft=True)[1] == NOVEMBER_CLOSING
    assert _total(ledger.balances(session, [flat1], draft=True)[flat1]) == NOVEMBER_CLOSING


def test_after_the_close_the_same_figures_come_from_the_stored_balances(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat1 = ids["accounts"][1]
    st = ledger.statement(session, flat1, OCTOBER, NOVEMBER)
    _assert_worked_numbers(st, preliminary_november=False)
    assert _total(ledger.balances(session, [flat1], period=NOVEMBER)[flat1]) == NOVEMBER_CLOSING
    # December opened: the payment that waited for it is there with its date
    st = ledger.statement(session, flat1, OCTOBER, DECEMBER)
    december = st.months[-1]
    assert december.period == DECEMBER and december.preliminary and december.opening == NOVEMBER_CLOSING
    assert [(p.day, p.amount, p.identifier) for p in december.payments] == [(date(2026, 12, 3), D("1.00"), "P-LATER")]
    assert december.closing == st.closing == NOVEMBER_CLOSING - D("1.00")


def test_the_advance_offsets_of_the_close_are_not_payments(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat2 = ids["accounts"][2]
    offsets = session.scalars(ledger.entries_query(account_id=flat2, posting_period=NOVEMBER, kind="payment",
                                                   document=f"advance-{NOVEMBER}")).all()
    assert offsets and sum(e.amount for e in offsets) == 0
    november = ledger.statement(session, flat2, NOVEMBER, NOVEMBER).months[0]
    assert [(p.identifier, p.amount) for p in november.payments] == [("P-2", D("30000.00"))]
    assert november.paid == D("30000.00") and november.closing < 0  # an advance (переплата)


def test_a_reversed_payment_is_a_negative_payment_line(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat1 = ids["accounts"][1]
    payment = session.scalar(select(Payment).where(Payment.external_id == "P-1"))
    ledger.reverse_payment(session, payment.id, "Помилковий рахунок", "accountant")
    session.commit()
    st = ledger.statement(session, flat1, NOVEMBER, DECEMBER)
    november, december = st.months
    assert [p.identifier for p in november.payments] == ["P-0", "P-1"]  # the payment stays where it was posted
    reversal = [p for p in december.payments if p.reversal]
    assert [(p.amount, p.identifier, p.paid_on, p.reason, p.day) for p in reversal] == [
        (D("-500.00"), "P-1", date(2026, 11, 10), "Помилковий рахунок", date.today())]
    assert december.paid == D("1.00") - D("500.00")
    assert st.closing == NOVEMBER_CLOSING - D("1.00") + D("500.00")
    assert st.closing == ledger.account_balance(session, flat1, draft=True)[1]


def test_the_range_is_checked(bdb):
    ids = _town_with_november()
    session = db.session
    flat1 = ids["accounts"][1]
    with pytest.raises(ledger.StatementError, match="після|after"):
        ledger.statement(session, flat1, NOVEMBER, OCTOBER)
    with pytest.raises(ledger.StatementError, match="36"):
        ledger.statement(session, flat1, "2023-01", NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, flat1, "2026-13", NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, 10 ** 6, OCTOBER, NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, flat1, "2025-01", "2025-06")  # before the books
    # a range wider than the books is cut to the months they hold
    st = ledger.statement(session, flat1, "2026-01", "2027-06")
    assert (st.first_period, st.last_period) == (OCTOBER, NOVEMBER) and st.closing == NOVEMBER_CLOSING
    from app.services.ledger.statement import read_month

    assert read_month("11.2026", "x") == read_month(" 2026-11 ", "x") == NOVEMBER
    with pytest.raises(ledger.StatementError, match="«листопад»"):
        read_month("листопад", "Від")
