"""Claim acts over the REST API (/api/v1/claim_act/): each role's rights (ClaimAct of
app/security.py), an inspector limited to the acts of their buildings, a new act a numbered draft,
approving and cancelling only for can_approve through the same service as the screen, bad input
a 422 naming the field."""
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import ClaimAct
from app.services import claim_acts

from .test_claim_acts import scheme_town
from .test_claim_acts_http import _inspector_of
from .test_ledger import jwt_headers

BODY = {"act_date": "2026-10-20", "kind": "not_provided", "date_from": "2026-10-01", "date_to": "2026-10-05",
        "notified_at": "2026-10-02 10:00:00", "claimant_name": "Власник 1", "claim_text": "Не прибирають під'їзд"}


def _act(session, ids, building):
    act = ClaimAct(act_date=date(2026, 10, 20), service_id=ids["services"]["UTR"], kind="not_provided",
                   date_from=date(2026, 10, 1), date_to=date(2026, 10, 2))
    claim_acts.start_draft(session, act, "operator")
    session.add(act)
    claim_acts.add_targets(session, act, building_ids=[building])
    session.commit()
    return act


def _client(bdb, role):
    """A client of the API only (a token, no browser session); each request with an empty ``g``."""
    from .conftest import _FreshClient

    bdb.test_client_class = _FreshClient
    client = bdb.test_client()
    return client, jwt_headers(client, role)


def test_claim_acts_over_the_api_as_each_role(bdb):
    session = db.session
    ids = scheme_town(session)
    client, operator = _client(bdb, "operator")
    accountant = jwt_headers(client, "accountant")

    answer = client.post("/api/v1/claim_act/", json={**BODY, "service": ids["services"]["UTR"]}, headers=operator)
    assert answer.status_code == 201, answer.json
    act = session.get(ClaimAct, answer.json["id"])
    assert act.number == "АП-2026-0001" and act.status == "draft" and act.created_by == "operator"
    assert act.deadline == date(2026, 10, 9)  # Friday 02.10 + 5 working days
    shown = client.get(f"/api/v1/claim_act/{act.id}", headers=operator)
    assert shown.status_code == 200, (shown.status_code, shown.data[:300])
    shown = shown.json["result"]
    assert shown["deadline"] == "2026-10-09" and shown["status"] == "draft"

    # bad input: a 422 naming the field, nothing written
    answer = client.post("/api/v1/claim_act/", json={**BODY, "service": ids["services"]["UTR"], "kind": "bogus"},
                         headers=operator)
    assert answer.status_code == 422 and "kind" in answer.json["message"]
    answer = client.post("/api/v1/claim_act/", json={**BODY, "service": ids["services"]["UTR"], "visit": "absent"},
                         headers=operator)
    assert answer.status_code == 422 and "witnesses" in answer.json["message"]
    assert session.scalar(select(db.func.count()).select_from(ClaimAct)) == 1

    # approving: not for an operator; an act covering nothing stays a draft (422)
    assert client.post(f"/api/v1/claim_act/{act.id}/approve", headers=operator).status_code in (401, 403)
    answer = client.post(f"/api/v1/claim_act/{act.id}/approve", headers=accountant)
    assert answer.status_code == 422 and "status" in answer.json["message"]
    claim_acts.add_targets(session, act, building_ids=[ids["building"]])
    session.commit()
    answer = client.post(f"/api/v1/claim_act/{act.id}/approve", headers=accountant)
    assert answer.status_code == 200 and answer.json["result"] == {"number": "АП-2026-0001", "status": "approved"}
    session.expire_all()
    assert session.get(ClaimAct, act.id).approved_by == "accountant"
    assert client.post(f"/api/v1/claim_act/{act.id}/approve", headers=accountant).status_code == 422  # twice
    # an approved act is neither edited nor deleted: it is cancelled
    answer = client.put(f"/api/v1/claim_act/{act.id}", json={"note": "змінено"}, headers=accountant)
    assert answer.status_code == 422
    answer = client.delete(f"/api/v1/claim_act/{act.id}", headers=accountant)
    assert answer.status_code == 422 and "status" in answer.json["message"]
    assert client.post(f"/api/v1/claim_act/{act.id}/cancel", headers=operator).status_code in (401, 403)
    answer = client.post(f"/api/v1/claim_act/{act.id}/cancel", headers=accountant)
    assert answer.status_code == 200 and answer.json["result"]["status"] == "cancelled"
    assert client.post("/api/v1/claim_act/999999/approve", headers=accountant).status_code == 404


def test_an_inspector_sees_the_acts_of_their_buildings_only_and_never_approves(bdb):
    session = db.session
    ids = scheme_town(session)
    _inspector_of(ids["building"])
    mine = _act(session, ids, ids["building"])
    foreign = _act(session, ids, ids["buildings"]["B1"])
    client, inspector = _client(bdb, "inspector")
    listed = client.get("/api/v1/claim_act/", headers=inspector).json
    assert listed["ids"] == [mine.id]
    assert client.get(f"/api/v1/claim_act/{foreign.id}", headers=inspector).status_code == 404
    assert client.put(f"/api/v1/claim_act/{foreign.id}", json={"note": "x"}, headers=inspector).status_code == 404
    assert client.post(f"/api/v1/claim_act/{mine.id}/approve", headers=inspector).status_code in (401, 403)
    answer = client.post("/api/v1/claim_act/", json={**BODY, "service": ids["services"]["UTR"]}, headers=inspector)
    assert answer.status_code == 201, answer.json
    session.expire_all()
    assert session.get(ClaimAct, mine.id).status == "draft"
