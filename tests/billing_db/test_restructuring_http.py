"""The «Документи» screens of penalties and restructuring, as each role: an operator drafts an
agreement (its schedule shown on its card once saved), an accountant approves, terminates or
cancels it and keeps the penalty exemptions, an inspector sees none of it; bad input gets a
Ukrainian message and saves nothing; the account card shows the schedule; the print form."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Payment, PenaltyExemption, RestructuringAgreement
from app.services import ledger
from app.services.billing import close_period, run_billing
from tests.webtools import flashes, text

from .town import OCTOBER, create_town

URLS = ("/restructuringagreementview/list/", "/restructuringagreementview/add", "/restructuring-missed/",
        "/penaltyexemptionview/list/")
FORM = {"agreement_date": "05.11.2026", "debt_date": "31.10.2026", "mode": "count", "instalments": "3",
        "instalment_amount": "", "first_due": "25.11.2026"}


def _closed_october():
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    return ids


@pytest.mark.parametrize("role", ["admin", "accountant", "operator", "inspector"])
def test_who_opens_the_screens(bdb, web, role):
    create_town()
    client = web(role)
    for url in URLS:
        expected = 403 if role == "inspector" else 200
        if url == "/penaltyexemptionview/list/" and role == "operator":
            expected = 200
        assert client.get(url).status_code == expected, (role, url)
    add = client.get("/penaltyexemptionview/add").status_code
    assert add == (200 if role in ("admin", "accountant") else 403)
    page = text(client.get("/"))
    assert ("/restructuringagreementview/list/" in page) == (role != "inspector")


def test_an_operator_drafts_an_accountant_approves_and_terminates(bdb, web):
    ids = _closed_october()
    account = ids["accounts"][1]
    operator = web("operator")
    response = operator.post("/restructuringagreementview/add", data={**FORM, "account": account},
                             follow_redirects=True)
    assert response.status_code == 200
    agreement = db.session.scalar(select(RestructuringAgreement))
    assert agreement.status == "draft" and agreement.number == "ДР-2026-0001"
    assert agreement.amount == D("10682.50") and agreement.created_by == "operator"
    card = text(operator.get(f"/restructuringagreementview/show/{agreement.id}"))
    # 10 682,50 in 3: 3 560,84 + 3 560,83 + 3 560,83, shown on the card
    assert "3560,84" in card and card.count("3560,83") == 2 and "25.12.2026" in card
    assert 'id="approve-form"' not in card                    # an operator does not approve
    assert operator.post(f"/restructuringagreementview/approve/{agreement.id}").status_code == 403
    # the operator edits the draft: by amount now — 4 000 × 2 + 2 682,50
    operator.post(f"/restructuringagreementview/edit/{agreement.id}",
                  data={**FORM, "account": account, "mode": "amount", "instalments": "", "instalment_amount": "4000"})
    db.session.expire_all()
    assert [i.amount for i in db.session.get(RestructuringAgreement, agreement.id).schedule] == [
        D("4000.00"), D("4000.00"), D("2682.50")]

    accountant = web("accountant")
    assert 'id="approve-form"' in text(accountant.get(f"/restructuringagreementview/show/{agreement.id}"))
    accountant.post(f"/restructuringagreementview/approve/{agreement.id}")
    db.session.expire_all()
    agreement = db.session.get(RestructuringAgreement, agreement.id)
    assert agreement.status == "approved" and agreement.approved_by == "accountant"
    # approved: the operator's edit and delete are refused, nothing changes
    response = operator.post(f"/restructuringagreementview/edit/{agreement.id}",
                             data={**FORM, "account": account, "instalments": "5"}, follow_redirects=True)
    assert any("чернетк" in m for m in flashes(text(response)))
    operator.post(f"/restructuringagreementview/delete/{agreement.id}")
    db.session.expire_all()
    assert db.session.get(RestructuringAgreement, agreement.id).instalments is None
    assert len(db.session.get(RestructuringAgreement, agreement.id).schedule) == 3
    # the account card shows the schedule
    card = text(accountant.get(f"/accountview/show/{account}"))
    assert 'id="account-restructuring"' in card and "ДР-2026-0001" in card and "2682,50" in card
    # print form
    response = accountant.get(f"/restructuringagreementview/pdf/{agreement.id}")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline") and "dohovir-restrukturyzatsii-" in disposition
    assert accountant.get("/restructuringagreementview/pdf/999999").status_code == 404
    # terminate without a reason: refused in Ukrainian
    response = accountant.post(f"/restructuringagreementview/terminate/{agreement.id}",
                               data={"terminated_on": "2026-12-15", "reason": ""}, follow_redirects=True)
    assert any("Причина" in m for m in flashes(text(response)))
    response = accountant.post(f"/restructuringagreementview/terminate/{agreement.id}",
                               data={"terminated_on": "не дата", "reason": "x"}, follow_redirects=True)
    assert response.status_code == 200 and any("дата" in m.lower() for m in flashes(text(response)))
    accountant.post(f"/restructuringagreementview/terminate/{agreement.id}",
                    data={"terminated_on": "2026-12-15", "reason": "не сплачує"})
    db.session.expire_all()
    agreement = db.session.get(RestructuringAgreement, agreement.id)
    assert (agreement.status, agreement.terminated_on) == ("terminated", date(2026, 12, 15))
    # the audit log keeps who changed what
    history = text(accountant.get(f"/restructuringagreementview/show/{agreement.id}"))
    tab = history[history.index('id="History"'):]
    assert "не сплачує" in tab[:tab.index('id="Home"')] and "accountant" in tab


def test_bad_input_is_told_in_ukrainian_and_saves_nothing(bdb, web):
    ids = _closed_october()
    client = web("accountant")
    for data, word in (({**FORM, "instalments": "0"}, "платежів"), ({**FORM, "instalments": "500"}, "платежів"),
                       ({**FORM, "mode": "amount", "instalments": ""}, "платежу"),
                       ({**FORM, "first_due": "01.10.2026"}, "першого"),
                       ({**FORM, "debt_date": "01.01.2020"}, "борг")):
        response = client.post("/restructuringagreementview/add", data={**data, "account": ids["accounts"][1]},
                               follow_redirects=True)
        assert response.status_code == 200
        assert any(word in m.lower() for m in flashes(text(response))), (data, flashes(text(response)))
    assert db.session.scalar(select(func.count()).select_from(RestructuringAgreement)) == 0


def test_missed_instalments_are_listed(bdb, web):
    ids = _closed_october()
    account = ids["accounts"][2]
    client = web("accountant")
    client.post("/restructuringagreementview/add", data={**FORM, "account": account, "instalments": "1",
                                                         "first_due": "10.11.2026"})
    agreement = db.session.scalar(select(RestructuringAgreement))
    client.post(f"/restructuringagreementview/approve/{agreement.id}")
    ledger.receive_payment(db.session, Payment(external_id="M-1", account_id=account, paid_on=date(2026, 11, 5),
                                               amount=D("1000.00"), source="каса"), "test")
    db.session.commit()
    page = text(client.get("/restructuring-missed/"))
    # one instalment of 12 621,25 due 10.11.2026 (before today), 1 000,00 paid → 11 621,25 unpaid
    assert "ДР-2026-0001" in page and "E1-002" in page and "11621,25" in page
    assert text(web("operator").get("/restructuring-missed/")).count("ДР-2026-0001") == 1


def test_penalty_exemptions_are_the_accountants(bdb, web):
    ids = create_town()
    account = ids["accounts"][1]
    data = {"account": account, "date_from": "01.11.2026", "date_to": "", "reason": "воєнний стан"}
    assert web("operator").post("/penaltyexemptionview/add", data=data).status_code == 403
    web("accountant").post("/penaltyexemptionview/add", data=data)
    assert db.session.scalar(select(func.count()).select_from(PenaltyExemption)) == 1
    bad = web("accountant").post("/penaltyexemptionview/add", data={**data, "date_to": "01.10.2026"},
                                 follow_redirects=True)
    assert bad.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PenaltyExemption)) == 1
