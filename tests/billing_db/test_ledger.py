"""The ledger (app/services/ledger): one figure, one owner.

The test of «Done when»: on a billed demo town, every view of an account's money — the ledger
itself, the account card, the turnover report, the REST API — shows the same figures for every
account, before and after a payment (form, API, import), a subsidy (import), a reversal and the
close; and the figures are the sums of the journal and the draft, computed here independently.
Then the rules one by one: posting on receipt, counted once, payments dated after the open
period, reversals, opening balances, exact money on the card and in the report.
"""
import io
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text as sql

from app.billing.periods import first_day, last_day, next_period
from app.extensions import db
from app.models import (
    Account, ChargeLine, ClosingBalance, JournalEntry, OpeningBalance, Payment, PaymentPosting, PaymentReversal,
    Service, Subsidy, SubsidyPosting,
)
from app.services import ledger
from app.services.billing import run_billing
from app.services.imports import import_bytes
from app.services.billing import close_period
from app.services.periods import current_period
from app.services.reports import build_report
from tests.conftest import PASSWORD
from tests.webtools import _clean

from .town import NOVEMBER, OCTOBER, create_town

ZERO = D("0.00")


# -- independent sums (plain SQL, not the ledger) ---------------------------------------------

def raw_books(session, draft: bool) -> dict:
    """{account: {service or None: amount}}: every journal entry, plus the open period's draft."""
    books = defaultdict(lambda: defaultdict(lambda: ZERO))
    for account_id, service_id, amount in session.execute(
            select(JournalEntry.account_id, JournalEntry.service_id, func.sum(JournalEntry.amount))
            .group_by(JournalEntry.account_id, JournalEntry.service_id)):
        books[account_id][service_id] += D(str(amount)).quantize(D("0.01"))
    if draft:
        for account_id, service_id, amount in session.execute(
                select(ChargeLine.account_id, ChargeLine.service_id, func.sum(ChargeLine.amount))
                .where(ChargeLine.period == current_period())
                .group_by(ChargeLine.account_id, ChargeLine.service_id)):
            books[account_id][service_id] += D(str(amount)).quantize(D("0.01"))
    return books


def total(book) -> D:
    return sum(book.values(), ZERO)


def nonzero(book) -> dict:
    return {s: a for s, a in book.items() if a != 0}


def flashes(response) -> list[tuple[str, str]]:
    """(category, message) of the flashed alerts of a page."""
    page = response.get_data(as_text=True)
    return [(c, _clean(m)) for c, m in re.findall(
        r'<div class="alert alert-(\w+)[^"]*"[^>]*>\s*<button[^>]*class="close"[^>]*>.*?</button>(.*?)</div>', page,
        re.S)]


# -- the views -------------------------------------------------------------------------------

def uk_amount(cell: str) -> D:
    return D(cell.replace("\xa0", "").replace(" ", "").replace("\u202f", "").replace(",", "."))


def card_figures(client, account_id) -> tuple[D, D]:
    """(balance now, balance with the draft) as the account card shows them."""
    page = client.get(f"/accountview/show/{account_id}").get_data(as_text=True)
    now = re.search(r'id="balance-now-amount"><b>([^<]*)</b>', page)
    with_draft = re.search(r'id="balance-draft-amount">([^<]*)<', page)
    assert now, page[:3000]
    return uk_amount(now.group(1)), uk_amount(with_draft.group(1)) if with_draft else uk_amount(now.group(1))


def api_balances(client, headers) -> dict:
    """{account id: (balance, {service code: amount})} from GET /api/v1/account/, every page."""
    found, page = {}, 0
    while True:
        response = client.get(f"/api/v1/account/?q=(page:{page},page_size:100)", headers=headers)
        assert response.status_code == 200, response.json
        body = response.json
        for account_id, row in zip(body["ids"], body["result"]):
            found[account_id] = (D(row["balance"]), {k: D(v) for k, v in row["balance_by_service"].items()})
        if len(body["ids"]) < 100:
            return found
        page += 1


