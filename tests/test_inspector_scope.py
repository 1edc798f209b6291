"""The inspector (контролер) is assigned building B1 only: on every path — list screens,
cards, edit URLs typed by hand, the search-as-you-type pickers, the REST API (lists, show,
FAB's related-field values, create) — nothing of B2 is shown and nothing is written to it.

B2's seeded rows (address «вул. Франка, 2», meters M-B2-1, M-B2-2, HM-B2, accounts B2-…) are
only read here; readings the tests add go to meters created by the tests themselves.
"""
import re
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, login
from tests.webtools import (
    add_reading, count, field_errors, make_building, make_meter, reading_form, row, seed_ids, table_text, text,
)

B2_MARKS = ("Франка", "M-B2-1", "M-B2-2", "HM-B2")


@pytest.fixture(scope="module")
def ids(app):
    return seed_ids(app)


@pytest.fixture(scope="module")
def inspector(app):
    return login(app.test_client(), "inspector")


@pytest.fixture(scope="module")
def operator(app):
    return login(app.test_client(), "operator")


@pytest.fixture(scope="module")
def headers(app):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": "inspector", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture(scope="module")
def api(app):
    """A client with no browser session: the API answers by the token alone."""
    return app.test_client()


@pytest.fixture(scope="module")
def other_building(app):
    """A third building nobody assigned to the inspector: (building id, premise id)."""
    return make_building(app, address="вул. Чужа, 77")


# --- screens -----------------------------------------------------------------------------------
LISTS = {  # list screen: (view name for the page size argument, a filter selecting B2's rows)
    "/buildingview/list/": ("BuildingView", lambda ids: "_flt_0_code=B2"),
    "/premiseview/list/": ("PremiseView", lambda ids: f"_flt_0_building={ids['building']['B2']}"),
    "/meterview/list/": ("MeterView", lambda ids: f"_flt_0_building={ids['building']['B2']}"),
    "/readingview/list/": ("ReadingView", lambda ids: f"_flt_0_meter={ids['meter']['M-B2-1']}"),
}


@pytest.mark.parametrize("url", sorted(LISTS))
def test_list_screens_show_only_the_assigned_building(inspector, operator, ids, url, other_building):
    view, b2_filter = LISTS[url]
    # The operator (no building restriction) finds B2's rows on this screen: the marks are real.
    assert any(mark in table_text(text(operator.get(f"{url}?{b2_filter(ids)}"))) for mark in B2_MARKS), url
    own = table_text(text(inspector.get(f"{url}?psize_{view}=1000")))
    for mark in B2_MARKS + ("Чужа",):
        assert mark not in own, (url, mark)
    assert "Шевченка" in own or "M-B1-1" in own, url
    assert not any(mark in table_text(text(inspector.get(f"{url}?{b2_filter(ids)}"))) for mark in B2_MARKS), url


def test_meter_list_has_exactly_the_b1_meters(inspector):
    listed = table_text(text(inspector.get("/meterview/list/?psize_MeterView=1000")))
    for serial in ("M-B1-1", "M-B1-2", "HM-B1"):
        assert serial in listed
    assert "M-B2" not in listed and "HM-B2" not in listed


def test_a_search_filter_on_b2_finds_nothing(inspector, operator, ids):
    b2 = ids["building"]["B2"]
    url = f"/premiseview/list/?_flt_0_building={b2}"
    assert "Франка" in table_text(text(operator.get(url)))
    assert "Франка" not in table_text(text(inspector.get(url)))
    url = f"/readingview/list/?_flt_0_meter={ids['meter']['M-B2-1']}"
    assert "M-B2-1" in table_text(text(operator.get(url)))
    assert "M-B2-1" not in table_text(text(inspector.get(url)))


def test_direct_urls_of_b2_records_are_refused(inspector, operator, ids):
    urls = [
        f"/buildingview/show/{ids['building']['B2']}",
        f"/premiseview/show/{ids['premise'][('B2', '1')]}",
        f"/meterview/show/{ids['meter']['M-B2-1']}",
        f"/meterview/show/{ids['meter']['HM-B2']}",
        f"/readingview/show/{ids['reading']['M-B2-1']}",
    ]
    for url in urls:
        assert operator.get(url).status_code == 200, url  # the record exists
        response = inspector.get(url)
        assert response.status_code == 404, (url, response.status_code)
        for mark in B2_MARKS:
            assert mark not in text(response), url
    # and the own building's cards open
    assert inspector.get(f"/premiseview/show/{ids['premise'][('B1', '1')]}").status_code == 200
    assert inspector.get(f"/meterview/show/{ids['meter']['M-B1-1']}").status_code == 200


