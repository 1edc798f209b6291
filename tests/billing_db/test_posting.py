"""Payments, subsidies and advances into the journal (billing.md §7, decisions in
app/services/ledger/posting.py), and the closing balances: every balance equals the sum of its entries."""
from datetime import date
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import ClosingBalance, JournalEntry, Payment, PaymentPosting, Subsidy
from app.services.billing import run_billing
from app.services.billing import close_period
from app.services.ledger import spread

from .conftest import fresh_database
from .town import NOVEMBER, OCTOBER, create_town


def entries_of(session, account_id, kind=None):
    stmt = select(JournalEntry.service_id, JournalEntry.amount, JournalEntry.value_date, JournalEntry.posting_period,
                  JournalEntry.document).where(JournalEntry.account_id == account_id)
    if kind:
        stmt = stmt.where(JournalEntry.kind == kind)
    return session.execute(stmt.order_by(JournalEntry.id)).all()


def test_spread_is_proportional_in_kopiyky_and_leaves_the_rest_as_an_advance():
    debts = {1: D("400.00"), 2: D("80.00"), 3: D("202.50"), 4: D("10000.00"), None: D("-5.00"), 5: D("-1.00")}
    parts, advance = spread(D("500.00"), debts)
    assert parts == {1: D("18.72"), 2: D("3.74"), 3: D("9.48"), 4: D("468.06")} and advance == 0
    parts, advance = spread(D("20000.00"), debts)
    assert parts == {1: D("400.00"), 2: D("80.00"), 3: D("202.50"), 4: D("10000.00")}
    assert advance == D("9317.50")
    assert spread(D("10.00"), {None: D("-3.00")}) == ({}, D("10.00"))


