"""End-to-end: «Додати» in the services tab of the account card, in a real headless Chromium."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.webtools import make_building, uid

from .conftest import sign_in
from .test_main_flows import pick

pytestmark = pytest.mark.e2e


def test_operator_adds_a_service_from_the_account_cards_tab(page, live_server, app):
    from app.extensions import db
    from app.models import Account, AccountService, Service

    _, premise_id = make_building(app)
    number, code = uid("EA"), uid("ES")
    with app.app_context():
        account = Account(account_number=number, premise_id=premise_id, owner_name="Власник E2E",
                          opened_on=date(2025, 1, 1))
        service = Service(code=code, name=f"Домофон {code}", unit="шт", method="fixed", quantity_precision=0)
        db.session.add_all([account, service])
        db.session.commit()
        account_id, service_id = account.id, service.id

    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/accountview/show/{account_id}")
    page.get_by_role("link", name="Послуги", exact=True).first.click()
    page.locator(f"a[href*='/accountserviceview/add?_flt_0_account={account_id}']").first.click()
    page.wait_for_load_state("networkidle")
    # the account of the card is filled in, shown by its number
    account_picker = page.locator("select[name=account] + .select2 .select2-selection__rendered")
    assert number in account_picker.inner_text()
    pick(page, "select[name=service] + .select2 .select2-selection", code, code).click()
    page.fill("input[name=date_from]", "01.03.2025")
    page.fill("input[name=quantity]", "2")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")

    assert f"/accountview/show/{account_id}" in page.url, page.content()[:3000]
    assert "Запис додано" in page.content()
    with app.app_context():
        added = db.session.scalars(select(AccountService).where(AccountService.account_id == account_id)).all()
        assert [(s.service_id, s.date_from, s.quantity) for s in added] == [(service_id, date(2025, 3, 1), Decimal(2))]
