"""The reports of payments, subsidies, periods and the work lists (issue 11 items 4, 7, 8, 9) on the
billing town (tests/billing_db/town.py): totals against the journal summed here independently
(plain SQL, not the ledger), a reversed payment, a payment dated in a closed period, the import
file of a register, the groupings; the work lists by building, entrance and natural flat order,
an inspector's scope, a reading of 0 that is not missing."""
import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Building, ChargeLine, JournalEntry, Meter, MeterType, Payment, Premise, Reading
from app.services import ledger
from app.services.billing import close_period, run_billing
from app.services.imports import import_bytes
from app.services.reports import ReportFilters, build, kinds
from app.services.reports.worklists import readings_missing_count
from app.services.reports.writers import render

from .town import NOVEMBER, OCTOBER, create_town

ZERO = D("0.00")


def journal_sum(session, period, *conditions) -> D:
    total = session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.posting_period == period,
                                                                       *conditions))
    return D(str(total or 0)).quantize(D("0.01"))


def journal_paid(session, period) -> D:
    """The journal's payment total of a period: payments and their reversals, as received (positive)."""
    return -journal_sum(session, period, or_(JournalEntry.kind == "payment",
                                             (JournalEntry.kind == "reversal") & (JournalEntry.detail_kind == "payment")))


def rows_of(report):
    return [dict(zip([c.code for c in report.columns], row)) for row in report.rows]


def machine_csv(report):
    return list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"))))


def receive(session, account_id, amount, paid_on, external_id, source="каса"):
    payment = Payment(external_id=external_id, account_id=account_id, paid_on=paid_on, amount=D(amount), source=source)
    ledger.receive_payment(session, payment, "operator")
    session.commit()
    return payment


def _month_with_payments(session, ids):
    """October billed and closed; in November: a cash payment, one dated in closed October, one
    reversed, and a bank register of two payments imported."""
    run_billing()
    close_period(OCTOBER, "accountant")
    accounts = ids["accounts"]
    receive(session, accounts[1], "500.00", date(2026, 11, 5), "CASH-1")
    receive(session, accounts[2], "300.00", date(2026, 10, 20), "CASH-OCT")  # dated in the closed period
    wrong = receive(session, accounts[3], "200.00", date(2026, 11, 6), "CASH-WRONG")
    ledger.reverse_payment(session, wrong.id, "не той рахунок", "accountant")
    session.commit()
    register = ("external_id,account_number,paid_on,amount,source\n"
                "BANK-1,E1-001,2026-11-10,120.50,ПриватБанк\nBANK-2,E1-003,2026-11-10,79.50,ПриватБанк\n")
    record_id, outcome = import_bytes("payments", register.encode(), "register-1110.csv")
    assert outcome.written, outcome.problems
    return record_id, wrong


def test_payments_total_is_the_journals_with_a_reversal_and_a_closed_period_date(bdb):
    session = db.session
    ids = create_town()
    record_id, wrong = _month_with_payments(session, ids)
    report = build("payments", ReportFilters(period=NOVEMBER))
    rows = rows_of(report)
    assert sum((r["amount"] for r in rows), ZERO) == journal_paid(session, NOVEMBER) == D("1000.00")
    by_id = defaultdict(list)
    for r in rows:
        by_id[r["external_id"]].append(r)
    assert [r["amount"] for r in by_id["CASH-1"]] == [D("500.00")]
    # the payment dated in closed October: posted (and shown) in November with its own date
    assert [(r["paid_on"], r["amount"]) for r in by_id["CASH-OCT"]] == [(date(2026, 10, 20), D("300.00"))]
    assert not any(r["external_id"] == "CASH-OCT" for r in rows_of(build("payments", ReportFilters(period=OCTOBER))))
    # the reversed payment and its reversal, which takes it back
    assert sorted(r["amount"] for r in by_id["CASH-WRONG"]) == [D("-200.00"), D("200.00")]
    assert [r["note"] for r in by_id["CASH-WRONG"] if r["amount"] < 0] == ["Сторно"]
    # the import file of the bank register; a payment from the cash desk has none
    assert {r["import_id"] for r in by_id["BANK-1"] + by_id["BANK-2"]} == {record_id}
    assert by_id["CASH-1"][0]["import_id"] is None
    assert by_id["BANK-1"][0]["owner_name"] == "Власник 1"
    # the machine CSV: the codes of formats.md, amount with a decimal point
    table = machine_csv(build("payments", ReportFilters(period=NOVEMBER)))
    assert tuple(table[0]) == kinds()["payments"].codes
    assert ["BANK-2", "E1-003", "2026-11-10", "79.50", "ПриватБанк", str(record_id)] in table
    # after the close (advance offsets are pairs summing to zero) the total still matches
    run_billing()
    close_period(NOVEMBER, "accountant")
    rows = rows_of(build("payments", ReportFilters(period=NOVEMBER)))
    assert sum((r["amount"] for r in rows), ZERO) == journal_paid(session, NOVEMBER) == D("1000.00")
    assert len(rows) == 6


