"""Invoices by e-mail through a real SMTP server on loopback (aiosmtpd in this process, a random
port): one message per consenting account with its PDF; nothing twice on a re-run; temporary
errors retried with back-off, permanent ones failed and shown; the rate limit; the bounce
address and List-Unsubscribe; the unsubscribe link without login; the «Розсилка» screen as
each role (issue 9 §3)."""
import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Account, AuditLog, MailDelivery, MailLock, MailSettings
from app.services.billing import run_billing
from app.services.mail import invoices as mail_invoices
from app.services.mail import outbox
from app.validation.readings import utcnow
from tests.mailserver import MailServer

from .town import OCTOBER, create_town

BOUNCE = "bounces@vodokanal.example"
SENDER = "Водоканал <rakhunky@vodokanal.example>"
# E1-001 … E1-003 of the town; what each agreed to and where it gets mail
CONSENTS = {1: (True, "vlasnyk1@example.ua"), 2: (True, "vlasnyk2@example.ua"), 3: (False, "vlasnyk3@example.ua")}
# flat 1's October: UTR 400,00 + TPV 80,00 + CW 180,00 + imbalance 22,50 + HEAT 10000,00
DUE_FLAT_1 = "10682,50"


@pytest.fixture()
def smtp():
    with MailServer() as server:
        yield server


@pytest.fixture()
def town(bdb, smtp, monkeypatch):
    monkeypatch.setitem(bdb.config, "MAIL_RETRY_SECONDS", 0)
    monkeypatch.setitem(bdb.config, "PUBLIC_URL", "https://oblik.example")
    ids = create_town()
    for flat, (consent, email) in CONSENTS.items():
        account = db.session.get(Account, ids["accounts"][flat])
        account.einvoice_consent, account.email = consent, email
        account.einvoice_consent_on = date(2026, 9, 1) if consent else None
    db.session.add(MailSettings(id=1, server="127.0.0.1", port=smtp.port, security="none", sender=SENDER,
                                bounce_address=BOUNCE, rate_per_minute=6000, enabled=True))
    db.session.commit()
    assert run_billing(user="test").status == "done"
    return ids


def _deliveries():
    db.session.expire_all()
    return {d.account.account_number: d for d in db.session.scalars(select(MailDelivery))}


def _pdf(message):
    [part] = [p for p in message.iter_attachments()]
    assert part.get_content_type() == "application/pdf"
    data = part.get_content()
    assert data.startswith(b"%PDF")
    return part.get_filename(), "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_one_message_per_consenting_account_with_its_invoice(town, smtp, monkeypatch):
    # an account that agreed but has only blanks for an address: nothing for it
    runner = CliRunner()
    monkeypatch.setenv("OBLIK_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    db.session.execute(update(Account).where(Account.id == town["accounts"][3])
                       .values(einvoice_consent=True, email="  ", einvoice_consent_on=date(2026, 9, 1)))
    db.session.commit()
    from app.cli import main

    result = runner.invoke(main, ["invoices", "send", OCTOBER])
    assert result.exit_code == 0, result.output
    assert "Нових листів за 2026-10 поставлено в чергу: 2." in result.output
    assert "Надіслано зараз: 2" in result.output
    assert [m[1] for m in sorted(smtp.messages, key=lambda m: m[1])] == [["vlasnyk1@example.ua"],
                                                                        ["vlasnyk2@example.ua"]]
    deliveries = _deliveries()
    assert sorted(deliveries) == ["E1-001", "E1-002"] and {d.status for d in deliveries.values()} == {"sent"}

    mail_from, _to, message, _at = smtp.handler.to("vlasnyk1@example.ua")[0]
    first = deliveries["E1-001"]
    assert mail_from == BOUNCE  # the envelope sender: bounces come back there
    assert message["From"] == SENDER and message["To"] == "vlasnyk1@example.ua"
    assert message["Message-ID"].strip() == first.message_id  # ours, stored before it was handed over
    assert first.server_reply.startswith("250") and "queued as Q" in first.server_reply
    assert message["Subject"] == "Рахунок за жовтень 2026, о/р E1-001"
    body = message.get_body(("plain",)).get_content()
    assert f"До сплати за жовтень 2026: {DUE_FLAT_1} грн." in body
    link = message["List-Unsubscribe"].strip("<>")
    # the command's own app: the default public address (OBLIK_PUBLIC_URL)
    assert link.startswith("http://127.0.0.1:8080/mail/unsubscribe/") and link in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    name, text = _pdf(message)
    # the invoice's own amount due, as the PDF prints it (a thin space between thousands)
    assert name == "rakhunok-E1-001-2026-10.pdf" and "E1-001" in text
    assert f"{DUE_FLAT_1} грн" in re.sub(r"(?<=\d)[\u2009\u202f\xa0 ](?=\d{3})", "", text)

    # a re-run (the command, the task delivered again, the sweep) sends nothing new
    again = runner.invoke(main, ["invoices", "send", OCTOBER])
    assert again.exit_code == 0 and "поставлено в чергу: 0." in again.output
    assert "Надіслано зараз: 0" in again.output and "Надіслано: 2" in again.output
    outbox.dispatch("invoice", OCTOBER)
    outbox.sweep()
    assert len(smtp.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(MailDelivery)) == 2


