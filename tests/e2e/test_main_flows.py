"""End-to-end: the main flows in a real headless Chromium."""
import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD

from .conftest import sign_in


def pick(page, opener, typed, option_text):
    """Open a search-as-you-type picker, type into its search box, choose an option."""
    page.locator(opener).first.click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.wait_for()
    search.fill(typed)
    option = page.locator(".select2-results__option", has_text=option_text).first
    option.wait_for()
    return option

pytestmark = pytest.mark.e2e


def test_login_page_is_ukrainian_and_admin_sees_the_modules(page, live_server):
    page.goto(f"{live_server}/login/")
    assert "Увійти" in page.content()
    sign_in(page, live_server, "admin", PASSWORD)
    menu = page.locator("nav, .navbar").first.inner_text()
    for label in ("Довідники", "Реєстри", "Облік"):
        assert label in menu


def test_operator_adds_a_premise_with_the_search_picker(page, live_server, app):
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/premiseview/add")
    # The building picker is empty until the user types: it searches the server.
    pick(page, ".select2-selection", "Франка", "Франка").click()
    page.fill("input[name=number]", "E2E-1")
    page.fill("input[name=total_area]", "48,7")
    page.fill("input[name=heated_area]", "45,2")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "E2E-1" in page.content() or "Запис додано" in page.content() or "Added" in page.content()

    from app.extensions import db
    from app.models import Premise

    with app.app_context():
        premise = db.session.scalar(select(Premise).where(Premise.number == "E2E-1"))
        assert premise is not None
        assert premise.building.code == "B2"
        assert str(premise.total_area).startswith("48.7")


def test_inspector_enters_a_reading_only_for_own_building(page, live_server, app):
    sign_in(page, live_server, "inspector", PASSWORD)
    page.goto(f"{live_server}/readingview/add")
    pick(page, ".select2-selection", "M-B", "M-B1")
    texts = page.locator(".select2-results__option").all_inner_texts()
    assert any("M-B1-1" in t for t in texts)
    assert not any("M-B2" in t for t in texts), texts
    page.locator(".select2-results__option", has_text="M-B1-1").first.click()
    page.fill("input[name=date]", "20.11.2026")
    page.fill("input[name=value]", "12,25")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")

    from app.extensions import db
    from app.models import Meter, Reading
    from decimal import Decimal
    from datetime import date

    with app.app_context():
        meter = db.session.scalar(select(Meter).where(Meter.serial == "M-B1-1"))
        reading = db.session.scalar(select(Reading).where(Reading.meter_id == meter.id, Reading.date == date(2026, 11, 20)))
        assert reading is not None, page.content()[:2000]
        assert reading.value == Decimal("12.25")
        assert reading.entered_by == "inspector"
    # A value below the previous reading is refused with a message next to the field.
    page.goto(f"{live_server}/readingview/add")
    pick(page, ".select2-selection", "M-B1-1", "M-B1-1").click()
    page.fill("input[name=date]", "25.11.2026")
    page.fill("input[name=value]", "3")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"нижч|менш", page.content()), "expected a Ukrainian message about the lower reading"


def test_search_filter_on_a_related_column_uses_the_server_picker(page, live_server):
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/premiseview/list/")
    # Open the filter menu and add a filter on the building column.
    page.click("a[href='#accordion1_href']")
    page.click("#filter_form .dropdown-toggle")
    page.locator("#filter_form a.filter[name=building]").click()
    pick(page, "td.filter:has(select.oblik-ajax) .select2-selection", "Франка", "Франка").click()
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    body = page.locator("table.table").first.inner_text()
    assert "Франка" in body
    assert "Шевченка" not in body
    # The applied filter shows the chosen building's name, fetched from the server.
    page.locator("td.filter:has(select.oblik-ajax) .select2-selection__rendered", has_text="Франка").first.wait_for(state="attached")