def test_payments_grouped_and_filtered(bdb):
    session = db.session
    ids = create_town()
    record_id, _ = _month_with_payments(session, ids)
    by_day = {r["paid_on"]: (r["amount"], r["count"])
              for r in rows_of(build("payments", ReportFilters(period=NOVEMBER, extra={"group": "day"})))}
    expected = defaultdict(lambda: (ZERO, 0), {date(2026, 10, 20): (D("300.00"), 1), date(2026, 11, 5): (D("500.00"), 1),
                                               date(2026, 11, 6): (D("200.00"), 1), date(2026, 11, 10): (D("200.00"), 2)})
    amount, count = expected[date.today()]  # the reversal is dated the day it is made, taking one payment back
    expected[date.today()] = (amount - D("200.00"), count - 1)
    assert by_day == dict(expected)
    by_source = {r["source"]: (r["amount"], r["count"])
                 for r in rows_of(build("payments", ReportFilters(period=NOVEMBER, extra={"group": "source"})))}
    assert by_source == {"каса": (D("800.00"), 2), "ПриватБанк": (D("200.00"), 2)}
    grouped = rows_of(build("payments", ReportFilters(period=NOVEMBER, extra={"group": "import"})))
    by_import = {r["import_id"]: (r["amount"], r["count"], r["file_name"]) for r in grouped}
    assert by_import == {record_id: (D("200.00"), 2, "register-1110.csv"), None: (D("800.00"), 2, "")}
    assert sum((r["amount"] for r in grouped), ZERO) == journal_paid(session, NOVEMBER)
    # the account, the source, the date range
    one = rows_of(build("payments", ReportFilters(period=NOVEMBER, account_id=ids["accounts"][1])))
    assert sorted(r["external_id"] for r in one) == ["BANK-1", "CASH-1"]
    bank = rows_of(build("payments", ReportFilters(period=NOVEMBER, extra={"source": "приватбанк"})))
    assert sorted(r["external_id"] for r in bank) == ["BANK-1", "BANK-2"]
    days = rows_of(build("payments", ReportFilters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 9))))
    assert sorted((r["external_id"], r["amount"]) for r in days if r["paid_on"] <= date(2026, 11, 9)) == \
        sorted((r["external_id"], r["amount"]) for r in days)
    assert {"CASH-1", "CASH-WRONG"} <= {r["external_id"] for r in days}
    assert "CASH-OCT" not in {r["external_id"] for r in days} and "BANK-1" not in {r["external_id"] for r in days}
    assert rows_of(build("payments", ReportFilters(period=NOVEMBER, building_ids=(ids["building"] + 1000,)))) == []


