"""The «Розрахунок» screens per role: the accountant runs the billing and closes periods, the
operator sees but neither runs nor closes, the inspector sees nothing; the journal with its
filters; reports to download; claim acts drafted by an operator and approved by an accountant;
the account card's charge lines beside their explanation and its balance by period and service."""
import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import BillingRun, ClaimAct, ClaimActTarget, JournalEntry, Period
from app.services.billing import run_billing
from app.services.billing import close_period
from tests.webtools import flashes, table_text, text

from .town import NOVEMBER, OCTOBER, amounts, create_town

STAFF = ("admin", "accountant", "operator")


@pytest.mark.parametrize("role", ["admin", "accountant", "operator", "inspector"])
def test_who_opens_the_billing_screens(bdb, web, role):
    create_town()
    run_billing()
    client = web(role)
    for url in ("/billing/", "/journal/", "/billing/recalculations", "/claimactview/list/", "/areachangeview/list/",
                f"/billing/report/charges?period={OCTOBER}&format=csv"):
        response = client.get(url)
        # an inspector drafts claim acts of their own buildings (tests/billing_db/test_claim_acts_http.py)
        allowed = role in STAFF or url == "/claimactview/list/"
        assert response.status_code == (200 if allowed else 403), (role, url)
    page = text(client.get("/"))
    assert ('href="/billing/"' in page) == (role in STAFF)


@pytest.mark.parametrize("role,allowed", [("accountant", True), ("operator", False), ("inspector", False)])
def test_only_the_accountant_runs_and_closes(bdb, web, role, allowed):
    create_town()
    client = web(role)
    response = client.post("/billing/run", data={"period": OCTOBER})
    assert (response.status_code == 302) == allowed
    assert db.session.scalar(select(func.count()).select_from(BillingRun)) == (1 if allowed else 0)
    page = text(client.get("/billing/")) if role != "inspector" else ""
    if role == "operator":
        assert "billing-run-form" not in page and "billing-close-form" not in page
    if allowed:
        assert 'id="billing-run-form"' in page and 'id="billing-close-form"' in page
        assert 'id="billing-bar"' in page and "100%" in page
        response = client.post("/billing/close", data={"period": OCTOBER}, follow_redirects=True)
        assert response.status_code == 200
        assert db.session.scalar(select(Period.status).where(Period.period == OCTOBER)) == "closed"
    else:
        run_billing()
        assert client.post("/billing/close", data={"period": OCTOBER}).status_code == 403
        assert db.session.scalar(select(Period.status).where(Period.period == OCTOBER)) == "open"


def test_the_screen_shows_the_run_warnings_and_why_it_cannot_close(bdb, web):
    from app.models import Reading

    ids = create_town()
    client = web("accountant")
    page = text(client.get("/billing/"))
    assert "E1" in page  # not billed yet: the close problem names the building
    client.post("/billing/run", data={"period": OCTOBER})
    db.session.expire_all()
    run = db.session.scalar(select(BillingRun))
    assert run.status == "done" and run.accounts == 3
    progress = client.get(f"/billing/progress/{run.id}").json
    # the meters the run could not measure are listed by kind, in Ukrainian (flats 2 and 3: no
    # October reading and a single earlier one → norm)
    page = text(client.get("/billing/?code=meter_norm"))
    assert "Немає показників — за нормою (2)" in page
    assert page.count("лічильник № E1-CW-") == 2 and "приміщення 2: лічильник № E1-CW-2" in page
    assert progress["status"] == "done" and progress["percent"] == 100 and progress["lines"] == run.lines
    db.session.add(Reading(meter_id=ids["meters"][2], date=date(2026, 10, 29), value=D("52"), source="resident"))
    db.session.commit()
    page = text(client.get("/billing/"))
    assert re.search(r"alert-warning\">[^<]*E1", page)
    response = client.post("/billing/close", data={"period": OCTOBER}, follow_redirects=True)
    assert any("E1" in f for f in flashes(text(response)))
    assert db.session.scalar(select(Period.status).where(Period.period == OCTOBER)) == "open"
    # a second run while one holds the period: refused with a message
    from app.services.billing import lock as billing_lock

    billing_lock.acquire(db.session, OCTOBER, "run", None, "колега")
    response = client.post("/billing/run", data={"period": OCTOBER}, follow_redirects=True)
    assert any("колега" in f for f in flashes(text(response)))


