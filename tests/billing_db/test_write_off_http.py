"""The write-off screens as each role: the list, the card, forming from the candidates, lines,
approve and cancel (accountants and the admin), drafts (operators), no access (inspectors); the
print form (PDF) and the list's XLSX."""
import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import JournalEntry, Organisation, WriteOff, WriteOffLine

from .writeoff_town import CANDIDATES_TOTAL, old_debts_town


def _form(client, doc_date="30.11.2026"):
    return client.post("/writeoffs/candidates", data={"doc_date": doc_date, "note": ""})


def _posted():
    return db.session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "write_off"))


def test_inspector_has_no_access(bdb, web):
    old_debts_town()
    client = web("inspector")
    for url in ("/writeoffs/", "/writeoffs/xlsx"):
        assert client.get(url).status_code in (302, 403)
    assert _form(client).status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0


def test_operator_drafts_but_does_not_approve(bdb, web):
    old_debts_town()
    client = web("operator")
    page = client.get("/writeoffs/")
    assert page.status_code == 200 and "36" in page.get_data(as_text=True)
    answer = _form(client)
    assert answer.status_code == 302
    wo = db.session.scalar(select(WriteOff))
    assert wo.status == "draft" and wo.created_by == "operator"
    card = client.get(f"/writeoffs/{wo.id}")
    text = card.get_data(as_text=True)
    assert card.status_code == 200 and "E1-001" in text and "wo-approve" not in text
    assert client.post(f"/writeoffs/{wo.id}/approve").status_code == 403
    assert _posted() == 0
    db.session.expire_all()
    assert db.session.get(WriteOff, wo.id).status == "draft"


def test_accountant_approves_and_cancels(bdb, web):
    ids = old_debts_town()
    db.session.add(Organisation(name="КП «Теплоенерго»", edrpou="32855961", iban="UA213223130000026007233566001"))
    db.session.commit()
    client = web("accountant")
    assert _form(client).status_code == 302
    wo = db.session.scalar(select(WriteOff))
    line = db.session.scalar(select(WriteOffLine).where(WriteOffLine.account_id == ids["accounts"][2]))
    # an amount over the debt: refused with the row named, nothing saved
    answer = client.post(f"/writeoffs/{wo.id}/lines/{line.id}/edit", data={"amount": "960,01"}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "E1-002" in text and "960,01" in text
    db.session.expire_all()
    assert db.session.get(WriteOffLine, line.id).amount == D("480.00")
    bad = client.post(f"/writeoffs/{wo.id}/lines/add", data={"account_id": "x", "service_id": "", "amount": "1e999"},
                      follow_redirects=True)
    assert bad.status_code == 200
    card = client.get(f"/writeoffs/{wo.id}").get_data(as_text=True)
    assert "wo-approve" in card and "1 460,00" in card.replace("\u00a0", " ").replace("\u202f", " ") or "1460" in card
    assert client.post(f"/writeoffs/{wo.id}/approve").status_code == 302
    assert client.post(f"/writeoffs/{wo.id}/approve", follow_redirects=True).status_code == 200
    assert _posted() == 3
    db.session.expire_all()
    assert db.session.get(WriteOff, wo.id).status == "approved"
    # the print form
    pdf = client.get(f"/writeoffs/{wo.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment") and "vidomist-spysannia-" in pdf.headers[
        "Content-Disposition"]
    assert client.get("/writeoffs/999999/pdf").status_code == 404
    from pypdf import PdfReader

    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "ВС-2026-0001" in words and "E1-001" in words and "1 460,00" in words.replace("\u2009", " ")
    assert "Склав" in words and "Затверджую" in words
    # the list's XLSX
    from openpyxl import load_workbook

    book = client.get("/writeoffs/xlsx?status=approved")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == "ВС-2026-0001" and values[1][4] == 3 and D(str(values[1][5])) == CANDIDATES_TOTAL
    # cancel: a reason is needed
    client.post(f"/writeoffs/{wo.id}/cancel", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(WriteOff, wo.id).status == "approved"
    assert client.post(f"/writeoffs/{wo.id}/cancel", data={"reason": "помилка"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(WriteOff, wo.id).status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "reversal")) == 3
    assert "помилка" in client.get(f"/writeoffs/{wo.id}").get_data(as_text=True)
    assert client.get("/writeoffs/?status=cancelled&reason=limitation&year=2026").status_code == 200
    assert client.get("/writeoffs/?status=<script>&year=abc&page=-1").status_code in (200, 400)  # the guard
    assert client.get("/writeoffs/999999").status_code == 404


def test_by_hand_statement_with_the_account_picker(bdb, web):
    ids = old_debts_town()
    client = web("admin")
    answer = client.post("/writeoffs/create", data={"doc_date": "20.11.2026", "reason": "other", "note": ""},
                         follow_redirects=True)
    assert answer.status_code == 200 and db.session.scalar(select(func.count()).select_from(WriteOff)) == 0
    client.post("/writeoffs/create", data={"doc_date": "99.99.2026", "reason": "other", "note": "x"})
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0
    assert client.post("/writeoffs/create", data={"doc_date": "20.11.2026", "reason": "deceased",
                                                  "note": "свідоцтво № 5"}).status_code == 302
    wo = db.session.scalar(select(WriteOff))
    assert wo.reason == "deceased"
    assert client.post(f"/writeoffs/{wo.id}/lines/add", data={
        "account_id": ids["accounts"][1], "service_id": ids["services"]["UTR"], "amount": "1200,00",
        "note": "увесь борг"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WriteOffLine)) == 1
    picker = client.get("/lookup/account/?q=E1&page=1")
    assert picker.status_code == 200 and len(picker.json["results"]) <= 20
    line = db.session.scalar(select(WriteOffLine))
    assert client.post(f"/writeoffs/{wo.id}/lines/{line.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WriteOffLine)) == 0
    assert client.post(f"/writeoffs/{wo.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0
