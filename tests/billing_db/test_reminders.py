"""Reading reminders (issue 9 §4) on the billing town of ``town.py``: who is reminded for a month
(worked cases), what the message lists, the personal link (month's end in Kyiv, tampering), the
public page (the same rules as the form, replacement, source ``online``, audit, rate limit)."""
from datetime import date, datetime
from decimal import Decimal as D
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from .town import LONG_AGO, create_town

KYIV = ZoneInfo("Europe/Kyiv")
NOVEMBER = "2026-11"


def _town():
    """E1 of town.py for November 2026, with:

        flat 1  e-mail  meters E1-CW-1 (read 01.11 — the month's first day) and E1-CW-1B (not read)
        flat 2  e-mail  meter E1-CW-2 read 30.11 (the month's last day)
        flat 3  no e-mail, E1-CW-3 not read
        flat 4  e-mail, a meter E1-CW-4 not read, but no metered service (only UTR by area)
    """
    from app.extensions import db
    from app.models import Account, AccountService, Meter, MeterType, Premise, Reading

    ids = create_town(open_period=False)
    session = db.session
    cold = session.scalar(select(MeterType).where(MeterType.code == "CW15"))
    accounts = {n: session.get(Account, ids["accounts"][n]) for n in (1, 2, 3)}
    accounts[1].email = "flat1@example.com"
    accounts[2].email = " flat2@example.com "
    extra = Meter(serial="E1-CW-1B", meter_type=cold, building_id=ids["building"], premise_id=ids["premises"][1],
                  installed_on=LONG_AGO, initial_reading=D(0))
    session.add(extra)
    session.add_all([
        Reading(meter_id=ids["meters"][1], date=date(2026, 11, 1), value=D(110), source="inspector"),
        Reading(meter_id=ids["meters"][2], date=date(2026, 11, 30), value=D(55), source="inspector"),
    ])
    premise = Premise(building_id=ids["building"], number="4", kind="apartment", total_area=D(30),
                      heated_area=D(30), heating="central")
    session.add(premise)
    session.flush()
    account4 = Account(account_number="E1-004", premise_id=premise.id, owner_name="Власник 4",
                       opened_on=LONG_AGO, email="flat4@example.com")
    session.add(account4)
    session.flush()
    session.add(AccountService(account_id=account4.id, service_id=ids["services"]["UTR"], date_from=LONG_AGO))
    session.add(Meter(serial="E1-CW-4", meter_type=cold, building_id=ids["building"], premise_id=premise.id,
                      installed_on=LONG_AGO, initial_reading=D(0)))
    session.commit()
    ids["accounts"][4] = account4.id
    ids["meters"]["1B"] = extra.id
    return ids


def test_who_is_reminded_for_a_month(bdb):
    from app.extensions import db
    from app.models import Reading
    from app.services import reminders

    ids = _town()
    # flat 1 only: flat 2 read on the last day, flat 3 has no address, flat 4 no metered service
    assert reminders.due_accounts(db.session, NOVEMBER) == [(ids["accounts"][1], "flat1@example.com")]

    # the month's bounds: a reading of 31.10 or 01.12 is not November's
    reading = db.session.scalar(select(Reading).where(Reading.meter_id == ids["meters"][2],
                                                     Reading.date == date(2026, 11, 30)))
    for outside in (date(2026, 10, 31), date(2026, 12, 1)):
        reading.date = outside if outside.month == 12 else date(2026, 10, 30)
        db.session.commit()
        assert [a for a, _ in reminders.due_accounts(db.session, NOVEMBER)] == [ids["accounts"][1], ids["accounts"][2]]
    # an estimate is no reading
    reading.date, reading.source = date(2026, 11, 15), "estimate"
    db.session.commit()
    assert ids["accounts"][2] in [a for a, _ in reminders.due_accounts(db.session, NOVEMBER)]
    # flat 1's second meter read: flat 1 is no longer due
    db.session.add(Reading(meter_id=ids["meters"]["1B"], date=date(2026, 11, 30), value=D(1), source="inspector"))
    db.session.commit()
    assert ids["accounts"][1] not in [a for a, _ in reminders.due_accounts(db.session, NOVEMBER)]


