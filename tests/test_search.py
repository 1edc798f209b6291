"""The search box of the list screens (``?q=``) and the pickers (``/lookup/<name>/?q=``):
every word must match somewhere — number, owner, address (street, building and flat), serial,
name, РНОКПП for who may see personal data —, in any case (Ukrainian letters too), within the
inspector's buildings (app/services/search.py)."""
import random
import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, login
from tests.webtools import count, text

LETTERS = "абвгґдежзиіїйклмнопрстуфхцчшщюя"


def _suffix(rng):
    return "".join(rng.choice(LETTERS) for _ in range(5))


@pytest.fixture(scope="session")  # one town for test_search and test_payment_search
def town(app):
    """A town of the test's own: two streets with unique names, buildings 1 and 11 of the
    first (a «1» must not find «11»), flats 5 and 12; an inspector of building 1 only."""
    from app.extensions import db
    from app.models import Account, Building, Meter, MeterType, Premise, Resident
    from app.services.users import create_user

    rng = random.Random()
    sfx = _suffix(rng)
    street, other = f"Пошукова{sfx}", f"Інша{sfx}"
    serial_base = str(rng.randrange(10**8, 10**9))
    # an account number «base[:6] n flat» must not be contained in a serial «base n» (a base ending
    # in «112» made account 1's number the start of every serial: a flaky search test)
    while any(f"{serial_base[:6]}{n}{flat}" in serial_base + tail
              for n, flat in enumerate(("5", "12", "5", "1")) for tail in ("0", "1", "2", "3", "H")):
        serial_base = str(rng.randrange(10**8, 10**9))
    found = {"street": street, "other": other, "sfx": sfx}
    with app.app_context():
        cold = db.session.scalar(select(MeterType).where(MeterType.code == "CW"))
        buildings = {}
        for key, address in (("b1", f"вул. {street}, 1"), ("b11", f"вул. {street}, 11"), ("c5", f"вул. {other}, 5")):
            buildings[key] = Building(code=f"S-{sfx}-{key}", address=address, floors=5, imbalance_key="volume",
                                      heat_system_share=Decimal("0.05"), heat_common_share=Decimal("0.10"),
                                      heat_min_share=Decimal("0.5"))
        owners = {
            ("b1", "5"): f"Ярмоленко{sfx} Ігор Петрович",
            ("b1", "12"): f"Обʼєднаний{sfx} Олег",
            ("b11", "5"): f"Ярмоленко{sfx} Ганна",
            ("c5", "1"): f"Ґалаґан{sfx} Євген",
        }
        for n, ((key, flat), owner) in enumerate(owners.items()):
            premise = Premise(building=buildings[key], number=flat, kind="apartment", total_area=Decimal("50"),
                              heated_area=Decimal("50"), heating="central")
            number = f"{serial_base[:6]}{n}{flat}"
            account = Account(account_number=number, premise=premise, owner_name=owner, opened_on=date(2020, 1, 1))
            meter = Meter(serial=f"{serial_base}{n}", meter_type=cold, building=buildings[key], premise=premise,
                          installed_on=date(2024, 1, 1), initial_reading=Decimal("0"))
            db.session.add_all([premise, account, meter])
            found[(key, flat)] = {"number": number, "serial": meter.serial, "owner": owner}
        house = Meter(serial=f"{serial_base}H", meter_type=cold, building=buildings["b1"],
                      installed_on=date(2024, 1, 1), initial_reading=Decimal("0"))
        residents = [Resident(resident_id=f"SR-{sfx}-1", full_name=f"Ярмоленко{sfx} Ольга Іванівна", rnokpp="2894504327"),
                     Resident(resident_id=f"SR-{sfx}-2", full_name=f"Ярмоленко{sfx} Тарас", rnokpp="3183501233")]
        db.session.add_all([house, *buildings.values(), *residents])
        db.session.commit()
        found["house"] = house.serial
        found["premises"] = {key: p.id for key, p in ((k, db.session.scalar(
            select(Premise).join(Building).where(Building.code == f"S-{sfx}-{k[0]}", Premise.number == k[1])))
            for k in owners)}
        found["meters"] = {m.serial: m.id for m in db.session.scalars(select(Meter).where(Meter.serial.like(f"{serial_base}%")))}
        create_user(f"insp-{sfx}", PASSWORD, "inspector", buildings=[f"S-{sfx}-b1"])
        found["inspector"] = f"insp-{sfx}"
    return found


