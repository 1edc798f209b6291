"""Debt ages stored at the close (``debt_age``, app/services/ledger/aging.py): the close stores
them, the state carried on from them is the one computed from the whole journal, a period's
state stays as it was at its close, and ``oblik period ages`` computes them again."""
from datetime import date
from decimal import Decimal as D

from app.extensions import db
from app.models import DebtAge, DebtAgePeriod, Payment, PaymentReversal  # noqa: F401
from app.services import ledger
from app.services.billing import close_period, run_billing
from app.services.ledger.aging import _from_journal

from .test_cli_reports import oblik  # noqa: F401  (the command-line fixture)
from .town import NOVEMBER, OCTOBER, create_town
from .writeoff_town import AS_OF, CANDIDATES_TOTAL, old_debts_town


def _whole(session, period=None):
    """The state of every pair from the whole journal (no stored state used)."""
    found = _from_journal(session, None, period)
    return {pair: ({m: u for m, (_, u) in s.months.items() if u > 0}, s.surplus) for pair, s in found.items()
            if s.months or s.surplus}


def _carried(session, period=None):
    found = ledger.states(session, period).pairs
    return {pair: ({m: u for m, (_, u) in s.months.items() if u > 0}, s.surplus) for pair, s in found.items()
            if any(u > 0 for _, u in s.months.values()) or s.surplus}


def _clean(state):
    return {pair: value for pair, value in state.items() if value[0] or value[1]}


def test_the_close_stores_the_ages_and_they_carry_on_to_the_whole_journals_answer(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    assert session.get(DebtAgePeriod, OCTOBER) is not None
    stored = session.query(DebtAge).filter_by(period=OCTOBER).count()
    assert stored > 0  # October's charges are unpaid at its close
    assert _clean(_carried(session, OCTOBER)) == _clean(_whole(session, OCTOBER))
    # November: one flat pays more than it owes (a surplus), another a part
    session.add_all([Payment(external_id="A-1", account_id=ids["accounts"][1], paid_on=date(2026, 11, 3),
                             amount=D("20000.00")),
                     Payment(external_id="A-2", account_id=ids["accounts"][2], paid_on=date(2026, 11, 4),
                             amount=D("10.00"))])
    session.commit()
    # now (entries posted into the open period on top of October's stored state)
    assert _clean(_carried(session)) == _clean(_whole(session))
    run_billing()
    close_period(NOVEMBER)
    assert _clean(_carried(session, NOVEMBER)) == _clean(_whole(session, NOVEMBER))
    # October's state is what it was at its close: November's payments are not in it
    assert _clean(_carried(session, OCTOBER)) == _clean(_whole(session, OCTOBER))
    # the balances agree with the ledger's
    books = ledger.balances(session)
    for (account_id, service_id), state in ledger.states(session).pairs.items():
        assert state.balance == books[account_id].get(service_id, D("0.00"))


def test_write_off_candidates_from_the_stored_ages_are_the_fifo_ones(bdb):
    old_debts_town()
    session = db.session
    found = ledger.debts_older_than(session, 36, AS_OF)
    assert sum(c.amount for c in found) == CANDIDATES_TOTAL
    ledger.clear_debt_ages(session)  # no stored state: computed from the whole journal, the same
    assert ledger.debts_older_than(session, 36, AS_OF) == found


def test_oblik_period_ages_computes_them_again(oblik):  # noqa: F811
    old_debts_town()
    session = db.session
    session.commit()
    before = ledger.debts_older_than(session, 36, AS_OF)
    ledger.clear_debt_ages(session)
    session.commit()
    result = oblik("period", "ages", "--all")
    assert result.exit_code == 0, result.output
    assert session.query(DebtAgePeriod).count() == 3
    assert ledger.debts_older_than(session, 36, AS_OF) == before
    assert oblik("period", "ages", "--period", "2026-11").exit_code == 2  # the open period
    assert oblik("period", "ages").exit_code == 0


def test_the_aging_of_a_closed_period_grouped_in_the_database_is_the_fifo_one(bdb):
    """``aging(period=P)`` of a closed period reads its stored state grouped by pair and bucket in
    the database; the answer is the one of the FIFO state in Python, bucket by bucket, on days that
    put the months in every bucket (36+ included), for a few accounts and for all."""
    from app.services.ledger.aging import BUCKETS, _aging_of_states, bucket_cutoffs

    old_debts_town()
    session = db.session
    period = session.scalar(db.select(db.func.max(DebtAgePeriod.period)))
    assert period is not None
    some = sorted({a for a, _ in ledger.states(session, period).pairs})[:3]
    seen = set()
    from app.billing.periods import add_months

    for day in [add_months(AS_OF, -n) for n in (36, 30, 20, 8, 4, 2, 0)] + [date(2030, 1, 31)]:
        for account_ids in (None, some):
            fast = ledger.aging(session, day, account_ids, period=period)
            slow = _aging_of_states(ledger.states(session, period, account_ids), bucket_cutoffs(day))
            assert fast == slow, (day, account_ids)
            seen |= {b for row in fast.values() for b in BUCKETS if row.buckets[b]}
    assert seen == set(BUCKETS)  # the days put the debts in every bucket
    assert ledger.aging(session, AS_OF, [10 ** 9], period=period) == {}


def test_the_debt_by_account_grouped_in_the_database_is_the_pairs_added_up(bdb):
    """The debtors report's question, ``debt_by_account(period=P)`` of a closed period, grouped by
    account and bucket in the database: the pairs' FIFO ages added up per account (services only,
    not the advance), for all accounts, a few, and one service."""
    from app.billing.periods import add_months
    from app.services.ledger.aging import BUCKETS, _aging_of_states, bucket_cutoffs

    old_debts_town()
    session = db.session
    period = session.scalar(db.select(db.func.max(DebtAgePeriod.period)))
    pairs = ledger.states(session, period)
    some = sorted({a for a, _ in pairs.pairs})[:3]
    services = sorted({s for _, s in pairs.pairs if s is not None})
    checked = 0
    for day in (add_months(AS_OF, -30), add_months(AS_OF, -4), AS_OF):
        for account_ids in (None, some):
            for service_id in (None, services[0]):
                expected = {}
                ages = _aging_of_states(ledger.states(session, period, account_ids), bucket_cutoffs(day))
                for (account_id, pair_service), age in ages.items():
                    if pair_service is None or (service_id is not None and pair_service != service_id):
                        continue
                    if not age.oldest_unpaid:
                        continue
                    buckets, oldest = expected.get(account_id, ({b: D("0.00") for b in BUCKETS}, age.oldest_unpaid))
                    expected[account_id] = ({b: buckets[b] + age.buckets[b] for b in BUCKETS},
                                            min(oldest, age.oldest_unpaid))
                found = ledger.debt_by_account(session, day, account_ids, period=period, service_id=service_id)
                assert found == expected, (day, account_ids, service_id)
                checked += len(found)
    assert checked > 10
