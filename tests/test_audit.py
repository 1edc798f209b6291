"""Журнал змін (issue 8 item 7): who created, changed or deleted which record, when, from where,
with every changed field's old → new value — from a form, the REST API, an import and the
command line alike; the admin's screen with its filters; the «Історія змін» tab of a card;
personal data masked for a role that may not see it; append-only."""
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy import text as sql

from tests.conftest import DATABASE_URL, PASSWORD, login
from tests.test_card_tabs import form_values
from tests.webtools import make_building, text, uid


def entries(app, table, record_id):
    """The audit rows of one record since its creation, oldest first, as plain dicts (changes
    decoded). SQLite reuses the id of a deleted last row: the rows before are another record's."""
    from app.extensions import db
    from app.models import AuditLog

    with app.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.table_name == table, AuditLog.record_id == record_id)
                                  .order_by(AuditLog.id)).all()
        found = [{"username": r.username, "user_id": r.user_id, "source": r.source, "action": r.action,
                  "changes": json.loads(r.changes), "at": r.at} for r in rows]
    starts = [i for i, r in enumerate(found) if r["action"] == "insert"]
    return found[starts[-1]:] if starts else found


def user_id(app, username):
    from app.extensions import current_appbuilder

    with app.app_context():
        return current_appbuilder().sm.find_user(username=username).id


def test_a_form_edit_logs_the_user_the_screen_and_old_and_new(app):
    building_id, _ = make_building(app, address="вул. Стара, 1")
    client = login(app.test_client(), "operator")
    link = f"/buildingview/edit/{building_id}"
    response = client.post(link, data={**form_values(text(client.get(link))), "address": "вул. Нова, 2",
                                       "heat_system_share": "0,07"})
    assert response.status_code == 302, text(response)[:2000]
    created, changed = entries(app, "building", building_id)
    assert created["action"] == "insert" and created["changes"]["address"] == [None, "вул. Стара, 1"]
    assert changed == {**changed, "username": "operator", "user_id": user_id(app, "operator"), "source": "web",
                       "action": "update"}
    # money and shares are exact strings; nothing that did not change is listed
    assert changed["changes"] == {"address": ["вул. Стара, 1", "вул. Нова, 2"],
                                  "heat_system_share": ["0.05", "0.07"]}