def turnover_closing(period) -> dict:
    """{account number: closing} of the turnover report, checking its identity on every row."""
    report = build_report("turnover", period)
    codes = [c.code for c in report.columns]
    money = ["opening", "charged", "recalculated", "benefits", "subsidies", "paid", "written_off"]
    result = {}
    for row in report.rows:
        row = dict(zip(codes, row))
        assert sum((row[c] for c in money), ZERO) == row["closing"], row["account_number"]
        result[row["account_number"]] = row["closing"]
    return result


def jwt_headers(client, role="accountant"):
    response = client.post("/api/v1/security/login", json={"username": role, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def assert_every_view_agrees(session, client, headers, stage):
    """Every view of every account shows the figures of the journal and the draft."""
    period = current_period()
    recorded, with_draft = raw_books(session, draft=False), raw_books(session, draft=True)
    accounts = dict(session.execute(select(Account.id, Account.account_number)).all())
    codes = dict(session.execute(select(Service.id, Service.code)).all())
    books_now = ledger.balances(session)
    books_draft = ledger.balances(session, draft=True)
    api = api_balances(client, headers)
    turnover = turnover_closing(period)
    for account_id, number in accounts.items():
        now, draft = total(recorded[account_id]), total(with_draft[account_id])
        assert nonzero(books_now[account_id]) == nonzero(recorded[account_id]), (stage, number)
        assert total(books_draft[account_id]) == draft, (stage, number)
        assert api[account_id][0] == now, (stage, number)
        assert api[account_id][1] == {codes[s] if s else "": a for s, a in nonzero(recorded[account_id]).items()}
        assert turnover.get(number, ZERO) == draft, (stage, number)
        assert ledger.account_balance(session, account_id, draft=True)[1] == draft
    for account_id in list(accounts)[:: max(1, len(accounts) // 12)]:  # the card: a dozen accounts of the town
        assert card_figures(client, account_id) == (total(recorded[account_id]), total(with_draft[account_id])), \
            (stage, accounts[account_id])


def test_every_view_shows_the_same_figures_before_and_after_each_posting_and_the_close(bdb, web):
    from app.services.demo import load_demo

    session = db.session
    load_demo(accounts=40, seed=7)
    period = current_period()
    run_billing()
    client = web("accountant")
    headers = jwt_headers(client)
    assert_every_view_agrees(session, client, headers, "billed")

    ids = list(session.scalars(select(Account.id).where(Account.closed_on.is_(None)).order_by(Account.id)))
    numbers = dict(session.execute(select(Account.id, Account.account_number)).all())
    paid_on = first_day(period) + timedelta(days=4)
    # a payment entered on the form
    response = client.post("/paymentview/add", data={
        "account": str(ids[0]), "paid_on": paid_on.strftime("%d.%m.%Y"),
        "amount": "1500,00", "source": "cash"}, follow_redirects=True)
    assert response.status_code == 200 and not any(c == "danger" for c, _ in flashes(response)), flashes(response)
    assert session.scalar(select(func.count()).select_from(PaymentPosting)) == 1
    assert_every_view_agrees(session, client, headers, "form payment")
    # a payment through the API
    response = client.post("/api/v1/payment/", headers=headers, json={
        "external_id": "API-1", "account": ids[1], "paid_on": paid_on.isoformat(), "amount": "250.40",
        "source": "api"})
    assert response.status_code == 201, response.json
    assert_every_view_agrees(session, client, headers, "API payment")
    # a bank register and a subsidy file imported mid-month
    register = "external_id,account_number,paid_on,amount,source\n" + "".join(
        f"BANK-{i},{numbers[a]},{paid_on.isoformat()},{100 + i}.{i:02d},ПриватБанк\n" for i, a in enumerate(ids[2:12]))
    _, outcome = import_bytes("payments", register.encode(), "register.csv")
    assert outcome.written, outcome.problems
    subsidies = "account_number,period,amount,service_code\n" + "".join(
        f"{numbers[a]},{period},{300 + i},\n" for i, a in enumerate(ids[10:15]))
    _, outcome = import_bytes("subsidies", subsidies.encode(), "subsidies.csv")
    assert outcome.written, outcome.problems
    assert session.scalar(select(func.count()).select_from(SubsidyPosting)) == 5
    assert_every_view_agrees(session, client, headers, "imports")
    # a reversal from the payment's page
    payment = session.scalar(select(Payment).where(Payment.external_id == "BANK-3"))
    response = client.post(f"/paymentview/reverse/{payment.id}", data={"reason": "зараховано двічі"},
                           follow_redirects=True)
    assert any(c == "success" for c, _ in flashes(response)), flashes(response)
    assert_every_view_agrees(session, client, headers, "reversal")

    # the close changes no figure: the per-service balances with the draft become the closing balances
    before = {a: nonzero(b) for a, b in ledger.balances(session, draft=True).items()}
    payments_before = session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.kind == "payment"))
    run_billing()
    close_period(period)
    after = {a: nonzero(b) for a, b in ledger.balances(session, period=period).items()}
    assert {a: b for a, b in before.items() if b} == {a: b for a, b in after.items() if b}
    stored = defaultdict(dict)
    for account_id, service_id, amount in session.execute(
            select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount)
            .where(ClosingBalance.period == period)):
        stored[account_id][service_id] = amount
    assert {a: b for a, b in before.items() if b} == dict(stored)
    # counted once: the close posted no payment again (only advance offsets, which sum to zero)
    assert session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.kind == "payment")) \
        == payments_before
    assert_every_view_agrees(session, client, headers, "closed")
    closed_turnover = turnover_closing(period)
    for account_id, book in after.items():
        assert closed_turnover.get(numbers[account_id], ZERO) == total(book)


