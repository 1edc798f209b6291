"""Issue 12, item 6: no English and no technical codes on the screen.

Every screen of the menu is opened as each role (the menu the role's own home page shows is
walked link by link), in Ukrainian, and the text people read — the page's text, its buttons'
and fields' titles and placeholders — is scanned for

* Flask-AppBuilder's English: its own msgids (``translations/messages.pot``, the ones that
  come from ``flask_appbuilder/``) that are words a page shows, and the texts FAB writes in
  English without a msgid (``Cancel``/``OK`` of its dialogs, ``True``/``False`` of a yes/no
  column, ``No row selected``);
* raw codes: a billing warning's code (``meter_estimated``), a setting's key
  (``penalty.daily_pct``), a right's name (``can_list``, ``menu_access``), a class name of the
  roles screen (``UserDBModelView``), a regular expression of ``FAB_ROLES``.

The module runs on a database of its own (a billing warning, a price and a closed period are
added to the seeded town), so it changes nothing other tests read. ``test_the_scan_finds_…``
shows the scan is able to fail.
"""
import html
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROLES, login, make_app, own_database_url, seed_town

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"

# Written by FAB in English without a msgid (templates, scripts, a boolean's str(), the labels
# it makes of column names: «Description», «Label» of the groups screen).
FAB_HARD_CODED = ("Cancel", "OK", "True", "False", "None", "No row selected", "List", "Refresh", "Description",
                  "Label", "Users", "Roles")
# FAB msgids that are words of a page (buttons, headers, pager, search, menus); only those FAB's
# own code declares count (a msgid Oblik shares, like «Name», is checked all the same: it is
# FAB's text as long as it comes out in English).
_PAGE_WORD = re.compile(r"^[A-Z][A-Za-z/?' ]{1,40}$")
# Texts that stay as they are in Ukrainian too: the language switch names itself.
ALLOWED = {"English"}


def fab_page_msgids() -> set[str]:
    """FAB's msgids (from its templates and views, in the merged template) that are English
    words a page shows: no placeholders, no sentence of a form's description."""
    from babel.messages.pofile import read_po

    with POT.open("rb") as f:
        catalog = read_po(f)
    found = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if not any(path.startswith("flask_appbuilder/") for path, _line in message.locations):
            continue
        if _PAGE_WORD.match(message.id) and len(message.id.split()) <= 5 and message.id not in ALLOWED:
            found.add(message.id)
    return found


def raw_codes() -> list[str]:
    from app.billing.codes import WARNING_CODES
    from app.billing.settings import DEFAULT_SETTINGS
    from app.views.labels import PERMISSION_LABELS

    codes = [code for code in WARNING_CODES if "_" in code]  # «meter», «imbalance» are words of a sentence too
    codes += list(DEFAULT_SETTINGS)
    codes += [name for name in PERMISSION_LABELS if "_" in name or name in ("copyrole", "userinfoedit")]
    codes += ["ModelView", "UserDBModelView", "RoleModelView", "OblikIndexView", "SecurityApi", "BuildingMenu",
              "^(", ")$", ".*"]
    return codes