def test_editing_a_b2_reading_by_url_is_refused_and_changes_nothing(app, inspector, ids):
    from app.models import Reading

    reading_id = ids["reading"]["M-B2-1"]
    before = row(app, Reading, Reading.id == reading_id)
    response = inspector.get(f"/readingview/edit/{reading_id}")
    assert response.status_code in (403, 404)
    assert "M-B2-1" not in text(response)
    response = inspector.post(f"/readingview/edit/{reading_id}",
                              data=reading_form(ids["meter"]["M-B2-1"], "31.10.2026", "11,5"))
    assert response.status_code in (403, 404)
    assert inspector.post(f"/readingview/delete/{reading_id}").status_code in (403, 404)
    assert row(app, Reading, Reading.id == reading_id) == before


def test_building_card_lists_only_its_own_premises_and_house_meters(inspector, ids):
    page = text(inspector.get(f"/buildingview/show/{ids['building']['B1']}"))
    assert "Шевченка" in page and "HM-B1" in page
    for mark in B2_MARKS:
        assert mark not in page


# --- pickers -----------------------------------------------------------------------------------
def _picked(response):
    assert response.status_code == 200
    return [r["text"] for r in response.json["results"]]


def test_lookups_return_nothing_of_b2(inspector, operator, ids):
    assert any("Франка" in t for t in _picked(operator.get("/lookup/premise/?q=Франка")))
    assert _picked(inspector.get("/lookup/premise/?q=Франка")) == []
    assert any("M-B2" in t for t in _picked(operator.get("/lookup/meter/?q=M-B2")))
    assert _picked(inspector.get("/lookup/meter/?q=M-B2")) == []
    assert _picked(inspector.get("/lookup/meter/?q=HM-B2")) == []
    assert _picked(inspector.get("/lookup/building/?q=B2")) == []
    # the label of an id typed by hand (active filters) is not given either
    assert _picked(inspector.get(f"/lookup/meter/?id={ids['meter']['M-B2-1']}")) == []
    assert _picked(inspector.get(f"/lookup/premise/?id={ids['premise'][('B2', '1')]}")) == []
    # an empty search lists only B1
    meters = _picked(inspector.get("/lookup/meter/?q="))
    assert any(t.endswith("№ M-B1-1") for t in meters) and not any("-B2" in t for t in meters)
    premises = _picked(inspector.get("/lookup/premise/?q="))
    assert premises and all("Шевченка" in t for t in premises)


def test_lookups_of_b1_still_answer(inspector):
    assert any("Шевченка" in t for t in _picked(inspector.get("/lookup/premise/?q=Шевченка")))
    assert any(t.endswith(" — № M-B1-1") for t in _picked(inspector.get("/lookup/meter/?q=M-B1")))  # address — … — serial


# --- REST API ------------------------------------------------------------------------------------
def test_api_show_of_b2_records_is_404(api, headers, ids):
    for url in (f"/api/v1/premise/{ids['premise'][('B2', '1')]}", f"/api/v1/meter/{ids['meter']['M-B2-1']}",
                f"/api/v1/building/{ids['building']['B2']}", f"/api/v1/reading/{ids['reading']['M-B2-1']}"):
        response = api.get(url, headers=headers)
        assert response.status_code == 404, url
        assert "M-B2" not in text(response) and "Франка" not in text(response)
    assert api.get(f"/api/v1/premise/{ids['premise'][('B1', '1')]}", headers=headers).status_code == 200


def test_api_lists_have_only_b1_rows(api, headers, ids):
    meters = api.get("/api/v1/meter/?q=(page_size:100)", headers=headers).json
    serials = {m["serial"] for m in meters["result"]}
    assert {"M-B1-1", "M-B1-2", "HM-B1"} <= serials
    assert not any("-B2" in s for s in serials)  # M-B2-…, HM-B2 (other tests' random serials may hold «B2»)
    assert {m["building"]["id"] for m in meters["result"]} == {ids["building"]["B1"]}

    buildings = api.get("/api/v1/building/", headers=headers).json
    assert [b["code"] for b in buildings["result"]] == ["B1"]
    premises = api.get("/api/v1/premise/?q=(page_size:100)", headers=headers).json
    assert premises["count"] >= 2
    assert {p["building"]["code"] for p in premises["result"]} == {"B1"}
    readings = api.get("/api/v1/reading/?q=(page_size:100)", headers=headers).json
    assert readings["count"] >= 2
    assert not any(r["meter"]["serial"].startswith(("M-B2", "HM-B2")) for r in readings["result"])


def test_api_filter_on_b2_returns_nothing(api, headers, ids):
    query = f"(filters:!((col:building,opr:rel_o_m,value:{ids['building']['B2']})))"
    response = api.get(f"/api/v1/meter/?q={query}", headers=headers)
    assert response.status_code == 200
    assert response.json["count"] == 0