def test_subsidies_against_the_charges_from_the_journal(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER, "accountant")
    subsidies = ("account_number,period,amount,service_code\n"
                 "E1-001,2026-11,150.00,HEAT\nE1-002,2026-11,90.00,\n")
    _, outcome = import_bytes("subsidies", subsidies.encode(), "subsidies.csv")
    assert outcome.written, outcome.problems
    run_billing()
    report = build("subsidies", ReportFilters(period=NOVEMBER))
    rows = rows_of(report)
    journal = -journal_sum(session, NOVEMBER, JournalEntry.kind == "subsidy")
    assert sum((r["amount"] for r in rows), ZERO) == journal == D("240.00")
    heat = [r for r in rows if r["account_number"] == "E1-001"]
    assert [(r["service_code"], r["amount"]) for r in heat] == [("HEAT", D("150.00"))]
    # charged: the service's charges of the month (the draft of November, as the turnover shows it)
    drafted = session.scalar(select(func.sum(ChargeLine.amount)).where(
        ChargeLine.period == NOVEMBER, ChargeLine.account_id == ids["accounts"][1],
        ChargeLine.service_id == ids["services"]["HEAT"], ChargeLine.kind.in_(("charge", "imbalance", "penalty",
                                                                                "recalculation"))))
    assert heat[0]["charged"] == D(str(drafted)).quantize(D("0.01")) and heat[0]["charged"] > 0
    # a subsidy with no service is spread over the account's services in the journal
    spread = [r for r in rows if r["account_number"] == "E1-002"]
    assert sum((r["amount"] for r in spread), ZERO) == D("90.00") and len(spread) >= 1
    table = machine_csv(build("subsidies", ReportFilters(period=NOVEMBER)))
    assert tuple(table[0]) == ("account_number", "service_code", "amount") and ["E1-001", "HEAT", "150.00"] in table
    assert rows_of(build("subsidies", ReportFilters(period=NOVEMBER, service_id=ids["services"]["HEAT"]))) == \
        [r for r in rows if r["service_code"] == "HEAT"]
    assert rows_of(build("subsidies", ReportFilters(period=OCTOBER))) == []


def test_periods_with_who_closed_and_the_journals_totals(bdb):
    session = db.session
    ids = create_town()
    _month_with_payments(session, ids)
    run_billing()  # November's draft
    rows = {r["period"]: r for r in rows_of(build("periods", ReportFilters()))}
    assert list(rows) == [NOVEMBER, OCTOBER]
    october, november = rows[OCTOBER], rows[NOVEMBER]
    assert (october["status"], october["closed_by"]) == ("closed", "accountant") and october["closed_at"]
    assert (november["status"], november["closed_by"], november["closed_at"]) == ("open", None, None)
    assert october["status_name"] == "Закритий"
    charged = journal_sum(session, OCTOBER, JournalEntry.kind.in_(("charge", "imbalance", "penalty")))
    assert october["charged"] == charged == D("31765.00")  # the town: 10682,50 + 12621,25 + 8461,25
    assert october["paid"] == journal_paid(session, OCTOBER) == ZERO
    assert november["paid"] == journal_paid(session, NOVEMBER) == D("1000.00")
    draft = session.scalar(select(func.sum(ChargeLine.amount)).where(
        ChargeLine.period == NOVEMBER, ChargeLine.kind.in_(("charge", "imbalance", "penalty"))))
    assert november["charged"] == D(str(draft)).quantize(D("0.01")) > 0
    # the same figures as the turnover's column totals of each period
    for period in (OCTOBER, NOVEMBER):
        turnover = ledger.turnover(session, period)
        assert rows[period]["charged"] == sum((v["charged"] for v in turnover.values()), ZERO)
        assert rows[period]["paid"] == -sum((v["paid"] for v in turnover.values()), ZERO)
    assert tuple(machine_csv(build("periods", ReportFilters()))[0]) == kinds()["periods"].codes
    close_period(NOVEMBER, "director")
    rows = {r["period"]: r for r in rows_of(build("periods", ReportFilters()))}
    assert rows[NOVEMBER]["closed_by"] == "director" and rows["2026-12"]["status"] == "open"


# -- the work lists ----------------------------------------------------------------------------

