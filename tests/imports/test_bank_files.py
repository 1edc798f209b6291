"""Imports the way banks and spreadsheets send them (issue 12, item 5): Ukrainian column headers
beside the codes, CSV templates for Ukrainian Excel, control totals in the preview, and a payment
register whose valid rows are written on the user's choice while the rejected ones come back as a
file to fix and import again — without counting the written ones twice."""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models import ImportRecord, JournalEntry, Payment
from app.services.imports import KINDS, FileRefused
from app.services.imports.engine import map_headers
from app.services.imports.headers import HEADERS, REASON_HEADER, normalise

from .helpers import DEPENDS, Town, counts, load, run, write_csv, write_xlsx
from .test_views import Db, _upload


@pytest.fixture()
def db(app):
    return Db(app)


def _ukrainian(rows, kind, alias=False):
    """The rows with the Ukrainian headers of ``kind`` (the first, or the last accepted one)."""
    names = {code: HEADERS[kind][code][-1 if alias else 0] for code in HEADERS[kind]}
    return [{names[code]: value for code, value in row.items()} for row in rows]


# --- 1. Ukrainian headers ---------------------------------------------------------------------

def test_the_table_of_headers_covers_every_column_once():
    for name, kind in KINDS.items():
        assert set(HEADERS[name]) == set(kind.by_name), name  # every column has its Ukrainian header
        seen = {}
        for code, titles in HEADERS[name].items():
            for title in titles:
                assert re.search("[А-Яа-яІіЇїЄєҐґ]", title) or title in ("E-mail",), (name, title)
                # one header never names two columns of a kind
                assert seen.setdefault(normalise(title), code) == code, (name, title)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_imports_with_ukrainian_headers(ctx, kind):
    """The town's rows of every kind under their Ukrainian headers — upper case, with spaces
    around — land exactly as under the codes; again with the other accepted headers, unchanged."""
    town = Town()
    done = set()
    for dependency in DEPENDS[kind]:
        load(town, dependency, done)
    rows = town.rows(kind)
    before = counts(ctx)
    outcome = run(kind, write_csv(_ukrainian(rows, kind), delimiter=";", header_case=lambda h: f"  {h.upper()} "))
    assert outcome.rejected == 0, [p.as_dict() for p in outcome.problems]
    assert (outcome.created, outcome.written) == (len(rows), True)
    assert [w for w in outcome.warnings if "Примітка" not in w] == []  # only the file's own extra column
    assert counts(ctx)[KINDS[kind].table.name] == before[KINDS[kind].table.name] + len(rows)
    again = run(kind, write_csv(_ukrainian(rows, kind, alias=True), header_case=str.lower))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, len(rows), 0)


def test_mixed_headers_and_xlsx(ctx):
    town = Town()
    load(town, "accounts")
    rows = [{"Ідентифікатор оплати": f"{town.p}-X1", "account_number": f"{town.p}-A1", "дата оплати": date(2026, 11, 3),
             "AMOUNT": Decimal("10.50")}]
    outcome = run("payments", write_xlsx(rows), "bank.xlsx")  # headers .title()d: «Дата Оплати», «Amount»
    assert (outcome.created, outcome.written) == (1, True), [p.as_dict() for p in outcome.problems]


def test_unknown_duplicate_and_missing_headers_are_named_in_ukrainian(ctx):
    town = Town()
    load(town, "accounts")
    base = {"Ідентифікатор оплати": f"{town.p}-U1", "Особовий рахунок": f"{town.p}-A1", "Дата оплати": "03.11.2026"}
    outcome = run("payments", write_csv([{**base, "Сумма": "5", "Сума": "5"}], reverse_columns=False,
                                        extra_column=False, header_case=str), dry_run=True)
    assert outcome.warnings == ["Невідомий стовпець «Сумма» пропущено"]
    assert outcome.ok

    refused = run("payments", write_csv([{**base, "Сума": "5", "amount": "5"}], header_case=str, reverse_columns=False),
                  dry_run=True)
    assert isinstance(refused, FileRefused) and refused.code == "duplicate_column"
    assert str(refused) == ("Стовпці «Сума» і «amount» — це один і той самий стовпець (amount): залиште один із них")

    missing = run("payments", write_csv([{"Особовий рахунок": f"{town.p}-A1", "Сума": "5"}]), dry_run=True)
    assert isinstance(missing, FileRefused) and missing.code == "missing_key"
    assert "«Ідентифікатор оплати» (external_id)" in str(missing) and "«Сума» (amount)" in str(missing)

    # a rejected cell is reported under the header the file wrote
    bad = run("payments", write_csv([{**base, "Сума": "п'ять"}], header_case=str), dry_run=True)
    assert [(p.row, p.column, p.value) for p in bad.problems] == [(2, "Сума", "п'ять")]
    english = run("payments", write_csv([{"external_id": f"{town.p}-U1", "account_number": f"{town.p}-A1",
                                          "paid_on": "03.11.2026", "amount": "п'ять"}], header_case=str), dry_run=True)
    assert [p.column for p in english.problems] == ["amount"]


