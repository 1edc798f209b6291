"""In Chromium: the main screens run with the Content-Security-Policy without a single
violation (FAB's scripts carry the nonce, ours are files), and the menu's logout — a POST
form — signs out for good."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.webtools import uid

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def _accountant(app):
    from app.services.users import create_user

    username = uid("e2e").lower()
    with app.app_context():
        create_user(username, PASSWORD, "accountant")
    return username


def test_main_screens_have_no_csp_errors_and_the_menu_logs_out(page, live_server, app):
    from app.extensions import db
    from app.models import Account

    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.account_number == "B1-001"))
    problems = []
    # the browser's own favicon request (no page asks for it) is the one 404 let through
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    username = _accountant(app)
    sign_in(page, live_server, username, PASSWORD)
    for path in (f"/accountview/show/{account_id}", "/accountview/list/", "/billing/", "/buildingview/add"):
        response = page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert "Content-Security-Policy" in "".join(response.headers.keys()).title() or \
            "content-security-policy" in response.headers
    # the pickers (select2, our static script) really ran under the policy
    page.goto(f"{live_server}/buildingview/list/")
    page.wait_for_load_state("networkidle")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems

    # the menu: the user's dropdown, then the logout button (a POST with the CSRF token)
    page.locator(".navbar-right .dropdown-toggle .fa-user").click()
    page.locator("#oblik-logout").click()
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    page.goto(f"{live_server}/accountview/list/")
    assert "/login" in page.url  # signed out for good