def _second_building(session):
    """E2: flats 10, 2, 1 in entrance 1 and 3 in entrance 2, a cold-water meter each; flat 2 read 0."""
    cold = session.scalar(select(MeterType).where(MeterType.code == "CW15"))
    building = Building(code="E2", address="вул. Садова, 2", floors=3)
    session.add(building)
    meters = {}
    for number, entrance, due in (("10", 1, date(2026, 10, 20)), ("2", 1, date(2026, 12, 1)), ("1", 1, None),
                                  ("3", 2, date(2026, 10, 31))):
        premise = Premise(building=building, number=number, kind="apartment", total_area=D("40"), entrance=entrance)
        meter = Meter(serial=f"E2-CW-{number}", meter_type=cold, building=building, premise=premise,
                      installed_on=date(2020, 1, 1), initial_reading=D("0"), next_verification=due)
        session.add_all([premise, meter])
        meters[number] = meter
    removed = Meter(serial="E2-CW-OLD", meter_type=cold, building=building, premise=None,
                    installed_on=date(2020, 1, 1), removed_on=date(2026, 10, 10), next_verification=date(2026, 1, 1))
    session.add(removed)
    session.flush()
    session.add(Reading(meter=meters["2"], date=date(2026, 10, 15), value=D("0"), source="inspector"))
    session.add(Reading(meter=meters["3"], date=date(2026, 9, 30), value=D("12"), source="inspector"))
    session.commit()
    return building.id


def test_readings_missing_by_building_entrance_and_flat_with_zero_a_reading(bdb):
    session = db.session
    ids = create_town()
    e2 = _second_building(session)
    report = build("readings_missing", ReportFilters(period=OCTOBER))
    listed = [(r["building_code"], r["entrance"], r["number"], r["serial"], r["last_reading_date"])
              for r in rows_of(report)]
    assert listed == [
        ("E1", None, "2", "E1-CW-2", date(2026, 9, 30)), ("E1", None, "3", "E1-CW-3", date(2026, 9, 30)),
        ("E2", 1, "1", "E2-CW-1", None), ("E2", 1, "10", "E2-CW-10", None), ("E2", 2, "3", "E2-CW-3", date(2026, 9, 30)),
    ]  # E2 flat 2 read 0 m³: not missing; the meter removed in October: not in service
    assert readings_missing_count(session, OCTOBER) == 5
    assert rows_of(report)[0]["address"] == "вул. Енергетиків, 1"
    # an inspector of E1 sees only E1
    scoped = rows_of(build("readings_missing", ReportFilters(period=OCTOBER, building_ids=(ids["building"],))))
    assert {r["building_code"] for r in scoped} == {"E1"} and len(scoped) == 2
    assert readings_missing_count(session, OCTOBER, building_ids=(ids["building"],)) == 2
    assert readings_missing_count(session, OCTOBER, building_ids=(e2,)) == 3
    assert [r["serial"] for r in rows_of(build("readings_missing", ReportFilters(period=OCTOBER, building_id=e2)))] \
        == ["E2-CW-1", "E2-CW-10", "E2-CW-3"]
    table = machine_csv(build("readings_missing", ReportFilters(period=OCTOBER)))
    assert tuple(table[0]) == kinds()["readings_missing"].codes
    assert ["E2", "3", "E2-CW-3", "cold_water", "2026-09-30"] in table and ["E2", "10", "E2-CW-10", "cold_water", ""] in table


def test_verification_due_by_the_period_end_or_a_date_within_the_scope(bdb):
    session = db.session
    ids = create_town()
    e2 = _second_building(session)
    rows = rows_of(build("verification_due", ReportFilters(period=OCTOBER)))
    assert [(r["serial"], r["next_verification"]) for r in rows] == [
        ("E2-CW-10", date(2026, 10, 20)), ("E2-CW-3", date(2026, 10, 31))]  # the removed meter is not listed
    later = rows_of(build("verification_due", ReportFilters(period=OCTOBER, date_to=date(2026, 12, 31))))
    assert [r["serial"] for r in later] == ["E2-CW-2", "E2-CW-10", "E2-CW-3"]  # natural order: 2 before 10
    assert [r["entrance"] for r in later] == [1, 1, 2]
    assert rows_of(build("verification_due", ReportFilters(period=OCTOBER, date_to=date(2026, 12, 31),
                                                           building_ids=(ids["building"],)))) == []
    far = rows_of(build("verification_due", ReportFilters(period=OCTOBER, date_to=date(2030, 1, 1),
                                                          building_ids=(ids["building"],))))
    assert [r["serial"] for r in far] == ["E1-HOUSE-CW", "E1-HOUSE-HEAT", "E1-CW-1", "E1-CW-2", "E1-CW-3"]
    assert tuple(machine_csv(build("verification_due", ReportFilters(period=OCTOBER)))[0]) == \
        ("building_code", "number", "serial", "resource", "next_verification")
    assert e2


