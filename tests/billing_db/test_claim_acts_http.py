"""Claim acts on the screens, as each role: drafted from a building's card (the act covers the
building), coverage added from the act's own tab, approved and cancelled by an accountant only;
the signatures rule beside its field; overdue acts highlighted and filtered; the print form;
an inspector limited to their own buildings on every path; the scheme as a tree, a move that
would make a loop refused, an outage act from a node."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ClaimAct, ClaimActTarget, InspectorBuilding, NetworkNode
from app.services import claim_acts
from tests.webtools import field_errors, text

from .test_claim_acts import scheme_town
from .town import create_town

ACT = {"act_date": "20.10.2026", "kind": "not_provided", "date_from": "01.10.2026", "date_to": "05.10.2026",
       "notified_at": "01.10.2026 09:30", "claimant_name": "Власник 1", "claimant_contacts": "+380501112233",
       "claim_text": "Не прибирають під'їзд", "place": "вул. Енергетиків, 1, під'їзд 1"}


def _acts():
    db.session.expire_all()
    return db.session.scalars(select(ClaimAct).order_by(ClaimAct.id)).all()


def test_from_the_building_card_to_an_approved_act_and_back(bdb, web):
    ids = create_town()
    operator = web("operator")
    card = text(operator.get(f"/buildingview/show/{ids['building']}"))
    assert "new_claim_act" in card  # the card's button «Новий акт-претензія»
    response = operator.post("/buildingview/action_post", data={"action": "new_claim_act",
                                                                 "rowid": [ids["building"]]})
    assert response.status_code == 302 and f"building={ids['building']}" in response.headers["Location"]
    page = operator.get(response.headers["Location"])
    assert page.status_code == 200
    response = operator.post(response.headers["Location"], data={**ACT, "service": ids["services"]["UTR"]})
    assert response.status_code == 302, text(response)[:3000]
    (act,) = _acts()
    assert (act.number, act.status, act.created_by, act.deadline) == ("АП-2026-0001", "draft", "operator",
                                                                       date(2026, 10, 8))
    assert [t.building_id for t in act.targets] == [ids["building"]]
    # the act's own tab: add an account to what it covers
    show = text(operator.get(f"/claimactview/show/{act.id}"))
    assert f"/claimacttargetview/add?_flt_0_act={act.id}" in show
    operator.post(f"/claimacttargetview/add?_flt_0_act={act.id}", data={"act": act.id,
                                                                         "account": ids["accounts"][2]})
    assert db.session.scalar(select(func.count()).select_from(ClaimActTarget)) == 2
    # the operator cannot approve; the accountant does
    operator.post("/claimactview/action_post", data={"action": "approve", "rowid": [act.id]})
    assert _acts()[0].status == "draft"
    accountant = web("accountant")
    accountant.post("/claimactview/action_post", data={"action": "approve", "rowid": [act.id]})
    assert _acts()[0].status == "approved"
    # approved: neither edited nor its coverage changed
    response = accountant.post(f"/claimactview/edit/{act.id}", data={**ACT, "service": ids["services"]["UTR"],
                                                                      "note": "змінено"})
    assert _acts()[0].note is None
    target = db.session.scalars(select(ClaimActTarget)).first()
    accountant.post(f"/claimacttargetview/delete/{target.id}")
    assert db.session.scalar(select(func.count()).select_from(ClaimActTarget)) == 2
    operator.post("/claimactview/action_post", data={"action": "cancel", "rowid": [act.id]})
    assert _acts()[0].status == "approved"  # an operator cannot cancel
    accountant.post("/claimactview/action_post", data={"action": "cancel", "rowid": [act.id]})
    assert _acts()[0].status == "cancelled" and _acts()[0].cancelled_by == "accountant"
    pdf = accountant.get(f"/claimactview/pdf/{act.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("inline") and "akt-" in pdf.headers["Content-Disposition"]


def test_without_the_provider_two_other_consumers_sign_message_beside_the_field(bdb, web):
    ids = create_town()
    page = text(web("operator").post("/claimactview/add", data={
        **ACT, "service": ids["services"]["UTR"], "visit": "refused", "witnesses": "Коваленко М. І."}))
    assert "щонайменше двоє інших споживачів" in " ".join(field_errors(page, "witnesses"))
    assert _acts() == []


def test_overdue_acts_are_highlighted_and_filtered(bdb, web):
    ids = create_town()
    session = db.session
    for number, notified in (("АП-СТАРИЙ", datetime(2026, 1, 5, 10, 0)), ("АП-НОВИЙ", None)):
        act = ClaimAct(number=number, act_date=date(2026, 1, 5), service_id=ids["services"]["UTR"],
                       kind="not_provided", date_from=date(2026, 1, 1), date_to=date(2026, 1, 2),
                       notified_at=notified)
        claim_acts.start_draft(session, act, "operator")
        session.add(act)
    session.commit()
    client = web("accountant")
    page = text(client.get("/claimactview/list/"))
    assert "АП-СТАРИЙ" in page and "АП-НОВИЙ" in page
    assert 'oblik-overdue">12.01.2026' in page and 'id="claim-acts-overdue"' in page
    overdue = text(client.get("/claimactview/list/?overdue=1"))
    assert "АП-СТАРИЙ" in overdue and "АП-НОВИЙ" not in overdue


def _inspector_of(building_id):
    from flask import current_app

    user = current_app.appbuilder.sm.find_user(username="inspector")
    db.session.add(InspectorBuilding(user_id=user.id, building_id=building_id))
    db.session.commit()


def test_an_inspector_drafts_acts_for_their_own_buildings_only(bdb, web):
    session = db.session
    ids = scheme_town(session)
    _inspector_of(ids["building"])
    other = ids["buildings"]["B1"]
    foreign = ClaimAct(act_date=date(2026, 10, 20), service_id=ids["services"]["UTR"], kind="not_provided",
                       date_from=date(2026, 10, 1), date_to=date(2026, 10, 2))
    claim_acts.start_draft(session, foreign, "operator")
    session.add(foreign)
    claim_acts.add_targets(session, foreign, building_ids=[other])
    session.commit()
    inspector = web("inspector")
    # from the card of their building
    response = inspector.post("/buildingview/action_post", data={"action": "new_claim_act",
                                                                  "rowid": [ids["building"]]})
    assert response.headers["Location"].endswith(f"/claimactview/add?building={ids['building']}")
    assert inspector.get(f"/buildingview/show/{other}").status_code in (302, 404)
    response = inspector.post(f"/claimactview/add?building={ids['building']}",
                              data={**ACT, "service": ids["services"]["UTR"]})
    assert response.status_code == 302
    mine = session.scalar(select(ClaimAct).where(ClaimAct.created_by == "inspector"))
    assert [t.building_id for t in mine.targets] == [ids["building"]]
    # a building not theirs, started from its card URL: the act is saved without it
    inspector.post(f"/claimactview/add?building={other}", data={**ACT, "service": ids["services"]["UTR"]})
    second = session.scalars(select(ClaimAct).where(ClaimAct.created_by == "inspector")
                             .order_by(ClaimAct.id.desc())).first()
    assert second.id != mine.id and second.targets == []
    # the list, the card, the print form, the tab: the foreign act is not there
    listing = text(inspector.get("/claimactview/list/"))
    assert mine.number in listing and foreign.number not in listing
    assert inspector.get(f"/claimactview/show/{foreign.id}").status_code in (302, 404)
    assert inspector.get(f"/claimactview/pdf/{foreign.id}").status_code == 404
    assert inspector.get(f"/claimactview/edit/{foreign.id}").status_code in (302, 404)
    targets = text(inspector.get("/claimacttargetview/list/"))
    assert foreign.number not in targets
    # coverage outside their buildings is refused: a foreign building, a network node
    before = session.scalar(select(func.count()).select_from(ClaimActTarget))
    inspector.post(f"/claimacttargetview/add?_flt_0_act={mine.id}", data={"act": mine.id, "building": other})
    inspector.post(f"/claimacttargetview/add?_flt_0_act={mine.id}",
                   data={"act": mine.id, "network_node": ids["nodes"]["T1"]})
    inspector.post(f"/claimacttargetview/add?_flt_0_act={foreign.id}",
                   data={"act": foreign.id, "building": ids["building"]})
    db.session.expire_all()
    assert session.scalar(select(func.count()).select_from(ClaimActTarget)) == before
    # and never approves
    inspector.post("/claimactview/action_post", data={"action": "approve", "rowid": [mine.id]})
    db.session.expire_all()
    assert session.get(ClaimAct, mine.id).status == "draft"
    assert inspector.get("/scheme/").status_code in (302, 403)


@pytest.mark.parametrize("role,allowed", [("admin", 200), ("accountant", 200), ("operator", 200),
                                          ("inspector", 403)])
def test_the_scheme_is_a_tree_with_buildings_and_their_accounts(bdb, web, role, allowed):
    ids = scheme_town(db.session)
    response = web(role).get("/scheme/")
    if allowed != 200:
        assert response.status_code in (302, 403)
        return
    page = text(response)
    k1 = page.index('id="node-%d"' % ids["nodes"]["K1"])
    t1 = page.index('id="node-%d"' % ids["nodes"]["T1"])
    t2 = page.index('id="node-%d"' % ids["nodes"]["T2"])
    k2 = page.index('id="node-%d"' % ids["nodes"]["K2"])
    assert k1 < t1 < t2 < k2  # nested: K1 ⊃ T1 ⊃ T2, then K2
    # K1: E1 (3 accounts) + T1 (B1 2, B2 1, T2: B3 1) = 7 accounts in 4 buildings
    assert 'будинків: 4, особових рахунків: <span class="oblik-node-accounts">7</span>' in page
    assert 'будинків: 3, особових рахунків: <span class="oblik-node-accounts">4</span>' in page  # T1
    b1 = page.index(f'/buildingview/show/{ids["buildings"]["B1"]}')
    assert t1 < b1 < t2 and '<span class="oblik-building-accounts">2</span>' in page[b1:t2]
    assert "<script>" not in page and "onclick" not in page
    assert "Акт відключення" in page


def test_a_move_that_makes_a_loop_is_refused_in_ukrainian(bdb, web):
    ids = scheme_town(db.session)
    client = web("accountant")
    k1 = db.session.get(NetworkNode, ids["nodes"]["K1"])
    page = text(client.post(f"/networknodeview/edit/{k1.id}", data={
        "code": "K1", "name": "Котельня 1", "kind": "boiler_house", "parent": ids["nodes"]["T2"]}))
    assert "не може бути підпорядкований сам собі" in " ".join(field_errors(page, "parent"))
    db.session.expire_all()
    assert db.session.get(NetworkNode, k1.id).parent_id is None
    # a real move: T2 from T1 to K2
    client.post(f"/networknodeview/edit/{ids['nodes']['T2']}", data={
        "code": "T2", "name": "ІТП 2", "kind": "heat_point", "parent": ids["nodes"]["K2"]})
    db.session.expire_all()
    assert db.session.get(NetworkNode, ids["nodes"]["T2"]).parent_id == ids["nodes"]["K2"]


def test_an_outage_act_from_the_nodes_page(bdb, web):
    ids = scheme_town(db.session)
    t1 = ids["nodes"]["T1"]
    client = web("operator")
    form = text(client.get(f"/scheme/outage/{t1}"))
    assert "3" in form and 'name="csrf_token"' in form
    bad = text(client.post(f"/scheme/outage/{t1}", data={"service": ids["services"]["UTR"], "act_date": "15.10.2026",
                                                          "date_from": "14.10.2026", "date_to": "10.10.2026"}))
    assert "has-error" in bad and _acts() == []
    response = client.post(f"/scheme/outage/{t1}", data={"service": ids["services"]["UTR"], "act_date": "15.10.2026",
                                                          "date_from": "10.10.2026", "date_to": "14.10.2026"})
    assert response.status_code == 302
    (act,) = _acts()
    assert (act.number, act.outage, act.kind, act.status) == ("АВ-2026-0001", True, "not_provided", "draft")
    assert [t.network_node_id for t in act.targets] == [t1]
    assert web("inspector").get(f"/scheme/outage/{t1}").status_code in (302, 403)
