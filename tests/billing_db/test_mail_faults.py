"""Faults of the invoices' mailing on the real services (issue 9 §3, «Done when»): PostgreSQL, a
Redis broker, real Celery worker processes (tests/billing_db/test_faults.py's), and a real SMTP
server on loopback in this process (aiosmtpd) that counts every message it received.

* A worker SIGKILLed in the middle of a batch — at the worst moment, while the server holds a
  message the worker handed over and has not answered yet — and another worker started: every
  account gets its invoice exactly once in total. The message in flight is not sent again: it is
  ``unknown`` (its Message-ID is the one the server received, for a person to check).
* Every connection to the database terminated (what a PostgreSQL restart does) the moment the
  server accepted a message: the worker's next statement reconnects (``pool_pre_ping``), records
  it as sent and goes on; each message once. (A database that stays away longer leaves the
  message in flight: ``unknown``, as after the SIGKILL.)
* Redis killed and started again (empty) during a mailing: the sender goes on (it needs the
  broker only to be started), a mailing queued while the broker was away is started by the
  sweep once it is back; everything exactly once.

Skipped unless ``OBLIK_TEST_DATABASE_URL`` names PostgreSQL and ``OBLIK_TEST_BROKER_URL`` a
Redis, like the other fault tests.
"""
import os
import shutil
import threading
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Building, MailDelivery, MailSettings, Premise
from app.services.mail import invoices as mail_invoices
from tests.mailserver import MailServer

from .test_faults import BROKER, Redis, wait_for, workers  # noqa: F401 — workers: the fixture
from .town import OCTOBER, create_town

pytestmark = pytest.mark.skipif(
    not (os.environ.get("OBLIK_TEST_DATABASE_URL", "").startswith("postgresql") and BROKER.startswith("redis")),
    reason="fault tests need OBLIK_TEST_DATABASE_URL (PostgreSQL) and OBLIK_TEST_BROKER_URL (Redis), as .ci/run")

EXTRA = 11  # E1's three flats and eleven more accounts: fourteen messages, twelve consenting


@pytest.fixture()
def smtp():
    with MailServer() as server:
        yield server


def _town(smtp):
    ids = create_town()
    for flat in (1, 2):
        account = db.session.get(Account, ids["accounts"][flat])
        account.einvoice_consent, account.email, account.einvoice_consent_on = True, f"e1-{flat}@example.ua", \
            date(2026, 9, 1)
    building = db.session.get(Building, ids["building"])
    for n in range(EXTRA):
        premise = Premise(building=building, number=str(10 + n), total_area=30, heated_area=30)
        db.session.add_all([premise, Account(account_number=f"E1-{10 + n:03d}", premise=premise, owner_name="Власник",
                                             opened_on=date(2020, 1, 1), email=f"extra-{n}@example.ua",
                                             einvoice_consent=n != 0, einvoice_consent_on=date(2026, 9, 1))])
    db.session.add(MailSettings(id=1, server="127.0.0.1", port=smtp.port, sender="rakhunky@vodokanal.example",
                                rate_per_minute=600, enabled=True))  # one every 0,1 s: a batch takes a while
    db.session.commit()
    return sorted(mail_invoices.consenting(db.session, OCTOBER))


def _deliveries(period=OCTOBER):
    db.session.expire_all()
    return {d.recipient: d for d in db.session.scalars(select(MailDelivery).where(MailDelivery.period == period))}


def _settled(period=OCTOBER):
    try:
        statuses = {d.status for d in _deliveries(period).values()}
    except sa.exc.DBAPIError:  # this process's connection was terminated too: the next try reconnects
        db.session.remove()
        return False
    return statuses and not statuses & {"queued", "sending", "retry"}


def test_a_worker_sigkilled_in_the_middle_of_a_batch(bdb, workers, smtp):  # noqa: F811
    expected = _town(smtp)
    assert len(expected) == 12
    first = workers("first")
    killed = threading.Event()

    def kill_at_the_fifth(message):  # the server holds the fifth message and has not answered yet
        if len(smtp.messages) == 4 and not killed.is_set():
            killed.set()
            first.kill()

    smtp.handler.on_message = kill_at_the_fifth
    assert mail_invoices.send_period(db.session, OCTOBER) == 12
    wait_for(killed.is_set, 60, "the worker to be killed in the middle of the batch", first)
    deliveries = _deliveries()
    assert Counter(d.status for d in deliveries.values()) == {"sent": 4, "sending": 1, "queued": 7}

    second = workers("second")  # its beat sweeps: the silent lock dropped, the mailing resumed
    wait_for(_settled, 60, "the mailing to be resumed and finished", second)
    received = Counter(address for m in smtp.messages for address in m[1])
    assert received == Counter({address: 1 for _id, address in expected})  # each exactly once in total
    deliveries = _deliveries()
    assert Counter(d.status for d in deliveries.values()) == {"sent": 11, "unknown": 1}
    [unknown] = [d for d in deliveries.values() if d.status == "unknown"]
    assert "Message-ID" in unknown.error and unknown.attempts == 1
    [in_flight] = [m[2] for m in smtp.messages if unknown.recipient in m[1]]
    assert in_flight["Message-ID"].strip() == unknown.message_id  # what a person looks for in the server's log
    assert {d.attempts for d in deliveries.values()} == {1}


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server to start")
def test_redis_restarted_during_a_mailing(bdb, workers, smtp, tmp_path):  # noqa: F811
    expected = _town(smtp)
    redis = Redis(tmp_path)
    try:
        worker = workers("worker", redis.url)
        restarted = threading.Event()

        def restart_at_the_third(message):
            if len(smtp.messages) == 2 and not restarted.is_set():
                restarted.set()
                redis.kill()

        smtp.handler.on_message = restart_at_the_third
        assert mail_invoices.send_period(db.session, OCTOBER) == 12
        wait_for(restarted.is_set, 60, "Redis to be killed during the mailing", worker)
        # the broker away: the next month's mailing is queued, its task lost — the database keeps it
        assert mail_invoices.send_period(db.session, "2026-11") == 12
        redis.start()
        wait_for(lambda: _settled(OCTOBER) and _settled("2026-11"), 90, "both mailings to finish", worker)
        received = Counter(address for m in smtp.messages for address in m[1])
        assert received == Counter({address: 2 for _id, address in expected})  # October and November, once each
        for period in (OCTOBER, "2026-11"):
            assert {d.status for d in _deliveries(period).values()} == {"sent"}
    finally:
        redis.kill()


def test_database_connections_dropped_during_a_mailing(bdb, workers, smtp):  # noqa: F811
    expected = _town(smtp)
    worker = workers("worker")
    url = db.engine.url.render_as_string(hide_password=False)
    dropped = threading.Event()
    terminated = []

    def terminate_at_the_third(message):  # accepted by the server, not yet recorded by the worker
        if len(smtp.messages) == 2 and not dropped.is_set():
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                terminated.append(connection.scalar(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND application_name NOT LIKE 'pytest%'")))
            engine.dispose()
            dropped.set()

    smtp.handler.on_message = terminate_at_the_third
    assert mail_invoices.send_period(db.session, OCTOBER) == 12
    wait_for(dropped.is_set, 60, "the connections to be terminated during the mailing", worker)
    wait_for(_settled, 60, "the mailing to be resumed and finished", worker)
    received = Counter(address for m in smtp.messages for address in m[1])
    assert received == Counter({address: 1 for _id, address in expected})
    assert terminated[0] >= 2  # the worker's connections (its work and its heartbeat), this test's
    assert Counter(d.status for d in _deliveries().values()) == {"sent": 12}