def test_the_kinds_declare_money_and_work_lists():
    known = kinds()
    assert known["readings_missing"].work_list and not known["readings_missing"].money
    assert known["verification_due"].work_list and not known["verification_due"].money
    assert known["periods"].money and known["periods"].filters == ()
    assert known["payments"].money and not known["payments"].work_list
    assert [f.name for f in known["payments"].own_filters] == ["group", "source"]


def _statements(session, kind, filters) -> int:
    from sqlalchemy import event

    seen = []

    def count(*_):
        seen.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = build(kind, filters)
        list(report.rows)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_set_based_the_statements_do_not_grow_with_the_rows(bdb):
    """A few statements per report, the same number with three times the payments and meters."""
    session = db.session
    ids = create_town()
    _month_with_payments(session, ids)
    _second_building(session)
    first = "account_number,period,amount,service_code\nE1-001,2026-11,50.00,HEAT\n"
    assert import_bytes("subsidies", first.encode(), "s1.csv")[1].written
    asked = {"payments": ReportFilters(period=NOVEMBER), "subsidies": ReportFilters(period=NOVEMBER),
             "periods": ReportFilters(), "readings_missing": ReportFilters(period=NOVEMBER),
             "verification_due": ReportFilters(period=NOVEMBER, date_to=date(2030, 1, 1))}
    before = {kind: _statements(session, kind, filters) for kind, filters in asked.items()}
    assert all(n <= 12 for n in before.values()), before
    cold = session.scalar(select(MeterType).where(MeterType.code == "CW15"))
    building = session.scalar(select(Building).where(Building.code == "E2"))
    for n in range(10):
        premise = Premise(building=building, number=f"{20 + n}", kind="apartment", total_area=D("30"), entrance=3)
        session.add_all([premise, Meter(serial=f"E2-MORE-{n}", meter_type=cold, building=building, premise=premise,
                                        installed_on=date(2020, 1, 1), next_verification=date(2026, 11, 1))])
    session.commit()
    for n in range(10):
        receive(session, ids["accounts"][1 + n % 3], "10.00", date(2026, 11, 20), f"MORE-{n}")
    subsidies = "account_number,period,amount,service_code\nE1-003,2026-11,40.00,UTR\n"
    assert import_bytes("subsidies", subsidies.encode(), "s.csv")[1].written
    after = {kind: _statements(session, kind, filters) for kind, filters in asked.items()}
    assert after == before
    assert len(rows_of(build("payments", ReportFilters(period=NOVEMBER)))) == 16


def test_the_work_lists_name_the_resource_for_people(bdb):
    create_town()
    rows = rows_of(build("readings_missing", ReportFilters(period=OCTOBER)))
    assert {(r["resource"], r["resource_name"]) for r in rows} == {("cold_water", "Холодна вода")}


def test_the_new_kinds_write_as_csv_and_xlsx_with_numbers_as_numbers(bdb):
    from openpyxl import load_workbook

    session = db.session
    ids = create_town()
    _month_with_payments(session, ids)
    _second_building(session)
    subsidy = "account_number,period,amount,service_code\nE1-001,2026-11,50.00,HEAT\n"
    assert import_bytes("subsidies", subsidy.encode(), "s1.csv")[1].written
    for kind in ("payments", "subsidies", "verification_due", "readings_missing", "periods"):
        filters = ReportFilters(period=NOVEMBER, date_to=date(2030, 1, 1) if kind == "verification_due" else None)
        report = build(kind, filters)
        table = machine_csv(build(kind, filters))
        assert tuple(table[0]) == kinds()[kind].codes and len(table) > 1, kind
        sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).active
        money = [i for i, c in enumerate(report.columns) if c.kind == "money"]
        from app.services.reports.writers import header_row

        cells = [c for row in sheet.iter_rows(min_row=header_row(report) + 1) for c in row]
        assert cells, kind
        assert all(c.data_type == "n" for c in cells if c.column - 1 in money and c.value is not None), kind
