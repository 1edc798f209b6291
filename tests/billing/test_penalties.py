"""penalties.py: пеня on overdue debt, billing.md §11 — worked numbers."""
from datetime import date
from decimal import Decimal as D

from app.billing import (
    Account, BillingInput, Building, OverdueDebt, PenaltyExemption, Premise, Service, Setting,
    bill_period,
)
from .town import said
from app.billing.calendar import add_working_days, is_working_day, next_working_day, working_days
from app.billing.penalties import due_date, penalty_start

FIXED = Service(1, "FX", "fixed", "Утримання")
ON = Setting("penalty.enabled", date(2020, 1, 1), D(1))


def run(period, *debts, settings=(ON,), exemptions=(), holidays=()):
    inputs = BillingInput(
        period, services=(FIXED,), settings=settings, buildings=(Building(1, "B1"),),
        premises=(Premise(1, 1, "1", D(50)),), accounts=(Account(1, 1, date(2020, 1, 1), number="00001"),),
        account_services=(), overdue_debts=debts, penalty_exemptions=exemptions, holidays=holidays)
    return [line for line in bill_period(inputs).lines if line.kind == "penalty"]


def test_the_worked_case_1000_due_29_days_at_a_hundredth_of_a_per_cent():
    # February 2028 has 29 days; 1 000,00 грн overdue since January's due day, unpaid all month
    [line] = run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00")))
    assert line.amount == D("2.90")
    assert (line.days, line.date_from, line.date_to) == (29, date(2028, 2, 1), date(2028, 2, 29))
    assert line.base_quantity == D("1000.00") and line.price == D("0.01")
    assert "01.02.2028–29.02.2028: 29 дн. × 1000,00 грн × 0,01 % = 2,90 грн" in said(line.explanation)


def test_off_by_default():
    assert run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00")), settings=()) == []
    off = Setting("penalty.enabled", date(2028, 1, 1), D(0))
    assert run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00")), settings=(ON, off)) == []


def test_last_months_bill_from_the_first_working_day_after_a_weekend_due_day():
    # 20.02.2027 is a Saturday: the penalty on January's bill runs from Monday 22.02 — 7 days
    assert due_date("2027-02", 20) == date(2027, 2, 20) and date(2027, 2, 20).weekday() == 5
    assert penalty_start("2027-02", 20) == date(2027, 2, 22)
    [line] = run("2027-02", OverdueDebt(1, 1, due=D("1000.00")))
    assert (line.date_from, line.days, line.amount) == (date(2027, 2, 22), 7, D("0.70"))
    # a public holiday on Monday moves it to Tuesday
    [line] = run("2027-02", OverdueDebt(1, 1, due=D("1000.00")), holidays=(date(2027, 2, 22),))
    assert (line.date_from, line.days, line.amount) == (date(2027, 2, 23), 6, D("0.60"))
    # a weekday due day: the next day. April 2027: due Tue 20.04, from Wed 21.04, 10 days
    [line] = run("2027-04", OverdueDebt(1, 1, due=D("1000.00")))
    assert (line.date_from, line.days, line.amount) == (date(2027, 4, 21), 10, D("1.00"))


def test_a_payment_that_covers_the_debt_stops_the_penalty():
    # 1 000,00 overdue, 1 000,00 paid on 11.02.2028: 10 days (01–10.02) → 1,00
    [line] = run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00"), movements=((date(2028, 2, 11), D("-1000.00")),)))
    assert (line.days, line.date_to, line.amount) == (10, date(2028, 2, 10), D("1.00"))
    # paid before the due day: the bill carries none
    assert run("2027-04", OverdueDebt(1, 1, due=D("500.00"), movements=((date(2027, 4, 5), D("-500.00")),))) == []
    # a part payment pays the oldest debt first: 600 overdue + 400 bill, 700 paid on 10.04.2027
    [line] = run("2027-04", OverdueDebt(1, 1, overdue=D("600.00"), due=D("400.00"),
                                         movements=((date(2027, 4, 10), D("-700.00")),)))
    # 01–09.04: 9 × 600 × 0,0001 = 0,54; 21–30.04: 10 × 300 × 0,0001 = 0,30 → 0,84
    assert line.amount == D("0.84") and line.days == 19


def test_the_total_is_capped_at_100_per_cent_of_the_debt():
    # a rate of 10 % a day for 29 days would be 290 % of 100,00: capped at 100,00 − 30,00 unpaid earlier
    rate = Setting("penalty.daily_pct", date(2020, 1, 1), D(10))
    [line] = run("2028-02", OverdueDebt(1, 1, overdue=D("100.00"), penalty_in_debt=D("30.00")), settings=(ON, rate))
    assert line.amount == D("70.00")
    assert any("Не більше 100 % боргу" in text for text in said(line.explanation))
    # already at 100 %: nothing more
    assert run("2028-02", OverdueDebt(1, 1, overdue=D("100.00"), penalty_in_debt=D("100.00")),
               settings=(ON, rate)) == []