def test_an_api_edit_is_logged_from_the_api(app):
    _, premise_id = make_building(app)
    token = app.test_client().post("/api/v1/security/login", json={
        "username": "operator", "password": PASSWORD, "provider": "db"}).json["access_token"]
    response = app.test_client().put(f"/api/v1/premise/{premise_id}", json={"total_area": "41.25"},
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    last = entries(app, "premise", premise_id)[-1]
    assert (last["source"], last["username"], last["action"]) == ("api", "operator", "update")
    assert last["changes"] == {"total_area": ["40.00", "41.25"]}


def test_a_delete_keeps_the_old_values(app):
    from app.extensions import db
    from app.models import Building

    with app.app_context():
        building = Building(code=uid("TD"), address="вул. Знесена, 9", floors=2, imbalance_key="volume")
        db.session.add(building)
        db.session.commit()
        building_id, code = building.id, building.code
    client = login(app.test_client(), "accountant")
    response = client.post(f"/buildingview/delete/{building_id}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Building, building_id) is None
    deleted = entries(app, "building", building_id)[-1]
    assert (deleted["action"], deleted["source"], deleted["username"]) == ("delete", "web", "accountant")
    assert deleted["changes"]["code"] == [code, None]
    assert deleted["changes"]["address"] == ["вул. Знесена, 9", None]
    assert deleted["changes"]["floors"] == [2, None]


def test_a_delete_of_a_record_not_loaded_since_the_commit_keeps_its_values(app):
    from app.extensions import db
    from app.models import Building

    with app.app_context():
        building = Building(code=uid("TX"), address="вул. Прострочена, 3", floors=4, imbalance_key="volume")
        db.session.add(building)
        db.session.commit()  # expires every attribute
        building_id = building.id
        db.session.delete(building)
        db.session.commit()
    deleted = entries(app, "building", building_id)[-1]
    assert deleted["action"] == "delete" and deleted["changes"]["address"] == ["вул. Прострочена, 3", None]
    assert deleted["source"] == "system" or deleted["source"] == "cli"  # no request: a script's write


def test_a_change_of_a_record_not_loaded_since_the_commit_logs_its_old_value(app):
    """A commit expires every attribute; a field set before anything is read again must still be
    logged with the value it had in the database, and no other field with it."""
    from app.extensions import db
    from app.models import Building

    with app.app_context():
        building = Building(code=uid("TE"), address="вул. Перша, 1", floors=4, imbalance_key="volume")
        db.session.add(building)
        db.session.flush()
        building_id = building.id
        db.session.commit()  # expires every attribute
        building.address = "вул. Друга, 2"  # set before anything of it is read again
        building.floors = 0  # zero is a value
        db.session.commit()
        building.floors = None
        db.session.commit()
        building.code = building.code  # read, then set to the same: no change
        db.session.commit()
    created, changed, cleared = entries(app, "building", building_id)
    assert changed["action"] == "update"
    assert changed["changes"] == {"address": ["вул. Перша, 1", "вул. Друга, 2"], "floors": [4, 0]}
    assert cleared["changes"] == {"floors": [0, None]}


def _import(app, kind, csv_text, username="operator"):
    from app.extensions import current_appbuilder, db
    from app.services.imports import actor_for, import_bytes

    with app.app_context():
        actor = actor_for(db.session, current_appbuilder().sm.find_user(username=username))
        _, outcome = import_bytes(kind, csv_text.encode("utf-8"), f"{kind}.csv", actor=actor, channel="web")
        assert not getattr(outcome, "rejected", True), getattr(outcome, "problems", outcome)
        return outcome


def test_an_import_logs_each_row_created_and_each_field_changed(app):
    """The bulk write (COPY / executemany, no ORM) is logged too: inserted readings with their
    new ids, and an account whose e-mail a second file changes."""
    from app.extensions import db
    from app.models import Account, Meter, Reading

    _, premise_id = make_building(app)
    number = uid("AU")
    serial = uid("SN")
    with app.app_context():
        db.session.add(Meter(serial=serial, meter_type_id=db.session.scalar(select(Meter.meter_type_id).limit(1)),
                             building_id=db.session.scalar(sql("SELECT building_id FROM premise WHERE id = :p"),
                                                           {"p": premise_id}),
                             premise_id=premise_id, installed_on=date(2024, 1, 1), initial_reading=Decimal(0)))
        premise = db.session.scalar(sql("SELECT b.code || ';' || p.number FROM premise p JOIN building b "
                                        "ON b.id = p.building_id WHERE p.id = :p"), {"p": premise_id})
        db.session.commit()
    _import(app, "readings", f"serial;date;value;source\n{serial};31.10.2026;12,5;inspector\n"
                             f"{serial};30.11.2026;15,25;inspector\n")
    with app.app_context():
        readings = db.session.execute(select(Reading.id, Reading.value).join(Meter)
                                      .where(Meter.serial == serial).order_by(Reading.date)).all()
    assert len(readings) == 2
    for (reading_id, value), expected in zip(readings, ("12.5", "15.25")):
        (logged,) = entries(app, "reading", reading_id)
        assert (logged["source"], logged["username"], logged["action"]) == ("import", "operator", "insert")
        assert Decimal(logged["changes"]["value"][1]) == Decimal(expected) and logged["changes"]["value"][0] is None
        assert logged["changes"]["date"][1] in ("2026-10-31", "2026-11-30")
    building_code, premise_number = premise.split(";")
    header = "account_number;building_code;number;owner_name;opened_on;email\n"
    _import(app, "accounts", header + f"{number};{building_code};{premise_number};Власник Імпорт;01.01.2025;a@x.ua\n")
    _import(app, "accounts", header + f"{number};{building_code};{premise_number};Власник Імпорт;01.01.2025;b@x.ua\n")
    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.account_number == number))
    created, changed = entries(app, "account", account_id)
    assert created["action"] == "insert" and created["changes"]["owner_name"] == [None, "Власник Імпорт"]
    assert (changed["action"], changed["source"]) == ("update", "import")
    assert changed["changes"] == {"email": ["a@x.ua", "b@x.ua"]}


