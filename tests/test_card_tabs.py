"""«Додати» inside a card's tab: a service on the account card, a premise on the building
card, a building on a claim act… The form opened from the tab shows the parent filled in
with the card's record; posted as the browser posts it, the record is saved with that parent;
any error (the parent's too) is shown beside its field, in Ukrainian. Edit from a tab works
the same way. And no form error is ever swallowed: the error of a field the form does not
show (a hidden input, a column left out) is listed at the top of the form."""
import html
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.webtools import count, field_errors, flashes, is_ukrainian, make_building, text, uid


@pytest.fixture(scope="module")
def town(app):
    """Records of this module's own: a building with a premise, an account, a resident, a
    flat meter and a house meter; a tariff, a benefit category, a draft claim act; and a B1
    house meter for the inspector (assigned to B1 only)."""
    from app.extensions import db
    from app.models import (
        Account, BenefitCategory, Building, ClaimAct, Meter, MeterType, Premise, Resident, Service, Tariff,
    )

    building_id, premise_id = make_building(app)
    with app.app_context():
        s = db.session
        b1 = s.scalar(select(Building).where(Building.code == "B1"))
        premise = s.get(Premise, premise_id)
        building = s.get(Building, building_id)
        other_premise = Premise(building=building, number="2", kind="apartment", total_area=Decimal("30"),
                                heating="central")
        service = Service(code=uid("TS"), name="Утримання (тест)", unit="м²", method="area", area_basis="total",
                          quantity_precision=2)
        meter_type = MeterType(code=uid("MT"), name="Тип (тест)", resource="cold_water", digits=5, verification_years=6)
        account = Account(account_number=uid("TA"), premise=premise, owner_name="Власник Тест",
                          opened_on=date(2025, 1, 1))
        resident = Resident(resident_id=uid("TR"), full_name="Мешканець Тест")
        meter = Meter(serial=uid("TM"), meter_type=meter_type, building=building, premise=premise,
                      installed_on=date(2025, 1, 1), initial_reading=Decimal(0))
        house = Meter(serial=uid("TH"), meter_type=meter_type, building=building, installed_on=date(2025, 1, 1),
                      initial_reading=Decimal(0))
        b1_meter = Meter(serial=uid("TI"), meter_type=meter_type, building=b1, installed_on=date(2025, 1, 1),
                         initial_reading=Decimal(0))
        tariff = Tariff(service=service, valid_from=date(2025, 1, 1), price=Decimal("8.00"))
        category = BenefitCategory(code=uid("BC"), name="Категорія (тест)", pct=Decimal(50))
        act = ClaimAct(number=uid("CA"), act_date=date(2026, 11, 5), service=service, kind="not_provided",
                       date_from=date(2026, 11, 1), date_to=date(2026, 11, 3))
        s.add_all([other_premise, service, meter_type, account, resident, meter, house, b1_meter, tariff, category,
                   act])
        s.commit()
        return {"building": building_id, "premise": premise_id, "other_premise": other_premise.id, "service": service.id, "meter_type": meter_type.id,
                "account": account.id, "resident": resident.id, "meter": meter.id, "house": house.id,
                "b1_meter": b1_meter.id, "tariff": tariff.id, "category": category.id, "act": act.id}


def form_values(page: str) -> dict:
    """What the browser posts of the form as shown: inputs' values and selects' chosen options."""
    form = re.search(r'<form id="model_form".*?</form>', page, re.S).group(0)
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if 'type="checkbox"' in tag and not re.search(r"\schecked", tag):
            continue  # a browser posts a checkbox only when it is ticked
        if name and 'type="submit"' not in tag:
            value = re.search(r'value="([^"]*)"', tag)
            values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def tab_link(page: str, view: str, action: str, column: str, parent_id: int) -> str:
    """The card tab's «Додати» / edit link: ``/<view>/<action>…?_flt_0_<column>=<parent>`` (and the
    ``next`` back to the card's tab, app/views/back.py)."""
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    pattern = re.compile(rf"^/{view}/{action}(/\d+)?\?_flt_0_{column}={parent_id}(&next=[^&]+)?$")
    found = [link for link in links if pattern.match(link)]
    assert found, f"no {action} link of the {view} tab on the card: {[l for l in links if view in l]}"
    return found[0]


def _selected(page: str, field: str) -> str | None:
    select_tag = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S)
    assert select_tag, f"the form shows no field {field!r}"
    chosen = re.search(r'<option value="([^"]*)" selected', select_tag.group(1))
    return chosen.group(1) if chosen else None