def test_an_exempt_account_has_no_penalty_for_its_days():
    debt = OverdueDebt(1, 1, overdue=D("1000.00"))
    assert run("2028-02", debt, exemptions=(PenaltyExemption(1, date(2027, 1, 1)),)) == []
    # exempt until 09.02.2028: 20 days left → 2,00
    [line] = run("2028-02", debt, exemptions=(PenaltyExemption(1, date(2027, 1, 1), date(2028, 2, 9)),))
    assert (line.days, line.amount) == (20, D("2.00"))
    assert "Рахунок звільнено від пені: 9 дн. без пені" in said(line.explanation)
    # another account's exemption does not count
    assert run("2028-02", debt, exemptions=(PenaltyExemption(2, date(2027, 1, 1)),))[0].amount == D("2.90")


def test_restructured_debt_is_excluded_while_the_agreement_holds():
    debt = OverdueDebt(1, 1, overdue=D("1000.00"), restructured=D("800.00"), agreement="ДР-2028-1")
    [line] = run("2028-02", debt)
    assert line.amount == D("0.58")     # 200,00 × 29 days × 0,01 %
    assert said(line.explanation)[1].startswith("Борг за договором реструктуризації ДР-2028-1 (800,00 грн)")
    # terminated on 15.02.2028: the rest becomes due — 200 for 14 days, 1 000 for 15 days
    [line] = run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00"), restructured=D("800.00"),
                                        restructured_until=date(2028, 2, 15)))
    assert line.amount == D("1.78")     # 0,28 + 1,50
    # wholly restructured: none
    assert run("2028-02", OverdueDebt(1, 1, overdue=D("1000.00"), restructured=D("1000.00"))) == []


def test_no_penalty_on_a_credit_or_an_unknown_account():
    assert run("2028-02", OverdueDebt(1, 1, overdue=D("-50.00"))) == []
    assert run("2028-02", OverdueDebt(9, 1, overdue=D("1000.00"))) == []


def test_working_days():
    assert not is_working_day(date(2027, 2, 20)) and is_working_day(date(2027, 2, 22))
    assert next_working_day(date(2027, 2, 19)) == date(2027, 2, 22)         # Friday → Monday
    assert next_working_day(date(2027, 2, 19), {date(2027, 2, 22)}) == date(2027, 2, 23)
    assert add_working_days(date(2027, 2, 19), 5) == date(2027, 2, 26)
    assert add_working_days(date(2027, 2, 19), 0) == date(2027, 2, 19)
    assert working_days(date(2027, 2, 1), date(2027, 2, 28)) == 20
    assert working_days(date(2027, 2, 1), date(2027, 2, 28), {date(2027, 2, 3)}) == 19


# --- restructuring: the schedule and the matching (app/billing/instalments.py) ------------------

from app.billing.instalments import add_months, match, remaining, schedule  # noqa: E402


def test_a_schedule_by_count_is_exact_to_the_kopiyka():
    parts = schedule(D("1000.00"), date(2027, 1, 31), count=3)
    assert [p.amount for p in parts] == [D("333.34"), D("333.33"), D("333.33")]
    assert [p.due_date for p in parts] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert sum(p.amount for p in schedule(D("1234.57"), date(2027, 1, 15), count=7)) == D("1234.57")


def test_a_schedule_by_amount_leaves_the_rest_to_the_last():
    parts = schedule(D("1000.00"), date(2027, 5, 10), per=D("300"))
    assert [p.amount for p in parts] == [D("300.00")] * 3 + [D("100.00")]
    assert parts[-1].due_date == date(2027, 8, 10)
    assert [p.amount for p in schedule(D("900.00"), date(2027, 5, 10), per=D("300"))] == [D("300.00")] * 3


def test_bad_schedules_are_refused():
    import pytest

    for kwargs in ({"count": 0}, {"count": 121}, {"per": D("0")}, {}, {"per": D("1")}):
        with pytest.raises(ValueError):
            schedule(D("1000.00"), date(2027, 1, 1), **kwargs)


def test_payments_pay_new_charges_first_then_the_instalments_in_order():
    # debt 900 at the debt date; later: charges 100 (31.01), a payment of 250 (10.02), charges 100 (28.02)
    moves = [(date(2027, 1, 31), D("100.00"), D("0")), (date(2027, 2, 10), D("0"), D("-250.00")),
             (date(2027, 2, 28), D("100.00"), D("0"))]
    assert remaining(D("900.00"), D("900.00"), moves, date(2027, 2, 9)) == D("900.00")
    left = remaining(D("900.00"), D("900.00"), moves, date(2027, 3, 1))
    # of 250 paid, 100 paid January's charges: 150 to the agreement
    assert left == D("750.00")
    parts = schedule(D("900.00"), date(2027, 2, 15), count=3)
    matched = match(parts, D("900.00") - left, date(2027, 3, 20))
    assert [(m.paid, m.status) for m in matched] == [
        (D("150.00"), "missed"), (D("0.00"), "missed"), (D("0.00"), "upcoming")]
    assert match(parts, D("300.00"), date(2027, 3, 20))[0].status == "paid"
    assert match(parts, D("320.00"), date(2027, 3, 10))[1].status == "partly"


def test_add_months_keeps_the_day_or_the_months_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
