"""The beat's task on a real Celery worker process (the embedded SQLite transport, or the broker
of OBLIK_TEST_BROKER_URL — Redis on CI) and a real SMTP server on loopback: the reminders of the
town's two accounts with an address arrive once; the task delivered again sends nothing more."""
import os
import subprocess
import sys
import time
from pathlib import Path

from app.extensions import db

from .town import create_town

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_beat_task_on_a_worker_sends_each_reminder_once(bdb, tmp_path):
    from celery import Celery

    from app.models import Account, MailDelivery
    from tests.mailserver import MailServer

    ids = create_town(open_period=False)
    for n in (1, 2):
        db.session.get(Account, ids["accounts"][n]).email = f"flat{n}@example.com"
    db.session.commit()
    broker = os.environ.get("OBLIK_TEST_BROKER_URL") or f"sqla+sqlite:///{tmp_path}/broker.db"
    backend = os.environ.get("OBLIK_TEST_RESULT_BACKEND") or f"db+sqlite:///{tmp_path}/results.db"
    with MailServer() as server:
        env = dict(os.environ, OBLIK_BROKER_URL=broker, OBLIK_RESULT_BACKEND=backend, OBLIK_CELERY_EAGER="0",
                   OBLIK_DATABASE_URL=bdb.config["SQLALCHEMY_DATABASE_URI"], OBLIK_INSTANCE_DIR=str(tmp_path),
                   OBLIK_MAIL_SERVER="127.0.0.1", OBLIK_MAIL_PORT=str(server.port), OBLIK_MAIL_RATE="6000")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.tasks.worker", "worker", "--pool=solo", "--loglevel=info",
             f"--logfile={tmp_path / 'worker.log'}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT)
        try:
            client = Celery("oblik-test-client", broker=broker, backend=backend)
            first = client.send_task("oblik.reminders.check", kwargs={"force": True}).get(timeout=90)
            assert (first["due"], first["queued"]) == (2, 2)
            again = client.send_task("oblik.reminders.check", kwargs={"force": True}).get(timeout=90)
            assert (again["due"], again["queued"]) == (2, 0)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db.session.expire_all()
                statuses = db.session.scalars(select_statuses()).all()
                if statuses == ["sent", "sent"]:
                    break
                time.sleep(0.5)
            assert statuses == ["sent", "sent"]
            time.sleep(1)  # a second sender, had there been one, would have sent by now
            assert sorted(m[1][0] for m in server.messages) == ["flat1@example.com", "flat2@example.com"]
            assert db.session.query(MailDelivery).count() == 2
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def select_statuses():
    from sqlalchemy import select

    from app.models import MailDelivery

    return select(MailDelivery.status).where(MailDelivery.kind == "reminder").order_by(MailDelivery.account_id)