def _listed(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.data[:500]
    body = text(page)
    count = re.search(r"Кількість записів:</strong>\s*(\d+)", body)
    return body, int(count.group(1)) if count else 0


def _numbers(town, body):
    """Which of the town's accounts appear on the page."""
    return {key for key, v in town.items() if isinstance(key, tuple) and v["number"] in body}


ALL = {("b1", "5"), ("b1", "12"), ("b11", "5"), ("c5", "1")}


# --- accounts --------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, expected", [
    ("{street}", {("b1", "5"), ("b1", "12"), ("b11", "5")}),
    ("{STREET}", {("b1", "5"), ("b1", "12"), ("b11", "5")}),  # Cyrillic in capitals
    ("{lstreet}", {("b1", "5"), ("b1", "12"), ("b11", "5")}),  # and in small letters
    ("{street} 1", {("b1", "5"), ("b1", "12")}),  # building 1, not 11
    ("{street} 11", {("b11", "5")}),
    ("{street}, 1, кв. 5", {("b1", "5")}),  # the address as written
    ("вул. {street} 1 кв.12", {("b1", "12")}),
    ("{street} 11 кв. 5", {("b11", "5")}),
    ("{street} 12 кв. 12", set()),  # the flat is named: 12 is a building's number, and there is none
    ("{street} 5 кв. 5", set()),
    ("{street} 5", {("b1", "5"), ("b11", "5")}),  # flat 5 of both
    ("ярмоленко{sfx}", {("b1", "5"), ("b11", "5")}),  # a word of the owner, any case
    ("ЯРМОЛЕНКО{SFX} ганна", {("b11", "5")}),  # several words narrow
    ("ярмоленко{sfx} {street} 1", {("b1", "5")}),
    ("об'єднаний{sfx}", {("b1", "12")}),  # any apostrophe
    ("ґалаґан{sfx}", {("c5", "1")}),
    ("{number_c5}", {("c5", "1")}),  # the account number
    ("{number_tail}", {("b11", "5")}),  # its last digits
    ("ярмоленко{sfx} нема", set()),
    ("%{sfx}", set()),  # a wildcard is a character
])
def test_accounts_are_found_by_every_word(town, client_as, typed, expected):
    values = {"street": town["street"], "STREET": town["street"].upper(), "lstreet": town["street"].lower(),
              "sfx": town["sfx"], "SFX": town["sfx"].upper(), "number_c5": town[("c5", "1")]["number"],
              "number_tail": town[("b11", "5")]["number"][-4:]}
    body, count = _listed(client_as("accountant"), "/accountview/list/?q=" + quote(typed.format(**values)))
    assert _numbers(town, body) == expected, typed
    if expected:
        assert count == len(expected), typed  # the pager counts the same search
    assert 'id="oblik-quick-search-q"' in body and f'value="{typed.format(**values)}"'.replace("'", "&#39;") in body


def test_the_search_box_keeps_the_filters_and_they_narrow_together(town, client_as):
    client = client_as("operator")
    owner = town[("b1", "5")]["owner"]
    body, count = _listed(client, f"/accountview/list/?q={town['street']}&_flt_0_owner_name={owner}")
    assert _numbers(town, body) == {("b1", "5")} and count == 1
    assert '<input type="hidden" name="_flt_0_owner_name"' in body  # kept by the search box's form
    body, _count = _listed(client, f"/accountview/list/?_flt_0_owner_name={owner}")
    assert _numbers(town, body) == {("b1", "5")}  # FAB's filter alone, as before


def test_an_empty_search_lists_everything(town, client_as):
    client = client_as("admin")
    _body, everything = _listed(client, "/accountview/list/")
    _body, blank = _listed(client, "/accountview/list/?q=%20%20")
    assert blank == everything >= 4


def test_a_card_s_tabs_are_not_searched(town, client_as):
    """``q`` belongs to its list: a card's tab of the same view (a premise's accounts) shows
    all its rows."""
    premise = town["premises"][("b1", "5")]
    body = text(client_as("admin").get(f"/premiseview/show/{premise}?q=nothing-matches-this"))
    assert town[("b1", "5")]["number"] in body


