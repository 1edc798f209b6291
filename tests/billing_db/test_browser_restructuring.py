"""In a real headless Chromium: an accountant drafts a restructuring agreement on its form, sees
its schedule on the card, approves it (the confirmation of oblik.js), and the account card shows
the schedule. On a billing database of its own, served with CSRF on."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in
from tests.e2e.test_main_flows import pick

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .town import OCTOBER, create_town

pytestmark = pytest.mark.e2e


def test_an_agreement_from_its_form_to_the_account_card(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import db
    from app.models import Account, RestructuringAgreement
    from app.services.billing import close_period, run_billing

    create_town()
    run_billing()
    close_period(OCTOBER)
    account_id = db.session.scalar(select(Account.id).where(Account.account_number == "E1-003"))
    base = billing_server
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/restructuringagreementview/add")
    page.fill("#agreement_date", "05.11.2026")
    pick(page, ".select2-selection", "E1-003", "E1-003").click()
    page.fill("#debt_date", "31.10.2026")
    page.select_option("#mode", "count")
    page.fill("#instalments", "4")
    page.fill("#first_due", "25.11.2026")
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    agreement = db.session.scalar(select(RestructuringAgreement))
    assert agreement is not None and agreement.status == "draft"
    page.goto(f"{base}/restructuringagreementview/show/{agreement.id}")
    schedule = page.locator("#restructuring-schedule").inner_text()
    # 8 461,25 in 4: 2 115,32 + 2 115,31 × 3
    assert "2115,32" in schedule.replace("\u202f", "").replace("\xa0", "") and schedule.count("2115,31") == 3
    page.screenshot(path=str(tmp_path / "agreement.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    db.session.expire_all()
    assert db.session.get(RestructuringAgreement, agreement.id).status == "approved"
    assert page.locator("#terminate-form").count() == 1
    page.goto(f"{base}/accountview/show/{account_id}#Documents")  # the card's «Документи» tab
    assert page.locator("#account-restructuring").is_visible()
    card = page.locator("#account-restructuring").inner_text()
    assert agreement.number in card and "25.02.2027" in card
    page.locator("#account-restructuring").screenshot(path=str(tmp_path / "card.png"))
