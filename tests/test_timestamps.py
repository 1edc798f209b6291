"""Stamps the system writes in Python are naive UTC — ``app.validation.readings.utcnow``, the one
clock (heartbeats, approvals, cancellations, mail, sessions), as ``func.now()`` and the server
defaults are — whatever the server's own time zone, and the screens show them in Kyiv time
(``format_datetime``: UTC+2 in winter, UTC+3 in summer)."""
import re
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.webtools import make_building, text, uid

# 22:30 UTC on 15 January = 00:30 on 16 January in Kyiv (EET, UTC+2)
WINTER = datetime(2026, 1, 15, 22, 30, 0)
# 21:30 UTC on 15 July = 00:30 on 16 July in Kyiv (EEST, UTC+3)
SUMMER = datetime(2026, 7, 15, 21, 30, 0)


@pytest.fixture()
def server_in_kyiv(monkeypatch):
    """The process's local time zone is Kyiv's, as on a server set up in Ukraine."""
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def test_the_stamps_clock_is_utc_on_a_server_in_kyiv(server_in_kyiv):
    from app.services import heartbeat
    from app.validation.readings import utcnow

    local_offset = datetime.now() - _utc_now()
    assert abs(local_offset - timedelta(hours=2)) < timedelta(seconds=5) or \
        abs(local_offset - timedelta(hours=3)) < timedelta(seconds=5)  # the server's clock is Kyiv's
    for clock in (utcnow, heartbeat.now):
        assert abs(clock() - _utc_now()) < timedelta(seconds=5), clock
    assert heartbeat.now().microsecond == 0


def test_a_stamp_is_shown_in_kyiv_time(app):
    from app.views.formatting import format_datetime, format_time

    with app.test_request_context():
        assert format_datetime(WINTER) == "16.01.2026 00:30"
        assert format_datetime(SUMMER, seconds=True) == "16.07.2026 00:30:00"
        assert format_time(WINTER) == "00:30:00"


def test_an_approval_written_at_a_fixed_instant_is_shown_in_kyiv_time(app, monkeypatch, server_in_kyiv):
    """A claim act approved at 22:30 UTC (the app's clock fixed there): stored as 22:30, shown
    on its card as 00:30 of the next day; cancelled in summer: 21:30 stored, 00:30 shown."""
    from app.extensions import db
    from app.models import ClaimAct, ClaimActTarget, Service
    from app.services import claim_acts, sessions

    building_id, _ = make_building(app, address="вул. Годинника, 1")
    monkeypatch.setitem(app.config, "OBLIK_CLOCK", lambda: WINTER)
    with app.app_context():
        service_id = db.session.scalar(select(Service.id).order_by(Service.id).limit(1))
        act = ClaimAct(number=uid("TS"), act_date=date(2026, 1, 15), service_id=service_id, kind="not_provided",
                       date_from=date(2026, 1, 10), date_to=date(2026, 1, 12))
        act.targets.append(ClaimActTarget(building_id=building_id))
        db.session.add(act)
        db.session.commit()
        assert claim_acts.approve(db.session, [act], "operator") == (1, [])
        assert sessions.now() == WINTER  # the sessions' clock is the same one
        act_id = act.id
        assert db.session.get(ClaimAct, act_id).approved_at == WINTER
    page = text(login(app.test_client(), "admin").get(f"/claimactview/show/{act_id}"))
    assert "16.01.2026 00:30" in page and "15.01.2026 22:30" not in page

    monkeypatch.setitem(app.config, "OBLIK_CLOCK", lambda: SUMMER)
    with app.app_context():
        assert claim_acts.cancel(db.session, [db.session.get(ClaimAct, act_id)], "operator") == 1
        assert db.session.get(ClaimAct, act_id).cancelled_at == SUMMER
    page = text(login(app.test_client(), "admin").get(f"/claimactview/show/{act_id}"))
    assert re.search(r"16\.07\.2026 00:30", page) and "15.07.2026 21:30" not in page
