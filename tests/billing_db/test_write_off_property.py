"""Property (hypothesis): for any history of charges, recalculations, payments, subsidies and
reversals, FIFO's unpaid months plus the advance add up to the ledger's balance, the write-off
candidates never exceed the debt, and the query agrees with the rule in plain Python
(``aging.fifo``)."""
from collections import defaultdict
from datetime import date
from decimal import Decimal as D

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from app.extensions import db
from app.models import Period
from app.services import ledger
from app.services.ledger.aging import CREDIT_KINDS, fifo, last_month_older_than

from .conftest import fresh_database
from .town import create_town
from .writeoff_town import close, entry

MONTHS = ("2022-01", "2022-06", "2023-03", "2023-10", "2023-11", "2024-05", "2026-10")
KINDS = ("charge", "charge", "recalculation", "benefit", "payment", "payment", "subsidy", "reversal")
AS_OF = date(2026, 11, 30)

cents = st.integers(min_value=1, max_value=50_000).map(lambda c: D(c).scaleb(-2))
an_entry = st.tuples(st.integers(0, 2), st.sampled_from(("UTR", "CW", None)), st.integers(0, len(MONTHS) - 1),
                     st.integers(0, len(MONTHS) - 1), st.sampled_from(KINDS), cents)


@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(an_entry, min_size=1, max_size=25))
def test_fifo_ages_add_up_to_the_balance_and_candidates_never_exceed_the_debt(bdb, history):
    fresh_database()
    ids = create_town(open_period=False)
    flats = [ids["accounts"][n] for n in (1, 2, 3)]
    rows, expected = defaultdict(list), defaultdict(lambda: (defaultdict(lambda: D("0.00")), [D("0.00")]))
    for flat, code, posted, target, kind, amount in history:
        posted_in = MONTHS[max(posted, target)] if kind not in CREDIT_KINDS else MONTHS[posted]
        target_month = MONTHS[min(posted, target)]
        service = ids["services"][code] if code else None
        detail = None
        if kind in ("payment", "subsidy", "benefit"):
            amount = -amount
        if kind == "recalculation" and posted % 2:
            amount = -amount
        months, credits = expected[(flats[flat], service)]
        if kind == "reversal":
            detail = "payment" if target % 2 else "charge"
            if detail == "payment":
                # a reversal cancels a payment that was posted (the journal never holds one alone)
                rows[MONTHS[posted]].append(entry("payment", flats[flat], service, MONTHS[posted], -amount))
                credits[0] -= amount
                posted_in = MONTHS[max(posted, target)]
            else:
                amount = -amount
        rows[posted_in].append(entry(kind, flats[flat], service, posted_in, amount, target=target_month,
                                     detail_kind=detail))
        if kind in CREDIT_KINDS or (kind == "reversal" and detail in CREDIT_KINDS):
            credits[0] += amount
        else:
            months[target_month] += amount
    session = db.session
    for period in sorted(rows):
        session.add_all(rows[period])
        session.flush()
        close(period)
    session.add(Period(period="2026-11", status="open"))
    session.commit()

    books = ledger.balances(session)
    ages = ledger.aging(session, AS_OF)
    for key, (months, credits) in expected.items():
        account_id, service_id = key
        balance = books[account_id][service_id]
        got = ages[key]
        assert got.balance == balance
        assert sum(got.buckets.values()) + got.advance == balance
        assert got.advance == min(balance, D("0.00")), (key, dict(months), credits, history)
        unpaid, advance = fifo(dict(months), credits[0])
        assert sum(unpaid.values()) == sum(got.buckets.values()) and advance == got.advance
        cutoff = last_month_older_than(36, AS_OF)
        assert got.buckets["36+"] == sum((v for m, v in unpaid.items() if m <= cutoff), D("0.00"))
    for found in ledger.debts_older_than(session, 36, AS_OF):
        debt = books[found.account_id][found.service_id]
        assert 0 < found.amount <= found.debt == debt
        assert found.amount == ages[(found.account_id, found.service_id)].buckets["36+"]

