"""A run that fails keeps its message for everyone and its traceback for the admin: on the
«Розрахунок» screen and in its progress poll; the lock is given back. Every warning code of a
run has its Ukrainian label on the screen."""
import pytest
from sqlalchemy import select

from app.billing.codes import WARNING_CODES as CODES
from app.extensions import db
from app.models import BillingLock, BillingRun
from app.models.billing import WARNING_CODES
from app.services.billing import failure, run_billing
from app.services.billing import run as run_module
from tests.webtools import is_ukrainian, text

from .town import create_town


def _fail(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("зламаний будинок")

    monkeypatch.setattr(run_module, "bill_building", broken)
    with pytest.raises(RuntimeError):
        run_billing()
    db.session.expire_all()
    return db.session.scalar(select(BillingRun).order_by(BillingRun.id.desc()).limit(1))


def test_a_failed_run_keeps_its_traceback(bdb, monkeypatch):
    create_town()
    run = _fail(monkeypatch)
    message, details = failure(run)
    assert run.status == "failed" and run.finished_at is not None
    assert "зламаний будинок" in message and "Traceback" not in message
    assert details.startswith("Traceback (most recent call last)") and "RuntimeError: зламаний будинок" in details
    assert "in broken" in details  # where it failed
    assert db.session.scalar(select(BillingLock)) is None  # the lock is given back


@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_only_the_admin_sees_the_traceback(bdb, web, monkeypatch, role):
    create_town()
    run = _fail(monkeypatch)
    client = web(role)
    page = text(client.get("/billing/"))
    assert "зламаний будинок" in page
    assert ('id="billing-traceback"' in page) == (role == "admin")
    assert ("RuntimeError: зламаний будинок" in page) == (role == "admin")
    progress = client.get(f"/billing/progress/{run.id}").json
    assert "зламаний будинок" in progress["message"] and "Traceback" not in progress["message"]
    assert bool(progress["traceback"]) == (role == "admin")


def test_every_warning_code_has_a_ukrainian_label(bdb):
    with bdb.test_request_context():
        for code in CODES:
            label = str(WARNING_CODES.label(code))
            assert label != code and is_ukrainian(label), (code, label)
        assert str(WARNING_CODES.label("catalog")) == "Помилка в тарифі"
