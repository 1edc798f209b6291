"""Issue 12, item 6, in a real browser at 1366×768: the menu of each role fits one line of
the navbar, the delete dialog speaks Ukrainian, and a list page and the roles screen are
screenshot (``OBLIK_SCREENSHOTS``, else the test's temporary directory) to be looked at."""
import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROLES

from .conftest import sign_in

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1366, 768


def _shots(tmp_path) -> Path:
    folder = Path(os.environ.get("OBLIK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _menu_rows(page) -> dict:
    """The tops of the navbar's entries (its categories, the language and the user menu) and
    the navbar's height: one line means one top for all of them."""
    return page.evaluate("""() => {
        const items = [...document.querySelectorAll('.navbar .navbar-nav > li')].filter(li => li.offsetParent);
        const tops = [...new Set(items.map(li => Math.round(li.getBoundingClientRect().top)))];
        const bar = document.querySelector('.navbar');
        return {tops: tops, count: items.length, height: Math.round(bar.getBoundingClientRect().height),
                texts: items.map(li => li.innerText.trim())};
    }""")


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_fits_one_line_at_1366(browser, live_server, role, tmp_path):
    context = browser.new_context(locale="uk-UA", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        sign_in(page, live_server, role, PASSWORD)
        page.goto(f"{live_server}/buildingview/list/")
        shots = _shots(tmp_path)
        page.screenshot(path=str(shots / f"list-1366-{role}.png"))
        rows = _menu_rows(page)
        assert rows["count"] >= 3, rows
        assert len(rows["tops"]) == 1, f"{role}: the menu wraps onto {len(rows['tops'])} lines: {rows}"
        assert rows["height"] <= 60, rows
        if role == "admin":
            page.goto(f"{live_server}/roles/list/")
            assert len(_menu_rows(page)["tops"]) == 1
            text = page.locator("body").inner_text()
            assert "Бухгалтер" in text and "переглядати список" in text and "can_list" not in text
            page.screenshot(path=str(shots / "roles-1366.png"))
    finally:
        context.close()


def test_delete_dialog_buttons_in_ukrainian(browser, live_server, app, tmp_path):
    context = browser.new_context(locale="uk-UA", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin", PASSWORD)
        page.goto(f"{live_server}/publicholidayview/add")
        page.fill("input[name=day]", "24.08.2031")
        page.fill("input[name=name]", "День Незалежності (тест діалогу)")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server}/publicholidayview/list/")
        page.locator("[id^=btn-delete-]").first.click()
        dialog = page.locator("#modal-confirm")
        dialog.wait_for(state="visible")
        buttons = dialog.locator(".modal-footer").inner_text()
        assert "Скасувати" in buttons and "Підтвердити" in buttons and "Cancel" not in buttons and "OK" not in buttons
        page.screenshot(path=str(_shots(tmp_path) / "delete-dialog-1366.png"))
        dialog.locator("button[data-dismiss=modal]").click()
    finally:
        context.close()
        from datetime import date

        from app.extensions import db
        from app.models import PublicHoliday

        with app.app_context():  # the shared database as it was
            db.session.query(PublicHoliday).filter_by(day=date(2031, 8, 24)).delete()
            db.session.commit()
