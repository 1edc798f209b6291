"""Formula injection: every CSV and XLSX Oblik writes goes through the one safe writer
(``app/services/spreadsheets.py``). A source scan fails when a file is written anywhere else; the
content tests show the rule — a text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return lands as text (CSV: a leading apostrophe; XLSX: a text cell with Excel's own apostrophe, the
style's quotePrefix), while numbers,
negative money included, stay numbers. The writers one by one: the reports
(``tests/billing_db/test_cli_reports.py``), the import problem report and the import of XLSX
formulas (``tests/imports/test_formulas.py``), the statement of account
(``tests/billing_db/test_statement.py``) and the import templates (below)."""
import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from app.services.spreadsheets import (
    CsvWriter,
    Workbook,
    csv_bytes,
    csv_cell,
    safe_text,
    xlsx_bytes,
)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
OWNER = APP / "services" / "spreadsheets.py"
# Reading, not writing: the import reads CSV (csv.reader) and XLSX (openpyxl.load_workbook); the
# bulk insert hands PostgreSQL's COPY a CSV stream — a database's input, never a file for a person.
EXEMPT = {APP / "services" / "imports" / "files.py": re.compile(r"(?:import csv|import openpyxl)$"),
          APP / "services" / "sql.py": re.compile(r"import csv$|csv\.writer\(buffer\)\.writerows\(")}
WRITING = re.compile(
    r"^[ \t]*(?:import|from)[ \t]+(?:xlsxwriter|openpyxl|csv)\b"      # a writer library at all
    r"|\bcsv\.(?:writer|DictWriter)\b|\bxlsxwriter\b|openpyxl\.Workbook\b|\bWorkbook\(\)"
    r"|\.write_(?:string|number|formula|array_formula|url|datetime|rich_string|blank|column)\(", re.MULTILINE)
# Every place that hands a person a CSV or XLSX file. Each is covered by a content test (the module
# docstring); a new download is added here together with its test.
DOWNLOADS = {
    "app/views/billing.py": "reports: /billing/report/<kind>?format=csv|xlsx",
    "app/views/imports.py": "the import templates /imports/template/<kind>[?format=csv], the problem report "
                            "/imports/N/report.csv and the rejected rows /imports/N/rejected "
                            "(tests/imports/test_bank_files.py)",
    "app/views/statement.py": "the statement of account /statement/xlsx",
    "app/views/write_offs.py": "the list of write-off statements /writeoffs/xlsx (tests/billing_db/test_write_off_http.py)",
    "app/views/reports.py": "the report screens' downloads /reports/<kind>/download/<csv|xlsx|csv-uk|dbf> "
                            "(tests/billing_db/test_report_screen.py)",
    "app/views/reading_sheet.py": "the readings sheet to fill in and import /readings/sheet/xlsx "
                                  "(tests/billing_db/test_reading_sheet_http.py)",
    "app/cli_billing.py": "oblik report KIND [--format csv|xlsx|csv-uk] (tests/billing_db/test_cli_reports.py)",
}
HANDS_OUT = re.compile(r"text/csv|spreadsheetml|XLSX_MIME|CSV_MIME|\.(?:csv|xlsx)\b[\"'}]|write_csv|write_xlsx"
                       r"|reports\.writers import\b")
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)", "\t=1+1", "\r=1+1", "-12.50"]


def _source_files():
    return [p for p in sorted(APP.rglob("*.py")) if "translations" not in p.parts]


def test_no_csv_or_xlsx_is_written_outside_the_safe_writer():
    offenders = []
    for path in _source_files():
        if path == OWNER:
            continue
        text = path.read_text(encoding="utf-8")
        for match in WRITING.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            source = text.splitlines()[line - 1].strip()
            if path in EXEMPT and EXEMPT[path].match(source):
                continue
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {source}")
    reader = (APP / "services" / "imports" / "files.py").read_text(encoding="utf-8")
    assert not re.search(r"csv\.writer|xlsxwriter|openpyxl\.Workbook|\.save\(", reader)  # it only reads
    assert not offenders, ("write CSV and XLSX through app/services/spreadsheets.py (CsvWriter, csv_bytes, "
                           "Workbook, xlsx_bytes):\n" + "\n".join(offenders))


