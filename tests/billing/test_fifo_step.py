"""FIFO stored and carried on (app/services/ledger/aging.py): for any history of charges,
corrections of earlier months, payments and reversals, carrying the stored state on period by
period (``fifo_step``, or the whole journal where the step gives up) gives exactly what the rule
computed from the whole journal (``fifo``) gives — unpaid part of every month and the surplus."""
from decimal import Decimal as D

from hypothesis import given, settings, strategies as st

from app.services.ledger.aging import PairState, fifo, fifo_state, fifo_step

PERIODS = [f"2024-{m:02d}" for m in range(1, 9)]
ZERO = D("0.00")

cents = st.integers(min_value=-30_000, max_value=60_000).map(lambda c: D(c).scaleb(-2))
# (posted period, how many months back it targets, credit?, amount)
an_entry = st.tuples(st.integers(0, len(PERIODS) - 1), st.integers(0, 3), st.booleans(), cents)


def _owed(state):
    return {m: u for m, (_, u) in state.months.items() if u > 0}


@settings(max_examples=400, deadline=None)
@given(history=st.lists(an_entry, max_size=40))
def test_carrying_the_state_on_is_the_rule_on_the_whole_journal(history):
    months, credits = {}, ZERO
    state, gave_up = PairState(), 0
    for index, period in enumerate(PERIODS):
        deltas, credit = {}, ZERO
        for posted, back, is_credit, amount in history:
            if posted != index:
                continue
            if is_credit:
                credit -= amount  # mostly payments (negative), some reversals
            else:
                target = PERIODS[max(0, index - back)]
                deltas[target] = deltas.get(target, ZERO) + amount
        for m, d in deltas.items():
            months[m] = months.get(m, ZERO) + d
        credits += credit
        stepped = fifo_step(state, deltas, credit, PERIODS[index - 1] if index else "0000-00")
        whole = fifo_state(dict(months), credits)
        if stepped is None:
            gave_up += 1
            state = whole
            continue
        unpaid, advance = fifo(dict(months), credits)
        assert _owed(stepped) == {m: u for m, u in unpaid.items() if u > 0}, (history, period)
        assert stepped.surplus == -advance
        assert stepped.balance == sum(months.values(), ZERO) + credits
        state = stepped


def test_worked_example_payments_pay_the_oldest_and_a_correction_of_a_paid_month_gives_up():
    # January and February 100,00 each, 150,00 paid: February owes 50,00
    state = fifo_state({"2023-01": D("100.00"), "2023-02": D("100.00")}, D("-150.00"))
    assert _owed(state) == {"2023-02": D("50.00")} and state.surplus == ZERO
    # March: 100,00 charged, 120,00 paid → February paid, March owes 30,00
    march = fifo_step(state, {"2023-03": D("100.00")}, D("-120.00"), "2023-02")
    assert _owed(march) == {"2023-03": D("30.00")}
    # a recalculation lowering January (paid) by 10,00 pays like a credit: March owes 20,00
    assert _owed(fifo_step(march, {"2023-01": D("-10.00")}, ZERO, "2023-03")) == {"2023-03": D("20.00")}
    # raising January (paid in full) needs January's and February's nets: the step gives up
    assert fifo_step(march, {"2023-01": D("10.00")}, ZERO, "2023-03") is None
    # a reversed payment beyond the surplus moves the frontier back: gives up too
    assert fifo_step(march, {}, D("50.00"), "2023-03") is None
    # zero is a value: a month charged 0,00 owes nothing and is not kept
    assert _owed(fifo_step(march, {"2023-04": ZERO}, ZERO, "2023-03")) == {"2023-03": D("30.00")}
