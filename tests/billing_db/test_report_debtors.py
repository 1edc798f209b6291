"""The debtors report (app/services/reports/debtors.py) on the town with three-year-old debts
(tests/billing_db/writeoff_town.py): FIFO buckets that add up to the debt, the state of a closed
period at its close, the filters, the scope, and the machine columns of formats.md."""
import csv
import io
from decimal import Decimal as D

import pytest

from app.extensions import db
from app.models import Account, Premise
from app.services import ledger
from app.services.reports import ReportError, ReportFilters, build, kinds
from app.services.reports.writers import render

from .writeoff_town import old_debts_town

Z = D("0.00")


def _rows(**filters):
    report = build("debtors", ReportFilters(**filters))
    codes = [c.code for c in report.columns]
    return report, {r[0]: dict(zip(codes, r)) for r in report.rows}


def test_debtors_of_the_open_period_by_fifo(bdb):
    ids = old_debts_town()
    report, rows = _rows(period="2026-11")
    assert list(rows) == ["E1-001", "E1-002"]  # largest debt first; flat 3 has an advance
    one, two = rows["E1-001"], rows["E1-002"]
    # flat 1: UTR July + August 2023 (800,00) and CW July 2023 (180,00) beyond 36 months, October 2026's 400,00
    assert one["debt"] == D("1380.00") and one["months_36_plus"] == D("980.00") and one["months_0_1"] == D("400.00")
    assert one["oldest_unpaid_period"] == "2023-07"
    # flat 2: July 2023 paid by FIFO, August 2023 and October 2026 unpaid
    assert two["debt"] == D("960.00") and two["months_36_plus"] == D("480.00") and two["months_0_1"] == D("480.00")
    assert two["oldest_unpaid_period"] == "2023-08"
    for row in rows.values():
        assert sum(row[c] for c in ("months_0_1", "months_1_3", "months_3_6", "months_6_12", "months_12_36",
                                    "months_36_plus")) == row["debt"]
    # the debt is the ledger's balance of the services (no advance on these flats)
    books = ledger.balances(db.session)
    for number, account_id in ((n, ids["accounts"][i]) for i, n in ((1, "E1-001"), (2, "E1-002"))):
        assert rows[number]["debt"] == sum((v for s, v in books[account_id].items() if s is not None), Z)


def test_a_closed_period_is_its_state_at_the_close(bdb):
    old_debts_town()
    _, rows = _rows(period="2023-08")
    assert {n: r["debt"] for n, r in rows.items()} == {"E1-001": D("980.00"), "E1-002": D("480.00"),
                                                      "E1-003": D("640.00")}
    # counted on 31.08.2023: July's debt (dated 31.07.2023) is not yet older than one month
    assert rows["E1-001"]["months_0_1"] == D("980.00") and rows["E1-001"]["months_1_3"] == Z


def test_filters_and_scope(bdb):
    ids = old_debts_town()
    assert list(_rows(period="2026-11", extra={"min_debt": D("1000")})[1]) == ["E1-001"]
    assert list(_rows(period="2026-11", extra={"min_debt": D("0")})[1]) == ["E1-001", "E1-002"]  # zero is a value
    assert list(_rows(period="2026-11", extra={"older_than": 36})[1]) == ["E1-001", "E1-002"]
    # older than 0 months on 31.08.2023: July's debt is, August's is not (zero is a value)
    assert list(_rows(period="2023-08", extra={"older_than": 0})[1]) == ["E1-001", "E1-003"]
    assert list(_rows(period="2026-11", service_id=ids["services"]["CW"])[1]) == ["E1-001"]
    assert _rows(period="2026-11", account_id=ids["accounts"][2])[1].keys() == {"E1-002"}
    building = db.session.get(Premise, db.session.get(Account, ids["accounts"][1]).premise_id).building_id
    assert len(_rows(period="2026-11", building_ids=(building,))[1]) == 2
    assert _rows(period="2026-11", building_ids=(building + 1000,))[1] == {}
    with pytest.raises(ReportError) as refused:
        _rows(period="2019-01")
    assert refused.value.field == "period"


def test_machine_csv_has_the_columns_of_formats_md(bdb):
    old_debts_town()
    report = build("debtors", ReportFilters(period="2026-11"))
    lines = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"))))
    assert tuple(lines[0]) == kinds()["debtors"].codes
    assert lines[1][:5] == ["E1-001", lines[1][1], lines[1][2], "1380.00", "2023-07"]
