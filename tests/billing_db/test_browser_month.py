"""End-to-end in a real headless Chromium: an accountant's month — load the inspectors' readings
file (preview, then write), run the billing from «Розрахунок», read «why this much?» on the
account card, and close the period. It runs on a billing database of its own (tests/billing_db),
served with CSRF on, because closing a period is global state the other tests must not see."""
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_app, sign_in

from .town import NOVEMBER, OCTOBER, create_town

pytestmark = pytest.mark.e2e


@pytest.fixture()
def billing_server(bdb):
    application = make_app(SQLALCHEMY_DATABASE_URI=bdb.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_accountant_imports_readings_bills_explains_and_closes(bdb, billing_server, page, tmp_path):
    from app.extensions import db
    from app.models import Account, ChargeLine, JournalEntry, Period, Reading

    ids = create_town()
    base = billing_server
    sign_in(page, base, "accountant", PASSWORD)

    # The readings file as an inspector sends it: «;», дд.мм.рррр, a decimal comma.
    readings = tmp_path / "показники.csv"
    readings.write_text("serial;date;value\nE1-CW-2;31.10.2026;54,000\n", encoding="cp1251")
    page.goto(f"{base}/imports/?kind=readings")
    page.select_option("#import-kind", "readings")
    # (given as bytes: a path is handed to Debian's Chromium through CDP and arrives empty)
    page.set_input_files("#import-file", {"name": readings.name, "mimeType": "text/csv", "buffer": readings.read_bytes()})
    with page.expect_navigation():
        page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-counts")
    assert page.locator('[data-count="created"]').inner_text() == "1"
    assert page.locator('[data-count="rejected"]').inner_text() == "0"
    assert db.session.scalar(select(Reading).where(Reading.value == D("54"))) is None  # a preview writes nothing
    page.click("#import-commit")
    page.wait_for_selector("#import-status")
    assert page.locator('[data-count="created"]').inner_text() == "1"
    db.session.expire_all()
    assert db.session.scalar(select(Reading.value).where(Reading.meter_id == ids["meters"][2],
                                                        Reading.value == D("54"))) == D("54")

    # Розрахунок: run the open period.
    page.goto(f"{base}/billing/")
    assert OCTOBER in page.locator("h2").first.inner_text()
    page.click("#billing-run-form button[type=submit]")
    page.wait_for_selector("#billing-bar")
    page.wait_for_function("document.getElementById('billing-bar').textContent.trim() === '100%'")
    assert page.locator("#billing-accounts").inner_text() == "3"

    # «Why this much?» — flat 2 now has an actual volume: 54 − 50 = 4 м³ × 30,00 = 120,00.
    account_id = db.session.scalar(select(Account.id).where(Account.account_number == "E1-002"))
    page.goto(f"{base}/accountview/show/{account_id}")
    lines = page.locator("#charge-lines").inner_text()
    assert "120,00" in lines and "Холодна вода" in lines
    assert "4" in lines and "30,00" in lines

    # Close: the confirmation is accepted, the journal gets the month, November opens.
    page.goto(f"{base}/billing/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#billing-close-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert NOVEMBER in page.locator("h2").first.inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(Period.status).where(Period.period == OCTOBER)) == "closed"
    assert db.session.scalar(select(Period.status).where(Period.period == NOVEMBER)) == "open"
    journal = db.session.scalars(select(JournalEntry).where(JournalEntry.posting_period == OCTOBER)).all()
    assert sum(entry.amount for entry in journal if entry.kind == "charge") == sum(
        line.amount for line in db.session.scalars(select(ChargeLine).where(ChargeLine.period == OCTOBER))
        if line.kind == "charge")


def test_the_english_interface_shows_english_explanations(bdb, billing_server, page, tmp_path):
    """A new user, on the Ukrainian screen by default, picks English in the language menu: the
    card's «why this much?» is English, with decimal points — and Ukrainian again on the way back."""
    from app.extensions import db
    from app.models import Account
    from app.services.billing import run_billing

    create_town()
    run_billing()
    base = billing_server
    sign_in(page, base, "accountant", PASSWORD)
    account_id = db.session.scalar(select(Account.id).where(Account.account_number == "E1-002"))
    page.goto(f"{base}/accountview/show/{account_id}?charges={OCTOBER}")
    lines = page.locator("#charge-lines").inner_text()
    assert "Сума = " in lines and "грн" in lines and "Amount = " not in lines
    page.click("a.dropdown-toggle:has(i.flag.ua)")  # the current language: Ukrainian
    with page.expect_navigation():
        page.click("a[href='/lang/en']")
    page.goto(f"{base}/accountview/show/{account_id}?charges={OCTOBER}")
    lines = page.locator("#charge-lines").inner_text()
    assert "Amount = " in lines and "UAH" in lines and "Days: " in lines and "Tariff " in lines
    assert "Сума" not in lines and "грн" not in lines and "Тариф" not in lines
    assert "Amount = 0.375 × 30.00 × 31/31 = 11.25 UAH" in lines  # the flat's imbalance share, decimal points
    assert "House imbalance (meter No. E1-HOUSE-CW): Vh 13.500 − ΣVi 12.000 = Δ 1.500 м³" in lines
    page.click("a[href='#Charges'], a[data-toggle='tab']:has-text('Charges')")
    page.wait_for_selector("#charge-lines", state="visible")
    page.screenshot(path=str(tmp_path / "card-en.png"), full_page=True)
    page.goto(f"{base}/billing/?period={OCTOBER}")  # the run's warnings, in English too
    warned = page.locator("#billing-warnings-table").inner_text()
    assert "meter No." in warned or "premise " in warned, warned
    assert not any(word in warned for word in ("приміщення", "лічильник", "немає", "показник")), warned
    page.screenshot(path=str(tmp_path / "billing-en.png"), full_page=True)
    page.click("a.dropdown-toggle:has(i.flag.gb)")
    with page.expect_navigation():
        page.click("a[href='/lang/uk']")
    page.goto(f"{base}/accountview/show/{account_id}?charges={OCTOBER}")
    assert "Сума = " in page.locator("#charge-lines").inner_text()