def test_the_command_line_logs_a_new_user_without_the_password(app, monkeypatch):
    from app.cli import main

    monkeypatch.setenv("OBLIK_DATABASE_URL", DATABASE_URL)
    name = uid("cli").lower()
    result = CliRunner().invoke(main, ["user", "create", "--username", name, "--password", "long-secret-1",
                                       "--role", "operator"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (logged,) = entries(app, "ab_user", user_id(app, name))
    assert (logged["source"], logged["action"]) == ("cli", "insert")
    assert logged["changes"]["username"] == [None, name]
    assert logged["changes"]["password"] == [None, "***"]
    assert logged["changes"]["roles"] == [None, ["operator"]]
    assert "long-secret-1" not in json.dumps(logged, default=str) and "pbkdf2" not in json.dumps(logged, default=str)


def test_a_users_new_roles_and_password_are_logged_without_the_hash(app):
    """A user (ab_user) and their roles (ab_user_role): the roles before and after, the password as ***."""
    from app.extensions import current_appbuilder, db

    name = uid("usr").lower()
    with app.app_context():
        sm = current_appbuilder().sm
        user = sm.add_user(name, "Ім'я", "Прізвище", f"{name}@x.ua", sm.find_role("inspector"), password="x-pass-12345")
        user.roles = [sm.find_role("operator")]
        user.password = "another-hash"
        db.session.commit()
        uid_ = user.id
    changed = entries(app, "ab_user", uid_)[-1]
    assert changed["changes"] == {"roles": [["inspector"], ["operator"]], "password": ["***", "***"]}


# --- the screen ---------------------------------------------------------------------------------------------
def _rows(page):
    """The rows of the list (not of the filter form's table)."""
    body = re.search(r"</thead>(.*?)</table>", page, re.DOTALL)
    return re.findall(r"<tr.*?</tr>", body.group(1), re.DOTALL) if body else []


def test_the_admin_screen_filters_by_table_record_user_action_and_dates(app):
    address = uid("вул. Фільтрова")
    building_id, premise_id = make_building(app, address=f"{address}, 5")
    client = login(app.test_client(), "operator")
    link = f"/buildingview/edit/{building_id}"
    client.post(link, data={**form_values(text(client.get(link))), "address": f"{address}, 6"})
    admin = login(app.test_client(), "admin")
    card = f'href="/buildingview/show/{building_id}"'  # the record, linked to its card

    def mine(query):
        rows = _rows(text(admin.get(f"/auditlogview/list/?{query}")))
        return rows, [r for r in rows if address in r]

    rows, found = mine(f"_flt_3_table_name=building&_flt_0_record_id={building_id}")
    assert len(found) == 2 and rows and all(card in r for r in rows)
    assert any(f"{address}, 5 → {address}, 6" in r for r in found)
    rows, found = mine(f"_flt_3_table_name=building&_flt_0_record_id={building_id}&_flt_3_action=update"
                       "&_flt_3_username=operator")
    assert len(found) == 1 and all("Змінено" in r and "operator" in r for r in rows)
    rows, found = mine(f"_flt_3_table_name=premise&_flt_0_record_id={premise_id}")
    assert rows and not found and all(f'href="/premiseview/show/{premise_id}"' in r for r in rows)
    rows, found = mine(f"_flt_0_record_id={building_id}&_flt_3_table_name=building&_flt_1_at=01.01.2000"
                       "&_flt_2_at=31.12.2099")
    assert len(found) == 2
    rows, found = mine(f"_flt_0_record_id={building_id}&_flt_3_table_name=building&_flt_1_at=01.01.2099")
    assert rows == []


def edited_history(client, view, record_id, **changes) -> str:
    """Edit a record through its form, then open its card: the «Історія змін» tab's table."""
    link = f"/{view}/edit/{record_id}"
    response = client.post(link, data={**form_values(text(client.get(link))), **changes})
    assert response.status_code == 302, text(response)[:2000]
    page = text(client.get(f"/{view}/show/{record_id}"))
    assert 'href="#History"' in page and "Історія змін" in page
    return re.search(r'<div id="History".*?</table>', page, re.DOTALL).group(0)


def test_a_card_has_the_history_tab_with_old_and_new(app):
    building_id, _ = make_building(app, address="вул. Картки, 1")
    tab = edited_history(login(app.test_client(), "operator"), "buildingview", building_id, address="вул. Картки, 2")
    assert "вул. Картки, 1 → вул. Картки, 2" in tab and "operator" in tab and "Екран" in tab


def test_a_new_record_with_a_deleted_ones_id_has_only_its_own_history(app):
    """SQLite gives a new row the id of a deleted last row: the card shows the new record's
    history only (the old one's stays on the audit screen)."""
    from app.extensions import db
    from app.models import Building

    with app.app_context():
        old = Building(code=uid("TO"), address="вул. Колишня, 1", floors=1, imbalance_key="volume")
        db.session.add(old)
        db.session.commit()
        db.session.delete(old)
        db.session.commit()
        new = Building(code=uid("TN"), address="вул. Теперішня, 1", floors=1, imbalance_key="volume")
        db.session.add(new)
        db.session.commit()
        new_id = new.id
    page = text(login(app.test_client(), "operator").get(f"/buildingview/show/{new_id}"))
    tab = re.search(r'<div id="History".*?</table>', page, re.S).group(0)
    assert "вул. Теперішня, 1" in tab and "Колишня" not in tab


def test_the_account_card_has_the_history_tab(app):
    """The account card (its own template) shows the same «Історія змін» table as other cards."""
    from app.extensions import db
    from app.models import Account

    with app.app_context():
        premise_id = db.session.scalar(select(Account.premise_id).where(Account.account_number == "B1-001"))
        account = Account(account_number=uid("HA"), premise_id=premise_id, owner_name="Історичний Перший",
                          opened_on=date(1999, 1, 1), closed_on=date(1999, 12, 31))  # not B1-001's dates
        db.session.add(account)
        db.session.commit()
        account_id = account.id
    tab = edited_history(login(app.test_client(), "admin"), "accountview", account_id, owner_name="Історичний Другий")
    assert "Історичний Перший → Історичний Другий" in tab


@pytest.fixture()
def auditor(app, monkeypatch):
    """A role with the audit screen but without ``PersonalData`` (builtin, like Oblik's own)."""
    from app.extensions import current_appbuilder, db

    with app.app_context():
        sm = current_appbuilder().sm
        monkeypatch.setitem(sm._builtin_roles, "auditor", [("^AuditLog$", "^(can_list|can_show)$")])
        role = sm.find_role("auditor") or sm.add_role("auditor")
        if sm.find_user(username="auditor") is None:
            sm.add_user("auditor", "Ревізор", "Тест", "auditor@x.ua", role, password=PASSWORD)
        db.session.commit()
    return login(app.test_client(), "auditor")


def test_personal_data_is_masked_for_a_role_that_may_not_see_it(app, auditor):
    client = login(app.test_client(), "operator")
    token = app.test_client().post("/api/v1/security/login", json={
        "username": "operator", "password": PASSWORD, "provider": "db"}).json["access_token"]
    response = client.post("/api/v1/resident/", json={"resident_id": uid("RZ"), "full_name": "Таємна Особа",
                                                      "rnokpp": "3183501233", "phone": "+380501112233"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    resident_id = response.json["id"]
    query = f"/auditlogview/list/?_flt_3_table_name=resident&_flt_0_record_id={resident_id}"
    masked = text(auditor.get(query))
    assert _rows(masked), masked[:2000]
    assert "Таємна" not in masked and "3183501233" not in masked and "+380501112233" not in masked
    assert "•••" in masked
    shown = text(login(app.test_client(), "admin").get(query))
    assert "Таємна Особа" in shown and "3183501233" in shown


def test_the_roles_that_may_see_personal_data(app):
    from app.security import PERSONAL_DATA, ROLE_RIGHTS

    assert "can_show" in ROLE_RIGHTS["accountant"][PERSONAL_DATA]
    assert "can_show" in ROLE_RIGHTS["operator"][PERSONAL_DATA]
    assert PERSONAL_DATA not in ROLE_RIGHTS["inspector"]


@pytest.mark.parametrize("role", ["inspector", "operator", "accountant"])
def test_only_the_admin_opens_the_audit_screen(app, role):
    client = login(app.test_client(), role)
    response = client.get("/auditlogview/list/")
    assert response.status_code in (302, 403)
    assert "Журнал змін" not in text(client.get("/"))
    assert login(app.test_client(), "admin").get("/auditlogview/list/").status_code == 200


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log"])
def test_the_audit_log_is_append_only(app, statement):
    from sqlalchemy.exc import DatabaseError

    from app.extensions import db

    with app.app_context():
        with pytest.raises(DatabaseError, match="never updated or deleted"):
            db.session.execute(sql(statement))
        db.session.rollback()