def test_payments_are_posted_at_the_close_spread_over_the_debts(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    accounts = ids["accounts"]
    services = ids["services"]
    session.add_all([
        Payment(external_id="P-1", account_id=accounts[1], paid_on=date(2026, 11, 10), amount=D("500.00")),
        Payment(external_id="P-2", account_id=accounts[2], paid_on=date(2026, 11, 12), amount=D("30000.00")),
        Payment(external_id="P-3", account_id=accounts[3], paid_on=date(2026, 10, 20), amount=D("100.00")),
        Payment(external_id="P-LATER", account_id=accounts[3], paid_on=date(2026, 12, 1), amount=D("1.00")),
        Subsidy(account_id=accounts[3], period=NOVEMBER, amount=D("200.00"), service_id=services["HEAT"]),
        Subsidy(account_id=accounts[1], period=NOVEMBER, amount=D("300.00")),
    ])
    session.commit()
    run_billing()
    summary = close_period(NOVEMBER)
    assert (summary.payments, summary.subsidies) == (3, 2)
    # flat 1: 500,00 over UTR 400 + TPV 80 + CW 202,50 + HEAT 10000 (October's closing balances)
    paid = {s: a for s, a, *_ in entries_of(session, accounts[1], "payment")}
    assert paid == {services["UTR"]: D("-18.72"), services["TPV"]: D("-3.74"), services["CW"]: D("-9.48"),
                    services["HEAT"]: D("-468.06")}
    # flat 2: pays every debt, the rest is an advance; at the close the advance pays November
    p2 = entries_of(session, accounts[2], "payment")
    first = [(s, a) for s, a, _, _, doc in p2 if doc == "P-2"]
    assert sorted(first, key=lambda x: (x[0] is None, x[0] or 0)) == sorted(
        [(services["UTR"], D("-480.00")), (services["TPV"], D("-40.00")), (services["CW"], D("-101.25")),
         (services["HEAT"], D("-12000.00")), (None, D("-17378.75"))], key=lambda x: (x[0] is None, x[0] or 0))
    offsets = [(s, a) for s, a, _, _, doc in p2 if doc == f"advance-{NOVEMBER}"]
    assert sum(a for _, a in offsets) == 0 and any(s is None and a > 0 for s, a in offsets)
    balances = dict(session.execute(select(ClosingBalance.service_id, ClosingBalance.amount).where(
        ClosingBalance.account_id == accounts[2], ClosingBalance.period == NOVEMBER)).all())
    assert set(balances) == {None} and balances[None] < 0  # November paid from the advance, the rest stays
    # flat 3: a payment dated in closed October is posted into November with its own date
    p3 = [row for row in entries_of(session, accounts[3], "payment") if row.document == "P-3"]
    assert {(r.value_date, r.posting_period) for r in p3} == {(date(2026, 10, 20), NOVEMBER)}
    assert sum(r.amount for r in p3) == D("-100.00") and len(p3) == 4
    # P-LATER, dated in December, waited for December: posted the moment December opened, into it
    assert dict(session.execute(select(PaymentPosting.period, func.count()).group_by(PaymentPosting.period)).all()) \
        == {NOVEMBER: 3, "2026-12": 1}
    later = [row for row in entries_of(session, accounts[3], "payment") if row.document == "P-LATER"]
    assert {(r.value_date, r.posting_period) for r in later} == {(date(2026, 12, 1), "2026-12")}
    subsidies = entries_of(session, accounts[3], "subsidy")
    assert [(s, a) for s, a, *_ in subsidies] == [(services["HEAT"], D("-200.00"))]
    spread_subsidy = entries_of(session, accounts[1], "subsidy")
    assert sum(a for _, a, *_ in spread_subsidy) == D("-300.00") and len(spread_subsidy) == 4
    assert_balances_are_sums(session)


def assert_balances_are_sums(session):
    """Every stored closing balance equals the sum of its entries, and every non-zero sum is stored."""
    from app.models import Period

    for (period,) in session.execute(select(Period.period).where(Period.status == "closed")).all():
        sums = {(a, s): D(str(t)).quantize(D("0.01")) for a, s, t in session.execute(
            select(JournalEntry.account_id, JournalEntry.service_id, func.sum(JournalEntry.amount))
            .where(JournalEntry.posting_period <= period)
            .group_by(JournalEntry.account_id, JournalEntry.service_id)).all()}
        stored = {(a, s): v for a, s, v in session.execute(
            select(ClosingBalance.account_id, ClosingBalance.service_id, ClosingBalance.amount)
            .where(ClosingBalance.period == period)).all()}
        assert stored == {k: v for k, v in sums.items() if v != 0}, period


money = st.decimals(D("0.01"), D("30000"), places=2)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(payments=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 25), money), max_size=6),
       subsidies=st.lists(st.tuples(st.integers(1, 3), st.sampled_from([None, "UTR", "HEAT"]), money), max_size=3,
                          unique_by=lambda s: (s[0], s[1])),
       late=st.booleans())
def test_every_balance_equals_the_sum_of_its_entries(bdb, payments, subsidies, late):
    fresh_database()
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    for n, (flat, day, amount) in enumerate(payments):
        session.add(Payment(external_id=f"H-{n}", account_id=ids["accounts"][flat], amount=amount,
                            paid_on=date(2026, 10 if late and n % 2 else 11, day)))
    for flat, code, amount in subsidies:
        session.add(Subsidy(account_id=ids["accounts"][flat], period=NOVEMBER, amount=amount,
                            service_id=ids["services"][code] if code else None))
    session.commit()
    run_billing()
    close_period(NOVEMBER)
    assert_balances_are_sums(session)
    for n, (flat, _day, amount) in enumerate(payments):
        total = session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.document == f"H-{n}"))
        assert D(str(total)).quantize(D("0.01")) == -amount
    # a payment never leaves a service owing less than nothing, and an advance is used up first
    for account_id in ids["accounts"].values():
        rows = dict(session.execute(select(ClosingBalance.service_id, ClosingBalance.amount).where(
            ClosingBalance.account_id == account_id, ClosingBalance.period == NOVEMBER)).all())
        if rows.get(None, 0) < 0:
            assert all(v <= 0 for s, v in rows.items() if s is not None)