def test_a_temporary_error_is_retried_with_back_off(town, smtp, bdb, monkeypatch):
    smtp.handler.temporary = 2  # the first two answers: 451
    monkeypatch.setitem(bdb.config, "MAIL_RETRY_SECONDS", 60)
    assert mail_invoices.queue_period(db.session, OCTOBER) == 2
    result = outbox.send_pending("invoice", OCTOBER)
    assert (result.sent, result.retry) == (0, 2) and smtp.messages == []
    deliveries = _deliveries()
    first = deliveries["E1-001"]
    assert first.status == "retry" and first.attempts == 1 and first.error_code == 451
    assert "Try again later" in first.error
    assert timedelta(seconds=55) <= first.next_attempt_at - first.updated_at <= timedelta(seconds=65)
    # not due yet: a second sender (or the sweep) leaves them alone
    assert outbox.send_pending("invoice", OCTOBER).sent == 0
    assert outbox.sweep()["dispatched"] == []
    # the time has come: the sweep (beat) starts the sender again, and both go
    db.session.execute(update(MailDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert outbox.sweep()["dispatched"] == ["invoice 2026-10"]
    deliveries = _deliveries()
    assert {n: (d.status, d.attempts) for n, d in deliveries.items()} == {"E1-001": ("sent", 2), "E1-002": ("sent", 2)}
    assert len(smtp.messages) == 2
    # a back-off that doubles, up to an hour
    assert [outbox._backoff(n, 60).total_seconds() for n in (1, 2, 3, 7, 8)] == [60, 120, 240, 3600, 3600]


def test_the_server_unreachable_is_a_temporary_error(town, smtp):
    db.session.get(MailSettings, 1).port = smtp.port + 1 if smtp.port < 65535 else 1
    db.session.commit()
    mail_invoices.queue_period(db.session, OCTOBER)
    result = outbox.send_pending("invoice", OCTOBER)
    assert result.sent == 0 and result.retry >= 2 and result.stopped
    assert {d.status for d in _deliveries().values()} == {"retry"}
    db.session.get(MailSettings, 1).port = smtp.port
    db.session.commit()
    assert outbox.send_pending("invoice", OCTOBER).sent == 2


def test_a_permanent_error_fails_and_is_not_retried(town, smtp, web):
    smtp.handler.refuse = {"vlasnyk2@example.ua"}
    mail_invoices.queue_period(db.session, OCTOBER)
    result = outbox.send_pending("invoice", OCTOBER)
    assert (result.sent, result.failed) == (1, 1)
    failed = _deliveries()["E1-002"]
    assert (failed.status, failed.error_code, failed.attempts) == ("failed", 550, 1)
    assert "Mailbox unavailable" in failed.error
    assert outbox.send_pending("invoice", OCTOBER).as_dict()["sent"] == 0
    outbox.sweep()
    assert _deliveries()["E1-002"].attempts == 1 and len(smtp.messages) == 1

    # shown on the screen, with the reason, and resent from there once the mailbox is back
    page = web("operator").get("/mail/?status=failed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mailbox unavailable" in html and "550" in html
    assert "Надіслати ще раз" not in html  # the operator only looks
    assert web("operator").post(f"/mail/resend/{failed.id}").status_code in (302, 403)
    assert _deliveries()["E1-002"].status == "failed"
    smtp.handler.refuse = set()
    accountant = web("accountant")
    assert "Надіслати ще раз" in accountant.get("/mail/?status=failed").get_data(as_text=True)
    answer = accountant.post(f"/mail/resend/{failed.id}", follow_redirects=True)
    assert "знову поставлено в чергу" in answer.get_data(as_text=True)
    assert _deliveries()["E1-002"].status == "sent" and len(smtp.handler.to("vlasnyk2@example.ua")) == 1
    # a sent message is not sent again from the screen
    answer = accountant.post(f"/mail/resend/{failed.id}", follow_redirects=True)
    assert "Надіслати ще раз можна лише" in answer.get_data(as_text=True)
    assert len(smtp.messages) == 2


def test_the_rate_limit_spaces_the_messages(town, smtp):
    db.session.execute(update(Account).values(einvoice_consent=True))
    db.session.get(MailSettings, 1).rate_per_minute = 120  # one every 0,5 s
    db.session.commit()
    mail_invoices.queue_period(db.session, OCTOBER)
    assert outbox.send_pending("invoice", OCTOBER).sent == 3
    arrivals = sorted(m[3] for m in smtp.messages)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.45, gaps


def test_the_unsubscribe_link_without_login(town, smtp, bdb):
    mail_invoices.send_period(db.session, OCTOBER)
    message = smtp.handler.to("vlasnyk1@example.ua")[0][2]
    path = message["List-Unsubscribe"].strip("<>").removeprefix("https://oblik.example")
    anonymous = bdb.test_client()
    page = anonymous.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "vl••••••@example.ua" in html and "вул. Енергетиків, 1" in html
    assert "vlasnyk1" not in html and "Власник" not in html  # nothing more of the account
    assert "Більше не надсилати рахунки e-mail" in html
    # tampered, foreign or garbage tokens: a clear Ukrainian page, never a 500
    token = path.rsplit("/", 1)[1]
    forged = mail_invoices.unsubscribe_token(town["accounts"][2])[:-2] + "xx"
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "abc", "%00", "x" * 500):
        answer = anonymous.get(f"/mail/unsubscribe/{bad}")
        assert answer.status_code == 404 and "Це посилання недійсне" in answer.get_data(as_text=True), bad
        assert anonymous.post(f"/mail/unsubscribe/{bad}").status_code == 404
    assert db.session.get(Account, town["accounts"][1]).einvoice_consent is True

    done = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "більше не надсилатимуться" in done.get_data(as_text=True)
    db.session.expire_all()
    account = db.session.get(Account, town["accounts"][1])
    assert account.einvoice_consent is False and account.einvoice_consent_on == date.today()
    [log] = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account",
                                                      AuditLog.record_id == account.id,
                                                      AuditLog.username == "unsubscribe link")).all()
    assert log.source == "web" and "einvoice_consent" in log.changes
    # the next month's mailing leaves it out; a message queued before the click is skipped
    assert [a for a, _e in mail_invoices.consenting(db.session, "2026-11")] == [town["accounts"][2]]
    outbox.queue(db.session, "invoice", "2026-11", [(account.id, "vlasnyk1@example.ua")])
    assert outbox.send_pending("invoice", "2026-11").skipped == 1
    assert len(smtp.handler.to("vlasnyk1@example.ua")) == 1


