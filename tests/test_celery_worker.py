"""A real Celery worker process runs our tasks: on the embedded SQLite transport by default
(no server installed), or on the broker named by OBLIK_TEST_BROKER_URL (Redis on CI)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def worker(tmp_path):
    broker = os.environ.get("OBLIK_TEST_BROKER_URL") or f"sqla+sqlite:///{tmp_path}/broker.db"
    backend = os.environ.get("OBLIK_TEST_RESULT_BACKEND") or f"db+sqlite:///{tmp_path}/results.db"
    env = dict(os.environ, OBLIK_BROKER_URL=broker, OBLIK_RESULT_BACKEND=backend, OBLIK_CELERY_EAGER="0",
               OBLIK_DATABASE_URL=DATABASE_URL, OBLIK_INSTANCE_DIR=str(tmp_path))
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.tasks.worker", "worker", "--pool=solo",
         "--loglevel=info", f"--logfile={log}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    yield broker, backend
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_worker_runs_a_task_through_the_broker(app, worker):
    from celery import Celery

    broker, backend = worker
    # A client of its own: the app's Celery instance may have cached another backend.
    client = Celery("oblik-test-client", broker=broker, backend=backend)
    result = client.send_task("oblik.housekeeping")
    value = result.get(timeout=90)
    assert value["buildings"] >= 2  # the worker read the same database as the test
    assert result.status == "SUCCESS"
