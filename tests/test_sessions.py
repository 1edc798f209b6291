"""Sessions and passwords (issue 8, item 4): a session cookie copied before a logout or a
password change is refused after it; an idle session expires; logout is a POST; one password
policy on the user screens, the API and the command line; failed sign-ins are counted in the
database for every process and lock the account and the address for a while, with a notice to
the admins.

The seeded users are left alone (other tests sign in as them): each test creates its own
users, and the apps that count failed sign-ins get a client address of their own."""
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import PASSWORD, make_app
from tests.webtools import field_errors, flashes, is_ukrainian, text, uid

NEW_PASSWORD = "another-pass-2"


class Clock:
    """A clock the app reads (``OBLIK_CLOCK``) that the test moves."""

    def __init__(self):
        # starts now: the session's own app (real time) sees the same lockouts
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def _user(app, role="operator", password=PASSWORD):
    from app.services.users import create_user

    username = uid("u").lower()
    with app.app_context():
        create_user(username, password, role)
    return username


def _signed_in(app, username, password=PASSWORD, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, text(response)[:300]
    return client


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def _signed_in_still(client) -> bool:
    """A screen that needs a signed-in user answers (200), else the login page (302)."""
    return client.get("/buildingview/list/").status_code == 200


# --- revocable sessions ------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_is_refused_after_it(app):
    username = _user(app)
    client = _signed_in(app, username)
    copied = _session_cookie(client)
    assert _signed_in_still(_with_cookie(app, copied))
    assert client.post("/logout/").status_code == 302
    assert not _signed_in_still(client)
    assert not _signed_in_still(_with_cookie(app, copied))  # the copy is dead too


def test_logout_by_get_only_asks(app):
    username = _user(app)
    client = _signed_in(app, username)
    page = client.get("/logout/")
    assert page.status_code == 200
    assert 'method="post"' in text(page) and is_ukrainian(text(page))
    assert _signed_in_still(client)


def test_the_menu_logs_out_with_a_post_form(app):
    username = _user(app)
    client = _signed_in(app, username)
    page = text(client.get("/buildingview/list/"))
    form = re.search(r'<form method="post" action="([^"]+)" class="oblik-logout">', page)
    assert form and form.group(1).rstrip("/") == "/logout"
    assert not re.search(r'<a href="/logout/?"', page)


def test_a_cookie_copied_before_a_password_change_is_refused_after_it(app):
    username = _user(app)
    client = _signed_in(app, username)
    copied = _session_cookie(client)
    response = client.post("/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302, text(response)[:500]
    assert _signed_in_still(client)  # the browser that changed it stays signed in
    assert not _signed_in_still(_with_cookie(app, copied))
    _signed_in(app, username, NEW_PASSWORD)


def test_a_reset_by_the_admin_ends_the_users_sessions_and_tokens(app, client_as):
    from flask_appbuilder.security.sqla.models import User

    from tests.webtools import id_of

    username = _user(app)
    victim = _signed_in(app, username)
    token = app.test_client().post("/api/v1/security/login",
                                   json={"username": username, "password": PASSWORD, "provider": "db"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert app.test_client().get("/api/v1/building/", headers=headers).status_code == 200
    pk = id_of(app, User, User.username == username)
    response = client_as("admin").post(f"/resetpassword/form?pk={pk}",
                                       data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302, text(response)[:500]
    assert not _signed_in_still(victim)
    assert app.test_client().get("/api/v1/building/", headers=headers).status_code == 401


def test_a_token_issued_before_logout_is_refused_after_it(app):
    username = _user(app)
    token = app.test_client().post("/api/v1/security/login",
                                   json={"username": username, "password": PASSWORD, "provider": "db"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert app.test_client().get("/api/v1/building/", headers=headers).status_code == 200
    client = _signed_in(app, username)
    client.post("/logout/")
    assert app.test_client().get("/api/v1/building/", headers=headers).status_code == 401


# --- idle expiry --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def clocked_app(app, clock):
    return make_app(OBLIK_CLOCK=clock, SESSION_IDLE_MINUTES=480)


def test_an_idle_session_expires_and_an_active_one_does_not(clocked_app, clock):
    username = _user(clocked_app)
    client = _signed_in(clocked_app, username)
    for _ in range(3):  # used every 7 hours: stays signed in for 21 hours
        clock.advance(hours=7)
        assert _signed_in_still(client)
    copied = _session_cookie(client)
    clock.advance(hours=8, minutes=1)
    response = client.get("/buildingview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in_still(_with_cookie(clocked_app, copied))
    page = text(client.get("/login/"))
    assert any(is_ukrainian(m) for m in flashes(page)), flashes(page)


# --- the password policy -------------------------------------------------------------------------
@pytest.mark.parametrize("password, reason", [
    ("a", "10"), ("short-9ch", "10"), ("1234567890", "поширен"), ("Password123", "поширен"),
    ("{username}-2026!", "ім'я"),
])
def test_the_user_form_refuses_a_weak_password_next_to_the_field(app, client_as, password, reason):
    from flask_appbuilder.security.sqla.models import User

    from tests.webtools import count

    username = uid("p").lower()
    password = password.format(username=username)
    response = client_as("admin").post("/users/add", data={
        "first_name": "Х", "last_name": "Х", "username": username, "email": f"{username}@example.org",
        "active": "y", "password": password, "conf_password": password, "roles": "1"})
    assert response.status_code == 200
    errors = field_errors(text(response), "password")
    assert errors and is_ukrainian(errors[0]) and reason in errors[0].lower(), errors
    assert count(app, User, User.username == username) == 0


def test_the_user_form_accepts_a_good_password(app, client_as):
    from flask_appbuilder.security.sqla.models import User

    from tests.webtools import count

    username = uid("p").lower()
    response = client_as("admin").post("/users/add", data={
        "first_name": "Х", "last_name": "Х", "username": username, "email": f"{username}@example.org",
        "active": "y", "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD, "roles": "1"})
    assert response.status_code == 302, field_errors(text(response), "password")
    assert count(app, User, User.username == username) == 1


def test_the_own_password_change_and_the_reset_refuse_a_weak_password(app, client_as):
    from flask_appbuilder.security.sqla.models import User

    from tests.webtools import id_of

    username = _user(app)
    client = _signed_in(app, username)
    for weak in ("a", "qwerty12345", username.upper() + "xyz123"):
        page = client.post("/resetmypassword/form", data={"password": weak, "conf_password": weak})
        assert page.status_code == 200
        assert is_ukrainian(" ".join(field_errors(text(page), "password"))), weak
    pk = id_of(app, User, User.username == username)
    page = client_as("admin").post(f"/resetpassword/form?pk={pk}", data={"password": "a", "conf_password": "a"})
    assert page.status_code == 200 and is_ukrainian(" ".join(field_errors(text(page), "password")))
    _signed_in(app, username)  # the old password still works: nothing was changed


def test_the_user_api_refuses_a_weak_password_with_400(app):
    api_app = make_app(FAB_ADD_SECURITY_API=True)
    client = api_app.test_client()
    token = client.post("/api/v1/security/login",
                        json={"username": "admin", "password": PASSWORD, "provider": "db"}).json["access_token"]
    username = uid("api").lower()
    response = client.post("/api/v1/security/users/", headers={"Authorization": f"Bearer {token}"}, json={
        "first_name": "Х", "last_name": "Х", "username": username, "email": f"{username}@example.org",
        "active": True, "roles": [1], "password": "a"})
    assert response.status_code == 400, response.json
    assert is_ukrainian(str(response.json))


@pytest.fixture()
def oblik(app, monkeypatch):
    monkeypatch.setenv("OBLIK_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    from app.cli import main

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("password", ["a", "password123", "{username}12345"])
def test_the_command_line_refuses_a_weak_password(oblik, app, password):
    from flask_appbuilder.security.sqla.models import User

    from tests.webtools import count

    username = uid("cli").lower()
    result = oblik("user", "create", "--username", username, "--password", password.format(username=username),
                   "--role", "operator")
    assert result.exit_code == 1
    assert is_ukrainian(result.output) and "Пароль" in result.output, result.output
    assert count(app, User, User.username == username) == 0


def test_the_command_line_changes_a_password_under_the_policy(oblik, app):
    username = _user(app)
    client = _signed_in(app, username)
    result = oblik("user", "password", "--username", username, "--password", "a")
    assert result.exit_code == 1 and is_ukrainian(result.output)
    assert _signed_in_still(client)
    result = oblik("user", "password", "--username", username, "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert not _signed_in_still(client)  # the change ended the session
    _signed_in(app, username, NEW_PASSWORD)


def test_the_seeded_password_passes_the_policy(app):
    from app.services.users import common_passwords, password_problem

    with app.app_context():
        assert len(common_passwords()) == 10000
        for role in ("admin", "operator"):
            assert password_problem(PASSWORD, role) is None


# --- failed sign-ins, shared by every process, and lockouts ---------------------------------------
def _throttled_app(clock, **over):
    settings = {"LOGIN_THROTTLE_ENABLED": True, "LOGIN_ACCOUNT_FAILURES": 5, "LOGIN_IP_FAILURES": 20,
                    "LOGIN_LOCK_SECONDS": 60, "LOGIN_LOCK_MAX_SECONDS": 3600, "OBLIK_CLOCK": clock}
    settings.update(over)
    return make_app(**settings)


def _attempt(application, username, password, address, api=False):
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if api:
        return client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    return client.post("/login/", data={"username": username, "password": password})


def _address():
    import random

    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def test_the_limit_of_an_address_is_shared_by_two_app_instances(app):
    clock = Clock()
    first, second = (_throttled_app(clock, LOGIN_IP_FAILURES=6, LOGIN_ACCOUNT_FAILURES=1000) for _ in range(2))
    address = _address()
    answered = 0
    for attempt in range(20):
        application = (first, second)[attempt % 2]
        response = _attempt(application, f"nobody-{attempt}", "wrong-guess-1", address, api=attempt % 4 == 3)
        if response.status_code != 429:
            answered += 1
    assert answered == 6  # not 6 per process
    # even the right password waits, on either instance; another address does not
    username = _user(app)
    assert _attempt(second, username, PASSWORD, address).status_code == 429
    assert _attempt(first, username, PASSWORD, _address()).status_code == 302


def test_an_account_is_locked_after_repeated_failures_then_unlocks_by_itself(app, client_as, caplog):
    clock = Clock()
    first, second = _throttled_app(clock), _throttled_app(clock)
    username = _user(app)
    with caplog.at_level(logging.WARNING, logger="oblik.security"):
        for attempt in range(5):  # from five addresses, on two instances
            response = _attempt((first, second)[attempt % 2], username, "wrong-guess-1", _address())
            assert response.status_code == 302, attempt
    assert any(username in r.getMessage() and "locked" in r.getMessage() for r in caplog.records), caplog.text
    # locked: the right password is refused too, on the screen and the API, from anywhere
    response = _attempt(first, username, PASSWORD, _address())
    assert response.status_code == 429 and is_ukrainian(text(response))
    assert _attempt(second, username, PASSWORD, _address(), api=True).status_code == 429
    # the admins are told on their pages
    page = text(client_as("admin").get("/buildingview/list/"))
    assert "oblik-login-locks" in page and username in page
    assert "oblik-login-locks" not in text(client_as("accountant").get("/buildingview/list/"))
    # the lockout ends by itself
    clock.advance(seconds=61)
    assert _attempt(first, username, PASSWORD, _address()).status_code == 302


def test_each_further_lockout_lasts_longer_up_to_a_limit(app):
    from app.services.sessions import LoginBlocked, login_blocked

    clock = Clock()
    application = _throttled_app(clock, LOGIN_LOCK_MAX_SECONDS=150)
    username = _user(app)

    def locked_for() -> int:
        waited = 0
        while True:
            with application.app_context():
                try:
                    login_blocked(username, None)
                    return waited
                except LoginBlocked:
                    clock.advance(seconds=10)
                    waited += 10

    lengths = []
    for _ in range(3):
        for attempt in range(5):
            assert _attempt(application, username, "wrong-guess-1", _address()).status_code == 302, attempt
        assert _attempt(application, username, "wrong-guess-1", _address()).status_code == 429
        lengths.append(locked_for())
    assert lengths == [60, 120, 150]  # doubled each time, never longer than the limit
    # a right password after the last lockout forgets the backoff
    assert _attempt(application, username, PASSWORD, _address()).status_code == 302
    for _ in range(5):
        _attempt(application, username, "wrong-guess-1", _address())
    assert locked_for() == 60


def test_an_admin_unlocks_an_account(app, client_as):
    clock = Clock()
    application = _throttled_app(clock)
    username = _user(app)
    for _ in range(5):
        _attempt(application, username, "wrong-guess-1", _address())
    assert _attempt(application, username, PASSWORD, _address()).status_code == 429
    admin = client_as("admin")
    from app.models import LoginThrottle
    from tests.webtools import row

    lock_id = row(app, LoginThrottle, LoginThrottle.kind == "user", LoginThrottle.key == username)["id"]
    assert f'action="/loginlocks/unlock/{lock_id}"' in text(admin.get("/buildingview/list/"))
    # an accountant may not
    assert client_as("accountant").post(f"/loginlocks/unlock/{lock_id}").status_code in (302, 403)
    assert _attempt(application, username, PASSWORD, _address()).status_code == 429
    assert admin.post(f"/loginlocks/unlock/{lock_id}").status_code == 302
    assert _attempt(application, username, PASSWORD, _address()).status_code == 302


def test_a_known_device_signs_in_while_the_account_is_locked_elsewhere(app):
    """An attacker failing on the admin's account from elsewhere does not lock out the browser
    where the admin signed in before (its signed cookie); everybody else waits."""
    clock = Clock()
    application = _throttled_app(clock)
    username = _user(app, role="admin")
    own = application.test_client()
    own.environ_base["REMOTE_ADDR"] = _address()
    assert own.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
    assert own.get_cookie("oblik_device") is not None
    own.post("/logout/")
    for _ in range(5):
        _attempt(application, username, "wrong-guess-1", _address())
    assert _attempt(application, username, PASSWORD, _address()).status_code == 429
    assert own.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
    # a forged device cookie is worth nothing
    forged = application.test_client()
    forged.environ_base["REMOTE_ADDR"] = _address()
    forged.set_cookie("oblik_device", "forged." + own.get_cookie("oblik_device").value[-20:])
    assert forged.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 429
