"""End-to-end in a real headless Chromium: a cashier's payment shows on the account card the moment
it is entered, and an accountant reverses it (Сторнування) with a reason — the card shows the
balance as it was. On a billing database of its own, served with CSRF on."""
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sign_in
from tests.e2e.test_main_flows import pick

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .town import OCTOBER, create_town

pytestmark = pytest.mark.e2e


def _amount(text: str) -> D:
    return D(text.strip().replace("\xa0", "").replace("\u202f", "").replace(" ", "").replace(",", "."))


def test_a_payment_shows_on_the_card_at_once_and_is_reversed_with_a_reason(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import db
    from app.models import Account, Payment, PaymentReversal
    from app.services.billing import run_billing
    from app.services.billing import close_period

    create_town()
    run_billing()
    close_period(OCTOBER)  # the debt of October is on the books
    account_id = db.session.scalar(select(Account.id).where(Account.account_number == "E1-001"))
    base = billing_server
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/accountview/show/{account_id}")
    before = _amount(page.locator("#balance-now-amount").inner_text())
    assert before > 0

    page.goto(f"{base}/paymentview/add")
    assert page.locator("#external_id").count() == 0  # the receipt number is given, not typed
    assert page.locator("#source").input_value() == "cash"
    pick(page, ".select2-selection", "E1-001", "E1-001").click()
    page.fill("#paid_on", "10.11.2026")
    page.fill("#amount", "1 500,00")
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    assert "danger" not in (page.locator(".alert").first.get_attribute("class") or "")
    assert "/paymentview/show/" in page.url and page.locator("#payment-receipt").is_visible()
    payment_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    number = db.session.get(Payment, payment_id).external_id
    assert number.startswith("КВ-2026-") and number in page.content()

    page.goto(f"{base}/accountview/show/{account_id}")
    assert _amount(page.locator("#balance-now-amount").inner_text()) == before - D("1500.00")

    page.goto(f"{base}/paymentview/show/{payment_id}")
    assert page.locator("#payment-posting").inner_text().count("-") >= 1
    page.fill("#reason", "внесено помилково, не той рахунок")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#reverse-form button[type=submit]")
    assert "внесено помилково" in page.locator("#payment-reversed").inner_text()
    db.session.expire_all()
    assert db.session.get(PaymentReversal, payment_id).reversed_by == "accountant"

    page.goto(f"{base}/accountview/show/{account_id}")
    assert _amount(page.locator("#balance-now-amount").inner_text()) == before
    page.screenshot(path=str(tmp_path / "card.png"), full_page=True)
