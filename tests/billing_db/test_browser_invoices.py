"""«Рахунки на оплату» in a real headless Chromium: an accountant starts the build of the period
from the screen, the progress bar moves by building by itself (``oblik.js`` polls, no inline
script: the page is served with its CSP) up to 100 %, and the building's PDF downloads with its
invoices in delivery order; the preview shows one account's invoice. On a billing database of
its own, served with CSRF on.

The tests run Celery eagerly (the build would be done before the page comes back): here the
build's queueing is replaced by a thread that builds one building a second, as a worker would."""
import threading
import time

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_app, sign_in

from .test_invoice_builds import E2_ORDER, _numbers, _town

pytestmark = pytest.mark.e2e


@pytest.fixture()
def invoice_server(bdb, monkeypatch):
    """(base URL, the served app); the build's task queued = a slow thread of that app."""
    from app.extensions import db
    from app.services.invoices import builds
    from app.tasks import invoices as tasks

    application = make_app(SQLALCHEMY_DATABASE_URI=bdb.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    application.instance_path = bdb.instance_path
    threads = []

    class Queued:
        id = None

    def delay(build_id):
        def work():
            with application.app_context():
                for building_id in builds.pending(build_id):
                    time.sleep(1.0)
                    builds.build_chunk(build_id, building_id)
                db.session.remove()

        thread = threading.Thread(target=work, daemon=True)
        threads.append(thread)
        thread.start()
        return Queued()

    monkeypatch.setattr(tasks.invoice_build, "delay", delay)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}"
    for thread in threads:
        thread.join(timeout=30)
    server.shutdown()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_accountant_builds_the_invoices_and_downloads_a_building(bdb, invoice_server, page, tmp_path):
    from app.extensions import db
    from app.models import InvoiceBuild

    _town()
    base = invoice_server
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/invoices/")
    assert "Рахунки на оплату" in page.locator("h2").inner_text()
    page.screenshot(path=str(tmp_path / "invoices-empty.png"))

    with page.expect_navigation():
        page.click("#invoices-build")
    assert "розпочато" in page.locator(".alert").first.inner_text()
    bar = page.locator("#invoice-build-bar")
    assert bar.inner_text() in ("0%", "50%")
    page.screenshot(path=str(tmp_path / "invoices-running.png"))
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "100%" not in seen:  # moved by oblik.js, no reload by the test
        try:
            seen.add(bar.inner_text(timeout=1000))
        except Exception:  # the page reloads itself when the build ends
            pass
        time.sleep(0.2)
    page.wait_for_selector(".invoice-building-pdf")
    assert page.locator("#invoice-build-bar").inner_text() == "100%"
    assert "50%" in seen  # the first of two buildings, shown while the build ran
    page.screenshot(path=str(tmp_path / "invoices-done.png"), full_page=True)
    db.session.expire_all()
    build = db.session.scalar(select(InvoiceBuild))
    assert build.status == "done" and build.accounts == 7 and build.started_by == "accountant"

    with page.expect_download() as download:
        page.locator("#invoices-buildings tr", has_text="E2").locator(".invoice-building-pdf").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "budynok-E2-2026-10.pdf"
    assert _numbers(saved.read_bytes()) == E2_ORDER
    assert not [e for e in errors if "Content Security Policy" in e]

    # the account card's «Рахунок» button: the open period's invoice of that account
    from app.models import Account

    account = db.session.scalar(select(Account.id).where(Account.account_number == "E2-10"))
    page.goto(f"{base}/accountview/show/{account}")
    button = page.locator("#account-invoice")
    assert "Рахунок 2026-10" in " ".join(button.inner_text().split())
    page.screenshot(path=str(tmp_path / "account-card.png"))
    response = page.request.get(base + button.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf" and _numbers(response.body()) == ["E2-10"]