def test_the_message_lists_the_meters_not_read_with_their_last_reading(bdb):
    from app.extensions import db
    from app.services import reminders

    ids = _town()
    deliveries = [SimpleNamespace(id=7, kind="reminder", account_id=ids["accounts"][1], period=NOVEMBER,
                                  recipient="flat1@example.com"),
                  SimpleNamespace(id=8, kind="reminder", account_id=ids["accounts"][2], period=NOVEMBER,
                                  recipient="flat2@example.com")]
    composed = reminders.compose(db.session, deliveries)
    assert composed[8] is None  # flat 2 read everything meanwhile: nothing to send
    message = composed[7]
    assert message.to == "flat1@example.com"
    assert message.subject == "Передайте показники лічильників за листопад 2026"
    assert "• № E1-CW-1B, Холодна вода: ще немає показників" in message.text
    assert "E1-CW-1," not in message.text  # read on 01.11: not listed
    assert "вул. Енергетиків, 1, кв. 1" in message.text and "E1-001" in message.text
    assert "до 30.11.2026" in message.text
    token = message.text.split(reminders.LINK_PATH, 1)[1].split()[0]
    november = datetime(2026, 11, 20, 12, tzinfo=KYIV)
    assert reminders.read_link(token, now=november) == (ids["accounts"][1], NOVEMBER)

    # the last reading and its date of a meter read before
    page = reminders.page(db.session, ids["accounts"][3], NOVEMBER)
    assert [(m.serial, m.last_value, m.last_date, m.read_this_month) for m in page.meters] == [
        ("E1-CW-3", D(200), date(2026, 9, 30), False)]
    assert page.meters[0].text() == "• № E1-CW-3, Холодна вода: останній показник 200 на 30.09.2026"


def test_the_link_expires_at_the_months_end_in_kyiv_and_refuses_tampering(bdb):
    from app.services import reminders

    token = reminders.link_token(5, NOVEMBER)
    last_moment = datetime(2026, 11, 30, 23, 59, 59, tzinfo=KYIV)
    assert reminders.read_link(token, now=last_moment) == (5, NOVEMBER)
    # 30.11 22:30 UTC is already 01.12 00:30 in Kyiv: expired
    with pytest.raises(reminders.LinkRefused) as refused:
        reminders.read_link(token, now=datetime(2026, 11, 30, 22, 30, tzinfo=ZoneInfo("UTC")))
    assert refused.value.code == 410 and "листопад 2026" in refused.value.message
    # next month's link is not valid yet
    with pytest.raises(reminders.LinkRefused) as refused:
        reminders.read_link(reminders.link_token(5, "2026-12"), now=last_moment)
    assert refused.value.code == 404 and "ще не діє" in refused.value.message
    # another account's number in the payload, the signature kept: refused
    forged = reminders._serializer().dump_payload({"a": 6, "p": NOVEMBER}).decode() + "." + token.rsplit(".", 1)[1]
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", ""):
        with pytest.raises(reminders.LinkRefused) as refused:
            reminders.read_link(bad, now=last_moment)
        assert refused.value.code == 404
    # another application's key: refused
    bdb.config["SECRET_KEY"], key = "another-key", bdb.config["SECRET_KEY"]
    try:
        with pytest.raises(reminders.LinkRefused):
            reminders.read_link(token, now=last_moment)
    finally:
        bdb.config["SECRET_KEY"] = key


def _link(account_id, period=None):
    from app.services import reminders

    return reminders.LINK_PATH + reminders.link_token(account_id, period or reminders.current_period())