# -- the rules -------------------------------------------------------------------------------

def _receive(session, account_id, amount, paid_on, external_id):
    payment = Payment(external_id=external_id, account_id=account_id, paid_on=paid_on, amount=D(amount),
                      source="каса")
    ledger.receive_payment(session, payment, "test")
    session.commit()
    return payment


def test_a_payment_is_in_the_journal_when_recorded_spread_as_at_the_close(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    account = ids["accounts"][1]
    payment = _receive(session, account, "500.00", date(2026, 11, 10), "P-1")
    entries = session.execute(select(JournalEntry.service_id, JournalEntry.amount, JournalEntry.posting_period,
                                     JournalEntry.value_date, JournalEntry.payment_id)
                              .where(JournalEntry.kind == "payment")).all()
    services = ids["services"]
    # 500,00 over October's closing balances UTR 400 + TPV 80 + CW 202,50 + HEAT 10000 (test_posting's numbers)
    assert {e.service_id: e.amount for e in entries} == {services["UTR"]: D("-18.72"), services["TPV"]: D("-3.74"),
                                                        services["CW"]: D("-9.48"), services["HEAT"]: D("-468.06")}
    assert {(e.posting_period, e.value_date, e.payment_id) for e in entries} == {(NOVEMBER, date(2026, 11, 10),
                                                                                 payment.id)}
    assert ledger.account_balance(session, account)[1] == D("10682.50") - D("500.00")
    run_billing()
    summary = close_period(NOVEMBER)
    assert summary.payments == 0  # nothing left to post: counted once
    assert session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.payment_id == payment.id)) == 4


def test_a_payment_dated_after_the_open_period_waits_and_is_posted_when_its_period_opens(bdb):
    session = db.session
    ids = create_town()
    account = ids["accounts"][2]
    later = _receive(session, account, "100.00", date(2026, 11, 2), "LATER")  # October is open
    assert ledger.waiting_payments(session, account) == [later]
    assert ledger.account_balance(session, account)[1] == ZERO
    run_billing()
    close_period(OCTOBER)
    assert ledger.waiting_payments(session, account) == []
    rows = session.execute(select(JournalEntry.posting_period, func.sum(JournalEntry.amount))
                           .where(JournalEntry.payment_id == later.id).group_by(JournalEntry.posting_period)).all()
    assert rows == [(NOVEMBER, D("-100.00"))]


