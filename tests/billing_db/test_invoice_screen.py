"""«Рахунки на оплату» over HTTP as each role: who opens, previews, builds and downloads; the
inspector refused everywhere; downloads only of the build's own files (no path from the
request, traversal refused); bad input answered with a message, never a 500; the account
card's «Рахунок» button."""
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Building, InvoiceBuild
from app.services.invoices import builds

from .test_invoice_builds import E2_ORDER, _numbers, _town
from .town import OCTOBER

STAFF = ("admin", "accountant", "operator")


def text(response):
    return response.get_data(as_text=True)


def _build(web):
    page = web("accountant").post("/invoices/build", data={"period": OCTOBER}, follow_redirects=True)
    assert page.status_code == 200
    db.session.expire_all()
    build = db.session.scalar(select(InvoiceBuild).order_by(InvoiceBuild.id.desc()))
    assert build is not None and build.status == "done", text(page)[:2000]  # the tests run Celery eagerly
    return build, page


def _ids():
    e2 = db.session.scalar(select(Building.id).where(Building.code == "E2"))
    account = db.session.scalar(select(Account.id).where(Account.account_number == "E2-10"))
    return e2, account


@pytest.mark.parametrize("role", ["admin", "accountant", "operator", "inspector"])
def test_who_opens_previews_and_downloads(bdb, web, role):
    _town()
    build, _page = _build(web)
    e2, account = _ids()
    client = web(role)
    urls = ["/invoices/", f"/invoices/preview?period={OCTOBER}&account={account}", f"/invoices/progress/{build.id}",
            f"/invoices/download/{build.id}/building/{e2}", f"/invoices/download/{build.id}/account?number=E2-10"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == (200 if role in STAFF else 403), (role, url, response.status_code)
    if role in STAFF:
        preview = client.get(f"/invoices/preview?period={OCTOBER}&account={account}")
        assert preview.mimetype == "application/pdf" and preview.headers["Content-Disposition"].startswith("inline")
        assert _numbers(preview.data) == ["E2-10"]
        combined = client.get(f"/invoices/download/{build.id}/building/{e2}")
        assert combined.headers["Content-Disposition"].startswith("attachment")
        assert f"budynok-E2-{OCTOBER}.pdf" in combined.headers["Content-Disposition"]
        assert _numbers(combined.data) == E2_ORDER
        one = client.get(f"/invoices/download/{build.id}/account?number=E2-10")
        assert one.headers["Content-Disposition"].startswith("attachment") and _numbers(one.data) == ["E2-10"]
        page = text(client.get(f"/invoices/?period={OCTOBER}"))
        assert "Рахунки на оплату" in page and "Побудовано" in page and "100%" in page
        assert f"/invoices/download/{build.id}/building/{e2}" in page
        assert ("invoices-build-form" in page) is (role != "operator")  # the operator sees, does not build
        assert "<script>" not in page and " onclick=" not in page
    else:
        assert web(role).post("/invoices/build", data={"period": OCTOBER}).status_code == 403


@pytest.mark.parametrize("role,allowed", [("admin", True), ("accountant", True), ("operator", False),
                                          ("inspector", False)])
def test_who_starts_a_build(bdb, web, role, allowed):
    _town()
    response = web(role).post("/invoices/build", data={"period": OCTOBER})
    assert response.status_code == (302 if allowed else 403)
    db.session.expire_all()
    assert (db.session.scalar(select(InvoiceBuild.id)) is not None) is allowed


def test_a_second_build_of_the_period_is_refused_with_a_message(bdb, web):
    _town()
    builds.start_build(OCTOBER, user="нічна-побудова")
    page = text(web("accountant").post("/invoices/build", data={"period": OCTOBER}, follow_redirects=True))
    assert "уже будуються" in page and "нічна-побудова" in page
    assert 'data-status="running"' in page and "data-progress-url" in page


def test_downloads_take_no_path_from_the_request(bdb, web, tmp_path):
    _town()
    build, _page = _build(web)
    e2, _account = _ids()
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-secret")
    client = web("accountant")
    for url in (f"/invoices/download/{build.id}/account?number=../../../../{tmp_path}/secret",
                f"/invoices/download/{build.id}/account?number=..%2F..%2Fsecret.pdf",
                f"/invoices/download/{build.id}/building/..%2F..%2Fetc",
                f"/invoices/download/{build.id}/building/../../../etc/passwd",
                f"/invoices/download/{build.id}/building/999999",
                f"/invoices/download/999999/building/{e2}",
                f"/invoices/download/{build.id}/building/-1"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert b"%PDF" not in response.data, url
    # a command-line build (its directory is its operator's) is not served by the screen
    cli = builds.build_now(OCTOBER, tmp_path / "cli", building_code="E2")
    assert client.get(f"/invoices/download/{cli.id}/building/{e2}").status_code == 404
    assert client.get(f"/invoices/progress/{cli.id}").status_code == 404


def test_bad_input_is_a_message_not_a_server_error(bdb, web):
    _town()
    client = web("accountant")
    for url in ("/invoices/?period=2026-13", "/invoices/?period=%00", "/invoices/?page=-5", "/invoices/?page=1e9",
                "/invoices/?page=99999999999",
                "/invoices/preview", f"/invoices/preview?period={OCTOBER}&account=abc",
                f"/invoices/preview?period={OCTOBER}&account=99999999999999999999",
                "/invoices/preview?period=1900-01&account=1", "/invoices/progress/99999"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
    refused = text(client.post("/invoices/build", data={"period": "2026-13"}, follow_redirects=True))
    assert "РРРР-ММ" in refused
    missing = text(client.post("/invoices/build", data={"period": "2030-01"}, follow_redirects=True))
    assert "Немає періоду 2030-01" in missing
    build_id = _build(web)[0].id
    nobody = text(client.get(f"/invoices/download/{build_id}/account?number=NOPE", follow_redirects=True))
    assert "немає рахунку особового рахунку «NOPE»" in nobody
    assert client.get(f"/invoices/download/{build_id}/account?number=E1%00", follow_redirects=True).status_code == 200
    assert db.session.scalar(select(InvoiceBuild.id).where(InvoiceBuild.period != OCTOBER)) is None


def test_a_form_without_its_token_is_refused(bdb, web):
    _town()
    client = web("accountant")
    bdb.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/invoices/build", data={"period": OCTOBER})
    finally:
        bdb.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(InvoiceBuild.id)) is None


def test_the_account_card_has_an_invoice_button(bdb, web):
    _town()
    _e2, account = _ids()
    for role in STAFF:
        page = text(web(role).get(f"/accountview/show/{account}"))
        [href] = re.findall(r'id="account-invoice"[^>]*href="([^"]+)"', page, re.S) or re.findall(
            r'href="([^"]+)"[^>]*id="account-invoice"', page, re.S)
        href = href.replace("&amp;", "&")
        assert f"account={account}" in href and f"period={OCTOBER}" in href
        pdf = web(role).get(href)
        assert pdf.mimetype == "application/pdf" and _numbers(pdf.data) == ["E2-10"]
        assert len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1
