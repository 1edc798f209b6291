"""No server error on any input to the screens: every list screen (as every role that may
open it) with a page, a page size, a sort column and search filters no user would type; the
pickers, the journal, the imports and the billing screen with huge pages; a duplicate key on
add and on edit; FAB's file download route; and the last resort — an unexpected error is
logged and answered by a 500 page in Ukrainian. Each refusal is a 4xx naming the parameter
or field, in Ukrainian."""
import logging

import pytest

from tests.conftest import ROLES, make_app
from tests.webtools import field_errors, is_ukrainian, make_building, premise_form, text, uid

HUGE = 10**20


def _list_views(app):
    """(name, list URL, search columns) of every list screen: Oblik's and FAB's own (users, roles…)."""
    from flask import url_for
    from flask_appbuilder.baseviews import BaseCRUDView
    from werkzeug.routing import BuildError

    found = []
    with app.test_request_context():
        for view in app.appbuilder.baseviews:
            if isinstance(view, BaseCRUDView):
                try:
                    found.append((type(view).__name__, url_for(f"{view.endpoint}.list"),
                                  list(view.search_columns or [])))
                except BuildError:
                    continue
    return found


def _refused(response, *words):
    assert response.status_code == 400, (response.status_code, text(response)[:300])
    body = text(response)
    assert is_ukrainian(body), body[:300]
    for word in words:
        assert word in body, (word, body[:2000])


@pytest.mark.parametrize("role", ROLES)
def test_every_list_screen_refuses_what_it_cannot_show(app, client_as, role):
    client = client_as(role)
    checked = 0
    for name, url, search_columns in _list_views(app):
        if client.get(url).status_code != 200:  # not this role's screen
            continue
        checked += 1
        _refused(client.get(f"{url}?page_{name}={HUGE}"), f"page_{name}")
        _refused(client.get(f"{url}?psize_{name}={HUGE}"), f"psize_{name}")
        _refused(client.get(f"{url}?page_{name}=abc"), f"page_{name}")
        _refused(client.get(f"{url}?psize_{name}=-5"), f"psize_{name}")
        _refused(client.get(f"{url}?_oc_{name}=nonexistent&_od_{name}=asc"), "nonexistent")
        _refused(client.get(f"{url}?_flt_0_nonexistent=x"), "_flt_0_nonexistent")
        for column in search_columns:
            response = client.get(f"{url}?_flt_0_{column}=%D0%B0bc%27%22")  # «аbc'"», no number nor date
            assert response.status_code in (200, 400), (url, column, response.status_code)
            if response.status_code == 400:
                assert is_ukrainian(text(response)), (url, column)
            response = client.get(f"{url}?_flt_0_{column}={HUGE}")
            assert response.status_code in (200, 400), (url, column, response.status_code)
    assert checked > 0


def test_a_number_filter_with_text_names_the_field(client_as):
    _refused(client_as("accountant").get("/paymentview/list/?_flt_0_amount=abc"), "abc")


@pytest.mark.parametrize("role", ROLES)
def test_pickers_journal_imports_and_billing_refuse_huge_pages(client_as, role):
    client = client_as(role)
    opened = 0
    for url in ("/lookup/building/", "/lookup/premise/", "/lookup/meter/", "/journal/", "/imports/",
                "/billing/", "/billing/recalculations"):
        plain = client.get(url)
        if plain.status_code != 200:  # not this role's screen
            assert plain.status_code in (302, 403), (url, plain.status_code)
            continue
        opened += 1
        _refused(client.get(f"{url}?page={HUGE}"), "page")
        _refused(client.get(f"{url}?page=-1"), "page")
    assert opened >= (3 if role == "inspector" else 7), opened
    response = client.get(f"/lookup/building/?id={HUGE}")
    assert response.status_code < 500


def test_api_ids_and_pages_past_any_integer(app, api_token):
    client = app.test_client()
    headers = api_token("admin")
    for method in ("get", "put", "delete"):
        response = getattr(client, method)(f"/api/v1/building/{HUGE}", headers=headers, json={})
        assert response.status_code == 404, (method, response.status_code)
    response = client.get(f"/api/v1/building/?q=(page:{HUGE})", headers=headers)
    assert response.status_code == 400 and is_ukrainian(response.json["message"]), response.json
    response = client.get("/api/v1/building/_info?q=1e+16", headers=headers)
    assert response.status_code == 400 and is_ukrainian(response.json["message"]), response.json
    response = client.post("/api/v1/building/", headers=headers, json=[{"code": "X"}])
    assert response.status_code == 400 and is_ukrainian(response.json["message"]), response.json