def test_a_reversal_cancels_each_entry_and_needs_a_reason(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    account = ids["accounts"][1]
    before = ledger.balances(session, [account])[account].copy()
    payment = _receive(session, account, "500.00", date(2026, 11, 10), "P-R")
    with pytest.raises(ledger.LedgerError):
        ledger.reverse_payment(session, payment.id, "   ", "accountant")
    assert ledger.reverse_payment(session, payment.id, "двічі", "accountant") == 4
    session.commit()
    assert nonzero(ledger.balances(session, [account])[account]) == nonzero(before)
    with pytest.raises(ledger.LedgerError, match="P-R"):
        ledger.reverse_payment(session, payment.id, "ще раз", "accountant")
    turnover = ledger.turnover(session, NOVEMBER, [account], draft=False)[account]
    assert turnover["paid"] == ZERO  # the reversal counts where the payment counted
    # a waiting payment reversed is never posted
    waiting = _receive(session, account, "70.00", date(2026, 12, 1), "P-W")
    ledger.reverse_payment(session, waiting.id, "помилка", "accountant")
    session.commit()
    run_billing()
    close_period(NOVEMBER)
    assert session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.payment_id == waiting.id)) == 0
    assert session.get(PaymentReversal, waiting.id).reason == "помилка"


def test_the_journal_refuses_to_change_the_entries_of_a_payment(bdb):
    session = db.session
    ids = create_town()
    payment = _receive(session, ids["accounts"][1], "10.00", date(2026, 10, 5), "P-J")
    entry_id = session.scalar(select(JournalEntry.id).where(JournalEntry.payment_id == payment.id))
    with pytest.raises(Exception):
        session.execute(sql("UPDATE journal_entry SET amount = 0 WHERE id = :id"), {"id": entry_id})
        session.flush()
    session.rollback()


def test_opening_balances_go_into_the_first_open_period_only(bdb):
    session = db.session
    ids = create_town()
    numbers = dict(session.execute(select(Account.id, Account.account_number)).all())
    a1, a2 = numbers[ids["accounts"][1]], numbers[ids["accounts"][2]]
    data = f"account_number,service_code,amount\n{a1},CW,412.35\n{a1},,-50\n{a2},HEAT,0\n".encode()
    _, outcome = import_bytes("balances", data, "saldo.csv")
    assert outcome.written and outcome.created == 3, outcome.problems
    book = ledger.balances(session, [ids["accounts"][1]])[ids["accounts"][1]]
    assert nonzero(book) == {ids["services"]["CW"]: D("412.35"), None: D("-50.00")}
    turnover = ledger.turnover(session, OCTOBER, [ids["accounts"][1]], draft=False)[ids["accounts"][1]]
    assert turnover["opening"] == D("362.35") and turnover["closing"] == D("362.35")
    # again: nothing; a changed amount: the difference, as a new entry
    _, again = import_bytes("balances", data, "saldo.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 2
    _, changed = import_bytes("balances", data.replace(b"412.35", b"400"), "saldo.csv")
    assert changed.updated == 1
    entries = session.scalars(select(JournalEntry.amount).where(JournalEntry.service_id == ids["services"]["CW"])
                              .order_by(JournalEntry.id)).all()
    assert entries == [D("412.35"), D("-12.35")]
    assert session.scalar(select(OpeningBalance.amount).where(OpeningBalance.service_id == ids["services"]["CW"])) \
        == D("400.00")
    run_billing()
    close_period(OCTOBER)
    record, refused = import_bytes("balances", data, "saldo.csv")
    assert not getattr(refused, "written", False)
    assert "2026-10" in str(refused) and "перший відкритий період" in str(refused)


def test_money_on_the_card_and_in_the_report_is_exact(bdb):
    """Amounts that do not add up exactly in binary floats (0,10 + 0,20 …) come out to the kopiyka."""
    session = db.session
    ids = create_town()
    account = ids["accounts"][3]
    for i in range(30):
        _receive(session, account, "0.10" if i % 2 else "0.20", date(2026, 10, 1 + i % 28), f"K-{i}")
    run_billing()
    close_period(OCTOBER)
    book, balance = ledger.account_balance(session, account)
    charged = session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.account_id == account,
                                                                         JournalEntry.document == f"billing-{OCTOBER}"))
    assert balance == D(str(charged)).quantize(D("0.01")) - D("4.50")
    stored = session.scalars(select(ClosingBalance.amount).where(ClosingBalance.account_id == account)).all()
    assert all(amount == amount.quantize(D("0.01")) for amount in stored)
    assert sum(stored, ZERO) == balance


