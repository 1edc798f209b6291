"""End-to-end in a real headless Chromium: an operator opens a building's card, starts a claim
act from it (the act covers the building), adds an account to what it covers from the act's own
tab; an accountant approves it. The communication scheme's tree folds and unfolds (oblik.js).
On a billing database of its own, served with CSRF on."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in
from tests.e2e.test_main_flows import pick

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .test_claim_acts import scheme_town

pytestmark = pytest.mark.e2e


def test_a_claim_act_from_the_buildings_tab_to_its_approval(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import db
    from app.models import ClaimAct

    ids = scheme_town(db.session)
    base = billing_server
    sign_in(page, base, "operator", PASSWORD)
    page.goto(f"{base}/buildingview/show/{ids['building']}")
    page.click("#btn-action-BuildingView\\.action-new_claim_act")
    page.wait_for_url(f"**/claimactview/add?building={ids['building']}")
    if page.locator("select#service.oblik-ajax").count():  # a search-as-you-type picker
        pick(page, "#service + .select2 .select2-selection", "UTR", "UTR").click()
    else:
        page.select_option("#service", str(ids["services"]["UTR"]))
    page.select_option("#kind", "not_provided")
    page.fill("#act_date", "20.10.2026")
    page.fill("#date_from", "01.10.2026")
    page.fill("#date_to", "05.10.2026")
    page.fill("#notified_at", "01.10.2026 09:30")
    page.fill("#claimant_name", "Власник 1")
    page.fill("#claim_text", "Не прибирають під'їзд і прибудинкову територію")
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    db.session.expire_all()
    act = db.session.scalars(select(ClaimAct)).one()
    assert act.number == "АП-2026-0001" and [t.building_id for t in act.targets] == [ids["building"]]

    page.goto(f"{base}/claimactview/show/{act.id}")
    page.click("a[href='#ClaimActTargetView']")
    with page.expect_navigation():
        page.click("#ClaimActTargetView a[href*='/claimacttargetview/add']")
    pick(page, "#account + .select2 .select2-selection", "B1-002", "B1-002").click()
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    db.session.expire_all()
    act = db.session.get(ClaimAct, act.id)
    assert len(act.targets) == 2 and any(t.account_id for t in act.targets)

    page.context.clear_cookies()  # a new session
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/claimactview/show/{act.id}")
    page.click("a[href='#Home']")  # the card remembers the tab last open
    # «Затвердити» opens the card's one confirmation dialog (oblik/widgets/claim_act_show.html);
    # its OK posts the card's approve form
    assert not page.locator("#btn-action-ClaimActView\\.action-cancel").count()  # a draft: nothing to cancel
    page.click("#btn-action-ClaimActView\\.action-approve")
    page.locator("#claim-act-confirm-ok").wait_for(state="visible")
    with page.expect_navigation():
        page.click("#claim-act-confirm-ok")
    db.session.expire_all()
    assert db.session.get(ClaimAct, act.id).status == "approved"
    page.goto(f"{base}/claimactview/show/{act.id}")
    page.click("a[href='#Home']")
    # approved: «Затвердити» is gone, «Скасувати акт» and the print form remain
    assert not page.locator("#btn-action-ClaimActView\\.action-approve").count()
    assert page.locator("#btn-action-ClaimActView\\.action-cancel").is_visible()
    assert page.locator("#btn-action-ClaimActView\\.action-print_form").is_visible()
    page.screenshot(path=str(tmp_path / "act.png"), full_page=True)

    # the scheme: T1's buildings fold away and come back
    page.goto(f"{base}/scheme/")
    t1 = page.locator(f"#node-{ids['nodes']['T1']}")
    b1 = t1.locator(".oblik-tree-building", has_text="B1").first
    assert b1.is_visible()
    t1.locator("> button[data-tree-toggle]").click()
    assert not b1.is_visible()
    page.click("button[data-tree-all=open]")
    assert b1.is_visible()
    page.screenshot(path=str(tmp_path / "scheme.png"), full_page=True)