def test_every_download_of_a_spreadsheet_is_known_and_tested():
    found = {str(p.relative_to(ROOT)) for p in _source_files()
             if p != OWNER and not str(p).startswith(str(APP / "services")) and HANDS_OUT.search(p.read_text("utf-8"))}
    assert found == set(DOWNLOADS), ("a new CSV/XLSX download: add it to DOWNLOADS with a content test "
                                     f"(new: {sorted(found - set(DOWNLOADS))}, gone: {sorted(set(DOWNLOADS) - found)})")


def test_the_scan_sees_a_writer():
    for line in ("import csv", "import xlsxwriter", "w = csv.writer(out)", "sheet.write_string(0, 0, v)",
                 "sheet.write_formula(0, 0, '=A1')", "from openpyxl import Workbook", "csv.DictWriter(out, names)"):
        assert WRITING.search(line), line
    for line in ("book.sheet(name)", "sheet.write(0, 0, value)", "csv_bytes(rows)"):
        assert not WRITING.search(line), line


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert safe_text(text) == "'" + text
    assert csv_cell(text) == "'" + text


def test_texts_that_start_safely_and_numbers_are_left_alone():
    for text in ("E1-002", "вул. Шевченка, 10", "", "1=1", "a+b", " =1"):
        assert csv_cell(text) == text
    assert csv_cell(Decimal("-12.50")) == "-12.50"
    assert csv_cell(Decimal("1E+3")) == "1000"
    assert csv_cell(-5) == "-5"
    assert csv_cell(-1.5) == "-1.5"
    assert csv_cell(True) == "1" and csv_cell(None) == ""
    assert csv_cell(date(2026, 11, 30)) == "2026-11-30"


def test_csv_rows_through_the_writer():
    out = io.StringIO(newline="")
    CsvWriter(out).writerows([["text", "amount"], *[[t, Decimal("-12.50")] for t in HOSTILE]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert {r[1] for r in rows[1:]} == {"-12.50"}
    data = csv_bytes([["=1", Decimal("-0.01")]], delimiter=";", bom=True)
    assert data.decode("utf-8") == "\ufeff'=1;-0.01\n"


def test_xlsx_texts_are_text_cells_and_numbers_numeric_cells():
    def build(book):
        sheet = book.sheet("Звіт: [листопад]/2026?")
        money = book.format(num_format="0.00")
        for row, text in enumerate(HOSTILE):
            sheet.write(row, 0, text)
            sheet.write(row, 1, Decimal("-12.50"), money)
            sheet.write(row, 2, -3)
            sheet.write(row, 3, date(2026, 11, 30), book.format(num_format="dd.mm.yyyy"))
            sheet.write(row, 4, None)
            sheet.write(row, 5, "E1-002")

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(build)))
    sheet = book.worksheets[0]
    assert sheet.title == "Звіт   листопад  2026"
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    # the text as it was, in a text cell with Excel's apostrophe (openpyxl reads a CR as _x000D_)
    assert [c.value.replace("_x000D_", "\r") for c in sheet["A"]] == HOSTILE
    assert all(c.data_type == "s" and c.quotePrefix for c in sheet["A"])
    assert {(c.data_type, c.value) for c in sheet["B"]} == {("n", -12.5)}
    assert {(c.data_type, c.value) for c in sheet["C"]} == {("n", -3)}
    assert {c.value.date() for c in sheet["D"]} == {date(2026, 11, 30)}
    assert {(c.value, c.quotePrefix) for c in sheet["F"]} == {("E1-002", False)}


def test_a_sheet_has_no_back_door_to_the_raw_writers():
    with Workbook(io.BytesIO()) as book:
        sheet = book.sheet("x")
        for name in ("write_formula", "write_string", "write_url", "write_number"):
            with pytest.raises(AttributeError):
                getattr(sheet, name)


def test_every_import_template_holds_values_only(app):
    """Each kind's template: the headers and the example row, numbers as numbers, no formula."""
    from app.services.imports import KINDS
    from app.services.imports.template import build_template

    with app.test_request_context():
        for name, kind in KINDS.items():
            book = openpyxl.load_workbook(io.BytesIO(build_template(kind)))
            data = book.worksheets[0]
            assert [c.value for c in data[1]] == [kind.titles[c.name] for c in kind.columns], name
            for cell, col in zip(data[2], kind.columns):
                assert cell.data_type != "f", (name, col.name)
                example = col.example
                if isinstance(example, (int, Decimal)) and not isinstance(example, bool):
                    assert cell.data_type == "n" and Decimal(str(cell.value)) == example, (name, col.name)
                elif isinstance(example, str) and example:
                    assert cell.value == example, (name, col.name)
            assert all(c.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
