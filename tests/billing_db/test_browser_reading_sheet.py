"""In a real headless Chromium at 1366×768 (CSRF on): an inspector goes from the home page to the
readings sheet of their building and enters its readings with the keyboard only — typing, Tab and
Enter down the column, Enter on «Зберегти». A value below the previous one is shown in its row as
it is typed, the save is refused with the reason next to the field and the typed values kept; once
corrected, the readings are stored. Screenshot: /tmp/sheet.png."""
import shutil
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in

from .sheet_town import create_sheet_town
from .test_browser_month import billing_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def test_an_inspector_enters_a_building_by_the_keyboard_only(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import current_appbuilder, db
    from app.models import InspectorBuilding, Reading
    from app.validation.readings import local_today

    ids = create_sheet_town()
    db.session.add(InspectorBuilding(user_id=current_appbuilder().sm.find_user("inspector").id,
                                     building_id=ids["building"]))
    db.session.commit()
    base = billing_server
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, base, "inspector", PASSWORD)

    # the home page leads to the sheet
    page.goto(base + "/")
    page.focus("#home-reading-sheet")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/readings/sheet/" in page.url
    assert page.locator("#reading-sheet tbody tr").count() == 7
    assert _focused(page) == "value-1"  # the first value is ready for typing
    flats = page.locator("#reading-sheet tbody tr td:nth-child(2)").all_inner_texts()
    assert flats == ["будинковий", "1", "2", "9", "10", "10а", "11"]

    # house, 1, 2, 9 (not read), 10, 10а (0 consumption), 11 — Tab and Enter alternately
    for value, key in (("5010", "Tab"), ("125", "Enter"), ("50,5", "Tab"), ("", "Enter"), ("199", "Tab"),
                       ("300", "Enter"), ("41", "Tab")):
        if value:
            page.keyboard.type(value)
        page.keyboard.press(key)
    assert _focused(page) == "sheet-save"
    assert page.locator("#sheet-row-2 .sheet-consumption").inner_text() == "5"
    assert page.locator("#sheet-row-3 .sheet-consumption").inner_text() == "0,5"
    assert page.locator("#sheet-row-6 .sheet-consumption").inner_text() == "0"
    assert page.locator("#sheet-row-5 .sheet-live").inner_text() == "Менший за попередній показник"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # refused: nothing stored, the reason in the row, the values kept
    assert "менший за попередній (200 на" in page.locator("#sheet-row-5 .sheet-error").inner_text()
    assert page.input_value("#value-2") == "125" and page.input_value("#value-7") == "41"
    db.session.expire_all()
    assert db.session.scalar(select(Reading).where(Reading.date == local_today())) is None
    # the refused row has the focus, its value selected: typed over, then Enter down to «Зберегти»
    assert _focused(page) == "value-5"
    page.keyboard.type("205")
    for _ in range(3):
        page.keyboard.press("Enter")
    assert _focused(page) == "sheet-save"
    page.screenshot(path=str(tmp_path / "sheet.png"), full_page=False)
    shutil.copy(tmp_path / "sheet.png", "/tmp/sheet.png")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Збережено показників: 6" in page.locator(".alert-success").inner_text()
    db.session.expire_all()
    stored = dict(db.session.execute(select(Reading.meter_id, Reading.value)
                                     .where(Reading.date == local_today())).all())
    assert stored == {ids["meters"]["house"]: D("5010"), ids["meters"]["1"]: D("125"), ids["meters"]["2"]: D("50.5"),
                      ids["meters"]["10"]: D("205"), ids["meters"]["10а"]: D("300"), ids["meters"]["11"]: D("41")}
    assert db.session.scalar(select(Reading.entered_by).where(Reading.meter_id == ids["meters"]["1"],
                                                              Reading.date == local_today())) == "inspector"