# --- premises, meters, residents -------------------------------------------------------------
def test_premises_by_address(town, client_as):
    client = client_as("operator")
    body, count = _listed(client, f"/premiseview/list/?q={town['street'].lower()} 1 кв. 12")
    assert count == 1 and f"вул. {town['street']}, 1" in body
    body, count = _listed(client, f"/premiseview/list/?q={town['street']}")
    assert count == 3
    body, count = _listed(client, f"/premiseview/list/?q={town['other'].upper()}")
    assert count == 1 and f"вул. {town['other']}, 5" in body


def _serials(town, body):
    return {key for key, v in town.items() if isinstance(key, tuple) and v["serial"] in body} | \
        ({"house"} if town["house"] in body else set())


@pytest.mark.parametrize("typed, expected", [
    ("{serial_b11}", {("b11", "5")}),
    ("{street} 1", {("b1", "5"), ("b1", "12"), "house"}),  # the house meter by its building
    ("{street} 1 кв. 5", {("b1", "5")}),
    ("{number_b1_12}", {("b1", "12")}),  # the account of the meter's premise
    ("ярмоленко{sfx}", {("b1", "5"), ("b11", "5")}),  # the owner, for who may see names
])
def test_meters_by_serial_address_account_owner(town, client_as, typed, expected):
    values = {"serial_b11": town[("b11", "5")]["serial"], "street": town["street"], "sfx": town["sfx"],
              "number_b1_12": town[("b1", "12")]["number"]}
    body, count = _listed(client_as("operator"), "/meterview/list/?q=" + typed.format(**values))
    assert _serials(town, body) == expected, typed
    assert count == len(expected)


def test_the_inspector_finds_only_in_own_buildings(town, app):
    inspector = login(app.test_client(), town["inspector"])
    body, count = _listed(inspector, f"/meterview/list/?q={town['street']}")
    assert _serials(town, body) == {("b1", "5"), ("b1", "12"), "house"} and count == 3
    body, count = _listed(inspector, f"/meterview/list/?q={town[('b11', '5')]['serial']}")
    assert count == 0  # building 11 is not theirs
    body, count = _listed(inspector, f"/premiseview/list/?q={town['street']} 5")
    assert count == 1
    # no personal data: the owner's name finds nothing (the label shows none either)
    body, count = _listed(inspector, f"/meterview/list/?q=ярмоленко{town['sfx']}")
    assert count == 0
    assert inspector.get(f"/accountview/list/?q={town['street']}").status_code in (302, 403)
    answer = inspector.get(f"/lookup/meter/?q={town['street']}").json
    assert {r["id"] for r in answer["results"]} == {town["meters"][town[k]["serial"]] for k in (("b1", "5"), ("b1", "12"))} | \
        {town["meters"][town["house"]]}


def test_residents_by_name_and_rnokpp(town, client_as):
    client = client_as("operator")
    body, count = _listed(client, f"/residentview/list/?q=ЯРМОЛЕНКО{town['sfx'].upper()} ольга")
    assert count == 1 and f"SR-{town['sfx']}-1" in body
    body, count = _listed(client, f"/residentview/list/?q=2894504327 ярмоленко{town['sfx']}")
    assert count == 1 and f"SR-{town['sfx']}-1" in body
    body, count = _listed(client, f"/residentview/list/?q=SR-{town['sfx']}-2")
    assert count == 1 and f"ярмоленко{town['sfx']} тарас".lower() in body.lower()


@pytest.fixture()
def registrar(app, monkeypatch):
    """A role that lists residents and uses the pickers but may not see personal data."""
    from app.extensions import current_appbuilder, db

    with app.app_context():
        sm = current_appbuilder().sm
        monkeypatch.setitem(sm._builtin_roles, "registrar", [("^Resident$", "^(can_list|can_show)$"),
                                                              ("^Lookup$", "^can_lookup$")])
        role = sm.find_role("registrar") or sm.add_role("registrar")
        if sm.find_user(username="registrar") is None:
            sm.add_user("registrar", "Реєстратор", "Тест", "registrar@x.ua", role, password=PASSWORD)
        db.session.commit()
    return login(app.test_client(), "registrar")