def test_mail_screen_as_each_role(town, smtp, web):
    mail_invoices.send_period(db.session, OCTOBER)
    for role in ("admin", "accountant", "operator"):
        page = web(role).get(f"/mail/?period={OCTOBER}&kind=invoice&account=E1-001")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Розсилка" in html and "vlasnyk1@example.ua" in html, role
        assert "vlasnyk2@example.ua" not in html
        assert 'data-status="sent">Надіслано: 1' in html
    inspector = web("inspector")
    for path in ("/mail/", "/mail/settings"):
        assert inspector.get(path).status_code in (302, 403)
    assert web("operator").get("/mail/settings").status_code in (302, 403)
    assert web("operator").post("/mail/send", data={"period": OCTOBER}).status_code in (302, 403)
    assert inspector.post("/mail/send", data={"period": OCTOBER}).status_code in (302, 403)
    assert "Надіслати рахунки" not in web("operator").get("/mail/").get_data(as_text=True)

    accountant = web("accountant")
    answer = accountant.post("/mail/send", data={"period": "2026-13"}, follow_redirects=True)
    assert "Період «2026-13»" in answer.get_data(as_text=True)
    answer = accountant.post("/mail/send", data={"period": OCTOBER}, follow_redirects=True)
    assert "нових листів у черзі — 0" in answer.get_data(as_text=True) and len(smtp.messages) == 2
    # the log is paged: never more than a page of rows
    assert "page=1" not in accountant.get("/mail/").get_data(as_text=True)
    assert accountant.get("/mail/?status=nonsense&kind=x&period=<b>").status_code == 200
    assert accountant.get("/mail/?page=abc").status_code == 400  # the request guard's answer


