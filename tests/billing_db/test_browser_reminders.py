"""In a real headless Chromium (CSRF on): a resident opens the personal link of a reminder, submits
readings — one below the last is refused with the reading form's message next to its field, then
the right one is stored — and an inspector of that building sees it in the readings list, from
«Онлайн (мешканець)». An expired link and a foreign meter (the form tampered with) are refused."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .town import create_town

pytestmark = pytest.mark.e2e


def test_a_resident_submits_readings_by_the_link_and_the_inspector_sees_them(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import current_appbuilder, db
    from app.models import Account, InspectorBuilding, Reading
    from app.services import reminders

    ids = create_town(open_period=False)
    db.session.get(Account, ids["accounts"][1]).email = "flat1@example.com"
    db.session.add(InspectorBuilding(user_id=current_appbuilder().sm.find_user("inspector").id, building_id=ids["building"]))
    db.session.commit()
    base = billing_server
    period = reminders.current_period()
    meter = ids["meters"][1]

    page.goto(base + reminders.LINK_PATH + reminders.link_token(ids["accounts"][1], period))
    assert "E1-001" in page.locator("#online-account").inner_text()
    assert page.locator("#online-address").inner_text() == "вул. Енергетиків, 1, кв. 1"
    assert page.locator("#online-form tbody tr").count() == 1  # flat 1 has one meter
    assert "106" in page.locator(f"#online-meter-{meter}").inner_text()
    page.fill(f"#meter-{meter}", "105")
    with page.expect_navigation():
        page.click("#online-form button[type=submit]")
    assert "менший за попередній (106 на 31.10.2026)" in page.locator(f"#error-{meter}").inner_text()
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    page.fill(f"#meter-{meter}", "111,25")
    with page.expect_navigation():
        page.click("#online-form button[type=submit]")
    assert "Показники отримано (1)" in page.locator("#online-saved").inner_text()
    page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(Reading.source).where(Reading.meter_id == meter,
                                                          Reading.date == reminders.local_now().date())) == "online"

    # the inspector of E1 sees it in the readings list
    inspector = page.context.browser.new_context(locale="uk-UA").new_page()
    sign_in(inspector, base, "inspector", PASSWORD)
    inspector.goto(f"{base}/readingview/list/")
    row = inspector.locator("table tr", has_text="E1-CW-1").filter(has_text="111,25")
    assert row.count() == 1
    assert "Онлайн (мешканець)" in row.inner_text() and "online:E1-001" in row.inner_text()
    inspector.screenshot(path=str(tmp_path / "inspector.png"), full_page=True)
    inspector.context.close()

    # a foreign meter: the form's field renamed to flat 2's meter
    page.evaluate(f"document.getElementById('meter-{meter}').name = 'meter-{ids['meters'][2]}'")
    page.fill(f"#meter-{meter}", "60")
    with page.expect_navigation():
        page.click("#online-form button[type=submit]")
    assert "не можна використати для цього лічильника" in page.locator("#error-page").inner_text()
    assert db.session.scalar(select(Reading).where(Reading.meter_id == ids["meters"][2],
                                                   Reading.source == "online")) is None

    # last month's link: expired
    from app.billing.periods import previous_period

    page.goto(base + reminders.LINK_PATH + reminders.link_token(ids["accounts"][1], previous_period(period)))
    assert "Термін дії цього посилання минув" in page.locator("#error-page").inner_text()
    page.screenshot(path=str(tmp_path / "expired.png"), full_page=True)
    import os
    import shutil

    if os.environ.get("OBLIK_SCREENSHOTS"):
        for name in ("refused", "saved", "inspector", "expired"):
            shutil.copy(tmp_path / f"{name}.png", os.path.join(os.environ["OBLIK_SCREENSHOTS"], f"{name}.png"))