def test_the_account_api_shows_the_balance_only_to_who_may_see_money(bdb, web):
    session = db.session
    ids = create_town()
    _receive(session, ids["accounts"][1], "10.00", date(2026, 10, 5), "P-API")
    client = web("accountant")
    body = client.get(f"/api/v1/account/{ids['accounts'][1]}", headers=jwt_headers(client)).json
    assert D(body["result"]["balance"]) == D("-10.00") and body["result"]["balance_by_service"] == {"": "-10.00"}
    inspector = web("inspector")
    listing = inspector.get("/api/v1/account/", headers=jwt_headers(inspector, "inspector")).json
    assert all("balance" not in row for row in listing.get("result", []))


def _statements_of(session, call, *tables) -> int:
    """How many SQL statements ``call()`` sends that read one of ``tables``."""
    from sqlalchemy import event

    seen = []

    def count(_connection, _cursor, statement, *_):
        if any(re.search(rf"\b{table}\b", statement) for table in tables):
            seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_account_api_balance_is_the_ledgers_and_the_cards_asked_for_the_page_at_once(bdb, web):
    """The REST API's ``balance`` of each account is the ledger's (``ledger.totals``) and the figure
    the account card shows, its ``balance_by_service`` the ledger's book; a page of three accounts
    costs the statements of a page of one (the balances of the page at once, not one per row)."""
    session = db.session
    ids = create_town()
    accounts = list(ids["accounts"].values())
    _receive(session, accounts[0], "10.00", date(2026, 10, 5), "P-API-1")
    _receive(session, accounts[1], "25.55", date(2026, 10, 6), "P-API-2")
    run_billing()  # a draft: the balance «now» leaves it out on every view
    client = web("accountant")
    headers = jwt_headers(client)
    api = api_balances(client, headers)
    assert set(accounts) <= set(api)
    codes = dict(session.execute(select(Service.id, Service.code)).all())
    figures, books = ledger.totals(session, accounts), ledger.balances(session, accounts)
    for account_id in accounts:
        balance, by_service = api[account_id]
        assert balance == figures[account_id] == total(books[account_id]), account_id
        assert by_service == {codes[s] if s else "": a for s, a in nonzero(books[account_id]).items()}, account_id
        assert card_figures(client, account_id)[0] == balance, account_id
    assert len({api[a][0] for a in accounts}) == len(accounts) and any(api[a][0] != 0 for a in accounts)
    # the balances' statements (the journal, the closing balances, the services' codes): the same
    # for a page of one and of three (the page's other statements — the session, the user's
    # rights, the related records — are FAB's and not counted)
    books = ("journal_entry", "closing_balance", "service", "period")
    one = _statements_of(session, lambda: client.get("/api/v1/account/?q=(page:0,page_size:1)", headers=headers),
                         *books)
    three = _statements_of(session, lambda: client.get("/api/v1/account/?q=(page:0,page_size:3)", headers=headers),
                           *books)
    assert one > 0 and three == one, (one, three)


