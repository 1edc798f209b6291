"""Large files go through Celery (eager in the tests): the check and the write are tasks, the
record carries the progress the page polls, and a task delivered twice does nothing more."""
from datetime import date, timedelta

import pytest

from app.services.imports import records
from app.tasks import imports as tasks

from .helpers import Town, write_csv
from .test_views import Db, _upload


@pytest.fixture()
def db(app):
    return Db(app)


@pytest.fixture()
def large(app, monkeypatch):
    """Every upload counts as large; the progress written by the tasks is recorded."""
    monkeypatch.setitem(app.config, "OBLIK_IMPORT_ASYNC_BYTES", 0)
    calls = []
    make = records._progress_writer

    def spy(record_id):
        write = make(record_id)

        def recorded(done, total, force=False):
            calls.append((done, total))
            write(done, total, force)

        return recorded

    monkeypatch.setattr(records, "_progress_writer", spy)
    return calls


def _readings_file(db, town, meters=5, days=500):
    db(lambda session: __import__("tests.imports.helpers", fromlist=["load"]).load(town, "meters"))
    rows = []
    for serial in (f"{town.p}-M1", f"{town.p}-M2")[:meters]:
        for n in range(days):
            rows.append({"serial": serial, "date": date(2024, 3, 1) + timedelta(days=n), "value": str(20 + n)})
    return rows, write_csv(rows)


def test_check_and_commit_run_as_tasks_with_progress(db, client_as, large, monkeypatch):
    # 2500 days of readings from 01.03.2024 reach into 2031: set the readings' clock past them
    # (a reading after today is refused), the file is about progress, not dates.
    monkeypatch.setattr("app.validation.readings.local_today", lambda: date(2031, 12, 31))
    town = Town()
    rows, data = _readings_file(db, town, days=2500)
    client = client_as("operator")
    before = db.counts()
    record_id = _upload(client, "readings", data)
    record = db.record(record_id)
    assert record.status == "ready" and record.task_id
    assert (record.total_rows, record.created, record.progress_done, record.progress_total) == (5000, 5000, 5000, 5000)
    # The progress went up step by step while the rows were checked.
    checked = [done for done, total in large if total == 10000]
    assert checked[0] == 0 and checked[-1] == 10000 and len(set(checked)) >= 5 and checked == sorted(checked)
    progress = client.get(f"/imports/{record_id}/progress").get_json()
    assert progress == {"status": "ready", "status_label": progress["status_label"], "running": False,
                        "done": 5000, "total": 5000, "percent": 100}
    assert db.counts() == before

    large.clear()
    client.post(f"/imports/{record_id}/commit")
    record = db.record(record_id)
    assert record.status == "committed" and record.created == 5000
    assert db.counts()["reading"] == before["reading"] + 5000
    assert large and large[-1][0] == large[-1][1]

    # Delivered twice: nothing happens the second time.
    assert tasks.check_import.delay(record_id).get() is None
    assert tasks.commit_import.delay(record_id).get() is None
    assert db.record(record_id).status == "committed"
    assert db.counts()["reading"] == before["reading"] + 5000


def test_no_broker_runs_in_the_web_process(db, client_as, large, monkeypatch):
    town = Town()
    rows, data = _readings_file(db, town, days=3)

    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.check_import, "delay", unreachable)
    client = client_as("operator")
    record_id = _upload(client, "readings", data)
    record = db.record(record_id)
    assert record.status == "ready" and record.created == 6 and record.task_id is None
