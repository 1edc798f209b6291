"""Web security settings as production runs them: CSRF on every form, a rate limit on the
login (screen and JWT API), HttpOnly + SameSite=Lax session cookie, hashed passwords.

``make_app`` builds a second application on the same database (conftest), with the setting
under test switched on."""
import pytest
from sqlalchemy import text as sql
from werkzeug.security import check_password_hash

from tests.conftest import PASSWORD, make_app
from tests.webtools import building_form, count, csrf_token, id_of, row, text, uid


@pytest.fixture(scope="module")
def csrf_app(app):
    return make_app(WTF_CSRF_ENABLED=True)


def _signed_in(application, username="operator"):
    client = application.test_client()
    token = csrf_token(text(client.get("/login/")))
    response = client.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, text(response)[:500]
    return client


# --- CSRF ----------------------------------------------------------------------------------------
def test_login_without_a_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login/", data={"username": "operator", "password": PASSWORD})
    assert response.status_code != 302  # not signed in: the form again
    assert client.get("/buildingview/list/").status_code == 302  # still sent to the login page


def test_a_form_post_without_a_csrf_token_is_not_saved(csrf_app):
    from app.models import Building

    client = _signed_in(csrf_app)
    code = uid("CSRF")
    response = client.post("/buildingview/add", data=building_form(code))
    assert response.status_code in (200, 400)
    assert count(csrf_app, Building, Building.code == code) == 0
    # a wrong token is no better
    response = client.post("/buildingview/add", data={**building_form(code), "csrf_token": "forged"})
    assert count(csrf_app, Building, Building.code == code) == 0
    # the same form with the page's token is saved: the refusal above was the token's
    token = csrf_token(text(client.get("/buildingview/add")))
    response = client.post("/buildingview/add", data={**building_form(code), "csrf_token": token})
    assert response.status_code == 302
    assert count(csrf_app, Building, Building.code == code) == 1


def test_an_edit_without_a_csrf_token_changes_nothing(csrf_app):
    from app.models import Building

    client = _signed_in(csrf_app)
    code = uid("CSRFE")
    token = csrf_token(text(client.get("/buildingview/add")))
    assert client.post("/buildingview/add", data={**building_form(code), "csrf_token": token}).status_code == 302
    building = row(csrf_app, Building, Building.code == code)
    client.post(f"/buildingview/edit/{building['id']}", data=building_form(code, address="вул. Підроблена, 1"))
    assert row(csrf_app, Building, Building.id == building["id"]) == building


def test_a_delete_by_get_or_without_a_token_is_refused(csrf_app):
    from app.models import Building

    client = _signed_in(csrf_app)
    code = uid("CSRFD")
    token = csrf_token(text(client.get("/buildingview/add")))
    assert client.post("/buildingview/add", data={**building_form(code), "csrf_token": token}).status_code == 302
    building_id = id_of(csrf_app, Building, Building.code == code)
    client.get(f"/buildingview/delete/{building_id}")  # a link in a foreign page
    assert count(csrf_app, Building, Building.id == building_id) == 1
    client.post(f"/buildingview/delete/{building_id}")
    assert count(csrf_app, Building, Building.id == building_id) == 1
    # the list's delete button posts the page's token: that one deletes
    token = csrf_token(text(client.get("/buildingview/list/")))
    assert client.post(f"/buildingview/delete/{building_id}", data={"csrf_token": token}).status_code == 302
    assert count(csrf_app, Building, Building.id == building_id) == 0


def test_admin_screens_of_fab_are_protected_too(csrf_app):
    """FAB's own user administration: a link must not deactivate or delete a user."""
    from flask_appbuilder.security.sqla.models import User

    from app.services.users import create_user

    username = uid("victim")
    with csrf_app.app_context():
        create_user(username, "Passw0rd!-x", "operator")
    user_id = id_of(csrf_app, User, User.username == username)
    client = _signed_in(csrf_app, "admin")
    client.get(f"/users/delete/{user_id}")
    client.post(f"/users/delete/{user_id}")
    assert count(csrf_app, User, User.id == user_id) == 1


def test_the_jwt_api_works_with_csrf_on(csrf_app):
    """Scripts use the API with a token, not a form: CSRF must not lock them out."""
    from app.models import Building

    client = csrf_app.test_client()
    response = client.post("/api/v1/security/login", json={"username": "operator", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.json['access_token']}"}
    code = uid("CSRFAPI")
    response = client.post("/api/v1/building/", json={"code": code, "address": "вул. API, 2"}, headers=headers)
    assert response.status_code == 201, response.json
    assert count(csrf_app, Building, Building.code == code) == 1


# --- login rate limit --------------------------------------------------------------------------------
@pytest.fixture()
def limited_app(app):
    return make_app(AUTH_RATE_LIMITED=True, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")


def test_the_fourth_login_attempt_within_a_minute_gets_429(limited_app):
    client = limited_app.test_client()
    for attempt in range(3):
        response = client.post("/login/", data={"username": "operator", "password": "wrong-guess"})
        assert response.status_code != 429, attempt
    response = client.post("/login/", data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 429  # even the right password waits
    assert client.get("/buildingview/list/").status_code == 302  # not signed in


def test_the_login_page_itself_is_not_limited(limited_app):
    client = limited_app.test_client()
    for _ in range(6):
        assert client.get("/login/").status_code == 200


def test_the_jwt_login_is_limited_too(limited_app):
    client = limited_app.test_client()
    for attempt in range(3):
        response = client.post("/api/v1/security/login",
                               json={"username": "operator", "password": "wrong-guess", "provider": "db"})
        assert response.status_code == 401, attempt
    response = client.post("/api/v1/security/login",
                           json={"username": "operator", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 429
    assert "access_token" not in (response.get_json(silent=True) or {})


def test_without_the_limit_many_attempts_are_answered(app):
    """The test app (rate limit off) — the 429 above comes from the setting."""
    client = app.test_client()
    for _ in range(5):
        assert client.post("/login/", data={"username": "operator", "password": "wrong-guess"}).status_code != 429


# --- cookies and passwords -----------------------------------------------------------------------------
def test_the_session_cookie_is_httponly_and_samesite_lax(app):
    response = app.test_client().post("/login/", data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "samesite=lax"


def test_passwords_are_stored_hashed(app):
    from app.extensions import db

    with app.app_context():
        stored = dict(db.session.execute(sql("SELECT username, password FROM ab_user")).all())
    for username in ("admin", "accountant", "operator", "inspector"):
        assert stored[username] != PASSWORD
        assert PASSWORD not in stored[username]
        assert stored[username].startswith(("scrypt:", "pbkdf2:")), stored[username][:10]
        assert check_password_hash(stored[username], PASSWORD)
    assert len(set(stored[u] for u in ("admin", "accountant", "operator", "inspector"))) == 4  # salted