def test_rnokpp_is_searched_only_by_who_may_see_it(town, client_as, registrar):
    query = f"2894504327 ярмоленко{town['sfx']}"
    _body, count = _listed(registrar, f"/residentview/list/?q={query}")
    assert count == 0  # the tax number is no search word for this role
    _body, count = _listed(registrar, f"/residentview/list/?q=ярмоленко{town['sfx']} ольга")
    assert count == 1  # the name is
    assert registrar.get(f"/lookup/resident/?q={query}").json["results"] == []
    assert len(client_as("accountant").get(f"/lookup/resident/?q={query}").json["results"]) == 1


# --- the pickers -----------------------------------------------------------------------------
def test_meter_picker_finds_by_address_and_shows_it(town, client_as):
    client = client_as("operator")
    answer = client.get(f"/lookup/meter/?q={town['street'].lower()} 1 кв. 5").json
    serial = town[("b1", "5")]["serial"]
    assert answer["results"] == [{"id": town["meters"][serial],
                                  "text": f"вул. {town['street']}, 1, кв. 5 — холодна вода — № {serial}"}]
    labels = [r["text"] for r in client.get(f"/lookup/meter/?q={town['street']} 1").json["results"]]
    assert labels == [f"вул. {town['street']}, 1 — холодна вода, загальнобудинковий — № {town['house']}",
                      f"вул. {town['street']}, 1, кв. 12 — холодна вода — № {town[('b1', '12')]['serial']}",
                      f"вул. {town['street']}, 1, кв. 5 — холодна вода — № {serial}"]  # by address, flat
    by_account = client.get(f"/lookup/meter/?q={town[('b11', '5')]['number']}").json["results"]
    assert [r["id"] for r in by_account] == [town["meters"][town[("b11", "5")]["serial"]]]
    by_owner = client.get(f"/lookup/meter/?q=ґалаґан{town['sfx']}").json["results"]
    assert [r["id"] for r in by_owner] == [town["meters"][town[("c5", "1")]["serial"]]]


def test_account_and_premise_pickers_show_the_address(town, client_as):
    client = client_as("operator")
    owner = town[("b1", "12")]["owner"]
    answer = client.get(f"/lookup/account/?q={town['street']} обʼєднаний{town['sfx']}").json["results"]
    assert [r["text"] for r in answer] == [f"{town[('b1', '12')]['number']} {owner} — вул. {town['street']}, 1, кв. 12"]
    answer = client.get(f"/lookup/premise/?q={town['other']} 5").json["results"]
    assert [r["text"] for r in answer] == [f"вул. {town['other']}, 5, кв. 1"]
    assert [r["id"] for r in answer] == [town["premises"][("c5", "1")]]
    answer = client.get(f"/lookup/building/?q={town['street']} 11").json["results"]
    assert len(answer) == 1 and answer[0]["text"].endswith(f"вул. {town['street']}, 11")


def test_picker_pages_and_chosen_label(town, client_as, app):
    """A picker's page is 20 rows and says if there are more; a chosen meter shows its
    address on the form (as the picker does)."""
    client = client_as("admin")
    from app.extensions import db
    from app.models import Meter, Reading

    meters = count(app, Meter)
    first = client.get("/lookup/meter/?q=&page=1").json
    assert len(first["results"]) == min(20, meters) and first["pagination"]["more"] is (meters > 20)
    meter_id = town["meters"][town[("b1", "5")]["serial"]]

    with app.app_context():
        reading = Reading(meter_id=meter_id, date=date(2026, 9, 30), value=Decimal("3"), source="import")
        db.session.add(reading)
        db.session.commit()
        reading_id = reading.id
    form = text(client.get(f"/readingview/edit/{reading_id}"))
    assert f"вул. {town['street']}, 1, кв. 5 — холодна вода — № {town[('b1', '5')]['serial']}" in form


def test_words():
    from app.services.search import words

    assert [(w, w.flat) for w in words("вул. Соборна, 1, кв. 5")] == [("вул", False), ("Соборна", False),
                                                                     ("1", False), ("5", True)]
    assert [(w, w.flat) for w in words("№160000142 кв.7")] == [("160000142", False), ("7", True)]
    assert [(w, w.flat, w.building) for w in words("Соборна 1 кв. 5")] == [
        ("Соборна", False, False), ("1", False, True), ("5", True, False)]  # beside a flat, 1 is the building
    assert [w.building for w in words("Соборна 1 5")] == [False, False, False]  # no flat named: either
    assert words("  ,, ") == [] and len(words("а " * 50)) == 8