def test_api_duplicate_key_invalid_choice_and_nested_relation_are_422(app, api_token):
    client = app.test_client()
    headers = api_token("admin")
    response = client.post("/api/v1/building/", headers=headers,
                           json={"code": "B1", "address": "вул. Дубль, 1", "imbalance_key": "volume"})
    assert response.status_code == 422, response.json
    assert "code" in response.json["message"] and is_ukrainian(response.json["message"]["code"][0]), response.json
    response = client.post("/api/v1/service/", headers=headers,
                           json={"code": uid("S"), "name": "Х", "unit": "м³", "method": "bogus"})
    assert response.status_code == 422, response.json
    assert "method" in response.json["message"] and is_ukrainian(response.json["message"]["method"][0])
    response = client.post("/api/v1/premise/", headers=headers,
                           json={"building": {"id": 1}, "number": uid("N"), "kind": "apartment"})
    assert response.status_code == 422, response.json
    assert "building" in response.json["message"], response.json
    response = client.post("/api/v1/premise/", headers=headers,
                           json={"building": HUGE, "number": uid("N"), "kind": "apartment"})
    assert response.status_code == 422, response.json


def test_api_edit_to_a_duplicate_key_is_422_naming_the_field(app, api_token):
    """A PUT of a versioned record flushes in pre_update (the version check): the database's
    refusal there is the field's 422 too, not a 500 (schemathesis: PUT building {"code": "B2"})."""
    client = app.test_client()
    headers = api_token("admin")
    first, _ = make_building(app, address="вул. Перша, 1")
    second_code = uid("TB")
    make_building(app, code=second_code, address="вул. Друга, 2")
    response = client.put(f"/api/v1/building/{first}", headers=headers, json={"code": second_code})
    assert response.status_code == 422, response.json
    assert "code" in response.json["message"] and is_ukrainian(response.json["message"]["code"][0]), response.json
    assert client.get(f"/api/v1/building/{first}", headers=headers).json["result"]["code"] != second_code


def test_a_duplicate_premise_number_is_shown_beside_the_field(app, client_as):
    building_id, _premise_id = make_building(app)  # with premise «1»
    client = client_as("operator")
    response = client.post("/premiseview/add", data=premise_form(building_id, "1"))
    assert response.status_code == 200
    page = text(response)
    assert "UNIQUE" not in page and "constraint" not in page
    errors = field_errors(page, "number")
    assert errors and is_ukrainian(errors[0]), errors
    client.post("/premiseview/add", data=premise_form(building_id, "2"))
    from app.models import Premise
    from tests.webtools import id_of

    second = id_of(app, Premise, Premise.building_id == building_id, Premise.number == "2")
    response = client.post(f"/premiseview/edit/{second}", data=premise_form(building_id, "1"))
    assert response.status_code == 200, response.status_code
    page = text(response)
    assert "UNIQUE" not in page and "constraint" not in page
    errors = field_errors(page, "number")
    assert errors and is_ukrainian(errors[0]), errors


def test_the_file_download_route_is_not_there(client_as):
    client = client_as("admin")
    assert client.get("/buildingview/download/anything.txt").status_code == 404
    assert client.get("/premiseview/download/..%2Fconfig.py").status_code == 404


def test_an_unexpected_error_is_logged_and_answered_in_ukrainian(caplog):
    application = make_app(PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("a bug")

    application.add_url_rule("/test-boom", "test_boom", boom)
    application.add_url_rule("/api/v1/test-boom", "test_api_boom", boom)
    with caplog.at_level(logging.ERROR):
        response = application.test_client().get("/test-boom")
        api = application.test_client().get("/api/v1/test-boom")
    assert response.status_code == 500 and is_ukrainian(text(response)), text(response)[:300]
    assert "a bug" not in text(response)
    assert api.status_code == 500 and is_ukrainian(api.json["message"])
    assert any("a bug" in (r.exc_text or "") or "a bug" in str(r.exc_info) for r in caplog.records)
