"""A reading dated inside a closed period is accepted — billing.md §10 recalculates that
period in the open one — and the user is told so: a flashed warning on the form, ``warnings``
in the REST API's answer, a warning in the import's preview and report. A reading of the open
period gets no such notice."""
import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ChargeLine, ImportRecord, Reading
from app.services.billing import run_billing
from app.services.billing import close_period
from tests.conftest import PASSWORD
from tests.webtools import flashes, reading_form, text

from .town import NOVEMBER, OCTOBER, create_town

NOTICE = ("Показник датовано закритим періодом 2026-10: нарахування цього періоду буде перераховано "
          "у відкритому періоді 2026-11")


@pytest.fixture()
def closed_october(bdb):
    """The town billed for October and October closed: November is open."""
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    return ids


def _reading(meter_id, day):
    db.session.expire_all()
    return db.session.scalars(select(Reading).where(Reading.meter_id == meter_id, Reading.date == day)).one_or_none()


def test_the_form_accepts_a_reading_of_a_closed_period_with_a_notice_and_it_is_recalculated(closed_october, web):
    ids = closed_october
    client = web("operator")
    # flat 3: 30.09 → 200, billed by norm (3 м³) in October; the resident's 203,5 of 30.10 comes late
    response = client.post("/readingview/add", data=reading_form(ids["meters"][3], "30.10.2026", "203,5"),
                           follow_redirects=True)
    assert response.status_code == 200
    shown = flashes(text(response))
    assert NOTICE in shown, shown
    assert _reading(ids["meters"][3], date(2026, 10, 30)).value == D("203.5")
    # … and the next run recalculates October in November: 3,5 м³ instead of 3 → +0,5 м³
    run_billing()
    recalc = db.session.scalars(select(ChargeLine).where(
        ChargeLine.kind == "recalculation", ChargeLine.account_id == ids["accounts"][3],
        ChargeLine.detail_kind == "charge")).one()
    assert (recalc.period, recalc.target_period, recalc.quantity) == (NOVEMBER, OCTOBER, D("0.500"))


def test_the_form_gives_no_notice_for_the_open_period_and_one_for_an_edit_out_of_a_closed_period(closed_october, web):
    ids = closed_october
    client = web("operator")
    response = client.post("/readingview/add", data=reading_form(ids["meters"][2], "05.11.2026", "54"),
                           follow_redirects=True)
    assert not any("закритим періодом" in m for m in flashes(text(response))), flashes(text(response))
    # the reading of 31.10 of flat 1 moved to 01.11: October changes too
    moved = _reading(ids["meters"][1], date(2026, 10, 31))
    response = client.post(f"/readingview/edit/{moved.id}", data=reading_form(ids["meters"][1], "01.11.2026", "106"),
                           follow_redirects=True)
    assert NOTICE in flashes(text(response)), flashes(text(response))
    assert _reading(ids["meters"][1], date(2026, 11, 1)).edited_by == "operator"


def _token(client):
    response = client.post("/api/v1/security/login",
                           json={"username": "operator", "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_the_api_answers_with_the_notice_in_warnings(closed_october, bdb):
    ids = closed_october
    client = bdb.test_client()
    headers = _token(client)
    response = client.post("/api/v1/reading/", json={"meter": ids["meters"][3], "date": "2026-10-30",
                                                      "value": "203.5"}, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == [NOTICE]
    assert response.json["result"]["value"] == "203.500"
    response = client.put(f"/api/v1/reading/{response.json['id']}", json={"value": "203.75"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["warnings"] == [NOTICE]
    response = client.post("/api/v1/reading/", json={"meter": ids["meters"][2], "date": "2026-11-05", "value": "54"},
                           headers=headers)
    assert response.status_code == 201 and response.json["warnings"] == []


def test_the_import_preview_and_report_warn_of_the_closed_period(closed_october, web, tmp_path):
    ids = closed_october
    data = ("serial;date;value\r\n"
            "E1-CW-3;30.10.2026;203,5\r\n"
            "E1-CW-2;05.11.2026;54\r\n"
            "E1-HOUSE-CW;29.10.2026;1012\r\n").encode()
    client = web("operator")
    response = client.post("/imports/upload", data={"kind": "readings", "file": (io.BytesIO(data), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:500]
    record_id = int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))
    preview = text(client.get(f"/imports/{record_id}"))
    warning = ("Показників, датованих закритим періодом 2026-10: 2 (рядки 2, 4) — нарахування цього періоду "
               "буде перераховано у відкритому періоді 2026-11")
    box = re.search(r'id="import-warnings">(.*?)</div>', preview, re.S)
    assert box and warning in box.group(1), preview[:3000]
    assert db.session.get(ImportRecord, record_id).warnings == [warning]
    assert _reading(ids["meters"][3], date(2026, 10, 30)) is None  # a preview writes nothing

    # the command line's report says it too, and the rows are written
    from app.services.imports import import_file

    path = tmp_path / "readings.csv"
    path.write_bytes(data)
    out, err = [], []
    assert import_file("readings", str(path), False, out.append, err.append) == 0, err
    assert f"Попередження: {warning}" in err, err
    assert _reading(ids["meters"][3], date(2026, 10, 30)).value == D("203.5")