def _online_town():
    """This month's link of flat 1 (two meters), whose E1-CW-1 was last read 31.10.2026: 106."""
    from app.extensions import db
    from app.models import Account

    ids = create_town(open_period=False)
    from app.models import Meter, MeterType

    cold = db.session.scalar(select(MeterType).where(MeterType.code == "CW15"))
    extra = Meter(serial="E1-CW-1B", meter_type=cold, building_id=ids["building"], premise_id=ids["premises"][1],
                  installed_on=LONG_AGO, initial_reading=D(0))
    db.session.add(extra)
    db.session.get(Account, ids["accounts"][1]).email = "flat1@example.com"
    db.session.commit()
    ids["meters"]["1B"] = extra.id
    return ids


def test_the_page_shows_only_the_accounts_meters_and_checks_as_the_form_does(bdb, web):
    from app.extensions import db
    from app.models import AuditLog, Reading
    from app.services.reminders import local_now

    ids = _online_town()
    client = bdb.test_client()  # no sign-in
    link = _link(ids["accounts"][1])
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"
    text = page.get_data(as_text=True)
    assert "E1-001" in text and "вул. Енергетиків, 1, кв. 1" in text
    assert "E1-CW-1" in text and "E1-CW-1B" in text and "106" in text and "31.10.2026" in text
    assert "E1-CW-2" not in text and "E1-002" not in text and "Власник" not in text

    # below the last reading: refused with the reading form's own message, next to the field
    meter = ids["meters"][1]
    refused = client.post(link, data={f"meter-{meter}": "100"})
    assert refused.status_code == 400
    message = "Показник 100 менший за попередній (106 на 31.10.2026)"
    assert message in refused.get_data(as_text=True)
    assert f'id="error-{meter}"' in refused.get_data(as_text=True)
    # the same message on the readings form of an operator
    operator = web("operator")
    form = operator.post("/readingview/add", data={"meter": meter, "date": local_now().strftime("%d.%m.%Y"),
                                                   "value": "100", "source": "inspector"})
    assert message in form.get_data(as_text=True)
    # nothing half-written: the good value of the other meter was not stored either
    client.post(link, data={f"meter-{meter}": "100", f"meter-{ids['meters']['1B']}": "5"})
    assert db.session.scalar(select(Reading).where(Reading.source == "online")) is None

    saved = client.post(link, data={f"meter-{meter}": "112,5", f"meter-{ids['meters']['1B']}": ""})
    assert saved.status_code == 302
    reading = db.session.scalar(select(Reading).where(Reading.meter_id == meter, Reading.source == "online"))
    assert (reading.value, reading.date, reading.entered_by) == (D("112.5"), local_now().date(), "online:E1-001")
    log = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "reading", AuditLog.record_id == reading.id))
    assert (log.source, log.username, log.action) == ("online", "online:E1-001", "insert")
    thanks = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Дякуємо! Показники отримано (1)." in thanks

    # a second submission this month replaces the online reading: one online reading, the new value
    again = client.post(link, data={f"meter-{meter}": "113"})
    assert again.status_code == 302
    db.session.expire_all()
    online = db.session.scalars(select(Reading).where(Reading.meter_id == meter, Reading.source == "online")).all()
    assert [(r.id, r.value) for r in online] == [(reading.id, D(113))]
    # the inspector's reading of 31.10 is untouched
    assert db.session.scalar(select(Reading.value).where(Reading.meter_id == meter,
                                                         Reading.date == date(2026, 10, 31))) == D(106)


def test_a_foreign_meter_or_a_bad_number_is_refused(bdb):
    from app.extensions import db
    from app.models import Reading

    ids = _online_town()
    client = bdb.test_client()
    link = _link(ids["accounts"][1])
    foreign = client.post(link, data={f"meter-{ids['meters'][2]}": "60"})  # flat 2's meter
    assert foreign.status_code == 403
    assert "не можна використати для цього лічильника" in foreign.get_data(as_text=True)
    assert client.post(link, data={"meter-abc": "1"}).status_code == 403
    bad = client.post(link, data={f"meter-{ids['meters'][1]}": "12,5,1"})
    assert bad.status_code == 400 and "Невірне число" in bad.get_data(as_text=True)
    empty = client.post(link, data={f"meter-{ids['meters'][1]}": " "})
    assert empty.status_code == 400 and "хоча б одного лічильника" in empty.get_data(as_text=True)
    assert db.session.scalar(select(Reading).where(Reading.source == "online")) is None
    # an expired link (last month's) and a tampered one: clear pages
    expired = client.get(_link(ids["accounts"][1], "2026-10"))
    assert expired.status_code == 410 and "Термін дії цього посилання минув" in expired.get_data(as_text=True)
    assert client.get(link[:-3] + "xyz").status_code == 404