def test_the_reverse_button_is_for_accountants_and_asks_for_a_reason(bdb, web):
    session = db.session
    ids = create_town()
    payment = _receive(session, ids["accounts"][1], "10.00", date(2026, 10, 5), "P-B")
    accountant, operator = web("accountant"), web("operator")
    page = accountant.get(f"/paymentview/show/{payment.id}").get_data(as_text=True)
    assert 'id="reverse-form"' in page and "зараховано" not in page
    assert 'id="reverse-form"' not in operator.get(f"/paymentview/show/{payment.id}").get_data(as_text=True)
    assert operator.post(f"/paymentview/reverse/{payment.id}", data={"reason": "x"}).status_code in (302, 403)
    assert session.get(PaymentReversal, payment.id) is None
    response = accountant.post(f"/paymentview/reverse/{payment.id}", data={"reason": ""}, follow_redirects=True)
    assert any(c == "danger" and "причину" in m for c, m in flashes(response)), flashes(response)
    assert session.get(PaymentReversal, payment.id) is None
    response = accountant.post(f"/paymentview/reverse/{payment.id}", data={"reason": "банк відкликав"},
                               follow_redirects=True)
    assert 'id="payment-reversed"' in response.get_data(as_text=True)
    # the form and the API refuse a duplicate identifier with a message, not a 500
    response = accountant.post("/api/v1/payment/", headers=jwt_headers(accountant), json={
        "external_id": "P-B", "account": ids["accounts"][2], "paid_on": "2026-10-06", "amount": "5", "source": "x"})
    assert response.status_code == 422, response.json
    assert session.scalar(select(func.count()).select_from(Payment).where(Payment.external_id == "P-B")) == 1


def test_a_subsidy_is_posted_on_receipt_and_one_of_a_later_month_waits(bdb):
    session = db.session
    ids = create_town()
    account = ids["accounts"][1]
    now = Subsidy(account_id=account, period=OCTOBER, amount=D("120.00"), service_id=ids["services"]["CW"])
    later = Subsidy(account_id=account, period=NOVEMBER, amount=D("80.00"))
    session.add_all([now, later])
    session.flush()
    assert ledger.post_received_subsidies(session, [now.id, later.id]) == 1
    session.commit()
    assert nonzero(ledger.balances(session, [account])[account]) == {ids["services"]["CW"]: D("-120.00")}
    run_billing()
    close_period(OCTOBER)
    posted = session.execute(select(JournalEntry.posting_period, func.sum(JournalEntry.amount))
                             .where(JournalEntry.kind == "subsidy").group_by(JournalEntry.posting_period)).all()
    assert dict(posted) == {OCTOBER: D("-120.00"), NOVEMBER: D("-80.00")}


def test_the_balance_as_of_a_date_counts_what_is_dated_up_to_that_day(bdb):
    session = db.session
    ids = create_town()
    account = ids["accounts"][1]
    run_billing()
    close_period(OCTOBER)  # October's charges are dated 31.10
    _receive(session, account, "100.00", date(2026, 11, 5), "D-1")
    _receive(session, account, "40.00", date(2026, 10, 20), "D-0")  # dated in closed October, posted in November
    charged = ledger.balances(session, [account], period=OCTOBER)[account]
    assert total(ledger.balance_as_of(session, [account], date(2026, 10, 19))[account]) == ZERO
    assert total(ledger.balance_as_of(session, [account], date(2026, 10, 20))[account]) == D("-40.00")
    assert total(ledger.balance_as_of(session, [account], date(2026, 10, 31))[account]) == total(charged) - D("40")
    assert total(ledger.balance_as_of(session, [account], date(2026, 11, 4))[account]) == total(charged) - D("40")
    assert total(ledger.balance_as_of(session, [account], date(2026, 11, 5))[account]) == total(charged) - D("140")
    assert total(ledger.balance_as_of(session, [account], date(2026, 11, 5))[account]) == \
        ledger.account_balance(session, account)[1]