def test_apostrophes_and_inner_spaces_of_a_header():
    kind = KINDS["premises"]
    index, warnings, shown = map_headers(kind, ["код   будинку", "Номер-приміщення", "Під'їзд"])
    assert (set(index), warnings) == ({"building_code", "number", "entrance"}, [])
    assert shown["entrance"] == "Під'їзд"


# --- 2. templates -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["payments", "readings", "meters"])
def test_csv_template_for_ukrainian_excel(client_as, kind):
    response = client_as("accountant").get(f"/imports/template/{kind}?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"oblik-{kind}.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Cyrillic
    rows = list(csv.reader(io.StringIO(response.data[3:].decode("utf-8")), delimiter=";"))
    spec = KINDS[kind]
    assert rows[0] == [spec.titles[c.name] for c in spec.columns]  # columns, not one cell with «;» in it
    assert len(rows) == 2 and len(rows[1]) == len(spec.columns)
    index, warnings, _shown = map_headers(spec, rows[0])  # the template's header is read back whole
    assert set(index) == set(spec.by_name) and warnings == []
    if kind == "payments":
        assert rows[0][:4] == ["Ідентифікатор оплати", "Особовий рахунок", "Дата оплати", "Сума"]
        assert rows[1][2:4] == ["28.11.2026", "1250,40"]  # a date and a decimal comma, as Excel shows them
    assert client_as("operator").get("/imports/template/services?format=csv").status_code == 404


def test_index_offers_both_templates_and_shows_the_headers(client_as):
    page = client_as("operator").get("/imports/").get_data(as_text=True)
    assert 'href="/imports/template/payments?format=csv"' in page and 'href="/imports/template/payments"' in page
    assert "Особовий рахунок" in page and "<code>account_number</code>" in page


# --- 3. control totals ------------------------------------------------------------------------

def _payments(town, amounts, days=None):
    days = days or [date(2026, 11, 3 + n) for n in range(len(amounts))]
    return [{"external_id": f"{town.p}-C{n}", "account_number": f"{town.p}-A{1 + n % 2}", "paid_on": day,
             "amount": amount} for n, (amount, day) in enumerate(zip(amounts, days))]


def test_control_totals_worked_numbers(ctx):
    town = Town()
    load(town, "accounts")
    rows = _payments(town, [Decimal("1250.40"), Decimal("12345.67"), Decimal("0.05")],
                     [date(2026, 11, 25), date(2026, 11, 3), date(2026, 11, 10)])
    outcome = run("payments", write_csv(rows, delimiter=";"), dry_run=True)
    # 1 250,40 + 12 345,67 + 0,05 = 13 596,12; dates from the 3rd to the 25th
    assert outcome.totals == {"rows": 3, "amount": "13596.12", "amount_unread": 0, "dated": "date",
                              "date_from": "2026-11-03", "date_to": "2026-11-25", "valid_rows": 3,
                              "valid_amount": "13596.12"}

    rows[1]["amount"] = "abc"          # unreadable: not summed, counted apart
    rows[2]["account_number"] = "nope"  # readable, but the row is rejected: in the file's sum, not the valid one
    outcome = run("payments", write_csv(rows, delimiter=";"), dry_run=True)
    assert (outcome.totals["rows"], outcome.totals["amount"], outcome.totals["amount_unread"]) == (3, "1250.45", 1)
    assert (outcome.totals["valid_rows"], outcome.totals["valid_amount"]) == (1, "1250.40")


def test_control_totals_of_zero_rows_and_zero_amounts(ctx):
    town = Town()
    load(town, "accounts")
    empty = run("payments", "external_id;account_number;paid_on;amount\r\n".encode(), dry_run=True)
    assert empty.totals == {"rows": 0, "amount": "0", "amount_unread": 0, "dated": "date", "date_from": None,
                            "date_to": None, "valid_rows": 0, "valid_amount": "0"}
    zero = run("payments", write_csv(_payments(town, [Decimal("0"), Decimal("0.00")]), delimiter=";"), dry_run=True)
    assert zero.rejected == 2  # a payment is above zero
    assert (zero.totals["rows"], Decimal(zero.totals["amount"]), zero.totals["valid_rows"]) == (2, 0, 0)


def test_control_totals_of_subsidies_and_readings(ctx):
    town = Town()
    load(town, "subsidies")
    outcome = run("subsidies", write_csv(town.rows("subsidies")), dry_run=True)
    # 812,00 + 120,50 + 300 = 1 232,50, October to November
    assert {k: outcome.totals[k] for k in ("rows", "amount", "dated", "date_from", "date_to")} == {
        "rows": 3, "amount": "1232.50", "dated": "period", "date_from": "2026-10", "date_to": "2026-11"}
    load(town, "meters")
    readings = run("readings", write_csv(town.rows("readings")), dry_run=True)
    assert "amount" not in readings.totals
    assert (readings.totals["rows"], readings.totals["date_from"], readings.totals["date_to"]) == (
        4, "2026-10-31", "2026-11-30")


def test_the_preview_shows_the_control_totals_the_ukrainian_way(db, client_as):
    town = Town()
    db.load(town, "accounts")
    client = client_as("operator")
    rows = _payments(town, [Decimal("1250.40"), Decimal("12345.67"), Decimal("0.05")],
                     [date(2026, 11, 25), date(2026, 11, 3), date(2026, 11, 10)])
    record_id = _upload(client, "payments", write_csv(rows, delimiter=";"))
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    totals = dict(re.findall(r'data-total="(\w+)"><b>([^<]*)</b>', page))
    assert totals == {"rows": "3", "amount": "13 596,12 грн", "dates": "03.11.2026 – 25.11.2026"}
    assert "Контрольні суми" in page

    zero = _upload(client, "payments", "external_id;account_number;paid_on;amount\r\n".encode())
    totals = dict(re.findall(r'data-total="(\w+)"><b>([^<]*)</b>', client.get(f"/imports/{zero}").get_data(as_text=True)))
    assert totals == {"rows": "0", "amount": "0,00 грн", "dates": "—"}


# --- 4. the valid rows of a payment register -----------------------------------------------

def _register(town):
    """Four payments: two good, one of an unknown account, one negative (1 000,00 + 250,50 good)."""
    return [
        {"external_id": f"{town.p}-G1", "account_number": f"{town.p}-A1", "paid_on": "03.11.2026", "amount": "1000,00",
         "source": "ПриватБанк"},
        {"external_id": f"{town.p}-B1", "account_number": f"{town.p}-NOPE", "paid_on": "04.11.2026", "amount": "75,25",
         "source": ""},
        {"external_id": f"{town.p}-G2", "account_number": f"{town.p}-A2", "paid_on": "05.11.2026", "amount": "250,50",
         "source": ""},
        {"external_id": f"{town.p}-B2", "account_number": f"{town.p}-A2", "paid_on": "06.11.2026", "amount": "-12,5",
         "source": "+Каса 1"},
    ]


def _ukrainian_csv(rows):
    return write_csv(_ukrainian(rows, "payments"), encoding="utf-8-sig", delimiter=";", reverse_columns=False,
                     header_case=str, extra_column=False)


def _accounts(db, town):
    """The town's accounts, and an open period for their payments to be posted into (else they wait)."""
    db.load(town, "open_period")
    db.load(town, "accounts")


def _posted(db, town):
    """{external id: the amount posted to the journal} of the town's payments."""
    def query(session):
        found = session.execute(select(JournalEntry.document, func.sum(JournalEntry.amount))
                                .where(JournalEntry.kind == "payment", JournalEntry.document.like(f"{town.p}-%"))
                                .group_by(JournalEntry.document)).all()
        return {document[len(town.p) + 1:]: -Decimal(amount) for document, amount in found}
    return db(query)


def test_all_or_nothing_stays_the_default(db, client_as):
    town = Town()
    _accounts(db, town)
    before = db.counts()
    client = client_as("operator")
    record_id = _upload(client, "payments", _ukrainian_csv(_register(town)))
    record = db.record(record_id)
    assert (record.status, record.rejected, record.partial) == ("rejected", 2, False)
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-commit-valid"' in page and 'id="import-commit"' not in page
    client.post(f"/imports/{record_id}/commit")  # the plain write: refused, nothing written
    assert db.record(record_id).status == "rejected" and db.counts() == before
    # the command line (and every other kind) knows no partial write
    assert db(lambda s: run("payments", _ukrainian_csv(_register(town)))).written is False
    assert db.counts()["payment"] == before["payment"]


def test_write_the_valid_rows_then_the_fixed_file(db, client_as):
    town = Town()
    _accounts(db, town)
    before = db.counts()
    client = client_as("operator")
    record_id = _upload(client, "payments", _ukrainian_csv(_register(town)), "bank-2026-11.csv")
    assert client_as("accountant").post(f"/imports/{record_id}/commit", data={"mode": "valid"}).status_code == 403
    response = client.post(f"/imports/{record_id}/commit", data={"mode": "valid"})
    assert response.status_code == 302
    record = db.record(record_id)
    assert (record.status, record.partial, record.created, record.rejected, record.content) == (
        "committed", True, 2, 2, None)
    assert db.counts()["payment"] == before["payment"] + 2
    assert _posted(db, town) == {"G1": Decimal("1000.00"), "G2": Decimal("250.50")}  # the journal: the valid rows
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-rejected-file"' in page and 'id="import-commit-valid"' not in page
    assert "Записано лише коректні рядки" in page
    assert "Записано лише коректні рядки" in client.get("/imports/").get_data(as_text=True)  # the history says so

    # the rejected rows as a file of the format uploaded: «;», UTF-8 with a BOM, the reasons in Ukrainian
    download = client_as("accountant").get(f"/imports/{record_id}/rejected")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(download.data[3:].decode("utf-8")), delimiter=";"))
    assert rows[0] == ["Ідентифікатор оплати", "Особовий рахунок", "Дата оплати", "Сума", "Джерело", REASON_HEADER]
    assert rows[1] == [f"{town.p}-B1", f"{town.p}-NOPE", "04.11.2026", "75,25", "", "Невідомий особовий рахунок"]
    # a text that would be a formula is quoted by the safe writer; the import reads it back without the apostrophe
    assert rows[2] == [f"{town.p}-B2", f"{town.p}-A2", "06.11.2026", "'-12,5", "'+Каса 1",
                       "Значення має бути більшим за нуль"]

    # fixed and imported again: only the two fixed rows are written (the reasons column is ignored)
    rows[1][1] = f"{town.p}-A1"
    rows[2][3] = "12,50"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    fixed = _upload(client, "payments", b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    record = db.record(fixed)
    assert (record.status, record.created, record.unchanged, record.rejected, record.warnings) == ("ready", 2, 0, 0, [])
    client.post(f"/imports/{fixed}/commit")
    assert db.record(fixed).status == "committed"
    assert _posted(db, town) == {"G1": Decimal("1000.00"), "G2": Decimal("250.50"), "B1": Decimal("75.25"),
                                 "B2": Decimal("12.50")}
    after = db.counts()
    assert after["payment"] == before["payment"] + 4
    assert db(lambda s: s.scalar(select(Payment.source).where(Payment.external_id == f"{town.p}-B2"))) == "+Каса 1"

    # the whole register again, fixed: every row known, nothing counted twice
    whole = _register(town)
    whole[1]["account_number"], whole[3]["amount"] = f"{town.p}-A1", "12,50"
    again = _upload(client, "payments", _ukrainian_csv(whole))
    assert (db.record(again).status, db.record(again).unchanged, db.record(again).created) == ("ready", 4, 0)
    client.post(f"/imports/{again}/commit")
    assert db.counts() == after


def test_the_rejected_rows_of_an_xlsx_come_back_as_xlsx(db, client_as):
    town = Town()
    db.load(town, "accounts")
    client = client_as("operator")
    rows = _register(town)
    for row in rows:
        day, month, year = row["paid_on"].split(".")
        row["paid_on"] = date(int(year), int(month), int(day))
        row["amount"] = Decimal(row["amount"].replace(",", "."))
    rows[1]["external_id"] = "=HYPERLINK(\"http://evil.example\",\"x\")"
    record_id = _upload(client, "payments", write_xlsx(_ukrainian(rows, "payments")), "bank.xlsx")
    client.post(f"/imports/{record_id}/commit", data={"mode": "valid"})
    assert db.record(record_id).created == 2
    download = client.get(f"/imports/{record_id}/rejected")
    assert download.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][-1] == REASON_HEADER and len(cells) == 3
    assert cells[1][0] == "=HYPERLINK(\"http://evil.example\",\"x\")" and sheet["A2"].data_type == "s"  # a text
    assert cells[2][3] == -12.5 and cells[2][2].date() == date(2026, 11, 6)  # numbers and dates stay so
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_valid_rows_through_the_background_path(db, client_as, app, monkeypatch):
    from app.services.imports import records

    monkeypatch.setitem(app.config, "OBLIK_IMPORT_ASYNC_BYTES", 0)  # every file goes to Celery (eager)
    town = Town()
    _accounts(db, town)
    client = client_as("operator")
    record_id = _upload(client, "payments", _ukrainian_csv(_register(town)))
    assert db.record(record_id).task_id and db.record(record_id).status == "rejected"
    client.post(f"/imports/{record_id}/commit", data={"mode": "valid"})
    record = db.record(record_id)
    assert (record.status, record.partial, record.created, record.rejected) == ("committed", True, 2, 2)
    assert set(_posted(db, town)) == {"G1", "G2"}

    # a partial write whose process died goes back to its checked state: nothing written, choose again
    other = Town()
    _accounts(db, other)
    stuck = _upload(client, "payments", _ukrainian_csv(_register(other)))
    assert db(lambda s: records.claim_partial_commit(stuck))
    def silence(session):
        session.execute(ImportRecord.__table__.update().where(ImportRecord.id == stuck)
                        .values(heartbeat_at=datetime(2020, 1, 1)))
        session.commit()

    db(silence)
    swept = db(lambda s: records.sweep_orphans())
    assert stuck in swept.ready
    record = db.record(stuck)
    assert (record.status, record.partial) == ("rejected", False) and record.content
    assert db(lambda s: s.scalar(select(func.count()).select_from(Payment)
                                 .where(Payment.external_id.like(f"{other.p}-%")))) == 0


