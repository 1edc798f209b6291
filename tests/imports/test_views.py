"""The Імпорт screens through the test client: template, upload → preview → commit or cancel,
the history and its reports; who may import what.

The requests must not run inside the test's own app context (Flask would reuse it, and with
it ``g`` — the signed-in user of the first request): the database is looked at through
``db``, which opens a fresh context each time."""
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.models import ImportRecord, Meter, Reading
from app.services.imports import KINDS

from .helpers import Town, counts, load, write_csv


def _upload(client, kind, data, name="file.csv"):
    response = client.post("/imports/upload", data={"kind": kind, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.data[:300]
    match = re.search(r"/imports/(\d+)$", response.headers["Location"])
    return int(match.group(1)) if match else None


class Db:
    """Database checks, each in a fresh app context."""

    def __init__(self, app):
        self.app = app

    def __call__(self, fn):
        from app.extensions import db

        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.rollback()

    def record(self, record_id):
        def get(session):
            record = session.get(ImportRecord, record_id, options=[undefer(ImportRecord.content)])
            if record is not None:
                session.expunge(record)
            return record

        return self(get)

    def counts(self):
        return self(counts)

    def load(self, town, kind):
        return self(lambda session: load(town, kind))


@pytest.fixture()
def db(app):
    return Db(app)


def test_index_lists_the_kinds_of_the_role(client_as):
    page = client_as("operator").get("/imports/").get_data(as_text=True)
    assert 'value="readings"' in page and 'value="payments"' in page and 'value="accounts"' in page
    assert 'value="services"' not in page and 'value="subsidies"' not in page  # read-only for an operator
    page = client_as("accountant").get("/imports/").get_data(as_text=True)
    assert all(f'value="{kind}"' in page for kind in KINDS)
    page = client_as("inspector").get("/imports/").get_data(as_text=True)
    assert re.findall(r'<option value="(\w+)"', page) == ["readings"]


def test_template_has_headers_example_and_meaning(client_as):
    response = client_as("operator").get("/imports/template/meters")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    data, about = book.worksheets
    rows = list(data.iter_rows(values_only=True))
    # the Ukrainian headers of the one table (headers.HEADERS), the codes beside them on the second sheet
    assert list(rows[0][:3]) == ["Лічильник", "Тип приладу обліку", "Код будинку"]
    assert list(rows[0]) == [KINDS["meters"].titles[c.name] for c in KINDS["meters"].columns]
    assert rows[1][0] == "CW-1700012-1" and rows[1][4].date() == date(2024, 1, 15)
    described = [(r[0], r[1]) for r in about.iter_rows(values_only=True) if r and r[1] in KINDS["meters"].by_name]
    assert described == [(KINDS["meters"].titles[c.name], c.name) for c in KINDS["meters"].columns]
    assert client_as("operator").get("/imports/template/services").status_code == 404


def test_upload_preview_commit(db, client_as):
    town = Town()
    db.load(town, "meters")
    client = client_as("operator")
    before = db.counts()
    record_id = _upload(client, "readings", write_csv(town.rows("readings"), delimiter=";"))
    record = db.record(record_id)
    assert (record.status, record.total_rows, record.created, record.rejected) == ("ready", 4, 4, 0)
    assert db.counts() == before  # a preview writes nothing
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-commit"' in page and 'id="import-sample"' in page
    assert f"{town.p}-M1" in page and "15,25" in page  # the first rows as they will be stored
    assert "Примітка" in page  # the unknown column is a warning

    response = client.post(f"/imports/{record_id}/commit")
    assert response.status_code == 302
    record = db.record(record_id)
    assert record.status == "committed" and record.content is None
    assert db.counts()["reading"] == before["reading"] + 4
    page = client.get("/imports/").get_data(as_text=True)
    assert f"/imports/{record_id}" in page
    assert client.post(f"/imports/{record_id}/commit").status_code == 302  # twice: nothing more
    assert db.counts()["reading"] == before["reading"] + 4

    # The same file again: every row unchanged, and the page says the file was written before.
    again = _upload(client, "readings", write_csv(town.rows("readings"), delimiter=";"))
    record = db.record(again)
    assert (record.status, record.unchanged, record.created) == ("ready", 4, 0)
    assert f'data-record="{record_id}"' in client.get(f"/imports/{again}").get_data(as_text=True)  # «already written»


def test_upload_cancel_and_rejected_rows(db, client_as):
    town = Town()
    db.load(town, "meters")
    client = client_as("operator")
    before = db.counts()
    record_id = _upload(client, "readings", write_csv(town.rows("readings")))
    assert client.post(f"/imports/{record_id}/cancel").status_code == 302
    assert db.record(record_id).status == "cancelled"
    client.post(f"/imports/{record_id}/commit")
    assert db.record(record_id).status == "cancelled" and db.counts() == before

    rows = town.rows("readings")
    rows[1]["value"] = Decimal("1")  # below the 31.10 reading of the same meter in this file
    rows[2]["serial"] = "NO-SUCH-METER"
    record_id = _upload(client, "readings", write_csv(rows))
    record = db.record(record_id)
    assert record.status == "rejected" and record.rejected == 2
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-commit"' not in page and "NO-SUCH-METER" in page
    report = client.get(f"/imports/{record_id}/report.csv").get_data(as_text=True)
    assert "NO-SUCH-METER" in report and len(report.strip().splitlines()) == 3
    assert client.post(f"/imports/{record_id}/commit").status_code == 302
    assert db.counts() == before


def test_inspector_imports_readings_of_own_buildings_only(db, client_as):
    p = Town().p
    meters = write_csv([
        {"serial": f"{p}-IN1", "meter_type_code": "CW", "building_code": "B1", "number": "1", "installed_on": date(2025, 1, 1)},
        {"serial": f"{p}-IN2", "meter_type_code": "CW", "building_code": "B2", "number": "1", "installed_on": date(2025, 1, 1)},
    ])
    operator = client_as("operator")
    meters_id = _upload(operator, "meters", meters)
    operator.post(f"/imports/{meters_id}/commit")
    assert db.record(meters_id).status == "committed"
    inspector = client_as("inspector")
    before = db.counts()
    readings = [{"serial": f"{p}-IN1", "date": date(2026, 11, 30), "value": "5"},
                {"serial": f"{p}-IN2", "date": date(2026, 11, 30), "value": "7"}]
    record_id = _upload(inspector, "readings", write_csv(readings))
    record = db.record(record_id)
    assert record.status == "rejected" and record.rejected == 1
    assert record.problems[0]["row"] == 3 and record.problems[0]["code"] == "scope"

    record_id = _upload(inspector, "readings", write_csv(readings[:1]))
    assert db.record(record_id).status == "ready"
    inspector.post(f"/imports/{record_id}/commit")
    assert db.record(record_id).status == "committed"
    value = db(lambda s: s.scalar(select(Reading.value).join(Meter).where(Meter.serial == f"{p}-IN1")))
    assert value == Decimal("5")
    # An inspector may not import other kinds, nor see another user's import.
    assert _upload(inspector, "meters", meters) is None
    assert db.counts()["meter"] == before["meter"]
    operator_record = db(lambda s: s.scalar(select(ImportRecord.id).where(ImportRecord.username == "operator").limit(1)))
    assert inspector.get(f"/imports/{operator_record}").status_code == 404


def test_operator_may_not_import_subsidies_accountant_may(db, client_as):
    town = Town()
    db.load(town, "subsidies")
    rows = [dict(r, period="2026-12") for r in town.rows("subsidies")]
    before = db.counts()
    assert _upload(client_as("operator"), "subsidies", write_csv(rows)) is None
    accountant = client_as("accountant")
    record_id = _upload(accountant, "subsidies", write_csv(rows))
    assert db.record(record_id).status == "ready"
    accountant.post(f"/imports/{record_id}/commit")
    assert db.counts()["subsidy"] == before["subsidy"] + 3


def test_progress_endpoint_and_running_page(db, client_as):
    town = Town()
    db.load(town, "buildings")
    client = client_as("operator")
    record_id = _upload(client, "buildings", write_csv(town.rows("buildings")))
    progress = client.get(f"/imports/{record_id}/progress").get_json()
    assert progress["running"] is False and progress["done"] == progress["total"] == 2
    def running(session):
        session.execute(ImportRecord.__table__.update().where(ImportRecord.id == record_id)
                        .values(status="checking", progress_done=1, progress_total=2))
        session.commit()

    db(running)
    page = client.get(f"/imports/{record_id}").get_data(as_text=True)
    assert 'id="import-progress"' in page
    assert client.get(f"/imports/{record_id}/progress").get_json()["percent"] == 50


def test_upload_over_the_request_limit(app, db, client_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    client = client_as("operator")
    before = db.counts()
    response = client.post("/imports/upload", data={"kind": "buildings", "file": (io.BytesIO(b"code\n" + b"x\n" * 20000), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/imports/")
    assert db.counts() == before
