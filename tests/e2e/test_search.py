"""End-to-end at 1366×768: the accounts' one search box (a word of the owner's name, the
street) and the pickers with the keyboard alone (Tab into one, type the address, Enter)."""
import os
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.e2e

LETTERS = "абвгґдежзиіїйклмнопрстуфхцчшщюя"


@pytest.fixture(scope="module")
def street(app):
    """A street of the test's own: building 1 with flats 5 and 7 (an account and a meter each)."""
    from app.extensions import db
    from app.models import Account, Building, Meter, MeterType, Premise

    rng = random.Random()
    sfx = "".join(rng.choice(LETTERS) for _ in range(5))
    name = f"Браузерна{sfx}"
    with app.app_context():
        cold = db.session.scalar(select(MeterType).where(MeterType.code == "CW"))
        building = Building(code=f"E2E-S-{sfx}", address=f"вул. {name}, 1", floors=5, imbalance_key="volume",
                            heat_system_share=Decimal("0.05"), heat_common_share=Decimal("0.10"),
                            heat_min_share=Decimal("0.5"))
        found = {"name": name, "sfx": sfx}
        base = rng.randrange(10**7, 10**8)
        for n, (flat, owner) in enumerate((("5", f"Пошуківець{sfx} Іван"), ("7", f"Сусідка{sfx} Марія"))):
            premise = Premise(building=building, number=flat, kind="apartment", total_area=Decimal("50"),
                              heated_area=Decimal("50"), heating="central")
            account = Account(account_number=f"{base}{n}", premise=premise, owner_name=owner, opened_on=date(2020, 1, 1))
            meter = Meter(serial=f"9{base}{n}", meter_type=cold, building=building, premise=premise,
                          installed_on=date(2024, 1, 1), initial_reading=Decimal("0"))
            db.session.add_all([premise, account, meter])
            db.session.flush()
            found[flat] = {"account": account.account_number, "owner": owner, "serial": meter.serial,
                           "meter_id": meter.id, "premise_id": premise.id}
        db.session.commit()
    return found


@pytest.fixture()
def laptop(browser, tmp_path):
    """A page of the accountant's laptop screen, 1366×768; screenshots kept in
    ``OBLIK_SCREENSHOTS`` (if set) or the test's temporary directory."""
    context = browser.new_context(locale="uk-UA", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    shots = Path(os.environ.get("OBLIK_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.shot = lambda name: page.screenshot(path=str(shots / f"{name}.png"))
    yield page
    context.close()


def _wait_for_value(page, selector, seconds=10):
    """Until the field has a value (polled from here: the page's CSP refuses Playwright's eval)."""
    import time

    deadline = time.monotonic() + seconds
    while not page.eval_on_selector(selector, "e => e.value") and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def _rows(page):
    return page.locator("table.table tbody tr").all_inner_texts()


def test_operator_finds_an_account_from_the_one_search_box(laptop, live_server, street):
    page = laptop
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/accountview/list/")
    box = page.locator("#oblik-quick-search-q")
    assert box.is_visible() and box.evaluate("e => e === document.activeElement")  # focused: type at once
    assert box.bounding_box()["y"] < 300  # at the top of the list, no scrolling at 1366×768
    # a word of the owner's name, in small letters
    page.keyboard.type(f"пошуківець{street['sfx']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = _rows(page)
    assert len(rows) == 1 and street["5"]["account"] in rows[0] and street["5"]["owner"] in rows[0], rows
    page.shot("search-owner")
    # the street: both accounts of it
    box = page.locator("#oblik-quick-search-q")
    box.fill(street["name"])
    with page.expect_navigation():
        box.press("Enter")
    rows = _rows(page)
    assert len(rows) == 2 and all(street["name"] in r or street[f]["account"] in r for r, f in zip(rows, "57")), rows
    assert "Кількість записів: 2" in " ".join(page.locator("body").inner_text().split())
    # street, building and flat narrow to one
    box = page.locator("#oblik-quick-search-q")
    box.fill(f"{street['name']}, 1, кв. 7")
    with page.expect_navigation():
        box.press("Enter")
    rows = _rows(page)
    assert len(rows) == 1 and street["7"]["account"] in rows[0], rows
    page.shot("search-street-flat")
    # FAB's filters are still there, under «Пошук»
    assert page.locator("text=Пошук").first.is_visible()


def test_meter_picker_with_the_keyboard_only(laptop, live_server, street, app):
    page = laptop
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/readingview/add")
    page.focus("input[name=date]")
    page.keyboard.press("Shift+Tab")  # back into the meter picker, by the keyboard
    assert page.evaluate("document.activeElement.classList.contains('select2-selection')")
    # Typing opens it and searches. (Playwright sends a key event only for the characters of a US
    # keyboard and inserts the others as text: the first one typed is a digit, as a Ukrainian
    # keyboard sends a key event for «б» too.) The words in any order.
    page.keyboard.type(f"1 кв. 5 {street['name'].lower()}")
    assert page.locator(".select2-container--open .select2-search__field").input_value() == \
        f"1 кв. 5 {street['name'].lower()}"
    page.shot("meter-picker-typed")  # «Пошук…»: Enter before the results
    page.keyboard.press("Enter")  # at once: chosen from the results of what was typed
    _wait_for_value(page, "select[name=meter]")
    assert page.eval_on_selector("select[name=meter]", "e => e.value") == str(street["5"]["meter_id"])
    chosen = page.locator("#select2-meter-container, .select2-selection__rendered").first.inner_text()
    assert chosen.endswith(f"вул. {street['name']}, 1, кв. 5 — холодна вода — № {street['5']['serial']}"), chosen
    page.shot("meter-picker-chosen")
    page.keyboard.press("Tab")
    page.keyboard.type("25.11.2026")
    page.keyboard.press("Tab")
    page.keyboard.type("4,5")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the form is sent
    page.shot("meter-reading-saved")

    from app.extensions import db
    from app.models import Reading

    with app.app_context():
        reading = db.session.scalar(select(Reading).where(Reading.meter_id == street["5"]["meter_id"]))
        assert reading is not None and reading.value == Decimal("4.5") and reading.date == date(2026, 11, 25)


def test_picker_speaks_ukrainian_and_shows_the_address(laptop, live_server, street):
    page = laptop
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/accountview/add")
    page.fill("input[name=account_number]", "E2E-" + street["sfx"])
    page.keyboard.press("Tab")  # into the premise picker
    page.keyboard.type("zz немає такої вулиці")  # (a Latin letter first: see the meter picker's test)
    page.locator(".select2-results__option", has_text="Нічого не знайдено").wait_for()
    page.shot("picker-no-results")
    page.keyboard.press("Control+a")
    page.keyboard.type(f"{street['name']} 1 7")
    option = page.locator(".select2-results__option", has_text=f"вул. {street['name']}, 1, кв. 7")
    option.wait_for()
    texts = page.locator(".select2-results__option").all_inner_texts()
    assert texts == [f"вул. {street['name']}, 1, кв. 7"], texts
    page.shot("picker-premise")
    page.keyboard.press("Enter")
    assert page.eval_on_selector("select[name=premise]", "e => e.value") == str(street["7"]["premise_id"])
