"""Approving or cancelling a claim act on its card comes back to the card (issue 12 item 7);
from the list (the acts ticked), back to the list."""
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import ClaimAct
from tests.webtools import text

from .town import create_town

ACT = {"number": "", "act_date": "05.10.2026", "kind": "not_provided", "date_from": "01.10.2026",
       "date_to": "03.10.2026"}


def _draft(web, ids):
    operator = web("operator")
    response = operator.post(f"/claimactview/add?building={ids['building']}",
                             data={**ACT, "service": ids["services"]["UTR"]})
    assert response.status_code == 302, text(response)[:2000]
    return db.session.scalars(select(ClaimAct).order_by(ClaimAct.id.desc())).first()


def test_approve_and_cancel_on_the_card_come_back_to_the_card(bdb, web):
    ids = create_town()
    act = _draft(web, ids)
    accountant = web("accountant")
    card = f"/claimactview/show/{act.id}"
    page = text(accountant.get(card))
    assert f"/claimactview/action/approve/{act.id}" in page  # the card's own button
    response = accountant.post(f"/claimactview/action/approve/{act.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(card), response.headers
    db.session.expire_all()
    assert db.session.get(ClaimAct, act.id).status == "approved"
    response = accountant.post(f"/claimactview/action/cancel/{act.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(card)
    db.session.expire_all()
    assert db.session.get(ClaimAct, act.id).status == "cancelled"


def test_approve_from_the_list_comes_back_to_the_list(bdb, web):
    ids = create_town()
    act = _draft(web, ids)
    accountant = web("accountant")
    assert accountant.get("/claimactview/list/").status_code == 200
    response = accountant.post("/claimactview/action_post", data={"action": "approve", "rowid": [act.id]},
                               headers={"Referer": "http://localhost/claimactview/list/?page_ClaimActView=0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/claimactview/list/?page_ClaimActView=0")
    # a referrer of another site is not followed
    response = accountant.post("/claimactview/action_post", data={"action": "cancel", "rowid": [act.id]},
                               headers={"Referer": "https://evil.example/claimactview/list/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_an_outside_next_is_not_followed_after_approve(bdb, web):
    ids = create_town()
    act = _draft(web, ids)
    response = web("accountant").post(f"/claimactview/action/approve/{act.id}",
                                      data={"next": "https://evil.example/x"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert response.headers["Location"].endswith(f"/claimactview/show/{act.id}")
    assert date.today()  # (the act's dates are fixed above; nothing else depends on today)