def test_who_may_write_the_valid_rows_and_see_the_rejected_file(db, client_as):
    town = Town()
    db.load(town, "meters")
    client = client_as("operator")
    # another kind with rejected rows: no choice offered, and a forced request writes nothing
    rows = town.rows("readings")
    rows[0]["serial"] = "NO-SUCH-METER"
    before = db.counts()
    readings = _upload(client, "readings", write_csv(rows))
    assert db.record(readings).status == "rejected" and db.record(readings).content is None
    assert 'id="import-commit-valid"' not in client.get(f"/imports/{readings}").get_data(as_text=True)
    client.post(f"/imports/{readings}/commit", data={"mode": "valid"})
    assert db.record(readings).status == "rejected" and db.counts() == before
    assert client.get(f"/imports/{readings}/rejected").status_code == 404  # no partial write, no file

    _accounts(db, town)
    register = _upload(client, "payments", _ukrainian_csv(_register(town)))
    client.post(f"/imports/{register}/commit", data={"mode": "valid"})
    assert db.record(register).partial
    assert client_as("inspector").get(f"/imports/{register}/rejected").status_code == 404  # not their import
    assert client_as("accountant").get(f"/imports/{register}/rejected").status_code == 200
    # written once: the choice again does nothing more
    client.post(f"/imports/{register}/commit", data={"mode": "valid"})
    assert set(_posted(db, town)) == {"G1", "G2"}