def test_api_related_meter_values_never_list_b2(api, headers):
    """FAB 5.3 has no ``/related/<column>`` endpoint: the values of a related field are served
    by ``_info`` (``add_columns[].values``). Neither may list a B2 meter."""
    response = api.get("/api/v1/reading/related/meter", headers=headers)
    assert response.status_code in (200, 404)
    assert "M-B2" not in text(response)
    info = api.get("/api/v1/reading/_info?q=(add_columns:(meter:(page:0,page_size:100)))", headers=headers)
    assert info.status_code == 200
    meter = next(c for c in info.json["add_columns"] if c["name"] == "meter")
    values = [v["value"] for v in meter["values"]]
    assert "№ M-B1-1" in values and "№ HM-B1" in values
    assert not any("-B2" in v for v in values)
    assert meter["count"] == len(values)


def test_api_reading_for_a_b2_meter_is_refused_and_not_written(app, api, headers, ids):
    from app.models import Reading

    meter_id = ids["meter"]["M-B2-1"]
    before = count(app, Reading, Reading.meter_id == meter_id)
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-21", "value": "12.5"},
                        headers=headers)
    assert 400 <= response.status_code < 500, response.status_code
    assert response.status_code == 422
    assert "meter" in response.json["message"]
    assert count(app, Reading, Reading.meter_id == meter_id) == before


def test_api_reading_for_a_b1_meter_is_created(app, api, headers):
    from app.models import Reading

    meter_id = make_meter(app, "B1")
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-21", "value": "123.456"},
                        headers=headers)
    assert response.status_code == 201, response.json
    stored = row(app, Reading, Reading.id == response.json["id"])
    assert stored["value"] == Decimal("123.456")
    assert isinstance(stored["value"], Decimal)
    assert (stored["meter_id"], stored["date"]) == (meter_id, date(2026, 11, 21))
    assert (stored["source"], stored["entered_by"]) == ("inspector", "inspector")
    shown = api.get(f"/api/v1/reading/{response.json['id']}", headers=headers).json["result"]
    assert Decimal(shown["value"]) == Decimal("123.456")


def test_api_reading_for_a_meter_of_an_unassigned_building_is_refused(app, api, headers, other_building):
    from app.models import Reading

    building_id, _premise = other_building
    from app.models import Building

    code = row(app, Building, Building.id == building_id)["code"]
    meter_id = make_meter(app, code)
    response = api.post("/api/v1/reading/", json={"meter": meter_id, "date": "2026-11-21", "value": "1"},
                        headers=headers)
    assert response.status_code == 422
    assert count(app, Reading, Reading.meter_id == meter_id) == 0


def test_api_cannot_move_a_reading_to_b2_through_edit(app, api, headers, ids):
    """Even the roles that may edit a reading go through the scope; the inspector may not edit
    at all — a PUT that would move a B1 reading onto a B2 meter is refused."""
    from app.models import Reading

    meter_id = make_meter(app, "B1")
    reading_id = add_reading(app, meter_id, date(2026, 11, 1), "5")
    response = api.put(f"/api/v1/reading/{reading_id}", json={"meter": ids["meter"]["M-B2-1"]}, headers=headers)
    assert response.status_code in (403, 422)
    assert row(app, Reading, Reading.id == reading_id)["meter_id"] == meter_id


# --- the reading form ------------------------------------------------------------------------------
def test_form_with_a_b2_meter_id_typed_by_hand_is_not_saved(app, inspector, ids):
    from app.models import Reading

    meter_id = ids["meter"]["M-B2-2"]
    before = count(app, Reading, Reading.meter_id == meter_id)
    response = inspector.post("/readingview/add", data=reading_form(meter_id, "22.11.2026", "15,5"))
    assert response.status_code == 200  # the form again, with the message
    assert field_errors(text(response), "meter") == ["Неприпустимий вибір"]
    assert "M-B2" not in text(response)
    assert count(app, Reading, Reading.meter_id == meter_id) == before


def test_form_reading_for_a_b1_meter_is_saved(app, inspector):
    from app.models import Reading

    meter_id = make_meter(app, "B1")
    response = inspector.post("/readingview/add", data=reading_form(meter_id, "22.11.2026", "15,5"))
    assert response.status_code == 302, text(response)[:3000]
    stored = row(app, Reading, Reading.meter_id == meter_id)
    assert (stored["date"], stored["value"], stored["entered_by"]) == (date(2026, 11, 22), Decimal("15.5"), "inspector")


def test_the_reading_form_offers_no_b2_meter(inspector):
    page = text(inspector.get("/readingview/add"))
    assert 'data-url="/lookup/meter/"' in page  # the picker searches the (scoped) lookup
    for mark in B2_MARKS:
        assert mark not in page


def _counts(page):
    return [int(re.sub(r"\D", "", n)) for n in re.findall(r'class="oblik-count">([^<]+)<', page)]


def test_the_index_counts_only_the_assigned_building(inspector, operator):
    assert _counts(text(operator.get("/")))[0] >= 2  # buildings
    assert _counts(text(inspector.get("/")))[0] == 1
