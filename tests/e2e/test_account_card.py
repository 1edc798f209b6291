"""End-to-end at 1366×768 (an accountant's laptop): the account card shows the balance in the
first screen, its tabs switch and are kept in the URL (a reload opens the same tab), and a
service edited from the card's tab comes back to the card on that tab."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.webtools import make_building, uid

from .conftest import sign_in

pytestmark = pytest.mark.e2e
WIDTH, HEIGHT = 1366, 768


@pytest.fixture()
def laptop(browser):
    context = browser.new_context(locale="uk-UA", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _in_first_screen(page, selector):
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    scrolled = page.evaluate("window.scrollY")
    assert scrolled == 0 and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (selector, box)


def test_the_card_leads_with_the_balance_and_its_tabs_come_back(laptop, live_server, app, tmp_path):
    from app.extensions import db
    from app.models import Account, AccountService, Service

    page = laptop
    _, premise_id = make_building(app)
    code = uid("EC")
    with app.app_context():
        account = Account(account_number=uid("EC"), premise_id=premise_id, owner_name="Власник Картки",
                          opened_on=date(2025, 1, 1))
        service = Service(code=code, name=f"Домофон {code}", unit="шт", method="fixed", quantity_precision=0)
        db.session.add_all([account, service])
        db.session.flush()
        subscription = AccountService(account_id=account.id, service_id=service.id, date_from=date(2025, 1, 1),
                                      quantity=Decimal(1))
        db.session.add(subscription)
        db.session.commit()
        account_id, subscription_id = account.id, subscription.id

    sign_in(page, live_server, "accountant", PASSWORD)
    card = f"{live_server}/accountview/show/{account_id}"
    page.goto(card)
    page.wait_for_load_state("networkidle")
    for selector in ("#balance-today-amount", "#balance-today-word", "#last-payment", "#last-invoice",
                     "#card-warnings", "#card-tabs"):
        _in_first_screen(page, selector)
    assert page.locator("#balance-today-word").inner_text() in ("Борг", "Переплата", "Боргу немає")
    page.screenshot(path=str(tmp_path / "card.png"))

    # tabs switch, the open one is in the URL, a reload opens it again
    assert page.locator("#AccountServiceView").is_visible()
    page.get_by_role("link", name="Нарахування", exact=True).click()
    assert page.locator("#Charges").is_visible() and not page.locator("#AccountServiceView").is_visible()
    assert page.url.endswith("#Charges")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#Charges").is_visible() and not page.locator("#AccountServiceView").is_visible()
    page.get_by_role("link", name="Лічильники та показники", exact=True).click()
    assert page.locator("#Meters").is_visible() and page.url.endswith("#Meters")

    # edit the service from the card's services tab: back on the card, on that tab
    page.get_by_role("link", name="Послуги", exact=True).click()
    page.locator(f"#AccountServiceView a[href*='/accountserviceview/edit/{subscription_id}']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=quantity]", "3")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(card) and page.url.endswith("#AccountServiceView"), page.url
    assert "Зміни збережено" in page.content() or "Запис змінено" in page.content() or \
        page.locator(".alert-success").count() == 1
    assert page.locator("#AccountServiceView").is_visible()
    _in_first_screen(page, "#balance-today-amount")
    with app.app_context():
        assert db.session.scalar(select(AccountService.quantity).where(AccountService.id == subscription_id)) == 3
