"""In a real headless Chromium, with CSRF on: an accountant forms a write-off statement from the
candidates of the town with three-year-old debts, lowers a line, adds one by hand through the
account picker, approves it (the confirmation dialog) and cancels it with a reason."""
import os
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, sign_in
from tests.e2e.test_main_flows import pick

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .writeoff_town import old_debts_town

pytestmark = pytest.mark.e2e


def _amount(text: str) -> D:
    return D(text.strip().replace("\xa0", "").replace("\u202f", "").replace(" ", "").replace(",", "."))


def _shot(page, tmp_path, name):
    folder = os.environ.get("OBLIK_SCREENSHOTS") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, name), full_page=True)


def test_accountant_forms_approves_and_cancels_a_write_off(bdb, billing_server, page, tmp_path):  # noqa: F811
    from app.extensions import db
    from app.models import JournalEntry, WriteOff

    old_debts_town()
    base = billing_server
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/writeoffs/")
    assert "36" in page.locator("#wo-candidates-form").locator("xpath=..").inner_text()
    page.fill("#wo-c-date", "30.11.2026")
    with page.expect_navigation():
        page.click("#wo-candidates")
    assert "ВС-2026-0001" in page.locator("h2").inner_text()
    assert page.locator(".wo-line").count() == 3
    # lower the first line (E1-001, Утримання будинку 800,00) to 700,00
    first = page.locator(".wo-line").first
    first.locator("input[name=amount]").fill("700,00")
    with page.expect_navigation():
        first.locator("button[type=submit]").first.click()
    # a line by hand: flat 3 has no debt — refused, named
    pick(page, "#wo-line-add .select2-selection", "E1-003", "E1-003").click()
    page.fill("#wo-amount", "10,00")
    with page.expect_navigation():
        page.click("#wo-line-add button[type=submit]")
    assert "E1-003" in page.locator(".alert-danger").inner_text()
    assert _amount(page.locator("#wo-total").inner_text()) == D("1360.00")
    _shot(page, tmp_path, "write-off-draft.png")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#wo-approve")
    assert page.locator("#wo-status").inner_text() == "Затверджено"
    db.session.expire_all()
    total = db.session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.kind == "write_off"))
    assert D(total) == D("-1360.00")
    page.fill("#wo-cancel-form input[name=reason]", "повторна перевірка боргу")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#wo-cancel")
    assert page.locator("#wo-status").inner_text() == "Скасовано"
    assert "повторна перевірка боргу" in page.locator("#wo-facts").inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(WriteOff.status)) == "cancelled"
    _shot(page, tmp_path, "write-off-cancelled.png")
    page.goto(f"{base}/writeoffs/")
    _shot(page, tmp_path, "write-off-list.png")