@pytest.mark.parametrize("typed", ["%00", "%00%00abc", "a%00b", "\\", "_", "%25", "'", "кв.", "№", "x" * 500])
def test_odd_input_is_no_error(client_as, typed):
    client = client_as("admin")
    for url in ("/accountview/list/?q=", "/meterview/list/?q=", "/residentview/list/?q=", "/lookup/meter/?q=",
                "/lookup/account/?q=", "/lookup/premise/?q=", "/lookup/resident/?q=", "/lookup/building/?q="):
        assert client.get(url + typed).status_code == 200, (url, typed)


# --- the narrowed shape (PostgreSQL's, app/services/search.py _narrowed) ---------------------
NARROWED_TYPED = ["{street} 1 кв. 5", "{street}, 1, кв. 5", "вул. {street} 1 кв.12", "{street} 11 кв. 5",
                  "{street} 12 кв. 12", "{street} 5 кв. 5", "{street} 1", "{street} 11", "{street} 5",
                  "ярмоленко{sfx} {street} 1", "ярмоленко{sfx} 1 кв. 5", "ЯРМОЛЕНКО{SFX} ганна", "{other} 5 кв. 1",
                  "{other} 5", "{number_b11} 5", "{serial_b1} {street}", "{serial_b1} кв. 5", "{street} {sfx}",
                  "ь {street} 1", "1 5", "кв. 5 {street}"]


@pytest.mark.parametrize("typed", NARROWED_TYPED)
def test_the_narrowed_shape_finds_what_each_words_sets_find(town, app, typed):
    """The shape PostgreSQL runs for several words (the record joined to its premise and building,
    found through the most selective word, the others checked on its rows) finds the same
    records as every word's own sets — run here on this test's database, SQLite or PostgreSQL."""
    from app.extensions import db
    from app.models import Account, Meter, Premise
    from app.services.search import condition

    text_ = typed.format(street=town["street"], other=town["other"], sfx=town["sfx"], SFX=town["sfx"].upper(),
                         number_b11=town[("b11", "5")]["number"], serial_b1=town[("b1", "5")]["serial"])
    with app.app_context():
        for model in (Account, Premise, Meter):
            for personal in (True, False):
                found = {shape: set(db.session.scalars(select(model.id).where(
                    condition(model, text_, personal, narrowed=shape)))) for shape in (True, False)}
                assert found[True] == found[False], (model.__name__, personal, text_)


def test_street_building_and_flat_is_the_one_flat_on_every_list_and_picker(town, client_as):
    """«вулиця будинок кв. N» (the shape narrowed on PostgreSQL): the one flat, on the lists of
    accounts, premises and meters and in their pickers; the same flat number in another building
    (11) or of another street is not found."""
    client = client_as("operator")
    typed = quote(f"{town['street']} 1 кв. 5")
    body, count = _listed(client, f"/accountview/list/?q={typed}")
    assert _numbers(town, body) == {("b1", "5")} and count == 1
    body, count = _listed(client, f"/premiseview/list/?q={typed}")
    assert count == 1 and f"/premiseview/show/{town['premises'][('b1', '5')]}" in body
    body, count = _listed(client, f"/meterview/list/?q={typed}")
    assert _serials(town, body) == {("b1", "5")} and count == 1
    assert [r["id"] for r in client.get(f"/lookup/premise/?q={typed}").json["results"]] == \
        [town["premises"][("b1", "5")]]
    assert [r["text"] for r in client.get(f"/lookup/account/?q={typed}").json["results"]] == \
        [f"{town[('b1', '5')]['number']} {town[('b1', '5')]['owner']} — вул. {town['street']}, 1, кв. 5"]
    assert [r["id"] for r in client.get(f"/lookup/meter/?q={typed}").json["results"]] == \
        [town["meters"][town[("b1", "5")]["serial"]]]
    typed = quote(f"{town['street']} 11 кв. 5")
    assert [r["id"] for r in client.get(f"/lookup/premise/?q={typed}").json["results"]] == \
        [town["premises"][("b11", "5")]]
    assert client.get(f"/lookup/premise/?q={quote(town['other'] + ' 1 кв. 5')}").json["results"] == []