# (role, card, card key, tab view, parent column, model, fields typed by the user)
CASES = [
    ("operator", "accountview", "account", "accountserviceview", "account", "AccountService",
     lambda t: {"service": t["service"], "date_from": "01.02.2025", "quantity": "1"}),
    ("operator", "premiseview", "premise", "accountview", "premise", "Account",
     lambda t: {"account_number": uid("TA"), "owner_name": "Другий Власник", "opened_on": "01.01.2020",
                "closed_on": "31.12.2024"}),
    ("operator", "premiseview", "premise", "meterview", "premise", "Meter",
     lambda t: {"serial": uid("TM"), "meter_type": t["meter_type"], "installed_on": "01.03.2025",
                "initial_reading": "0"}),
    ("operator", "premiseview", "premise", "registrationview", "premise", "Registration",
     lambda t: {"resident": t["resident"], "kind": "registered", "date_from": "01.02.2025"}),
    ("operator", "buildingview", "building", "premiseview", "building", "Premise",
     lambda t: {"number": uid("P"), "kind": "apartment", "total_area": "45,5", "heating": "central"}),
    ("operator", "buildingview", "building", "housemeterview", "building", "Meter",
     lambda t: {"serial": uid("TH"), "meter_type": t["meter_type"], "installed_on": "01.03.2025",
                "initial_reading": "0"}),
    ("operator", "residentview", "resident", "registrationview", "resident", "Registration",
     lambda t: {"premise": t["other_premise"], "kind": "temporary", "date_from": "01.06.2025"}),
    ("operator", "residentview", "resident", "beneficiaryview", "resident", "Beneficiary",
     lambda t: {"category": t["category"], "entitled": "1", "date_from": "01.02.2025"}),
    ("accountant", "tariffview", "tariff", "tariffcomponentview", "tariff", "TariffComponent",
     lambda t: {"name": "Складова (тест)", "price": "8"}),
    ("inspector", "meterview", "b1_meter", "readingview", "meter", "Reading",
     lambda t: {"date": "15.11.2026", "value": "12,5", "source": "inspector"}),
    ("operator", "housemeterview", "house", "readingview", "meter", "Reading",
     lambda t: {"date": "16.11.2026", "value": "3", "source": "inspector"}),
    ("operator", "meterview", "meter", "metereventview", "meter", "MeterEvent",
     lambda t: {"date": "01.10.2026", "kind": "verification", "note": uid("E")}),
    ("operator", "claimactview", "act", "claimacttargetview", "act", "ClaimActTarget",
     lambda t: {"building": t["building"]}),
]


# the tab's id on the card (its view class)
TAB_IDS = {"accountserviceview": "AccountServiceView", "accountview": "AccountView", "meterview": "MeterView",
           "registrationview": "RegistrationView", "premiseview": "PremiseView", "housemeterview": "HouseMeterView",
           "beneficiaryview": "BeneficiaryView", "tariffcomponentview": "TariffComponentView",
           "readingview": "ReadingView", "metereventview": "MeterEventView", "claimacttargetview": "ClaimActTargetView"}


@pytest.mark.parametrize("role, card, key, tab, column, model_name, typed", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES])
def test_add_from_a_cards_tab_prefills_the_parent_and_saves(app, town, role, card, key, tab, column, model_name,
                                                            typed):
    import app.models as models

    model = getattr(models, model_name)
    parent_id = town[key]
    client = login(app.test_client(), role)
    card_page = text(client.get(f"/{card}/show/{parent_id}"))
    link = tab_link(card_page, tab, "add", column, parent_id)

    form_page = text(client.get(link))
    assert _selected(form_page, column) == str(parent_id), "the parent is not filled in"
    fk = getattr(model, f"{column}_id")
    before = count(app, model, fk == parent_id)
    data = {**form_values(form_page), **{k: str(v) for k, v in typed(town).items()}}
    response = client.post(link, data=data)
    page = text(response)
    assert response.status_code == 302, (flashes(page), re.findall(r'alert-danger">(.*?)</div>', page, re.S))
    assert count(app, model, fk == parent_id) == before + 1
    # back to the card, on the tab the form was opened from
    location = response.headers["Location"]
    assert location.split("#")[0].endswith(f"/{card}/show/{parent_id}"), location
    assert location.partition("#")[2] == TAB_IDS[tab], location


def test_a_meter_added_from_the_premise_card_is_in_the_premises_building(app, town):
    client = login(app.test_client(), "operator")
    page = text(client.get(f"/meterview/add?_flt_0_premise={town['premise']}"))
    assert _selected(page, "premise") == str(town["premise"])
    assert _selected(page, "building") == str(town["building"])


def test_an_error_from_the_tab_form_is_shown_beside_its_field_in_ukrainian(app, town):
    from app.models import AccountService

    client = login(app.test_client(), "operator")
    link = f"/accountserviceview/add?_flt_0_account={town['account']}"
    data = {**form_values(text(client.get(link))), "service": str(town["service"]), "date_from": "01.01.2024",
            "quantity": "1"}  # the account opened on 01.01.2025
    response = client.post(link, data=data)
    page = text(response)
    assert response.status_code == 200
    (message,) = field_errors(page, "date_from")
    assert message == "Дата початку послуги виходить за строк дії особового рахунку", message
    assert _selected(page, "account") == str(town["account"])  # still filled in
    assert count(app, AccountService, AccountService.account_id == town["account"],
                 AccountService.date_from == date(2024, 1, 1)) == 0


