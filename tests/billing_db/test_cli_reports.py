"""The command line of formats.md — ``oblik billing run``, ``oblik period close``, ``oblik report``
— and the reports: charges, turnover with its closing identity on every row, CSV and XLSX
safe from formula injection."""
import csv
import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from app.cli import main
from app.extensions import db
from app.models import Account, Payment
from app.services.billing import run_billing
from app.services.billing import close_period
from app.services.reports import build_report
from app.services.reports.writers import render
from app.services.spreadsheets import safe_text

from .town import NOVEMBER, OCTOBER, create_town


@pytest.fixture()
def oblik(bdb, monkeypatch):
    monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])

    def invoke(*args):
        db.session.commit()
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        db.session.expire_all()
        return result

    return invoke


def test_billing_run_period_close_and_current(oblik, tmp_path):
    create_town()
    result = oblik("billing", "run", "--quiet")
    assert result.exit_code == 0, result.output
    assert "2026-10" in result.stdout and "3" in result.stdout
    assert oblik("billing", "run", "--period", "2026-09").exit_code == 1
    assert oblik("billing", "run", "--building", "E1", "--quiet").exit_code == 0
    assert oblik("period", "close", "2026-09").exit_code == 1
    result = oblik("period", "close", OCTOBER)
    assert result.exit_code == 0, result.output
    assert oblik("period", "current").stdout.strip() == NOVEMBER
    result = oblik("report", "charges", "--period", OCTOBER, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["account_number", "service_code", "kind", "target_period", "quantity", "price", "amount",
                       "estimated"]
    assert len(rows) == 16
    path = tmp_path / "turnover.xlsx"
    assert oblik("report", "turnover", "--period", OCTOBER, "--format", "xlsx", "--output", path).exit_code == 0
    sheet = load_workbook(path).active
    from app.services.reports.writers import header_row

    report = build_report("turnover", OCTOBER)
    at = header_row(report)
    assert str(sheet["A1"].value).startswith("Оборотно-сальдова відомість")
    assert [c.value for c in sheet[at]][0] == "Особовий рахунок"
    assert sheet.max_row == at + 3 + 1 + len(report.notes)  # three accounts, the totals row, the notes under it
    assert oblik("report", "turnover", "--period", OCTOBER, "--format", "csv").stdout.splitlines()[0].startswith(
        "account_number,")
    assert oblik("report", "debtors-of-mars", "--period", OCTOBER).exit_code == 2


def test_turnover_rows_always_satisfy_the_closing_identity(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    session.add(Payment(external_id="T-1", account_id=ids["accounts"][1], paid_on=date(2026, 11, 3),
                        amount=D("20000.00")))
    session.commit()
    run_billing()
    close_period(NOVEMBER)
    for period in (OCTOBER, NOVEMBER, "2026-12"):
        report = build_report("turnover", period)
        keep = [i for i, c in enumerate(report.columns) if c.machine]
        rows = [tuple(row[i] for i in keep) for row in report.rows]
        assert rows, period
        for row in rows:
            number, opening, charged, recalculated, benefits, subsidies, paid, written_off, closing = row
            assert closing == opening + charged + recalculated + benefits + subsidies + paid + written_off
    def machine_rows(period):
        report = build_report("turnover", period)
        keep = [i for i, c in enumerate(report.columns) if c.machine]
        return {r[0]: r for r in (tuple(row[i] for i in keep) for row in report.rows)}

    november = machine_rows(NOVEMBER)
    first = november["E1-001"]
    assert first[1] == D("10682.50") and first[6] == D("-20000.00")
    december = machine_rows("2026-12")
    assert december["E1-001"][1] == first[8]  # the next opening is this closing


def test_charges_report_marks_estimates_and_recalculations(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    from .test_recalculation import november_changes

    november_changes(ids)
    run_billing()
    rows = list(build_report("charges", NOVEMBER).rows)
    estimated = [r for r in rows if r[7] == 1]
    assert [(r[0], r[1], r[2]) for r in estimated] == [("E1-003", "CW", "charge")]
    recalculations = [r for r in rows if r[2] == "recalculation"]
    assert {(r[0], r[3], r[6]) for r in recalculations} >= {("E1-003", OCTOBER, D("20.42")),
                                                            ("E1-001", OCTOBER, D("-7.35"))}


def test_reports_never_let_a_cell_become_a_formula(bdb):
    session = db.session
    ids = create_town()
    account = session.get(Account, ids["accounts"][1])
    account.account_number = "=HYPERLINK(\"http://evil\",\"x\")"
    session.commit()
    run_billing()
    rows = list(csv.reader(io.StringIO(render(build_report("charges", OCTOBER), "csv").decode("utf-8"))))
    assert {r[0] for r in rows[1:]} >= {"'=HYPERLINK(\"http://evil\",\"x\")", "E1-002"}
    assert rows[1][4:7] == ["6", "30.00", "180.00"]
    sheet = load_workbook(io.BytesIO(render(build_report("charges", OCTOBER), "xlsx"))).active
    hostile = next(c for c in sheet["A"] if c.value == "=HYPERLINK(\"http://evil\",\"x\")")
    assert hostile.data_type == "s" and hostile.quotePrefix  # a text cell with Excel's apostrophe
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert safe_text("-12") == "'-12" and safe_text("@cmd") == "'@cmd" and safe_text("E1") == "E1"


def test_every_report_keeps_numbers_numbers_and_texts_texts(bdb):
    """Every report of REPORT_KINDS, CSV and XLSX: a hostile account number lands as text, every money
    and quantity cell is a number — negative amounts (a payment in the turnover, a recalculation's
    reduction) included: ``-20000.00`` in the CSV, a numeric cell in the XLSX."""
    from app.services.reports import kinds

    session = db.session
    ids = create_town()
    evil = "=HYPERLINK(\"http://evil\",\"x\")"
    session.get(Account, ids["accounts"][2]).account_number = evil
    session.commit()
    run_billing()
    close_period(OCTOBER)
    session.add(Payment(external_id="T-EVIL", account_id=ids["accounts"][1], paid_on=date(2026, 11, 3),
                        amount=D("20000.00")))
    session.commit()
    run_billing()
    close_period(NOVEMBER)  # posts the payment
    negatives = negative_cells = 0
    checked = []
    for kind in kinds():
        report = build_report(kind, NOVEMBER)
        machine = report.machine_columns
        codes = [c.code for c in machine]
        numeric = [i for i, c in enumerate(machine) if c.kind in ("money", "quantity")]
        rows = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"), newline="")))
        assert rows[0] == codes
        for row in rows[1:]:
            for i in numeric:
                assert row[i] == "" or re.fullmatch(r"-?\d+(\.\d+)?", row[i]), (kind, codes[i], row[i])
                negatives += row[i].startswith("-")
        sheet = load_workbook(io.BytesIO(render(build_report(kind, NOVEMBER), "xlsx"))).active
        from app.services.reports.writers import header_row

        first = header_row(report) + 1  # the data rows, under the title and the headers, above the totals
        cells = [c for row in sheet.iter_rows(min_row=first, max_row=first + len(rows) - 2) for c in row]
        assert cells or len(rows) == 1, kind  # rows in the CSV: rows in the XLSX
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row), kind
        people = [c for c in report.columns if c.people]  # the XLSX's columns
        assert sheet.cell(first - 1, 1).value == str(people[0].title), kind
        numeric_cells = [i for i, c in enumerate(people) if c.kind in ("money", "quantity")]
        assert all(c.data_type == "n" for c in cells if c.column - 1 in numeric_cells and c.value is not None), kind
        negative_cells += sum(isinstance(c.value, (int, float)) and c.value < 0 for c in cells)
        at = codes.index("account_number") if "account_number" in codes else None
        if at is not None and any("evil" in r[at] for r in rows[1:]):  # the hostile account number lands as text
            assert "'" + evil in {r[at] for r in rows[1:]}, kind
            assert any(c.value == evil and c.data_type == "s" and c.quotePrefix for c in cells), kind
            checked.append(kind)
    assert {"turnover", "charges"} <= set(checked)
    assert negatives and negative_cells == negatives  # the payment's -20000.00 and the others, in both files
