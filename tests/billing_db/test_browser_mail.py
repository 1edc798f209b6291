"""In a real headless Chromium, with CSRF on: the accountant sees a failed invoice e-mail on
«Розсилка» with its reason and sends it again with the button; the settings form shows its
errors beside the fields; a resident opens the unsubscribe link of the e-mail without signing in
and turns the e-invoices off; a changed link is refused with a clear page."""
import os
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, MailDelivery, MailSettings
from app.services.mail import invoices as mail_invoices
from tests.conftest import PASSWORD, sign_in
from tests.mailserver import MailServer

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .town import OCTOBER, create_town

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("OBLIK_SCREENSHOTS")  # a directory to keep the screenshots in, to look at them


def _shot(page, tmp_path, name):
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), f"{name}.png"), full_page=True)


def test_resend_settings_and_unsubscribe_in_the_browser(bdb, billing_server, page, browser, tmp_path):  # noqa: F811
    base = billing_server
    ids = create_town()
    for flat in (1, 2):
        account = db.session.get(Account, ids["accounts"][flat])
        account.einvoice_consent, account.email, account.einvoice_consent_on = True, f"flat{flat}@example.ua", \
            date(2026, 9, 1)
    with MailServer() as smtp:
        db.session.add(MailSettings(id=1, server="127.0.0.1", port=smtp.port, sender="rakhunky@vodokanal.example",
                                    rate_per_minute=6000, enabled=True))
        db.session.commit()
        smtp.handler.refuse = {"flat2@example.ua"}
        mail_invoices.send_period(db.session, OCTOBER)

        sign_in(page, base, "accountant", PASSWORD)
        page.goto(f"{base}/mail/?period={OCTOBER}")
        assert "Надіслано: 1" in page.locator("#mail-counts").inner_text()
        failed = page.locator('#mail-log tr[data-status="failed"]')
        assert "550" in failed.inner_text() and "Mailbox unavailable" in failed.inner_text()
        _shot(page, tmp_path, "mail-log-failed")
        smtp.handler.refuse = set()
        with page.expect_navigation():
            failed.locator("button").click()
        assert "знову поставлено в чергу" in page.locator(".alert").first.inner_text()
        assert page.locator('#mail-log tr[data-status="failed"]').count() == 0
        assert "Надіслано: 2" in page.locator("#mail-counts").inner_text()
        _shot(page, tmp_path, "mail-log")
        assert len(smtp.handler.to("flat2@example.ua")) == 1

        page.goto(f"{base}/mail/settings")
        page.fill("#mail-port", "99999")
        page.fill("#mail-sender", "не адреса")
        with page.expect_navigation():
            page.click("#mail-settings-form button[type=submit]")
        assert "Ціле число від 1 до 65535" in page.locator(".error-port").inner_text()
        assert "Адреса e-mail" in page.locator(".error-sender").inner_text()
        _shot(page, tmp_path, "mail-settings-errors")
        page.fill("#mail-to", "checker@example.ua")
        with page.expect_navigation():
            page.click("#mail-test-form button[type=submit]")
        assert "Тестовий лист надіслано" in page.locator(".alert").first.inner_text()

        link = smtp.handler.to("flat1@example.ua")[0][2]["List-Unsubscribe"].strip("<>")
    path = link[link.index("/mail/unsubscribe/"):]
    resident = browser.new_context(locale="uk-UA").new_page()  # no session: not signed in
    resident.goto(base + path)
    assert "fl•••@example.ua" in resident.locator("#unsubscribe").inner_text()
    _shot(resident, tmp_path, "unsubscribe")
    with resident.expect_navigation():
        resident.click("#unsubscribe-form button")
    assert "більше не надсилатимуться" in resident.locator("#unsubscribe-done").inner_text()
    _shot(resident, tmp_path, "unsubscribe-done")
    db.session.expire_all()
    assert db.session.get(Account, ids["accounts"][1]).einvoice_consent is False
    resident.goto(base + path[:-3] + "abc")
    assert "недійсне" in resident.locator("#unsubscribe-invalid").inner_text()
    _shot(resident, tmp_path, "unsubscribe-invalid")
    assert db.session.scalar(select(MailDelivery.status).where(MailDelivery.recipient == "flat2@example.ua")) == "sent"