def test_an_error_on_the_parent_itself_is_shown_beside_the_parent(app, town):
    """The premise of the card already has an open account: the premise field says so."""
    from app.models import Account

    client = login(app.test_client(), "operator")
    link = f"/accountview/add?_flt_0_premise={town['premise']}"
    number = uid("TA")
    data = {**form_values(text(client.get(link))), "account_number": number, "owner_name": "Третій Власник",
            "opened_on": "01.06.2025"}
    response = client.post(link, data=data)
    assert response.status_code == 200
    (message,) = field_errors(text(response), "premise")
    assert is_ukrainian(message) and town_account_number(app, town) in message, message
    assert count(app, Account, Account.account_number == number) == 0


def town_account_number(app, town):
    from app.extensions import db
    from app.models import Account

    with app.app_context():
        return db.session.get(Account, town["account"]).account_number


def test_a_parent_outside_the_inspectors_buildings_is_not_filled_in(app, town):
    """An inspector (B1) opening the reading form of a meter of another building by URL: the
    meter is not filled in, the field says why, and posting that id saves nothing."""
    from app.models import Reading

    client = login(app.test_client(), "inspector")
    link = f"/readingview/add?_flt_0_meter={town['meter']}"
    page = text(client.get(link))
    assert _selected(page, "meter") is None
    (message,) = field_errors(page, "meter")
    assert is_ukrainian(message), message
    response = client.post(link, data={"meter": str(town["meter"]), "date": "15.11.2026", "value": "1",
                                       "source": "inspector"})
    assert response.status_code == 200
    assert field_errors(text(response), "meter") == [message]
    assert count(app, Reading, Reading.meter_id == town["meter"]) == 0


def test_edit_from_a_cards_tab_saves(app, town):
    from app.extensions import db
    from app.models import AccountService

    with app.app_context():
        sub = AccountService(account_id=town["account"], service_id=town["service"], date_from=date(2025, 1, 1),
                             date_to=date(2025, 1, 31), quantity=Decimal(1))  # before case 1's 01.02.2025
        db.session.add(sub)
        db.session.commit()
        sub_id = sub.id
    client = login(app.test_client(), "operator")
    card_page = text(client.get(f"/accountview/show/{town['account']}"))
    link = tab_link(card_page, "accountserviceview", "edit", "account", town["account"])
    link = re.sub(r"/edit/\d+", f"/edit/{sub_id}", link)
    form_page = text(client.get(link))
    assert _selected(form_page, "account") == str(town["account"])
    response = client.post(link, data={**form_values(form_page), "quantity": "2"})
    assert response.status_code == 302, (form_values(form_page), re.findall(r'alert-danger">(.*?)</div>', text(response), re.S))
    with app.app_context():
        assert db.session.get(AccountService, sub_id).quantity == Decimal(2)


# --- no error is swallowed: the errors of fields the form does not show ---------------------------------------
def test_the_error_of_a_hidden_or_left_out_field_is_shown_at_the_top(app):
    from flask_wtf import FlaskForm
    from wtforms import HiddenField, StringField

    from app.views.widgets import OblikFormWidget

    class Form(FlaskForm):
        class Meta:
            csrf = False

        token = HiddenField("Маркер")
        account = StringField("Особовий рахунок")
        note = StringField("Примітка")

    with app.test_request_context("/"):
        form = Form()
        form.token.errors = ["Невірний маркер"]
        form.account.errors = ["Це поле є обов'язковим."]
        form.note.errors = ["Задовга примітка"]
        page = OblikFormWidget(form=form, include_cols=["account", "note"], exclude_cols=["account"], fieldsets=[])()
    top = re.search(r'<div class="alert alert-danger oblik-form-errors" id="form-errors">(.*?)</div>', page, re.S)
    assert top, page
    shown_on_top = " ".join(top.group(1).split())
    assert "Маркер: Невірний маркер" in shown_on_top
    assert "Особовий рахунок: Це поле є обов'язковим." in html.unescape(shown_on_top)
    assert "Примітка" not in shown_on_top  # shown beside its own field instead
    assert field_errors(page, "note") == ["Задовга примітка"]


def test_a_form_with_every_error_beside_its_field_has_no_top_list(app, town):
    client = login(app.test_client(), "operator")
    response = client.post(f"/accountserviceview/add?_flt_0_account={town['account']}",
                           data={"account": str(town["account"]), "service": "", "date_from": "", "quantity": "1"})
    page = text(response)
    assert response.status_code == 200 and field_errors(page, "service")
    assert 'id="form-errors"' not in page