def visible_text(body: str) -> str:
    """What a person reads: the text outside scripts and styles, and the titles, placeholders
    and button values (a dialog's buttons are text too, shown when it opens)."""
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", body)
    body = re.sub(r"(?is)<!--.*?-->", " ", body)
    attributes = re.findall(r'(?i)\s(?:title|placeholder|data-original-title|aria-label)="([^"]*)"', body)
    attributes += re.findall(r'(?i)<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', body)
    text = re.sub(r"(?s)<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(text + " " + " ".join(attributes)))


def english_and_codes(text: str, msgids, codes) -> list[str]:
    """The FAB texts and raw codes found in ``text`` (whole words, case as written)."""
    found = []
    for phrase in sorted(set(msgids) | set(FAB_HARD_CODED)):
        if re.search(rf"(?<![\w.-]){re.escape(phrase)}(?![\w-])", text):
            found.append(phrase)
    for code in codes:
        pattern = re.escape(code) if not code[0].isalpha() else rf"(?<![\w.]){re.escape(code)}(?![\w])"
        if re.search(pattern, text):
            found.append(code)
    return found


# --- the app and its data -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def uk_app():
    from app.services.setup import upgrade_database

    application = make_app(SQLALCHEMY_DATABASE_URI=own_database_url("uk_screens"))
    with application.app_context():
        upgrade_database()
        seed_town()
        _more_data()
    return application


def _more_data():
    """What the screens show codes or numbers of: a billing run with a warning, a price of
    two places written with one, a closed period with its moment, a setting of a fraction."""
    from app.extensions import db
    from app.models import BillingRun, BillingWarning, Building, Period, Service, Tariff
    from app.services.users import create_user

    building = db.session.query(Building).filter_by(code="B1").one()
    service = db.session.query(Service).filter_by(code="CW").one()
    db.session.add_all([
        Period(period="2026-10", status="closed", opened_at=datetime(2026, 10, 1, 6, 0),
               closed_at=datetime(2026, 11, 2, 22, 30)),  # 00:30 of 3 November in Kyiv
        Period(period="2026-11", status="open", opened_at=datetime(2026, 11, 2, 22, 30)),
        Tariff(service=service, valid_from=date(2026, 1, 1), price=Decimal("38.5")),
        BillingRun(period="2026-11", status="done", started_by="accountant", started_at=datetime(2026, 11, 20, 10, 0),
                   finished_at=datetime(2026, 11, 20, 10, 5), buildings_total=1, buildings_done=1, warnings=1),
        BillingWarning(period="2026-11", target_period="2026-11", building_id=building.id, code="meter_estimated",
                       message="Лічильник M-B1-1: показника немає, обсяг оцінено"),
    ])
    db.session.commit()
    create_user("nameless", PASSWORD, "operator")


def menu_links(client) -> list[str]:
    """The menu of the signed-in user's home page: every entry of every category."""
    body = client.get("/").get_data(as_text=True)
    nav = body[body.index('class="navbar'):body.index("</nav>")] if "</nav>" in body else body
    links = []
    for href in re.findall(r'<a[^>]+href="(/[^"#]*)"', nav):
        if href not in links and not href.startswith(("/lang/", "/logout", "/static/")):
            links.append(href)
    return links


# Screens whose codes are the point: the import screen lists the files' column names
# (formats.md: ``gas_category``), which people type into a file's header row. FAB's English is
# still looked for there.
CODES_SHOWN_ON_PURPOSE = ("/imports/",)


def _scan(client, url, msgids, codes):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if url.startswith(CODES_SHOWN_ON_PURPOSE):
        codes = []
    return english_and_codes(visible_text(response.get_data(as_text=True)), msgids, codes)


# --- the tests ----------------------------------------------------------------------------------
def test_the_list_of_fab_texts_is_fabs_own():
    msgids = fab_page_msgids()
    for word in ("Search", "Add", "Edit", "Delete", "Record Count", "Actions", "No records found",
                 "Back", "Save", "Show", "Permissions", "Last login", "Role", "List Users", "Page size"):
        assert word in msgids, word


def test_the_scan_finds_english_and_codes():
    """The scan can fail: FAB's English and each kind of code are found, Ukrainian is not."""
    msgids, codes = fab_page_msgids(), raw_codes()
    page = ('<div><button type="button" data-dismiss="modal">Cancel</button><td>True</td>'
            '<a title="Record Count">x</a><td>meter_estimated</td><span>penalty.daily_pct</span>'
            "<li>can_list on UserDBModelView</li><li>^(can_list|can_show)$</li></div>"
            "<script>var x = 'Search';</script>")
    found = english_and_codes(visible_text(page), msgids, codes)
    for expected in ("Cancel", "True", "Record Count", "meter_estimated", "penalty.daily_pct", "can_list",
                     "UserDBModelView", "^("):
        assert expected in found, (expected, found)
    assert "Search" not in found  # a script is not text people read
    assert english_and_codes(visible_text("<p>Скасувати Так Ні Пошук ОСББ «Тест» English</p>"), msgids, codes) == []


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_screen_is_ukrainian(uk_app, role):
    client = login(uk_app.test_client(), role)
    msgids, codes = fab_page_msgids(), raw_codes()
    links = menu_links(client)
    assert len(links) >= (30 if role == "admin" else 3), links
    problems = {}
    for url in links + ["/", "/users/userinfo/", "/resetmypassword/form", "/userinfoeditview/form"]:
        found = _scan(client, url, msgids, codes)
        if found:
            problems[url] = found
    assert not problems, f"{role}: English or codes on the screen: {problems}"


def test_fab_record_pages_are_ukrainian(uk_app):
    """The card and forms of FAB's own screens (users, roles), and a list with its delete dialog."""
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import Role, User

    with uk_app.app_context():
        user_id = db.session.query(User.id).filter_by(username="inspector").scalar()
        role_id = db.session.query(Role.id).filter_by(name="accountant").scalar()
    client = login(uk_app.test_client(), "admin")
    msgids, codes = fab_page_msgids(), raw_codes()
    problems = {}
    for url in (f"/users/show/{user_id}", f"/users/edit/{user_id}", "/users/add", f"/roles/show/{role_id}",
                "/roles/list/", "/roles/add", "/groups/list/", "/permissions/list/", "/viewmenus/list/",
                "/permissionviews/list/", "/tariffview/list/", "/settingview/list/", "/billing/",
                "/reports/periods/"):
        found = _scan(client, url, msgids, codes)
        if found:
            problems[url] = found
    assert not problems, problems


# --- item 1: FAB's widgets -------------------------------------------------------------------------
def test_users_list_says_yes_and_role_names(uk_app):
    body = visible_text(login(uk_app.test_client(), "admin").get("/users/list/").get_data(as_text=True))
    assert "True" not in body and "False" not in body
    assert re.search(r"\bТак\b", body)
    assert "Бухгалтер" in body and "Контролер" in body


def test_delete_dialog_and_alert_in_ukrainian(uk_app):
    body = login(uk_app.test_client(), "admin").get("/buildingview/list/").get_data(as_text=True)
    assert ">Скасувати<" in body and ">Cancel<" not in body
    assert ">OK<" not in body and ">Гаразд<" in body and ">Підтвердити<" in body
    assert 'data-no-row-selected="Не вибрано жодного рядка"' in body  # the text FAB's script alerts with


@pytest.mark.parametrize("role", ROLES)
def test_roles_screen_names_the_rights_in_words(uk_app, role):
    client = login(uk_app.test_client(), role)
    response = client.get("/roles/list/")
    if role != "admin":
        assert response.status_code in (302, 403)  # only the admin sees the roles
        return
    text = visible_text(response.get_data(as_text=True))
    assert "Бухгалтер" in text and "Оператор" in text
    text = re.sub(r"\s+:", ":", text)
    assert "Будинки: переглядати список, відкривати запис" in text  # the inspector's rights on buildings
    assert "Розрахунок за період: переглядати список, запускати розрахунок, закривати період" in text
    for raw in ("can_list", "menu_access", "^(", "UserDBModelView", "BuildingMenu"):
        assert raw not in text, raw


def test_permissions_and_views_by_name(uk_app):
    client = login(uk_app.test_client(), "admin")
    text = visible_text(client.get("/permissions/list/?psize_OblikPermissionModelView=100").get_data(as_text=True))
    assert "переглядати список" in text and "can_list" not in text
    text = visible_text(client.get("/viewmenus/list/?psize_OblikViewMenuModelView=200").get_data(as_text=True))
    assert "Меню: Будинки" in text and "BuildingMenu" not in text and "ModelView" not in text


def test_every_resource_and_right_has_a_name(uk_app):
    """The one table names every right and view the database holds (a new screen gets a name)."""
    from app.extensions import db
    from app.security import ROLE_RIGHTS
    from app.views.labels import PERMISSION_LABELS, resource_label

    with uk_app.app_context():
        sm = uk_app.appbuilder.sm
        permissions = {p.name for p in db.session.query(sm.permission_model)}
        views = {v.name for v in db.session.query(sm.viewmenu_model)}
    views |= {resource for rights in ROLE_RIGHTS.values() for resource in rights}
    permissions |= {action for rights in ROLE_RIGHTS.values() for actions in rights.values() for action in actions}
    assert not permissions - set(PERMISSION_LABELS)
    with uk_app.test_request_context():
        unnamed = sorted(view for view in views if resource_label(view) == view)
    assert not unnamed


@pytest.mark.parametrize("role", ROLES)
def test_user_menu_shows_a_name_not_a_dash(uk_app, role):
    client = login(uk_app.test_client(), role)
    body = client.get("/").get_data(as_text=True)
    name = re.search(r'<span class="fa fa-user"></span>\s*([^<]*)<b class="caret">', body).group(1).strip()
    assert name == role  # created with no last name: the login, not «admin -»


def test_user_menu_of_a_user_without_names_shows_the_login(uk_app):
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import User

    with uk_app.app_context():
        user = db.session.query(User).filter_by(username="nameless").one()
        user.first_name, user.last_name = "", "-"
        db.session.commit()
    body = login(uk_app.test_client(), "nameless").get("/").get_data(as_text=True)
    name = re.search(r'<span class="fa fa-user"></span>\s*([^<]*)<b class="caret">', body).group(1).strip()
    assert name == "nameless"


@pytest.mark.parametrize("role", ROLES)
def test_error_pages_inside_the_layout_for_a_signed_in_user(uk_app, role):
    client = login(uk_app.test_client(), role)
    response = client.get("/buildingview/show/99999999", headers={"Referer": "http://localhost/buildingview/list/"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'class="navbar' in body  # the menu
    assert 'id="error-back"' in body and 'href="http://localhost/buildingview/list/"' in body
    assert 'id="error-home"' in body
    assert "Сторінку або запис не знайдено" in body
    bad = client.get("/buildingview/list/?page=abc")
    assert bad.status_code == 400 and 'class="navbar' in bad.get_data(as_text=True)
    assert "«page»" in html.unescape(bad.get_data(as_text=True))


def test_error_page_for_a_visitor_is_plain(uk_app):
    response = uk_app.test_client().get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'class="navbar' not in body and "Сторінку або запис не знайдено" in body


def test_error_page_falls_back_to_plain_when_the_layout_fails(uk_app, monkeypatch):
    from app.views import guard

    client = login(uk_app.test_client(), "admin")
    real = guard.render_template

    def broken(name, **context):
        if name == "oblik/error_layout.html":
            raise RuntimeError("the menu could not be read")
        return real(name, **context)

    monkeypatch.setattr(guard, "render_template", broken)
    response = client.get("/buildingview/show/99999999")
    assert response.status_code == 404 and "Сторінку або запис не знайдено" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_api_refusals_in_ukrainian(uk_app, role):
    client = uk_app.test_client()
    token = client.post("/api/v1/security/login", json={"username": role, "password": PASSWORD, "provider": "db"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    assert client.get("/api/v1/building/999999", headers=headers).json == {"message": "Сторінку або запис не знайдено"}
    refused = client.post("/api/v1/building/", headers=headers, json={"code": 5})
    if role in ("admin", "accountant", "operator"):
        assert refused.status_code in (400, 422)
        messages = str(refused.json["message"])
        assert "Not a valid" not in messages and "Missing data" not in messages, messages
    else:
        assert refused.status_code == 403 and refused.json == {"message": "Доступ заборонено"}
    missing = client.get("/api/v1/building/")
    assert missing.status_code == 401 and "msg" not in missing.json
    assert missing.json["message"] == "Спочатку увійдіть: запит не містить токена доступу"
    login_refused = client.post("/api/v1/security/login", json={"username": role})
    assert login_refused.status_code == 400
    assert login_refused.json["message"] == {"password": ["Обовʼязкове поле"]}


def test_api_refusal_in_english_for_english(uk_app):
    from app.views.guard import translate_api_message

    with uk_app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import session

        session["locale"] = "en"
        assert translate_api_message({"date": ["Not a valid date."]}) == {"date": ["Not a valid date: use YYYY-MM-DD"]}


# --- item 2: settings ------------------------------------------------------------------------------
def test_settings_by_name_with_a_comma(uk_app):
    client = login(uk_app.test_client(), "accountant")
    text = visible_text(client.get("/settingview/list/?psize_SettingView=100").get_data(as_text=True))
    assert "Пеня за день, %" in text and "penalty.daily_pct" not in text
    assert "10,5" in text and "10.5" not in text  # social_norm.area_per_household
    assert "0,01" in text


def test_setting_typed_with_a_comma_is_stored_for_the_engine(uk_app):
    from app.extensions import db
    from app.models import Setting

    client = login(uk_app.test_client(), "accountant")
    response = client.post("/settingview/add", data={"key": "penalty.daily_pct", "valid_from": "01.12.2026",
                                                     "value": "0,02"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with uk_app.app_context():
        setting = db.session.query(Setting).filter_by(key="penalty.daily_pct", valid_from=date(2026, 12, 1)).one()
        assert setting.value == "0.02"
        setting_id = setting.id
    form = client.get(f"/settingview/edit/{setting_id}").get_data(as_text=True)
    assert 'value="0,02"' in form
    refused = client.post("/settingview/add", data={"key": "penalty.daily_pct", "valid_from": "02.12.2026",
                                                    "value": "два"})
    assert refused.status_code == 200 and "Це не число: наприклад, 10,5" in refused.get_data(as_text=True)
    with uk_app.app_context():
        assert not db.session.query(Setting).filter_by(key="penalty.daily_pct", valid_from=date(2026, 12, 2)).count()


def test_setting_key_is_chosen_by_name(uk_app):
    from app.billing.settings import DEFAULT_SETTINGS
    from app.views.labels import SETTING_LABELS

    assert set(SETTING_LABELS) == set(DEFAULT_SETTINGS)  # a new setting gets a name
    client = login(uk_app.test_client(), "accountant")
    form = client.get("/settingview/add").get_data(as_text=True)
    assert '<option value="penalty.daily_pct">Пеня за день, %</option>' in form
    refused = client.post("/settingview/add", data={"key": "no.such.key", "valid_from": "03.12.2026", "value": "1"})
    assert refused.status_code == 200 and "no.such.key" not in visible_text(refused.get_data(as_text=True))


def test_setting_by_the_api_with_a_comma(uk_app):
    """Every path stores a number as the engine reads it (the model's rule)."""
    from app.extensions import db
    from app.models import Setting

    with uk_app.app_context():
        db.session.add(Setting(key="invoice.due_day", valid_from=date(2026, 12, 5), value="1 5"))
        db.session.add(Setting(key="reminders.hour", valid_from=date(2026, 12, 5), value="17,0"))
        db.session.commit()
        values = dict(db.session.query(Setting.key, Setting.value).filter(Setting.valid_from == date(2026, 12, 5)))
    assert values == {"invoice.due_day": "15", "reminders.hour": "17.0"}


# --- item 3: warning codes --------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "accountant", "operator"])
def test_billing_warnings_by_label(uk_app, role):
    text = visible_text(login(uk_app.test_client(), role).get("/billing/").get_data(as_text=True))
    assert "Лічильник без показника: обсяг оцінено" in text or "meter_estimated" not in text
    assert "meter_estimated" not in text


# --- item 4: prices ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "accountant", "operator"])
def test_prices_with_two_places(uk_app, role):
    text = visible_text(login(uk_app.test_client(), role).get("/tariffview/list/").get_data(as_text=True))
    assert "38,50" in text and not re.search(r"38,5(?!0)", text)


def test_format_price():
    from app.views.formatting import format_price

    assert [format_price(Decimal(v)) for v in ("38.5", "38.50000", "7.95689", "1.4436", "12", "0.10")] == [
        "38,50", "38,50", "7,95689", "1,4436", "12,00", "0,10"]
    assert format_price(None) == ""


# --- item 5: Kyiv time ------------------------------------------------------------------------------
def test_moments_in_kyiv_time(uk_app):
    from app.views.formatting import format_datetime, format_wall_time

    with uk_app.app_context():
        assert format_datetime(datetime(2026, 11, 2, 22, 30)) == "03.11.2026 00:30"  # winter: UTC+2
        assert format_datetime(datetime(2026, 7, 1, 9, 0), seconds=True) == "01.07.2026 12:00:00"  # summer: UTC+3
        assert format_wall_time(datetime(2026, 11, 2, 22, 30)) == "02.11.2026 22:30"  # typed in: as typed


def test_periods_report_closed_at_in_kyiv(uk_app):
    text = visible_text(login(uk_app.test_client(), "accountant").get("/reports/periods/").get_data(as_text=True))
    assert "2026-11-03 00:30" in text and "2026-11-02 22:30" not in text


def test_billing_run_times_in_kyiv(uk_app):
    text = visible_text(login(uk_app.test_client(), "accountant").get("/billing/").get_data(as_text=True))
    assert "20.11.2026 12:00:00" in text and "20.11.2026 10:00:00" not in text


def test_audit_log_times_in_kyiv_and_codes_by_name(uk_app):
    from app.extensions import db
    from app.models import AuditLog

    with uk_app.app_context():
        entry = db.session.query(AuditLog).order_by(AuditLog.id.desc()).first()
        stamp = entry.at
    from app.views.formatting import format_datetime

    with uk_app.app_context():
        shown = format_datetime(stamp)
    text = visible_text(login(uk_app.test_client(), "admin").get("/auditlogview/list/").get_data(as_text=True))
    assert shown in text
    assert "True" not in text and "building_id" not in text and "meter_type_id" not in text


def test_price_form_shows_two_places(uk_app):
    from app.extensions import db
    from app.models import Tariff

    with uk_app.app_context():
        tariff_id = db.session.query(Tariff.id).filter(Tariff.price == Decimal("38.5")).scalar()
    client = login(uk_app.test_client(), "accountant")
    form = client.get(f"/tariffview/edit/{tariff_id}").get_data(as_text=True)
    assert 'value="38,50"' in form
    shown = visible_text(client.get(f"/tariffview/show/{tariff_id}").get_data(as_text=True))
    assert "38,50" in shown


def test_postgresql_sessions_are_utc():
    """utc_sessions on an application's config alone: a whole create_app here would re-bind the
    process's Celery app to a database that does not exist, and later tests' tasks with it."""
    from types import SimpleNamespace

    from app import utc_sessions

    application = SimpleNamespace(config={"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@127.0.0.1:1/none",
                                          "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}})
    utc_sessions(application)
    options = application.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "-c timezone=UTC" in options["connect_args"]["options"] and options["pool_pre_ping"] is True
    sqlite = SimpleNamespace(config={"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    utc_sessions(sqlite)
    assert "SQLALCHEMY_ENGINE_OPTIONS" not in sqlite.config


def test_every_warning_code_has_a_ukrainian_label(uk_app):
    from app.billing.codes import WARNING_CODES
    from app.views.labels import warning_label

    with uk_app.test_request_context():
        labels = {code: warning_label(code) for code in WARNING_CODES}
    assert all(re.search(r"[а-яіїєґ]{3}", label, re.I) and label != code for code, label in labels.items()), labels


def test_add_forms_and_first_records_are_ukrainian(uk_app):
    """The add form and the first record's card of every list of the admin's menu."""
    client = login(uk_app.test_client(), "admin")
    msgids, codes = fab_page_msgids(), raw_codes()
    problems = {}
    for url in menu_links(client):
        if not url.endswith("/list/"):
            continue
        base = url[:-len("list/")]
        pages = []
        if client.get(f"{base}add").status_code == 200:
            pages.append(f"{base}add")
        listing = client.get(url).get_data(as_text=True)
        shown = re.search(rf'href="({re.escape(base)}show/\d+)', listing)
        if shown:
            pages.append(shown.group(1))
        for page in pages:
            found = _scan(client, page, msgids, codes)
            if found:
                problems[page] = found
    assert not problems, problems


def test_user_and_role_forms_offer_names(uk_app):
    client = login(uk_app.test_client(), "admin")
    form = html.unescape(client.get("/users/add").get_data(as_text=True))
    assert re.search(r'<option value="\d+">Бухгалтер</option>', form)
    form = html.unescape(client.get("/roles/add").get_data(as_text=True))
    assert re.search(r'<option value="\d+">Будинки: переглядати список</option>', form)
    assert "can list" not in form and "menu access on" not in form


def test_login_page_is_ukrainian(uk_app):
    found = _scan(uk_app.test_client(), "/login/", fab_page_msgids(), raw_codes())
    assert not found, found


def test_api_labels_in_ukrainian(uk_app):
    client = uk_app.test_client()
    token = client.post("/api/v1/security/login", json={"username": "accountant", "password": PASSWORD,
                                                        "provider": "db"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    labels = client.get("/api/v1/building/", headers=headers).json["label_columns"]
    assert labels["common_area"] == "Площа МЗК, м²" or re.search(r"[а-яі]{3}", labels["common_area"])
    english = {k: v for k, v in labels.items() if re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)+", v)}
    assert not english, english


def test_every_api_names_its_fields_in_ukrainian(uk_app):
    from app.views.base import OblikApi

    client = uk_app.test_client()
    token = client.post("/api/v1/security/login", json={"username": "admin", "password": PASSWORD, "provider": "db"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    english = {}
    for api in uk_app.appbuilder.baseviews:
        if not isinstance(api, OblikApi) or "get_list" not in (api.include_route_methods or {"get_list"}):
            continue
        response = client.get(f"/api/v1/{api.resource_name}/?q=(page_size:1)", headers=headers)
        assert response.status_code == 200, (api.resource_name, response.json)
        found = {k: v for k, v in response.json["label_columns"].items()
                 if re.fullmatch(r"[A-Z][a-z]+( [A-Za-z]+)*", v) and k not in ("iban",)}
        if found:
            english[api.resource_name] = found
    assert not english, english
