"""Back to the card (issue 12 item 7, app/views/back.py): the card's «Редагувати» and the forms of
its tabs come back to the card and its tab when saved; only a path of this site is followed —
an absolute URL of another site, ``//host``, a backslash trick or a ``javascript:`` link is
refused (no open redirect). Also the favicon, and the cards' tabs kept in the URL's hash."""
import re
from datetime import date

import pytest

from tests.conftest import login
from tests.test_card_tabs import form_values
from tests.webtools import make_building, seed_ids, text, uid

HOSTILE = ["https://evil.example/steal", "http://evil.example", "//evil.example/x", "/\\evil.example",
           "\\\\evil.example", "javascript:alert(1)", "evil.example/x", "/ok\r\nLocation: https://evil.example",
           "https:/evil.example", " //evil.example"]


@pytest.mark.parametrize("value", HOSTILE)
def test_safe_next_refuses_another_site(app, value):
    from app.views.back import safe_next

    assert safe_next(value) is None


@pytest.mark.parametrize("value", ["/accountview/show/5", "/accountview/show/5#AccountServiceView",
                                   "/buildingview/show/1?x=1#PremiseView"])
def test_safe_next_keeps_a_path_of_this_site(app, value):
    from app.views.back import safe_next

    assert safe_next(value) == value


@pytest.fixture(scope="module")
def account(app):
    from app.extensions import db
    from app.models import Account

    _, premise_id = make_building(app)
    with app.app_context():
        item = Account(account_number=uid("BA"), premise_id=premise_id, owner_name="Власник Повернення",
                       opened_on=date(2025, 1, 1))
        db.session.add(item)
        db.session.commit()
        return item.id


def _edit_link(page: str) -> str:
    found = re.search(r'id="card-edit" href="([^"]+)"', page) or re.search(r'href="([^"]+)"[^>]*id="card-edit"', page)
    assert found, "no «Редагувати» on the card"
    return found.group(1).replace("&amp;", "&")


def test_the_cards_edit_button_comes_back_to_the_card(app, account):
    client = login(app.test_client(), "operator")
    card = f"/accountview/show/{account}"
    page = text(client.get(card))
    link = _edit_link(page)
    assert link.startswith(f"/accountview/edit/{account}?next=") and "Редагувати" in page
    client.get("/")  # a page in between: FAB's page history alone would go back there
    form = text(client.get(link))
    response = client.post(link, data={**form_values(form), "phone": "+380501112233"})
    assert response.status_code == 302, text(response)[:2000]
    assert response.headers["Location"].endswith(card)


@pytest.mark.parametrize("hostile", ["https://evil.example/steal", "//evil.example/x", "/\\evil.example"])
def test_an_outside_next_is_refused_after_saving(app, account, hostile):
    from urllib.parse import quote

    client = login(app.test_client(), "operator")
    link = f"/accountview/edit/{account}?next={quote(hostile, safe='')}"
    form = text(client.get(link))
    response = client.post(link, data=form_values(form))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location, location
    assert location.startswith("/") and not location.startswith("//")


def test_a_tabs_add_link_leads_back_to_its_tab(app):
    ids = seed_ids(app)
    client = login(app.test_client(), "operator")
    page = text(client.get(f"/buildingview/show/{ids['building']['B2']}"))
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/premiseview/add[^"]*)"', page)]
    assert links and all("next=/buildingview/show/" in link and "%23PremiseView" in link for link in links), links


def test_every_editable_card_has_the_edit_button_and_a_fact_has_none(app):
    ids = seed_ids(app)
    client = login(app.test_client(), "operator")
    for card in (f"/buildingview/show/{ids['building']['B1']}", f"/premiseview/show/{ids['premise'][('B1', '1')]}",
                 f"/meterview/show/{ids['meter']['M-B1-1']}", f"/accountview/show/{ids['account']['B1-001']}"):
        assert 'id="card-edit"' in text(client.get(card)), card
    inspector = login(app.test_client(), "inspector")  # sees B1, edits nothing of it
    page = text(inspector.get(f"/buildingview/show/{ids['building']['B1']}"))
    assert 'id="card-edit"' not in page


def test_the_inspectors_building_card_has_totals_without_money(app):
    ids = seed_ids(app)
    page = text(login(app.test_client(), "inspector").get(f"/buildingview/show/{ids['building']['B1']}"))
    assert re.search(r'id="total-premises">\s*(\d+)', page).group(1) == "2"
    assert re.search(r'id="total-residents">\s*(\d+)', page).group(1) == "2"
    assert 'id="total-debt"' not in page


def test_the_account_cards_tabs_are_in_order_and_the_balance_first(app):
    ids = seed_ids(app)
    page = text(login(app.test_client(), "accountant").get(f"/accountview/show/{ids['account']['B1-001']}"))
    tabs = re.findall(r'<a href="#(\w+)" data-toggle="tab">', page)
    assert tabs == ["AccountServiceView", "Meters", "Residents", "Charges", "Payments", "Journal", "Documents",
                    "Home", "History"], tabs
    assert page.find('id="balance-today"') < page.find('id="card-tabs"')
    for pane in tabs:
        assert f'id="{pane}" class="tab-pane' in page, pane
    assert "ab_keep_tab.js" not in page  # one «last tab» for every card: replaced by the URL's hash


def test_the_operator_sees_the_money_the_inspector_has_no_account_card(app):
    ids = seed_ids(app)
    page = text(login(app.test_client(), "operator").get(f"/accountview/show/{ids['account']['B1-001']}"))
    assert 'id="balance-today"' in page and 'id="card-warnings"' in page
    assert login(app.test_client(), "inspector").get(
        f"/accountview/show/{ids['account']['B1-001']}").status_code in (302, 403, 404)


def test_favicon(app):
    client = app.test_client()
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    page = text(client.get("/login/"))
    assert 'rel="icon" href="/static/favicon.svg"' in page and 'href="/favicon.ico"' in page
