"""The readings sheet's screen /readings/sheet/ as each role, the inspector's buildings only (every
path: the sheet, its save, its files), the blank PDF read back with pdftotext, and the XLSX filled
in and imported with the existing ``readings`` import."""
import io
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import current_appbuilder, db
from app.models import InspectorBuilding, Reading
from tests.webtools import flashes, text

from .sheet_town import create_sheet_town

DAY = "30.11.2026"


@pytest.fixture()
def town(bdb):
    ids = create_sheet_town()
    ids["other"] = create_sheet_town(code="S9", readings={})["building"]
    user = current_appbuilder().sm.find_user("inspector")
    db.session.add(InspectorBuilding(user_id=user.id, building_id=ids["building"]))
    db.session.commit()
    return ids


def _count(meter_id=None):
    db.session.expire_all()
    stmt = select(func.count()).select_from(Reading)
    if meter_id is not None:
        stmt = stmt.where(Reading.meter_id == meter_id)
    return db.session.scalar(stmt)


def _form(ids, values, building=None, **extra):
    form = {"building": building or ids["building"], "entrance": "", "date": DAY}
    for flat, value in values.items():
        form[f"value-{ids['meters'][flat]}"] = value
    form.update(extra)
    return form


@pytest.mark.parametrize("role", ["admin", "accountant", "operator", "inspector"])
def test_every_role_that_enters_readings_opens_the_sheet_and_saves_it(town, web, role):
    client = web(role)
    page = client.get(f"/readings/sheet/?building={town['building']}&date={DAY}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Відомість показників" in body and "S1-CW-10а" in body
    # the flats in the order of the round
    order = [body.index(f'id="sheet-row-{n}"') for n in range(1, 8)]
    assert order == sorted(order)
    assert body.index("S1-CW-9") < body.index("S1-CW-10<") < body.index("S1-CW-10а")
    response = client.post("/readings/sheet/save", data=_form(town, {"1": "125", "10": "201,5"}),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Збережено показників: 2" in flashes(text(response)), flashes(text(response))
    assert _count(town["meters"]["10"]) == 3


def test_the_menu_has_the_sheet_under_metering(town, web):
    body = web("inspector").get("/").get_data(as_text=True)
    assert "/readings/sheet/" in body and "Відомість показників" in body


def test_an_inspector_is_refused_a_building_not_theirs_on_every_path(town, web):
    client = web("inspector")
    other = town["other"]
    assert client.get(f"/readings/sheet/?building={other}").status_code == 403
    assert client.get(f"/readings/sheet/pdf?building={other}").status_code == 403
    assert client.get(f"/readings/sheet/xlsx?building={other}").status_code == 403
    before = _count()
    response = client.post("/readings/sheet/save", data={"building": other, "date": DAY, "value-1": "5"})
    assert response.status_code == 403
    # a meter of another building posted with the own building's sheet is not on that sheet: ignored
    foreign_meter = db.session.scalar(select(func.max(Reading.meter_id)))
    assert _count() == before
    client.post("/readings/sheet/save", data=_form(town, {}, **{f"value-{foreign_meter}": "1"}))
    assert _count() == before
    # the operator opens any building
    assert web("operator").get(f"/readings/sheet/?building={other}").status_code == 200


def test_the_inspector_with_one_building_gets_it_at_once(town, web):
    body = web("inspector").get("/readings/sheet/").get_data(as_text=True)
    assert "S1-CW-1" in body and "вул. Шевченка, 1" in body


def test_a_refused_save_keeps_the_typed_values_and_explains_each_row(town, web):
    client = web("inspector")
    before = _count()
    response = client.post("/readings/sheet/save", data=_form(town, {"1": "125", "10": "199", "11": "x"}))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert _count() == before
    assert 'value="125"' in body and 'value="199"' in body and 'value="x"' in body
    page = text(response)
    assert "Показник 199 менший за попередній (200 на 31.10.2026)" in page
    assert "Невірне число" in page
    assert any("рядків відхилено: 2" in m for m in flashes(page)), flashes(page)


def test_high_consumption_asks_for_the_box_and_saves_once_ticked(town, web):
    client = web("inspector")
    refused = client.post("/readings/sheet/save", data=_form(town, {"1": "150"}))
    assert refused.status_code == 400
    assert "Неправдоподібно велике споживання: 30" in text(refused)
    meter = town["meters"]["1"]
    ok = client.post("/readings/sheet/save", data=_form(town, {"1": "150"}, **{f"confirm-{meter}": "1"}),
                     follow_redirects=True)
    assert "Збережено показників: 1" in flashes(text(ok))


def test_the_save_needs_the_csrf_token(town, bdb, web):
    client = web("inspector")
    bdb.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/readings/sheet/save", data=_form(town, {"1": "125"}))
    finally:
        bdb.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def test_the_blank_pdf_reads_back(town, web, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed")
    response = web("inspector").get(f"/readings/sheet/pdf?building={town['building']}&date={DAY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.data)
    if os.environ.get("OBLIK_SCREENSHOTS"):
        shutil.copy(path, os.path.join(os.environ["OBLIK_SCREENSHOTS"], "reading-sheet.pdf"))
    shown = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Відомість показників" in shown and "вул. Шевченка, 1 (S1)" in shown
    assert "Обхід 30.11.2026" in shown, shown
    lines = [line.split() for line in shown.splitlines()]
    flat_10 = next(line for line in lines if "S1-CW-10" in line)
    assert flat_10[:2] == ["5", "10"] and "200" in flat_10 and "31.10.2026" in flat_10, flat_10
    assert "Контролер" in shown and "Підпис" in shown
    order = [shown.index(serial) for serial in ("S1-HOUSE", "S1-CW-1 ", "S1-CW-2", "S1-CW-9", "S1-CW-10 ",
                                                "S1-CW-10а", "S1-CW-11")]
    assert order == sorted(order)


def test_the_xlsx_filled_in_imports_with_the_readings_import(town, web):
    client = web("inspector")
    response = client.get(f"/readings/sheet/xlsx?building={town['building']}&date={DAY}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("serial", "date", "value", "source")
    assert [r[0] for r in rows[1:]] == ["S1-HOUSE", "S1-CW-1", "S1-CW-2", "S1-CW-9", "S1-CW-10", "S1-CW-10а",
                                        "S1-CW-11"]
    flat_1 = rows[2]
    assert flat_1[1] == DAY and flat_1[2] is None and flat_1[3] == "inspector" and flat_1[4] == "1"
    assert flat_1[6] == 120 and flat_1[7] == "31.10.2026"
    # the inspector fills two meters in and deletes the rows of those not read
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "S1-CW-1":
            row[2].value = 126
        elif row[0].value == "S1-CW-10":
            row[2].value = "210,5"
    for index in range(sheet.max_row, 1, -1):
        if sheet.cell(index, 3).value is None:
            sheet.delete_rows(index)
    filled = io.BytesIO()
    book.save(filled)
    from app.services.imports import import_bytes
    from app.services.imports.actors import Actor

    _record, outcome = import_bytes("readings", filled.getvalue(), "vidomist.xlsx",
                                    actor=Actor.system("inspector"))
    assert outcome.rejected == 0, outcome.problems
    assert outcome.created == 2 and outcome.written
    db.session.expire_all()
    got = dict(db.session.execute(select(Reading.meter_id, Reading.value).where(Reading.date == date(2026, 11, 30))).all())
    assert got == {town["meters"]["1"]: D("126"), town["meters"]["10"]: D("210.5")}