def test_mail_settings_form_and_test_message(town, smtp, web):
    accountant = web("accountant")
    page = accountant.get("/mail/settings")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Налаштування пошти" in html and str(smtp.port) in html
    bad = accountant.post("/mail/settings", data={"server": "smtp example", "port": "99999", "security": "tls",
                                                  "sender": "nobody", "rate_per_minute": "0", "enabled": "1"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for name in ("server", "port", "security", "sender", "rate_per_minute"):
        assert f'class="help-block error-{name}"' in html, name
    assert "Ціле число від 1 до 65535" in html and "Адреса e-mail" in html
    assert db.session.get(MailSettings, 1).port == smtp.port  # nothing stored
    good = accountant.post("/mail/settings", data={"server": "127.0.0.1", "port": str(smtp.port), "security": "none",
                                                   "sender": SENDER, "bounce_address": BOUNCE,
                                                   "rate_per_minute": "600", "password": "s3cret", "enabled": "1"},
                           follow_redirects=True)
    assert good.status_code == 200 and "Налаштування пошти збережено" in good.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(MailSettings, 1)
    assert (stored.rate_per_minute, stored.password, stored.updated_by) == (600, "s3cret", "accountant")
    assert "s3cret" not in accountant.get("/mail/settings").get_data(as_text=True)

    sent = accountant.post("/mail/test", data={"to": "checker@example.ua"}, follow_redirects=True)
    assert "Тестовий лист надіслано" in sent.get_data(as_text=True)
    [(mail_from, to, message, _at)] = smtp.messages
    assert (mail_from, to, message["Subject"]) == (BOUNCE, ["checker@example.ua"], "Облік: тестовий лист")
    refused = accountant.post("/mail/test", data={"to": "not an address"})
    assert refused.status_code == 400 and 'class="help-block error-to"' in refused.get_data(as_text=True)
    # switched off: nothing leaves, the messages wait queued
    accountant.post("/mail/settings", data={"server": "127.0.0.1", "port": str(smtp.port), "rate_per_minute": "600"})
    assert db.session.get(MailSettings, 1).enabled is False
    mail_invoices.send_period(db.session, OCTOBER)
    assert {d.status for d in _deliveries().values()} == {"queued"} and len(smtp.messages) == 1
    assert "вимкнено" in accountant.get("/mail/").get_data(as_text=True)


def test_one_sender_at_a_time_and_a_dead_senders_message_is_unknown(town, smtp):
    """A second sender (the task delivered twice, the command run again) finds the lock held and
    sends nothing; a lock gone silent belonged to a sender that died: the next sender takes it,
    marks what it left «sending» unknown — never sent again by itself — and sends the rest."""
    assert mail_invoices.queue_period(db.session, OCTOBER) == 2
    first, second = sorted(_deliveries().values(), key=lambda d: d.account_id)
    now = utcnow().replace(microsecond=0)
    db.session.add(MailLock(kind="invoice", period=OCTOBER, holder="host:1:dead", acquired_at=now, heartbeat_at=now))
    db.session.execute(update(MailDelivery).where(MailDelivery.id == first.id)
                       .values(status="sending", attempts=1, message_id="<in-flight@vodokanal.example>"))
    db.session.commit()
    busy = outbox.send_pending("invoice", OCTOBER)
    assert busy.busy and busy.sent == 0 and smtp.messages == []
    assert outbox.sweep()["dispatched"] == []  # alive: the sweep leaves it alone

    db.session.execute(update(MailLock).values(heartbeat_at=now - timedelta(minutes=5)))  # silent
    db.session.commit()
    result = outbox.send_pending("invoice", OCTOBER)
    assert (result.busy, result.sent, result.unknown) == (False, 1, 1)
    deliveries = _deliveries()
    assert deliveries["E1-001"].status == "unknown" and deliveries["E1-001"].message_id == "<in-flight@vodokanal.example>"
    assert "Message-ID" in deliveries["E1-001"].error
    assert deliveries["E1-002"].status == "sent" and [m[1] for m in smtp.messages] == [["vlasnyk2@example.ua"]]
    assert db.session.scalar(select(func.count()).select_from(MailLock)) == 0  # given back
    assert outbox.send_pending("invoice", OCTOBER).sent == 0 and len(smtp.messages) == 1
    # a person checked the server's log: not delivered — resent from the screen
    assert outbox.resend(db.session, deliveries["E1-001"].id, "accountant")
    assert outbox.send_pending("invoice", OCTOBER).sent == 1
    assert sorted(a for m in smtp.messages for a in m[1]) == ["vlasnyk1@example.ua", "vlasnyk2@example.ua"]