def test_the_journal_filters(bdb, web):
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    client = web("operator")
    page = text(client.get(f"/journal/?period={OCTOBER}&kind=imbalance&service=CW"))
    rows = re.findall(r"<tr><td>\d+</td>", page)
    assert len(rows) == 3
    assert "45,00" in page  # the filtered total
    page = text(client.get("/journal/?account=E1-002&kind=charge"))
    assert len(re.findall(r"<tr><td>\d+</td>", page)) == 4 and "12000,00" in page
    page = text(client.get("/journal/?building=NOPE"))
    assert len(re.findall(r"<tr><td>\d+</td>", page)) == 0
    page = text(client.get(f"/journal/?document=billing-{OCTOBER}&target_period={OCTOBER}"))
    assert "Entries: 15" in page or "15" in page


def test_reports_download_as_csv_and_xlsx(bdb, web):
    create_town()
    run_billing()
    client = web("accountant")
    csv = client.get(f"/billing/report/charges?period={OCTOBER}&format=csv").get_data(as_text=True).splitlines()
    assert csv[0] == "account_number,service_code,kind,target_period,quantity,price,amount,estimated"
    assert "E1-001,CW,imbalance,2026-10,0.7500,30.00,22.50,0" in [re.sub(r"(\.\d{2})0+,", r"\1,", l) for l in csv] \
        or any(l.startswith("E1-001,CW,imbalance,2026-10,") and l.endswith(",22.50,0") for l in csv)
    data = client.get(f"/billing/report/turnover?period={OCTOBER}&format=xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Оборотно-сальдова відомість — 2026-10"  # the people's file: a title, then headers
    at = next(i for i, r in enumerate(rows) if r[0] == "Особовий рахунок")
    header = list(rows[at])
    first = dict(zip(header, rows[at + 1]))
    assert first["Особовий рахунок"] == "E1-001"
    charged = next(h for h in header if h and h.startswith("Нараховано"))
    closing = next(h for h in header if h and h.startswith("Сальдо на кінець"))
    assert first[charged] == pytest.approx(10682.5) and first[closing] == pytest.approx(10682.5)
    total = next(r for r in rows[at + 1:] if "Разом" in r)
    assert dict(zip(header, total))[closing] == pytest.approx(sum(
        dict(zip(header, r))[closing] for r in rows[at + 1:rows.index(total)]))


def test_the_account_card_shows_each_line_beside_its_explanation_and_the_balances(bdb, web):
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    run_billing()
    page = text(web("operator").get(f"/accountview/show/{ids['accounts'][1]}?charges={OCTOBER}"))
    card = page[page.find('id="charges"'):]
    assert "Небаланс будинку" in card and "Сума = 0,750 × 30,00 × 31/31 = 22,50 грн" in card
    assert "10000,00" in card and "Total" in card or "Разом" in card
    balances = page[page.find('id="balance-table"'):page.find('id="account-journal"')]
    assert "2026-10" in balances and "202,50" in balances and "10682,50" in balances
    assert "2026-11" in balances  # the open period with its draft
    journal = page[page.find('id="account-journal"'):]
    assert "billing-2026-10" in journal


def test_the_explanations_follow_the_interface_language(bdb, web):
    """Stored as codes and numbers, an explanation reads in Ukrainian on the Ukrainian screen and
    in English on the English one — the card and the charges report alike."""
    ids = create_town()
    run_billing()
    client = web("operator")
    url = f"/accountview/show/{ids['accounts'][1]}?charges={OCTOBER}"
    card = text(client.get(url))
    card = card[card.find('id="charges"'):]
    assert "Сума = 0,750 × 30,00 × 31/31 = 22,50 грн" in card and "Небаланс будинку" in card
    assert client.get("/lang/en").status_code == 302
    card = text(client.get(url))
    card = card[card.find('id="charges"'):]
    assert "Amount = 0.750 × 30.00 × 31/31 = 22.50 UAH" in card and "House imbalance (meter No." in card
    assert "Сума =" not in card and "Небаланс будинку" not in card and "Тариф" not in card
    report = client.get(f"/reports/charges/download/xlsx?period={OCTOBER}")
    assert report.status_code == 200 and report.mimetype.endswith("sheet")
    from io import BytesIO

    from openpyxl import load_workbook

    cells = [str(c.value) for row in load_workbook(BytesIO(report.data)).active.iter_rows() for c in row
             if c.value is not None]
    assert any("Amount = 0.750 × 30.00 × 31/31 = 22.50 UAH" in c for c in cells)
    assert not any("Сума =" in c for c in cells)


def test_the_runs_warnings_follow_the_interface_language(bdb, web):
    """A run's warnings are stored as phrases (codes and numbers) and read on the billing screen
    in the reader's language; a warning stored as text before stays as it was written."""
    from app.billing.phrases import english, ukrainian
    from app.models import BillingWarning, Building

    create_town()
    run_billing()
    stored = db.session.scalars(select(BillingWarning.message).order_by(BillingWarning.id)).all()
    assert stored and all(m.startswith('["w_') for m in stored), stored
    building = db.session.scalar(select(Building.id))
    db.session.add(BillingWarning(period=OCTOBER, target_period=OCTOBER, building_id=building, code="meter",
                                  message="старе попередження, записане текстом"))
    db.session.commit()
    client = web("accountant")
    page = text(client.get(f"/billing/?period={OCTOBER}"))
    table = page[page.find('id="billing-warnings-table"'):]
    first = stored[0]
    assert ukrainian().text(first) in table and "старе попередження, записане текстом" in table
    assert client.get("/lang/en").status_code == 302
    table = text(client.get(f"/billing/?period={OCTOBER}"))
    table = table[table.find('id="billing-warnings-table"'):]
    assert english().text(first) in table and ukrainian().text(first) not in table
    assert "старе попередження, записане текстом" in table  # old text is shown as written


def test_claim_acts_are_drafted_by_an_operator_and_approved_by_an_accountant(bdb, web):
    ids = create_town()
    operator = web("operator")
    response = operator.post("/claimactview/add", data={
        "number": "АП-1", "act_date": "20.10.2026", "service": ids["services"]["UTR"], "kind": "not_provided",
        "date_from": "01.10.2026", "date_to": "10.10.2026"}, follow_redirects=True)
    assert response.status_code == 200
    act = db.session.scalar(select(ClaimAct).where(ClaimAct.number == "АП-1"))
    assert act is not None and act.status == "draft"
    operator.post("/claimacttargetview/add", data={"act": act.id, "building": ids["building"]})
    assert db.session.scalar(select(func.count()).select_from(ClaimActTarget)) == 1
    operator.post("/claimactview/action_post", data={"action": "approve", "rowid": [act.id]})
    db.session.expire_all()
    assert db.session.get(ClaimAct, act.id).status == "draft"  # an operator cannot approve
    web("accountant").post("/claimactview/action_post", data={"action": "approve", "rowid": [act.id]})
    db.session.expire_all()
    act = db.session.get(ClaimAct, act.id)
    assert act.status == "approved" and act.approved_by == "accountant"
    response = web("accountant").post(f"/claimactview/edit/{act.id}", data={
        "number": "АП-1", "act_date": "20.10.2026", "service": ids["services"]["UTR"], "kind": "not_provided",
        "date_from": "01.10.2026", "date_to": "20.10.2026"}, follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(ClaimAct, act.id).date_to == date(2026, 10, 10)  # approved: not edited
    run_billing()
    # UTR not provided 01–10.10: 21 of 31 days billed — 50 × 8 × 21/31 = 270,97
    got = amounts(db.session, OCTOBER, service_code="UTR")
    assert got[("E1-001", "UTR", "charge", OCTOBER)] == D("270.97")
