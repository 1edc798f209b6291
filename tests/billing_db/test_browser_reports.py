"""«Звіти» in a real headless Chromium (CSRF on, the page's CSP): an accountant opens every report
from the list with no console error — the charges built in the background from the button — sorts
by a header and downloads the CSV for Excel; an inspector sees the two work lists only, of their own
building; the losses report shows its chart drawn. Screenshots: the turnover statement in
/tmp/rep-screen.png, the losses report in docs/losses.png."""
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, sign_in

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .town import OCTOBER, create_town

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _town():
    from app.services.billing import close_period, run_billing

    ids = create_town()
    run_billing()
    close_period(OCTOBER, "accountant")
    run_billing()
    return ids


def test_an_accountant_opens_every_report_and_an_inspector_the_work_lists(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import current_appbuilder, db
    from app.models import InspectorBuilding
    from app.services.reports import kinds

    ids = _town()
    base = billing_server
    page.set_viewport_size({"width": 1440, "height": 900})
    errors = []
    def console(message):  # a missing resource is reported by its response, with its address
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer):
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico") \
                and not (answer.status == 403 and "/reports/turnover/" in answer.url):
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", response)
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/reports/")
    assert page.locator(".oblik-report-link").count() == len(kinds())
    for kind, spec in kinds().items():
        page.goto(f"{base}/reports/")
        with page.expect_navigation():
            page.click(f"#report-{kind}")
        assert page.locator("#report-title").inner_text().startswith(str(spec.title)), kind
        if page.locator("#report-build").count():  # built in the background: the button, then the table
            with page.expect_navigation():
                page.click("#report-build")
        page.wait_for_selector("#report-table")
        assert page.locator("#report-table thead th").count() > 0, kind
        page.screenshot(path=str(tmp_path / f"{kind}.png"), full_page=True)
    assert errors == []

    # the losses report: the imbalance of October's house meter and its chart drawn (docs/losses.png)
    page.goto(f"{base}/reports/consumption/?period={OCTOBER}")
    page.wait_for_selector("#report-table")
    row = page.locator("#report-table tbody tr").first.inner_text()
    assert "E1" in row and "11,11" in row, row  # the dashboard's October point of E1
    canvas = page.locator("canvas.oblik-chart")
    assert canvas.count() == 1
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas.oblik-chart'))")
    drawn = page.evaluate("""() => { const c = document.querySelector('canvas.oblik-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert drawn > 1000, drawn
    page.screenshot(path=str(DOCS / "losses.png"), full_page=True)
    assert errors == []

    # the turnover: sorted by the closing balance, largest first, a screenshot
    page.goto(f"{base}/reports/turnover/?period={OCTOBER}")
    with page.expect_navigation():  # the whole town's turnover: built in the background
        page.click("#report-build")
    assert page.locator("#report-run").count() == 1
    with page.expect_navigation():
        page.click("#report-table th[data-code=closing] a")
    with page.expect_navigation():
        page.click("#report-table th[data-code=closing] a")
    assert "dir=desc" in page.url
    first = page.locator("#report-table tbody tr").first.inner_text()
    assert first.startswith("E1-002") and "12621,25" in first  # the largest closing balance of the three
    assert "Разом" in page.locator("#report-totals").inner_text()
    page.screenshot(path="/tmp/rep-screen.png", full_page=True)
    with page.expect_download() as download:
        page.click("#report-downloads [data-format=csv-uk]")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf") and b";" in saved.read_bytes()

    # a bad filter: the message under its field, the text kept
    page.goto(f"{base}/reports/debtors/?period={OCTOBER}")
    page.fill("#f-building", "NOPE")
    with page.expect_navigation():
        page.click("#report-show")
    assert page.locator("#error-building").inner_text() == "Немає будинку з кодом NOPE"
    assert page.locator("#f-building").input_value() == "NOPE"
    assert errors == []

    from datetime import date

    from app.models import Meter
    from sqlalchemy import select

    from .test_report_screen import _second_building

    _second_building(db.session, flats=3)  # not the inspector's: none of its meters shown
    db.session.scalar(select(Meter).where(Meter.id == ids["meters"][1])).next_verification = date(2026, 10, 15)
    db.session.add(InspectorBuilding(user_id=current_appbuilder().sm.find_user("inspector").id,
                                     building_id=ids["building"]))
    db.session.commit()
    inspector = page.context.browser.new_context(locale="uk-UA").new_page()
    inspector.on("console", console)
    inspector.on("response", response)
    sign_in(inspector, base, "inspector", PASSWORD)
    inspector.goto(f"{base}/reports/")
    links = inspector.locator(".oblik-report-link")
    assert sorted(links.nth(i).get_attribute("id") for i in range(links.count())) == [
        "report-readings_missing", "report-verification_due"]
    for kind in ("verification_due", "readings_missing"):
        inspector.goto(f"{base}/reports/{kind}/?period={OCTOBER}")
        inspector.wait_for_selector("#report-table")
        shown = inspector.locator("#report-table tbody").inner_text()
        assert "E2" not in shown and ("E1" in shown or kind == "readings_missing"), (kind, shown)
        if kind == "verification_due":
            assert "E1-CW-1" in shown and "15.10.2026" in shown
            inspector.screenshot(path=str(tmp_path / "inspector.png"), full_page=True)
    response = inspector.goto(f"{base}/reports/turnover/?period={OCTOBER}")
    assert response.status == 403
    inspector.context.close()
    assert errors == []