def test_requests_are_limited_per_link_and_per_address(bdb):
    ids = _online_town()
    saved = {key: bdb.config.get(key) for key in ("ONLINE_READINGS_PER_LINK", "ONLINE_READINGS_PER_IP")}
    bdb.config.update(ONLINE_READINGS_PER_LINK=3, ONLINE_READINGS_PER_IP=5)
    try:
        client = bdb.test_client()
        link = _link(ids["accounts"][1])
        assert [client.get(link).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert "Забагато запитів" in client.get(link).get_data(as_text=True)
        # another link from the same address: 5 per address (this address made 5 requests already)
        other = _link(ids["accounts"][2])
        assert client.get(other).status_code == 429
        # another address, the first link: still over its own limit
        assert client.get(link, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429
        assert client.get(other, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    finally:
        bdb.config.update(saved)


def test_the_billing_change_trigger_fires_for_an_online_reading_after_the_migration(bdb):
    """0016 copies ``reading`` on SQLite (its CHECK of sources): the change log's triggers came back."""
    from app.extensions import db
    from app.models import BillingBuilding, BillingChange, BillingRun, Reading

    ids = _online_town()
    run = BillingRun(period="2026-10", status="done", started_by="t")
    db.session.add(run)
    db.session.flush()
    db.session.add(BillingBuilding(run_id=run.id, building_id=ids["building"], period="2026-10"))
    db.session.commit()
    before = db.session.query(BillingChange).count()
    db.session.add(Reading(meter_id=ids["meters"][2], date=date(2026, 11, 3), value=D(51), source="online"))
    db.session.commit()
    changes = db.session.scalars(select(BillingChange).order_by(BillingChange.id.desc())).all()
    assert len(changes) == before + 1
    assert (changes[0].building_id, changes[0].day, changes[0].source) == (ids["building"], date(2026, 11, 3), "reading")


def test_a_reminder_arrives_once_through_smtp_with_a_working_link(bdb, web):
    """The outbox on a real SMTP server on loopback (aiosmtpd): flats 1 and 2 (with an address,
    no reading this month) get one reminder each; a second run sends nothing; the link works."""
    from app.extensions import db
    from app.models import Account, MailDelivery
    from app.services import reminders
    from tests.mailserver import MailServer

    ids = create_town(open_period=False)
    db.session.get(Account, ids["accounts"][1]).email = "flat1@example.com"
    db.session.get(Account, ids["accounts"][2]).email = "flat2@example.com"
    db.session.commit()
    keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_RATE_PER_MINUTE", "PUBLIC_URL")
    saved = {key: bdb.config.get(key) for key in keys}
    with MailServer() as server:
        bdb.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_RATE_PER_MINUTE=6000,
                          PUBLIC_URL="https://oblik.example.ua/")
        try:
            first = reminders.send(db.session)
            assert (first.due, first.queued) == (2, 2)
            again = reminders.send(db.session)
            assert (again.due, again.queued) == (2, 0)
        finally:
            bdb.config.update(saved)
        assert sorted(m[1][0] for m in server.messages) == ["flat1@example.com", "flat2@example.com"]
    statuses = db.session.execute(select(MailDelivery.account_id, MailDelivery.kind, MailDelivery.status)
                                  .order_by(MailDelivery.account_id)).all()
    assert statuses == [(ids["accounts"][1], "reminder", "sent"), (ids["accounts"][2], "reminder", "sent")]
    message = server.handler.to("flat1@example.com")[0][2]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"].startswith("Передайте показники лічильників за ")
    assert "• № E1-CW-1, Холодна вода: останній показник 106 на 31.10.2026" in body
    link = next(word for word in body.split() if word.startswith("https://oblik.example.ua/readings/online/"))
    page = bdb.test_client().get(link.removeprefix("https://oblik.example.ua"))
    assert page.status_code == 200 and "E1-001" in page.get_data(as_text=True)
    assert "E1-CW-2" not in page.get_data(as_text=True)
    # the delivery log of «Розсилка» shows the reminders
    log = web("accountant").get(f"/mail/?kind=reminder&period={first.period}").get_data(as_text=True)
    assert "flat1@example.com" in log and "flat2@example.com" in log and "E1-001" in log
    invoices = web("accountant").get(f"/mail/?kind=invoice&period={first.period}").get_data(as_text=True)
    assert "flat1@example.com" not in invoices


def test_the_schedule_from_the_day_and_hour_of_the_settings(bdb):
    from app.extensions import db
    from app.models import Setting
    from app.services import reminders

    def at(day, hour, month=11):
        return reminders.is_time(db.session, datetime(2026, month, day, hour, 5, tzinfo=KYIV))

    # the defaults: from the 20th at 18:00 Kyiv time
    assert (at(19, 23), at(20, 17), at(20, 18), at(21, 0), at(30, 23)) == (False, False, True, True, True)
    # 17:30 UTC on the 20th is 19:30 in Kyiv
    assert reminders.is_time(db.session, datetime(2026, 11, 20, 17, 30, tzinfo=ZoneInfo("UTC")))
    # day 31 in a month of 30 days: the last day
    db.session.add(Setting(key="reminders.day", valid_from=date(2026, 11, 1), value="31"))
    db.session.commit()
    assert (at(29, 23), at(30, 18)) == (False, True)
    db.session.add(Setting(key="reminders.day", valid_from=date(2026, 11, 15), value="0"))  # off
    db.session.commit()
    assert at(30, 23) is False


def test_the_beat_task_and_the_command_queue_once(bdb, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main
    from app.extensions import db
    from app.models import Account, MailDelivery
    from app.services import reminders
    from app.tasks.reminders import check_reminders

    ids = create_town(open_period=False)
    db.session.get(Account, ids["accounts"][3]).email = "flat3@example.com"
    db.session.commit()
    sent = []
    monkeypatch.setattr("app.services.mail.outbox.dispatch", lambda kind, period, user=None: sent.append(period))
    monkeypatch.setattr(reminders, "is_time", lambda session, now=None: False)
    assert check_reminders.delay().get() == {"sent": False}
    assert db.session.query(MailDelivery).count() == 0
    monkeypatch.setattr(reminders, "is_time", lambda session, now=None: True)
    assert check_reminders.delay().get()["queued"] == 1
    monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])
    result = CliRunner().invoke(main, ["reminders", "send", "--period", reminders.current_period()])
    assert result.exit_code == 0, result.output
    assert "до нагадування 1, поставлено в чергу 0" in result.output
    bad = CliRunner().invoke(main, ["reminders", "send", "--period", "2026-13"])
    assert bad.exit_code == 2 and "РРРР-ММ" in bad.output
    assert db.session.query(MailDelivery).count() == 1 and len(sent) == 2


def test_a_cross_site_post_without_the_forms_token_is_refused(bdb):
    from app.extensions import db
    from app.models import Reading
    from tests.conftest import make_app

    ids = _online_town()
    link = _link(ids["accounts"][1])
    guarded = make_app(SQLALCHEMY_DATABASE_URI=bdb.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    assert client.get(link).status_code == 200
    refused = client.post(link, data={f"meter-{ids['meters'][1]}": "120"})
    assert refused.status_code == 400
    assert db.session.scalar(select(Reading).where(Reading.source == "online")) is None
    with guarded.app_context():
        db.session.remove()
        db.engine.dispose()
